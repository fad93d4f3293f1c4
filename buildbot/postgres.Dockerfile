# PostgreSQL 15 for Buildbot's database, from Debian's packages, with the official postgres image's
# interface (POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD_FILE, PGDATA), so docker-compose.yml can
# point at postgres:15-bookworm instead without other changes. Listens on PGBIND:PGPORT
# (docker-compose.yml: 127.0.0.1:5433 on the host network).
# Bases: BASE=debian:bookworm-slim (production), bbm-local/debian:bookworm (local). Context: buildbot/.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# JIT is off (Buildbot's queries gain nothing from it), so a stand-in package satisfies the
# dependency on LLVM: 130 MB less to download and unpack, and the image builds twice as fast.
RUN set -eu; export DEBIAN_FRONTEND=noninteractive; d=/tmp/nojit; mkdir -p $d/DEBIAN \
 && printf 'Package: libllvm14\nVersion: 1:14.0.6-0bbm1\nArchitecture: %s\nMaintainer: buildbot-marathon <nobody@example.invalid>\nDescription: stand-in for LLVM: PostgreSQL JIT is off in this image\n' "$(dpkg --print-architecture)" >$d/DEBIAN/control \
 && dpkg-deb -b $d /tmp/libllvm14.deb >/dev/null && dpkg -i /tmp/libllvm14.deb >/dev/null && apt-mark hold libllvm14 >/dev/null \
 && rm -rf $d /tmp/libllvm14.deb \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY postgres/start.sh /usr/local/bin/bbm-postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data PGBIND=127.0.0.1 PGPORT=5432
VOLUME /var/lib/postgresql/data
HEALTHCHECK --interval=5s --timeout=20s --start-period=120s --retries=5 \
  CMD ["sh", "-c", "pg_isready -q -h \"$PGBIND\" -p \"$PGPORT\""]
ENTRYPOINT ["/usr/local/bin/bbm-postgres"]
