# Buildbot master for buildbot-marathon. The configuration is not baked in: mount the output
# directory of `bbm generate` at /etc/buildbot/generated (docker-compose.yml does), so a regenerated
# master.cfg is applied with `docker-compose exec master bbm-reconfig`, without a restart.
#
# Bases (build arguments):
#   production (default): BASE=python:3.11-slim-bookworm, BUILDBOT_SOURCE=pip  -> buildbot[bundle]==4.3.0
#     (the real web UI and its views) from PyPI, every dependency pinned by master/constraints-4.3.0.txt.
#     BUILDBOT_SOURCE=auto on Buildbot's own image (quay.io/buildbot/buildbot-master:v4.3.0: from 4.0.3
#     Buildbot publishes its images on quay.io) uses the Buildbot it ships.
#   local (no registry or PyPI reachable): BASE=bbm-local/debian:bookworm, BUILDBOT_SOURCE=debian -> Debian's
#     buildbot 3.7; buildbot-marathon's console stands in for buildbot-www (Debian ships no web UI).
# Every image gets the console (www plugin `bbm`, at /bbm/): `npm run build` makes its static files first.
# Build context: the buildbot/ directory.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}
ARG BUILDBOT_SOURCE=pip
ARG BUILDBOT_VERSION=4.3.0
# /buildbot_venv/bin: where Buildbot's own image has buildbot (absent elsewhere, harmless).
ENV PYTHONUNBUFFERED=1 LANG=C.UTF-8 PATH=/buildbot_venv/bin:$PATH
# Packages first (the slow layer), scripts after, so editing a script does not reinstall Buildbot.
COPY master/install.sh master/constraints-*.txt /opt/bbm-master/
RUN BUILDBOT_SOURCE="$BUILDBOT_SOURCE" BUILDBOT_VERSION="$BUILDBOT_VERSION" sh /opt/bbm-master/install.sh
COPY master/ /opt/bbm-master/
RUN sh /opt/bbm-master/install-console.sh && rm -rf /opt/bbm-master/console && ln -sf /opt/bbm-master/bbm-reconfig /usr/local/bin/bbm-reconfig
VOLUME /var/lib/buildbot
HEALTHCHECK --interval=30s --timeout=30s --start-period=180s --retries=3 CMD ["python3", "/opt/bbm-master/healthcheck.py"]
ENTRYPOINT ["/opt/bbm-master/start.sh"]
