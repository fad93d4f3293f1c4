"""``GET /bbm/api/deployments``: what runs where, read from Marathon by the master.

Read-only, for logged-in users only (``master.www.getUserInfos``, the session Buildbot's own
``/auth/login`` made). Marathon's URL and credentials stay on the master: the credentials come from
Buildbot's secrets providers by the names the generated configuration gives, and the answer keeps
only what the console shows (no ``env``, ``cmd``, ``args`` or non-``bbm.`` labels of an app).

Per environment: ``GET /v2/apps?embed=apps.tasks&embed=apps.deployments`` and ``GET /v2/deployments``
(Marathon's ``AppsResource`` and ``DeploymentsResource``), then for each app deployed by
buildbot-marathon to it (``listed``: label ``bbm.project``, and ``bbm.environment`` naming it, or
without that label one of the environment's ``app_ids``) its recent versions (``/v2/apps/<id>/versions`` and ``…/versions/<v>``) for the
history, and the digest of a tag reference from the registry's manifest (``Docker-Content-Digest``).
Endpoints and health are computed in the browser by the same TypeScript code as ``bbm endpoints``.
The answer also names the promotion routes (``promotions``: project, target and source environment,
their app ids), so the console can offer on a promote form the builds that run healthy in the source.
"""
import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from twisted.internet import defer, threads
from twisted.python import log
from twisted.web import resource, server

HISTORY = 8
TIMEOUT = 10
LABEL_PREFIX = 'bbm.'
MANIFEST_TYPES = ', '.join([
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
])


class NotFound(resource.Resource):
    def render(self, request):
        request.setResponseCode(404)
        request.setHeader(b'content-type', b'application/json')
        return b'{"error":"not found"}'


class Container(resource.Resource):
    def getChild(self, path, request):
        return NotFound()


def _get(url, auth=None, method='GET', accept='application/json'):
    req = urllib.request.Request(url, method=method, headers={'Accept': accept})
    if auth:
        req.add_header('Authorization', auth)
    with urllib.request.urlopen(req, timeout=TIMEOUT) as res:  # noqa: S310 - configured http(s) URL
        if method == 'HEAD':
            return dict(res.headers)
        return json.loads(res.read().decode('utf-8'))


def _bbm_labels(labels):
    return {k: v for k, v in (labels or {}).items() if isinstance(k, str) and k.startswith(LABEL_PREFIX) and isinstance(v, str)}


def _image(app):
    return ((app.get('container') or {}).get('docker') or {}).get('image')


def _ports(app):
    container = app.get('container') or {}
    mappings = container.get('portMappings') or (container.get('docker') or {}).get('portMappings') or []
    if mappings:
        return {'container': {'portMappings': [{'servicePort': m.get('servicePort', 0), 'protocol': m.get('protocol', 'tcp')} for m in mappings]}}
    return {'portDefinitions': [{'port': d.get('port', 0), 'protocol': d.get('protocol', 'tcp')} for d in app.get('portDefinitions') or []]}


def _task(t):
    return {
        'id': t.get('id'), 'host': t.get('host'), 'ports': t.get('ports') or [], 'servicePorts': t.get('servicePorts') or [],
        'state': t.get('state'), 'version': t.get('version'), 'startedAt': t.get('startedAt'),
        'healthCheckResults': [{'alive': bool(r.get('alive'))} for r in t.get('healthCheckResults') or []],
    }


def _app(app):
    out = {
        'id': app.get('id'), 'version': app.get('version'), 'instances': app.get('instances', 0),
        'versionInfo': {'lastConfigChangeAt': (app.get('versionInfo') or {}).get('lastConfigChangeAt')},
        'tasksRunning': app.get('tasksRunning'), 'tasksHealthy': app.get('tasksHealthy'),
        'tasksStaged': app.get('tasksStaged'), 'tasksUnhealthy': app.get('tasksUnhealthy'),
        'container': {'docker': {'image': _image(app)}},
        # Only how many checks there are: the health rule needs the count, not the commands.
        'healthChecks': [{} for _ in app.get('healthChecks') or []],
        'labels': _bbm_labels(app.get('labels')),
        'tasks': [_task(t) for t in app.get('tasks') or []],
    }
    ports = _ports(app)
    if 'container' in ports:
        out['container'].update(ports['container'])
    else:
        out.update(ports)
    return out


def _deployment(d):
    return {
        'id': d.get('id'), 'version': d.get('version'), 'affectedApps': d.get('affectedApps') or [],
        'currentStep': d.get('currentStep'), 'totalSteps': d.get('totalSteps'),
        'currentActions': [{'action': a.get('action'), 'app': a.get('app')} for a in d.get('currentActions') or []],
    }


