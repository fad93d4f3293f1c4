"""clean_env.py CMD ARGS...: runs CMD with a small, known environment, because Buildbot prints the
worker's whole environment at the top of every step log. Variables BBM_STEP_<X> are handed to the
steps as BBM_<X> (non-secret settings of bbm, e.g. BBM_STEP_TIMEOUT); nothing else passes."""
import os
import sys

env = {
    'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME': '/var/lib/buildbot',
    'LANG': 'C.UTF-8',
    'PYTHONUNBUFFERED': '1',
}
for name, value in os.environ.items():
    if name.startswith('BBM_STEP_') and len(name) > len('BBM_STEP_'):
        if any(word in name for word in ('PASSWORD', 'TOKEN', 'SECRET', 'CREDENTIAL')):
            sys.exit('bbm-worker: refusing %s: secrets reach steps through util.Secret only' % name)
        env['BBM_' + name[len('BBM_STEP_'):]] = value
os.execvpe(sys.argv[1], sys.argv[1:], env)
