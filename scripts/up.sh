#!/usr/bin/env bash
# Starts the whole buildbot-marathon stack on this machine (docker-compose.yml) on the embedded
# default deploy target (bbm devcluster), with the example project examples/hello in a local bare
# repository, then prints where everything is. Idempotent: run it again to apply changes.
#
#   bash scripts/up.sh            # as root on Debian 12; first run ~10 min (image builds), then seconds
#
# Environment:
#   BBM_BASES=local|public  local (default): images build on the bases scripts/images.sh makes here
#                           (works without Docker Hub or PyPI; the master has Debian's Buildbot, which has
#                           no web UI: buildbot-marathon's console is served at / instead). public:
#                           debian:bookworm-slim, node:20-bookworm-slim, python:3.11-slim-bookworm +
#                           buildbot[bundle]==4.3.0 (Buildbot's UI at /, the console at /bbm/;
#                           master.cfg generated with --buildbot-version 4.3).
#   BBM_SKIP_SETUP=1        do not run scripts/setup.sh (packages, engine, base images) first
#   BBM_NO_FIRST_BUILD=1    do not force the example's first build
# Ports and folders: see docker-compose.yml and docs/stack.md (BBM_UI_PORT, BBM_REGISTRY_PORT, …).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { printf 'up: %s\n' "$*" >&2; }

[ "${BBM_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

# Secrets: random values, made once, readable by root only. The master reads the whole folder
# (SecretInAFile), the worker and PostgreSQL only their own file.
secrets=${BBM_SECRETS_DIR:-$root/secrets}
worker=${BBM_WORKER_NAME:-worker-1}
mkdir -p "$secrets" && chmod 700 "$secrets"
random() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
make_secret() { [ -s "$secrets/$1" ] || { (umask 077 && printf '%s' "$2" >"$secrets/$1"); log "made secret $1"; }; }
make_secret db-password "$(random)"
make_secret "worker-$worker" "$(random)"
make_secret htpasswd "admin:$(random)"

# The example project in a local bare repository (mounted at /srv/git in the master and worker).
repos=${BBM_REPOS_DIR:-$root/repos}
mkdir -p "$repos"
if [ ! -d "$repos/hello.git" ]; then
  git init -q --bare -b master "$repos/hello.git"
  tmp=$(mktemp -d)
  cp -r examples/hello/. "$tmp/"
  git -C "$tmp" init -q -b master
  git -C "$tmp" -c user.name=bbm -c user.email=bbm@example.invalid add -A
  git -C "$tmp" -c user.name=bbm -c user.email=bbm@example.invalid commit -qm "hello: first version"
  git -C "$tmp" tag 0.1.0
  git -C "$tmp" push -q "$repos/hello.git" master --tags
  rm -rf "$tmp"
  log "made $repos/hello.git from examples/hello"
fi

# master.cfg from the repository's ci.config.ts (the master mounts generated/), for the Buildbot the
# master image gets: Debian's 3.7 on the local bases (what ci.config.ts says), 4.3 on the public ones.
if [ "${BBM_BASES:-local}" = public ]; then export BBM_BUILDBOT_VERSION=${BBM_BUILDBOT_VERSION:-4.3}; fi
node dist/cli.js generate --config ci.config.ts --out generated/master.cfg

if [ "${BBM_BASES:-local}" = local ]; then
  export BBM_DEBIAN_BASE=${BBM_DEBIAN_BASE:-bbm-local/debian:bookworm}
  export BBM_NODE_BASE=${BBM_NODE_BASE:-bbm-local/node:20}
  export BBM_MASTER_BASE=${BBM_MASTER_BASE:-bbm-local/debian:bookworm}
  export BBM_BUILDBOT_SOURCE=${BBM_BUILDBOT_SOURCE:-debian}
fi
export BBM_SECRETS_DIR=$secrets BBM_REPOS_DIR=$repos BBM_WORKER_NAME=$worker

started=$(date +%s)
docker-compose build
log "images built in $(( $(date +%s) - started ))s"
docker-compose up -d

ui=http://127.0.0.1:${BBM_UI_PORT:-8010}
registry=127.0.0.1:${BBM_REGISTRY_PORT:-5001}
engine=http://127.0.0.1:${BBM_MARATHON_PORT:-8080}
wait_for() { # what, seconds, command…
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$what did not come up within ${secs}s: docker-compose logs"; return 1
}
wait_for "the master's REST API" 300 curl -fsS "$ui/api/v2/masters"
wait_for "the registry" 60 curl -fsS "http://$registry/v2/"
wait_for "bbm devcluster" 60 curl -fsS "$engine/v2/info"
wait_for "the worker" 120 sh -c "curl -fsS '$ui/api/v2/workers?name=$worker' | grep -q '\"masterid\"'"

service_port=$(node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(a.container.portMappings[0].servicePort)' examples/hello/marathon.json)
if [ "${BBM_NO_FIRST_BUILD:-}" != 1 ] && ! curl -fsS "$engine/v2/apps/hello" >/dev/null 2>&1; then
  # The force form's call, as the admin of secrets/htpasswd (the UI login).
  user=${BBM_UI_USER:-admin}
  jar=$(mktemp)
  curl -fsS -c "$jar" -K - "$ui/auth/login" >/dev/null <<<"user = \"$user:$(sed -n "s/^$user://p" "$secrets/htpasswd")\""
  curl -fsS -b "$jar" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","method":"force","id":1,"params":{"builderNames":["hello"],"reason":"first build (scripts/up.sh)","deploy":true}}' \
    "$ui/api/v2/forceschedulers/force" >/dev/null && log "forced the example's first build"
  rm -f "$jar"
fi

# The console is at / where the master has no Buildbot UI of its own (local bases), else at /bbm/.
console="$ui/"
[ "${BBM_BASES:-local}" = local ] || console="$ui/bbm/"

cat <<EOF

buildbot-marathon is up (docker-compose ps; logs: docker-compose logs -f master worker)
  web console          $console   (Build, Deployments; login: admin, password in $secrets/htpasswd)
  Buildbot REST API    $ui/api/v2
  registry             http://$registry/v2/_catalog
  engine (Marathon API, bbm devcluster)   $engine/v2/apps
  example app          http://127.0.0.1:$service_port/   through HAProxy, once its first build deployed it
  example repository   $repos/hello.git   (push to it: a build starts within ${BBM_POLL_HINT:-10}s)
EOF
