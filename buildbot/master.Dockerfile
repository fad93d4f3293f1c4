# Buildbot master for buildbot-marathon. The configuration is not baked in: mount the output
# directory of `bbm generate` at /etc/buildbot/generated (docker-compose.yml does), so a regenerated
# master.cfg is applied with `docker-compose exec master bbm-reconfig`, without a restart.
#
# Bases (build arguments):
#   production (default): BASE=python:3.11-slim-bookworm, BUILDBOT_SOURCE=pip  -> buildbot[bundle] with
#     the real web UI from PyPI. BUILDBOT_SOURCE=auto on the official buildbot/buildbot-master:v3.7.0 image
#     uses the Buildbot it ships.
#   local (no registry or PyPI reachable): BASE=bbm-local/debian:bookworm, BUILDBOT_SOURCE=debian -> Debian's
#     buildbot 3.7; buildbot-marathon's console stands in for buildbot-www (Debian ships no web UI).
# Every image gets the console (www plugin `bbm`, at /bbm/): `npm run build` makes its static files first.
# Build context: the buildbot/ directory.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}
ARG BUILDBOT_SOURCE=pip
ARG BUILDBOT_VERSION=3.7.0
ENV PYTHONUNBUFFERED=1 LANG=C.UTF-8
# Packages first (the slow layer), scripts after, so editing a script does not reinstall Buildbot.
COPY master/install.sh /opt/bbm-master/install.sh
RUN BUILDBOT_SOURCE="$BUILDBOT_SOURCE" BUILDBOT_VERSION="$BUILDBOT_VERSION" sh /opt/bbm-master/install.sh
COPY master/ /opt/bbm-master/
RUN sh /opt/bbm-master/install-console.sh && rm -rf /opt/bbm-master/console && ln -sf /opt/bbm-master/bbm-reconfig /usr/local/bin/bbm-reconfig
VOLUME /var/lib/buildbot
HEALTHCHECK --interval=30s --timeout=30s --start-period=180s --retries=3 CMD ["python3", "/opt/bbm-master/healthcheck.py"]
ENTRYPOINT ["/opt/bbm-master/start.sh"]
