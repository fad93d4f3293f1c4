#!/usr/bin/env bash
# Installs and starts everything buildbot-marathon's tests and its embedded default need on one
# Debian machine, all on 127.0.0.1: the Docker engine, a registry, Buildbot, HAProxy, git, and the
# locally made base image (no registry can be pulled from here). Idempotent: run it as often as
# you like; it only does what is missing. Needs root.
set -euo pipefail

STATE=${BBM_STATE:-/var/lib/bbm}
REGISTRY_ADDR=${BBM_REGISTRY_ADDR:-127.0.0.1:5000}
BASE_IMAGE=${BBM_TEST_BASE_IMAGE:-bbm-test/busybox:latest}
PACKAGES=(docker.io docker-registry buildbot buildbot-worker haproxy busybox-static git curl apache2-utils iproute2 procps openssl
  debootstrap docker-compose chromium firefox-esr openssh-server openssh-client python3-pytest python3-setuptools python3-wheel python3-venv
  # the recipes' toolchains (test/integration/worker.test.ts builds maven, gradle and go projects
  # offline: Maven's plugins and junit come from Debian's /usr/share/maven-repo)
  default-jdk-headless maven libmaven-compiler-plugin-java libmaven-resources-plugin-java libsurefire-java
  libmaven-jar-plugin-java junit4 gradle golang-go)

log() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs Debian packages and starts dockerd)" >&2
  exit 2
fi

# 1. Debian packages (only the missing ones; apt-get update only when something is missing).
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p "$STATE"

wait_for() { # description, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up within ${secs}s"; return 1
}

# 2. Docker engine: published ports bind to 127.0.0.1 by default.
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $STATE/dockerd.log)"
  setsid nohup dockerd --ip 127.0.0.1 >"$STATE/dockerd.log" 2>&1 < /dev/null &
  wait_for dockerd 60 docker info || { tail -20 "$STATE/dockerd.log" >&2; exit 1; }
fi

# 3. A registry (distribution v2) on 127.0.0.1 only, without auth, with deletes allowed.
if ! curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
  mkdir -p "$STATE/registry/data"
  cat >"$STATE/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YAML
  log "starting docker-registry on $REGISTRY_ADDR"
  setsid nohup docker-registry serve "$STATE/registry/config.yml" >"$STATE/registry.log" 2>&1 < /dev/null &
  wait_for registry 30 curl -fsS "http://$REGISTRY_ADDR/v2/" || { tail -20 "$STATE/registry.log" >&2; exit 1; }
fi

# 4. The base image: a busybox root filesystem (sh, httpd, nc, wget…) imported into the engine.
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "making $BASE_IMAGE from busybox-static"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.opencontainers.image.description="busybox base made by buildbot-marathon scripts/setup.sh"' \
    - "$BASE_IMAGE" >/dev/null
fi

# 5. The Debian and Node.js bases the stack's images (buildbot/*.Dockerfile) build on here.
bash "$(dirname "$0")/images.sh"

log "ready: docker engine, registry http://$REGISTRY_ADDR, base image $BASE_IMAGE"
