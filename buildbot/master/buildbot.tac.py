# buildbot.tac written by the image's start.sh: logs go to stdout (docker logs) and to twistd.log
# (which `buildbot reconfig` follows to report success or failure).
import os
import sys

from twisted.application import service
from twisted.logger import FileLogObserver, formatEventAsClassicLogText
from twisted.python.log import ILogObserver
from twisted.python.logfile import LogFile

from buildbot.master import BuildMaster

basedir = os.path.abspath(os.path.dirname(__file__))
configfile = 'master.cfg'
umask = 0o022

_file = LogFile.fromFullPath(os.path.join(basedir, 'twistd.log'), rotateLength=10_000_000, maxRotatedFiles=5)
_to_file = FileLogObserver(_file, formatEventAsClassicLogText)
_to_stdout = FileLogObserver(sys.stdout, formatEventAsClassicLogText)


def _both(event):
    _to_file(event)
    _to_stdout(event)


application = service.Application('buildmaster')
application.setComponent(ILogObserver, _both)
BuildMaster(basedir, configfile, umask).setServiceParent(application)
