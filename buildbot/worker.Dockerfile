# Buildbot worker for buildbot-marathon: buildbot-worker, Node.js, `bbm` on PATH, git, and the
# toolchains of the project types it builds. Builds reach the host's Docker engine through its
# socket (docker-compose.yml mounts /var/run/docker.sock); `bbm build/push` talk to it directly.
# The same image runs `bbm devcluster` and `bbm haproxy --watch` (it has haproxy) in the stack.
#
# Toolchain families: one image per family, chosen by TOOLCHAIN_PACKAGES. The default family is
# what this image needs anyway plus small additions: `docker` (nothing), `node` (Node.js and npm are
# the base) and `python` (python3, venv, pip, pytest: ~40 MB). A JVM or Go family doubles the image
# and its build time, so it is a second image built from this Dockerfile, e.g.
#   --build-arg TOOLCHAIN_PACKAGES="maven gradle default-jdk-headless"   (types maven, gradle)
#   --build-arg TOOLCHAIN_PACKAGES="golang-go"                           (type go)
# and a worker entry in ci.config.ts saying which types that worker builds.
#
# The worker (build argument WORKER): `buildbot-worker` (the default: Buildbot's Python worker, PB) or
# `bbm` (`bbm worker`, TypeScript, msgpack_experimental_v7: docs/worker.md). The bbm variant installs no
# buildbot-worker, so the image has Python only when TOOLCHAIN_PACKAGES asks for it, e.g.
#   --build-arg WORKER=bbm --build-arg TOOLCHAIN_PACKAGES=""          (types docker and node: no Python)
#
# Bases (build arguments): production NODE_IMAGE=node:20-bookworm-slim; locally (no registry)
# NODE_IMAGE=bbm-local/node:20 made by scripts/images.sh. Both are Debian 12.
# Build context: the repository root after `npm ci && npm run build` (.dockerignore keeps it small).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS package
WORKDIR /opt/bbm
# package.json, the lockfile, dist/, templates/ (when there), node_modules/ (see .dockerignore)
COPY . ./
# Production dependencies only, from the lockfile; no network needed. --legacy-peer-deps: without it
# npm tries to resolve dev tools' optional peers (vite's esbuild range) from the registry and fails offline.
RUN rm -rf buildbot \
 && npm prune --omit=dev --offline --no-audit --no-fund --legacy-peer-deps >/dev/null 2>&1 \
 && test -f dist/cli.js \
 && node dist/cli.js --version

# The system: the worker program's packages (none for bbm) and what every build uses.
FROM ${NODE_IMAGE} AS system
ARG WORKER=buildbot-worker
ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 BBM_WORKER_KIND=${WORKER}
RUN set -eu; export DEBIAN_FRONTEND=noninteractive; \
    case "$WORKER" in buildbot-worker) worker_packages=buildbot-worker ;; bbm) worker_packages= ;; \
      *) echo "WORKER must be buildbot-worker or bbm, not '$WORKER'" >&2; exit 2 ;; esac; \
    apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends $worker_packages git ca-certificates haproxy procps >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && git config --system --add safe.directory '*'

# The worker without any toolchain (`--target bare`): with WORKER=bbm, an image without Python. The
# stack's end-to-end test checks that from this stage, which every build of this file builds anyway.
FROM system AS bare
COPY --from=package /opt/bbm /opt/bbm
COPY buildbot/worker/ /opt/bbm-worker/
RUN ln -s /opt/bbm/dist/cli.js /usr/local/bin/bbm && chmod +x /opt/bbm/dist/cli.js && bbm --version
VOLUME /var/lib/buildbot
WORKDIR /var/lib/buildbot
ENTRYPOINT ["/opt/bbm-worker/start.sh"]

# The image: the system plus the toolchains (a layer of its own, kept before bbm so a change of bbm
# does not reinstall them).
FROM system
ARG TOOLCHAIN_PACKAGES="python3-venv python3-pip python3-pytest python3-setuptools python3-wheel"
RUN set -eu; export DEBIAN_FRONTEND=noninteractive; \
    if [ -n "$(echo $TOOLCHAIN_PACKAGES)" ]; then \
      apt-get update -qq \
   && apt-get install -y -qq --no-install-recommends $TOOLCHAIN_PACKAGES >/dev/null \
   && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi
COPY --from=package /opt/bbm /opt/bbm
COPY buildbot/worker/ /opt/bbm-worker/
RUN ln -s /opt/bbm/dist/cli.js /usr/local/bin/bbm && chmod +x /opt/bbm/dist/cli.js && bbm --version
VOLUME /var/lib/buildbot
WORKDIR /var/lib/buildbot
ENTRYPOINT ["/opt/bbm-worker/start.sh"]
