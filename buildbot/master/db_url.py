"""Prints a database URL with the password from a file filled in (URL-encoded); used by start.sh so
the password is never in argv or in a file the master writes."""
import sys
from urllib.parse import quote, urlsplit, urlunsplit

url, password_file = sys.argv[1], sys.argv[2]
with open(password_file, encoding='utf-8') as f:
    password = f.read().rstrip('\r\n')
parts = urlsplit(url)
if not parts.username or parts.password:
    sys.exit('db_url: BBM_DB_URL must name a user and no password, e.g. postgresql://buildbot@db:5432/buildbot')
host = parts.hostname or ''
netloc = '%s:%s@%s%s' % (quote(parts.username, safe=''), quote(password, safe=''), host,
                         ':%d' % parts.port if parts.port else '')
print(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