def _digest(registry, image):
    """The registry digest of a `host/repo:tag` reference (None when unknown or on another registry)."""
    if not image or '@' in image:
        return image.split('@', 1)[1] if image and '@' in image else None
    if not registry or not image.startswith(registry + '/'):
        return None
    rest = image[len(registry) + 1:]
    repo, _, tag = rest.rpartition(':')
    if not repo or '/' in tag:
        return None
    try:
        headers = _get('http://%s/v2/%s/manifests/%s' % (registry, repo, urllib.parse.quote(tag)), method='HEAD', accept=MANIFEST_TYPES)
    except Exception:  # noqa: BLE001 - the digest is a nicety; the page shows "unknown"
        return None
    return {k.lower(): v for k, v in headers.items()}.get('docker-content-digest')


def listed(env, raw):
    """Whether an app of this environment's Marathon belongs on its page: deployed by buildbot-marathon
    (label ``bbm.project``) to this environment. The label ``bbm.environment`` (which ``bbm deploy`` and
    ``bbm promote`` write) decides; an app without it (deployed before the label was written) is listed
    when its id is one of the environment's configured ``app_ids``, or always when none are configured
    (one environment alone on its Marathon)."""
    labels = raw.get('labels') or {}
    if not isinstance(labels, dict) or 'bbm.project' not in labels:
        return False
    named = labels.get('bbm.environment')
    if isinstance(named, str) and named != '':
        return named == env['name']
    return env.get('app_ids') is None or raw.get('id') in env['app_ids']


def _read_environment(env, auth, registry):
    """Blocking (runs in a thread): one environment's apps, deployments and recent versions."""
    base = env['url'].rstrip('/')
    apps = _get(base + '/v2/apps?embed=apps.tasks&embed=apps.deployments', auth)['apps']
    deployments = [_deployment(d) for d in _get(base + '/v2/deployments', auth)]
    out = []
    for raw in apps:
        if not listed(env, raw):
            continue
        app = _app(raw)
        app['digest'] = _digest(registry, app['container']['docker']['image'])
        app['deployments'] = [d for d in deployments if app['id'] in d['affectedApps']]
        quoted = urllib.parse.quote(app['id'].strip('/'))
        versions = _get('%s/v2/apps/%s/versions' % (base, quoted), auth).get('versions') or []
        history = []
        for v in sorted(versions, reverse=True)[:HISTORY]:
            try:
                old = _get('%s/v2/apps/%s/versions/%s' % (base, quoted, urllib.parse.quote(v)), auth)
            except urllib.error.HTTPError:
                continue
            history.append({'version': v, 'image': _image(old), 'labels': _bbm_labels(old.get('labels'))})
        app['history'] = history
        out.append(app)
    return {'name': env['name'], 'apps': out}


class DeploymentsResource(resource.Resource):
    isLeaf = True

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.environments = []
        self.registry = None
        self.promotions = []

    def configure(self, config):
        self.environments = list(config.get('environments') or [])
        self.registry = config.get('registry')
        self.promotions = [
            {'project': p.get('project'), 'to': p.get('to'), 'from': p.get('from'),
             'sourceAppId': p.get('source_app_id'), 'targetAppId': p.get('target_app_id')}
            for p in config.get('promotions') or []]

    def render_GET(self, request):
        request.setHeader(b'content-type', b'application/json')
        request.setHeader(b'cache-control', b'no-store')
        user = self.app.master.www.getUserInfos(request) or {}
        if user.get('anonymous') or not user.get('username'):
            request.setResponseCode(401)
            return b'{"error":"log in to see deployments"}'
        d = self.collect()

        def done(body):
            request.write(json.dumps(body).encode('utf-8'))
            request.finish()

        def failed(f):
            log.err(f, 'bbm console: reading deployments')
            request.setResponseCode(500)
            request.write(b'{"error":"the master could not read the deployments (see its log)"}')
            request.finish()

        d.addCallbacks(done, failed)
        return server.NOT_DONE_YET

    @defer.inlineCallbacks
    def _auth(self, env):
        secrets = self.app.master.namedServices['secrets']

        @defer.inlineCallbacks
        def value(name):
            details = yield secrets.get(name) if name else None
            return details.value if details is not None else None

        token = yield value(env.get('token_secret'))
        if token:
            return 'token=' + token
        user = yield value(env.get('user_secret'))
        password = yield value(env.get('password_secret'))
        if user and password is not None:
            return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode('utf-8')).decode('ascii')
        return None

    @defer.inlineCallbacks
    def collect(self):
        result = []
        for env in self.environments:
            auth = yield self._auth(env)
            try:
                data = yield threads.deferToThread(_read_environment, env, auth, self.registry)
            except Exception as e:  # noqa: BLE001 - one unreachable Marathon must not hide the others
                reason = ('Marathon answered %s' % e.code) if isinstance(e, urllib.error.HTTPError) else 'Marathon could not be reached'
                data = {'name': env['name'], 'apps': [], 'error': reason}
            result.append(data)
        return {'environments': result, 'promotions': self.promotions}
