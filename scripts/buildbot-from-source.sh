#!/usr/bin/env bash
# Developer tool: runs a released Buildbot (default 4.3.0) master and worker from its tagged public
# source on Debian 12's Python and packages, to check the generated configuration for a current
# Buildbot on a machine where PyPI cannot be reached. Nothing of Buildbot's source is kept in this
# repository: it is unpacked from a local git mirror of github.com/buildbot/buildbot into DIR.
#
#   bash scripts/buildbot-from-source.sh MIRROR DIR [TAG]     # TAG default v4.3.0
#   DIR/bin/buildbot --version; DIR/bin/buildbot checkconfig master/; DIR/bin/buildbot-worker …
#   BBM_BUILDBOT43_ROOT=DIR npx vitest run test/integration/buildbot43.test.ts
#
# MIRROR is a clone (bare or not) of the Buildbot repository with the tag. Needs Debian's
# buildbot (its Python dependencies) and python3-croniter, python3-treq, python3-typing-extensions;
# Twisted 22.4, SQLAlchemy 1.4 and alembic 1.8 from Debian satisfy Buildbot 4.3's requirements
# (only unidiff is older than it asks, and only GitDiffInfo and the Bitbucket change source use it).
# How it works: the source's egg-info is made outside the tree and put first on PYTHONPATH, so
# importlib.metadata (plugins, `buildbot --version`) sees TAG and not Debian's 3.7; a stand-in
# `base` www plugin serves the REST API.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
mirror=$1 dir=$2 tag=${3:-v4.3.0}
version=${tag#v}
py=/usr/bin/python3
log() { printf 'buildbot-from-source: %s\n' "$*" >&2; }

git -C "$mirror" rev-parse -q --verify "refs/tags/$tag" >/dev/null ||
  { log "$mirror has no tag $tag (fetch github.com/buildbot/buildbot with its tags)"; exit 2; }
for m in twisted sqlalchemy alembic croniter treq typing_extensions autobahn msgpack jwt yaml; do
  $py -c "import $m" 2>/dev/null || {
    log "Python module $m is missing: apt-get install buildbot python3-croniter python3-treq python3-typing-extensions"
    exit 2
  }
done

rm -rf "$dir/src" "$dir/meta" "$dir/www-stub" "$dir/bin"
mkdir -p "$dir/src" "$dir/meta" "$dir/bin"
dir=$(cd "$dir" && pwd)
# The requirements files: what Buildbot's CI pins (test/integration/buildbot43.test.ts compares buildbot/master/constraints-*.txt).
git -C "$mirror" archive "$tag" master worker requirements-ci.txt requirements-cidb.txt requirements-pip.txt | tar -x -C "$dir/src"
# `git archive` fills in the master's version from the tag; the worker would get a date instead.
echo "$version" >"$dir/src/worker/buildbot_worker/VERSION"
(cd "$dir/src/master" && $py setup.py -q egg_info --egg-base "$dir/meta" >/dev/null 2>&1)
(cd "$dir/src/worker" && $py setup.py -q egg_info --egg-base "$dir/meta" >/dev/null 2>&1)

# A stand-in `base` www plugin (the master needs one to serve /api/v2; building Buildbot's React UI
# needs its JavaScript toolchain): an Application over an almost empty static folder.
mkdir -p "$dir/www-stub/buildbot_www/static" "$dir/www-stub/buildbot_www-$version.egg-info"
printf 'from buildbot.www.plugin import Application\nep = Application(__name__, "stand-in UI: REST API only")\n' >"$dir/www-stub/buildbot_www/__init__.py"
echo "$version" >"$dir/www-stub/buildbot_www/VERSION"
echo '<!doctype html><title>Buildbot REST API</title><a href="api/v2">api/v2</a>' >"$dir/www-stub/buildbot_www/static/index.html"
printf 'Metadata-Version: 2.1\nName: buildbot-www\nVersion: %s\n' "$version" >"$dir/www-stub/buildbot_www-$version.egg-info/PKG-INFO"
printf '[buildbot.www]\nbase = buildbot_www:ep\n' >"$dir/www-stub/buildbot_www-$version.egg-info/entry_points.txt"

pythonpath="$dir/meta:$dir/www-stub:$dir/src/master:$dir/src/worker"
for cmd in buildbot buildbot-worker; do
  module=$([ $cmd = buildbot ] && echo buildbot.scripts.runner || echo buildbot_worker.scripts.runner)
  cat >"$dir/bin/$cmd" <<EOF
#!/bin/sh
# $cmd $version from $dir/src (made by scripts/buildbot-from-source.sh)
PYTHONPATH="$pythonpath\${PYTHONPATH:+:\$PYTHONPATH}" exec $py -c 'import sys; from $module import run; sys.argv[0] = "$cmd"; run()' "\$@"
EOF
  chmod +x "$dir/bin/$cmd"
done
# For a master's buildbot.tac (twistd runs it with the master's own sys.path).
printf '%s\n' "$pythonpath" >"$dir/pythonpath"

got=$("$dir/bin/buildbot" --version | sed -n 's/^Buildbot version: //p')
wgot=$("$dir/bin/buildbot-worker" --version | sed -n 's/^worker version: //p')
[ "$got" = "$version" ] || { log "buildbot --version says '$got', not $version"; exit 1; }
[ "$wgot" = "$version" ] || { log "buildbot-worker --version says '$wgot', not $version"; exit 1; }
PYTHONPATH=$pythonpath $py -c 'from buildbot.plugins.db import get_plugins; assert "base" in get_plugins("www", None, load_now=True).names'
log "Buildbot $version master and worker ready: $dir/bin/buildbot, $dir/bin/buildbot-worker"
