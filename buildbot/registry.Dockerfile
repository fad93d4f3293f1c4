# The stack's private image registry: Debian's docker-registry (CNCF distribution 2.8, the same
# server as the registry:2 image), storage in a volume. Listens on REGISTRY_HTTP_ADDR
# (docker-compose.yml: 127.0.0.1:5001 on the host network). Production may use registry:2 instead,
# or any registry the engines can reach; bbm only needs its address.
# Bases: BASE=debian:bookworm-slim (production), bbm-local/debian:bookworm (local). Context: buildbot/.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN set -eu; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends docker-registry >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /var/lib/registry
COPY registry/config.yml /etc/bbm-registry/config.yml
ENV REGISTRY_HTTP_ADDR=127.0.0.1:5001
VOLUME /var/lib/registry
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/${REGISTRY_HTTP_ADDR%:*}/${REGISTRY_HTTP_ADDR##*:} && printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["docker-registry", "serve", "/etc/bbm-registry/config.yml"]
