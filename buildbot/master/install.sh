#!/bin/sh
# Installs Buildbot into the master image. BUILDBOT_SOURCE:
#   auto    Buildbot already in the base (Buildbot's own image, quay.io/buildbot/buildbot-master, has it in
#           /buildbot_venv): only add what is missing; otherwise as pip.
#   pip     buildbot[bundle]==BUILDBOT_VERSION (the real web UI, the waterfall, console and grid views) and
#           psycopg2-binary from PyPI, on a Python base (python:3.11-slim-bookworm), every dependency pinned by
#           constraints-BUILDBOT_VERSION.txt (the versions Buildbot's own CI pins at that release).
#   debian  Debian's buildbot 3.7 and python3-psycopg2: for the locally made base where no registry or PyPI is
#           reachable. Debian ships no web UI: the console stands in for it (install-console.sh, run after this).
set -eu
src=${BUILDBOT_SOURCE:-auto}
version=${BUILDBOT_VERSION:-4.3.0}
here=$(dirname "$0")

apt_install() {
  if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
  elif command -v apk >/dev/null; then
    apk add --no-cache "$@" >/dev/null
  else
    echo "install: no apt-get or apk to install $*" >&2; exit 1
  fi
}

if [ "$src" = auto ]; then
  # The Dockerfile puts /buildbot_venv/bin (Buildbot's own image) first on PATH.
  if command -v buildbot >/dev/null 2>&1; then src=preinstalled; else src=pip; fi
fi
case "$src" in
  preinstalled)
    command -v git >/dev/null || apt_install git
    ;;
  pip)
    constraints=$here/constraints-$version.txt
    # Unpinned, pip takes whatever is newest: Twisted 24.11 removed twisted.python.constants, which
    # Buildbot 3.7 imports, and setuptools 82 removed pkg_resources. So only pinned versions install.
    [ -f "$constraints" ] || { echo "install: no pinned dependency versions for Buildbot $version ($constraints): use BUILDBOT_VERSION=4.3.0, or add that file from Buildbot's requirements-ci.txt at the release's tag" >&2; exit 2; }
    apt_install git ca-certificates
    pip install --no-cache-dir -c "$constraints" "buildbot[bundle]==$version" psycopg2-binary
    ;;
  debian)
    apt_install buildbot python3-psycopg2 git ca-certificates
    ;;
  *) echo "install: BUILDBOT_SOURCE must be auto, pip or debian, not '$src'" >&2; exit 2 ;;
esac
# The master runs as this user (start.sh drops root after preparing the master directory).
getent passwd buildbot >/dev/null || useradd --system --home-dir /var/lib/buildbot --shell /usr/sbin/nologin buildbot
mkdir -p /var/lib/buildbot /etc/buildbot/generated
# Repositories bind-mounted from the host belong to another user; let the poller read them.
git config --system --add safe.directory '*'
buildbot --version
python3 -c 'import psycopg2'
