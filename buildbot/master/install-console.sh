#!/bin/sh
# Installs buildbot-marathon's web console into the master image: the www plugin `bbm` (served at /bbm/)
# and, where Buildbot's own UI (buildbot-www) is not installed, the stand-in `base` plugin that serves the
# console at /. Its static files come from `npm run build` (src/console). Run after install.sh.
set -eu
here=$(dirname "$0")
[ -f "$here/console/bbm_console/static/console.js" ] || { echo "install-console: the console's static files are missing: run 'npm run build' first" >&2; exit 1; }
site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site"
rm -rf "$site/bbm_console" "$site"/bbm_console-*.egg-info
cp -r "$here/console/bbm_console" "$here"/console/bbm_console-*.egg-info "$site/"
python3 -c 'import buildbot_www' 2>/dev/null || cp -r "$here"/console/buildbot_www-*.egg-info "$site/"
python3 -c 'from buildbot.plugins.db import get_plugins; n = get_plugins("www", None, load_now=True).names; assert "base" in n and "bbm" in n, n'
