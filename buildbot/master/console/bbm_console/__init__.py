"""buildbot-marathon's web console as a Buildbot www plugin.

Two entry points (see the egg-info folders beside this package):

* ``bbm`` (always): the console at ``/bbm/`` and its one server-side endpoint,
  ``/bbm/api/deployments`` (read-only Marathon data for logged-in users; ``deployments.py``).
* ``base`` (only where Buildbot's own UI, ``buildbot-www``, is not installed, e.g. Debian's
  Buildbot 3.7): the same console at ``/``. Buildbot's web service refuses to start without a
  ``base`` plugin (``buildbot/www/service.py``, ``setupSite``); it renders ``static/index.html`` as a
  Jinja2 template, so that file must stay free of template syntax.

Everything else the console uses is Buildbot's own: ``/api/v2``, ``/ws``, ``/auth/login``,
``/auth/logout``, ``/config`` and the master's authz.
"""
from buildbot.www.plugin import Application

from bbm_console.deployments import Container, DeploymentsResource


class ConsoleApplication(Application):
    """The console's static files, with the deployments endpoint under ``api/deployments``."""

    def __init__(self):
        # ui=False: Buildbot's own UI must not try to load this plugin as one of its UI modules.
        super().__init__(__name__, 'buildbot-marathon console', ui=False)
        self._read = None
        api = Container()
        self.deployments = DeploymentsResource(self)
        api.putChild(b'deployments', self.deployments)
        self.resource.putChild(b'api', api)

    def setConfiguration(self, config):
        super().setConfiguration(config)
        # The settings (Marathon URLs, secret names) stay on the master: Buildbot 3.7 removes a
        # ui=False plugin's settings from what /config shows the browser, 4.x no longer does
        # (buildbot/www/service.py, configPlugins), so the dict /config is made from is emptied once
        # read. 4.x hands the same dict over again when the site is set up: it is not read twice.
        if config is not self._read:
            self.deployments.configure(config or {})
        if isinstance(config, dict):
            config.clear()
            self._read = config
        # Buildbot 3.7 serves plugins at /<name>/, 4.x at /plugins/<name>/: put it at /bbm/ in both.
        www = self.master.www
        base = www.apps.get(getattr(www, 'base_plugin_name', 'base'))
        if base is not None and base.resource is not self.resource:
            base.resource.putChild(b'bbm', self.resource)


ep = ConsoleApplication()

# The stand-in `base` plugin: the console at / (its own resource tree, which Buildbot fills with
# /api, /auth, /ws…). Only the Debian path's egg-info (buildbot_www-*.egg-info) names it.
base = Application(__name__, 'buildbot-marathon console (stands in for buildbot-www)')
