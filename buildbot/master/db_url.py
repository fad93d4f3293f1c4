"""Prints a database URL with the password from a file filled in (URL-encoded); used by start.sh so
the password is never in argv or in a file the master writes.

  db_url.py URL PASSWORD_FILE                      print the URL (into the caller's environment only)
  db_url.py --same-as-pid PID                      exit 0 when the running master PID was started with the
                                                   BUILDBOT_DB_URL of this process's environment, 1 when not, 2
                                                   when that cannot be read (run it as the master's user);
                                                   prints nothing secret
"""
import os
import sys
from urllib.parse import quote, urlsplit, urlunsplit


def with_password(url, password_file):
    with open(password_file, encoding='utf-8') as f:
        password = f.read().rstrip('\r\n')
    parts = urlsplit(url)
    if not parts.username or parts.password:
        sys.exit('db_url: BBM_DB_URL must name a user and no password, e.g. postgresql://buildbot@db:5432/buildbot')
    host = parts.hostname or ''
    netloc = '%s:%s@%s%s' % (quote(parts.username, safe=''), quote(password, safe=''), host,
                             ':%d' % parts.port if parts.port else '')
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def started_with(pid):
    """The BUILDBOT_DB_URL of a running process (its environment as it started), or None."""
    with open('/proc/%d/environ' % pid, 'rb') as f:
        for item in f.read().split(b'\0'):
            if item.startswith(b'BUILDBOT_DB_URL='):
                return item.split(b'=', 1)[1].decode('utf-8')
    return None


if sys.argv[1:2] == ['--same-as-pid']:
    pid, wanted = int(sys.argv[2]), os.environ.get('BUILDBOT_DB_URL')
    try:
        running = started_with(pid)
    except OSError as e:
        print('db_url: cannot read the environment of process %d: %s' % (pid, e.strerror), file=sys.stderr)
        sys.exit(2)
    sys.exit(0 if running == wanted else 1)
print(with_password(sys.argv[1], sys.argv[2]))
