# The master directory's master.cfg, written by start.sh on every start: it loads the configuration
# `bbm generate` made (mounted read-only, BBM_MASTER_CFG) and applies what belongs to this
# deployment rather than to the projects: the database and where the master listens. `buildbot reconfig` re-reads the generated file through this wrapper, so regenerating
# and reconfiguring needs no restart. Nothing secret is written here: the database URL comes from
# the environment of the master process only.
import os
import sys

_generated = os.environ.get('BBM_MASTER_CFG', '/etc/buildbot/generated/master.cfg')
# Helper modules the generator may write next to its output are importable, as if it were here.
_gen_dir = os.path.dirname(os.path.abspath(_generated))
if _gen_dir not in sys.path:
    sys.path.insert(0, _gen_dir)
_ns = {'__file__': _generated, '__name__': '__bbm_generated__'}
with open(_generated, encoding='utf-8') as _f:
    exec(compile(_f.read(), _generated, 'exec'), _ns)  # noqa: S102 - our own generated config
c = BuildmasterConfig = _ns['BuildmasterConfig']


def _env(name):
    value = os.environ.get(name, '')
    return value if value else None


if _env('BUILDBOT_DB_URL'):
    c['db'] = dict(c.get('db') or {}, db_url=_env('BUILDBOT_DB_URL'))
if _env('BBM_WWW_PORT'):
    c.setdefault('www', {})
    c['www']['port'] = 'tcp:%s:interface=%s' % (_env('BBM_WWW_PORT'), _env('BBM_WWW_BIND') or '127.0.0.1')
if _env('BBM_PB_PORT'):
    c.setdefault('protocols', {})
    c['protocols']['pb'] = {'port': 'tcp:%s:interface=%s' % (_env('BBM_PB_PORT'), _env('BBM_PB_BIND') or '127.0.0.1')}
if _env('BBM_MSGPACK_PORT') and 'msgpack_experimental_v7' in c.get('protocols', {}):
    # Offered when the configuration has bbm workers. Buildbot takes this port as a bare number and
    # listens on every interface (master/buildbot/worker/protocols/manager/msgpack.py Dispatcher,
    # manager/base.py start_listening_port, 3.7 to 4.3): its dispatcher listens on BBM_MSGPACK_BIND only.
    import re as _re
    from buildbot.worker.protocols.manager import msgpack as _msgpack
    _bind = _env('BBM_MSGPACK_BIND') or '127.0.0.1'
    if not _re.fullmatch(r'[A-Za-z0-9.-]+', _bind):
        raise ValueError('BBM_MSGPACK_BIND must be an IPv4 address or host name, not %r' % _bind)
    if not hasattr(_msgpack.Dispatcher, '_bbm_bind'):
        _dispatcher_init = _msgpack.Dispatcher.__init__

        def _bound_init(self, config_portstr, portstr):
            _dispatcher_init(self, config_portstr, portstr)
            self.portstr = '%s:interface=%s' % (portstr, type(self)._bbm_bind)
        _msgpack.Dispatcher.__init__ = _bound_init
    _msgpack.Dispatcher._bbm_bind = _bind
    c['protocols']['msgpack_experimental_v7'] = {'port': int(_env('BBM_MSGPACK_PORT'))}
if _env('BBM_BUILDBOT_URL'):
    c['buildbotURL'] = _env('BBM_BUILDBOT_URL')
c['buildbotNetUsageData'] = None
