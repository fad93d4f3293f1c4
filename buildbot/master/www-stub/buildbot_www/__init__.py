from buildbot.www.plugin import Application

# Stand-in for buildbot-www on the locally made Debian base only (Debian ships no buildbot-www):
# the master needs a `base` www plugin to serve /api/v2. Production images install the real UI.
ep = Application(__name__, "Buildbot REST API (stand-in UI: Debian ships no buildbot-www)")
