"""write_tac.py BASEDIR HOST PORT NAME PASSWORD_FILE: writes the worker's buildbot.tac. The tac reads
the password from PASSWORD_FILE when the worker starts, so the password is in no file we write."""
import os
import sys

basedir, host, port, name, password_file = sys.argv[1:6]
if not port.isdigit():
    sys.exit('bbm-worker: BBM_MASTER_PORT must be a number, not %r' % port)
tac = '''# Written by the worker image's start.sh on every start.
import os
import sys

from twisted.application import service
from twisted.python.log import FileLogObserver, ILogObserver

from buildbot_worker.bot import Worker

basedir = %(basedir)r
application = service.Application('buildbot-worker')
application.setComponent(ILogObserver, FileLogObserver(sys.stdout).emit)
with open(%(password_file)r, encoding='utf-8') as f:
    passwd = f.read().rstrip('\\r\\n')
s = Worker(%(host)r, %(port)d, %(name)r, passwd, basedir, 600, umask=0o022, maxdelay=30,
           numcpus=None, allow_shutdown=None, maxRetries=None, protocol='pb', useTls=False,
           delete_leftover_dirs=False, proxy_connection_string=None)
s.setServiceParent(application)
''' % dict(basedir=basedir, host=host, port=int(port), name=name, password_file=password_file)
path = os.path.join(basedir, 'buildbot.tac')
with open(path + '.tmp', 'w', encoding='utf-8') as f:
    f.write(tac)
os.replace(path + '.tmp', path)
