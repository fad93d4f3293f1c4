#!/usr/bin/env bash
# Makes the locally made base images that buildbot/*.Dockerfile build on when no container registry
# can be pulled from (as on this project's CI machines). Production builds the same Dockerfiles on
# public bases instead (debian:bookworm-slim, node:20-bookworm-slim, python:3.11-slim-bookworm):
# see docs/stack.md.
#
#   bbm-local/debian:bookworm  Debian 12 minbase by debootstrap from deb.debian.org, `docker import`ed
#   bbm-local/node:20          that plus this machine's Node.js 20 (/usr/bin/node, a nodesource build
#                              linked against bookworm's glibc/libstdc++) and npm
#
# Idempotent: an image that exists is kept (delete it to remake it). Needs root and a running engine.
# Called by scripts/setup.sh.
set -euo pipefail

DEBIAN_IMAGE=${BBM_DEBIAN_IMAGE:-bbm-local/debian:bookworm}
NODE_IMAGE=${BBM_NODE_IMAGE:-bbm-local/node:20}
MIRROR=${BBM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_BIN=${BBM_NODE_BIN:-/usr/bin/node}
NPM_DIR=${BBM_NPM_DIR:-/usr/lib/node_modules/npm}

log() { printf 'images: %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$DEBIAN_IMAGE"; then
  command -v debootstrap >/dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
  started=$(date +%s)
  log "making $DEBIAN_IMAGE: debootstrap --variant=minbase bookworm from $MIRROR"
  root="$work/rootfs"
  if ! debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  fi
  # Point-release and security updates too, as debian:bookworm-slim has.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
  # Like the official Debian images: no recommends, no package caches or lists left in layers.
  cat >"$root/etc/apt/apt.conf.d/90bbm-docker" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Binary::apt::APT::Keep-Downloaded-Packages "false";
EOF
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description="Debian 12 minbase made by buildbot-marathon scripts/images.sh"' \
    - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  log "made $DEBIAN_IMAGE in $(( $(date +%s) - started ))s"
fi

if ! have "$NODE_IMAGE"; then
  started=$(date +%s)
  [ -x "$NODE_BIN" ] || { log "no Node.js at $NODE_BIN (set BBM_NODE_BIN)"; exit 1; }
  version=$("$NODE_BIN" --version)
  case "$version" in v2[0-9].*|v[3-9][0-9].*) ;; *) log "$NODE_BIN is $version; bbm needs >= 20.19"; exit 1 ;; esac
  log "making $NODE_IMAGE: $DEBIAN_IMAGE + Node.js $version from $NODE_BIN"
  ctx="$work/node"
  mkdir -p "$ctx"
  cp "$NODE_BIN" "$ctx/node"
  cp -a "$NPM_DIR" "$ctx/npm"
  cat >"$ctx/Dockerfile" <<'EOF'
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version >/dev/null
CMD ["node"]
EOF
  docker build -q --build-arg "BASE=$DEBIAN_IMAGE" \
    --label "org.opencontainers.image.description=Node.js $version on $DEBIAN_IMAGE, made by buildbot-marathon scripts/images.sh" \
    -t "$NODE_IMAGE" "$ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  log "made $NODE_IMAGE in $(( $(date +%s) - started ))s"
fi

log "ready: $DEBIAN_IMAGE, $NODE_IMAGE"
