"""Runs the worker in the foreground: twistd with BASEDIR/buildbot.tac (argv[1])."""
import os
import sys

from twisted.scripts.twistd import run

basedir = os.path.abspath(sys.argv[1])
os.chdir(basedir)
sys.argv = ['twistd', '--nodaemon', '--no_save', '--pidfile=' + os.path.join(basedir, 'twistd.pid'),
            '--python=' + os.path.join(basedir, 'buildbot.tac')]
run()
