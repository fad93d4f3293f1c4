#!/bin/sh
# Initialises the cluster the first time (role and database from POSTGRES_USER / POSTGRES_DB, the
# password from POSTGRES_PASSWORD_FILE, sent to psql on stdin, never in argv), then runs postgres
# in the foreground as the postgres user.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}" "${PGBIND:=127.0.0.1}" "${PGPORT:=5432}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -r "${POSTGRES_PASSWORD_FILE:-}" ] || { echo "bbm-postgres: POSTGRES_PASSWORD_FILE must name a readable file" >&2; exit 2; }
  echo "bbm-postgres: initialising $PGDATA" >&2
  as_pg initdb --username=postgres --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /run/postgresql -c jit=off" -w start >/dev/null
  # SQL literals: double every single quote; identifiers: double every double quote.
  pw=$(sed "s/'/''/g" "$POSTGRES_PASSWORD_FILE" | tr -d '\r\n')
  uid=$(printf '%s' "$user" | sed 's/"/""/g')
  dbid=$(printf '%s' "$db" | sed 's/"/""/g')
  {
    if [ "$user" = postgres ]; then printf 'ALTER ROLE postgres PASSWORD %s;\n' "'$pw'"
    else printf 'CREATE ROLE "%s" LOGIN PASSWORD %s;\n' "$uid" "'$pw'"; fi
    if [ "$db" != postgres ]; then printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$dbid" "$uid"; fi
  } | as_pg psql -q -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres >/dev/null
  unset pw
  as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
  postgres -D "$PGDATA" -c listen_addresses="$PGBIND" -p "$PGPORT" -k /run/postgresql -c jit=off
