#!/bin/sh
# Entry of the Buildbot master image: prepares the master directory (create-master the first time,
# upgrade-master after that, so a new Buildbot version migrates the database), writes the
# deployment's wrapper around the generated master.cfg, drops root and runs the master in the
# foreground (logs on stdout and in twistd.log, which `buildbot reconfig` follows).
#
# Environment (all optional):
#   BBM_MASTER_CFG        the generated configuration   (/etc/buildbot/generated/master.cfg; mount ./generated there)
#   BUILDBOT_BASEDIR      the master directory, a volume (/var/lib/buildbot/master)
#   BBM_SECRETS_SOURCE    where the secret files are mounted (/run/secrets); copied to BASEDIR/secrets
#   BBM_DB_URL            a database URL without password, e.g. postgresql://buildbot@127.0.0.1:5433/buildbot;
#   BBM_DB_PASSWORD_FILE  ... and the file holding its password (the URL is completed here, in this process only)
#   BBM_WWW_PORT, BBM_WWW_BIND, BBM_PB_PORT, BBM_PB_BIND, BBM_MSGPACK_PORT, BBM_MSGPACK_BIND, BBM_BUILDBOT_URL
#                         where this deployment's master listens (override the generated file's values)
set -eu
cfg=${BBM_MASTER_CFG:-/etc/buildbot/generated/master.cfg}
basedir=${BUILDBOT_BASEDIR:-/var/lib/buildbot/master}
# The generated configuration names its secrets directory relative to the master directory
# (ci.config.ts: secretsDir: 'secrets'); the mounted secret files are copied there.
secrets_dir=$basedir/secrets
secrets_src=${BBM_SECRETS_SOURCE:-/run/secrets}
run_as=${BBM_MASTER_USER:-buildbot}
here=$(dirname "$0")

log() { printf 'bbm-master: %s\n' "$*" >&2; }

[ -f "$cfg" ] || { log "no configuration at $cfg: run 'bbm generate' and mount its output directory there"; exit 2; }
mkdir -p "$basedir" "$secrets_dir"

# Secrets: SecretInAFile wants files only the master's user can read. The mounted files belong to
# whoever made them on the host, so copy them (mode 600, owned by the master's user) into the
# master directory's secrets/ (and HTPasswdAuth('secrets/htpasswd') finds its file there too).
# bbm-reconfig copies them again, so a changed secret needs no restart.
"$here/copy-secrets.sh" "$secrets_src" "$secrets_dir" "$run_as"

# The database URL with its password lives only in this process's environment (never in a file or argv).
if [ -n "${BBM_DB_URL:-}" ]; then
  if [ -n "${BBM_DB_PASSWORD_FILE:-}" ]; then
    BUILDBOT_DB_URL=$(python3 "$here/db_url.py" "$BBM_DB_URL" "$BBM_DB_PASSWORD_FILE")
  else
    BUILDBOT_DB_URL=$BBM_DB_URL
  fi
  export BUILDBOT_DB_URL
fi

# Wrapper and tac, rewritten on every start (they hold no state).
cp "$here/master.cfg.py" "$basedir/master.cfg"
cp "$here/buildbot.tac.py" "$basedir/buildbot.tac"
rm -f "$basedir/twistd.pid"
export BBM_MASTER_CFG="$cfg"
chown -R "$run_as" /var/lib/buildbot

export HOME=/var/lib/buildbot LANG=C.UTF-8 BBM_WWW_PORT="${BBM_WWW_PORT:-}" BBM_PB_PORT="${BBM_PB_PORT:-}" BBM_MSGPACK_PORT="${BBM_MSGPACK_PORT:-}"
# Everything reaches the master through the environment it inherits, never through argv.
as_user() { setpriv --reuid="$run_as" --regid="$run_as" --init-groups -- "$@"; }

# The database may still be starting: wait for it (upgrade-master would fail otherwise).
if [ -n "${BUILDBOT_DB_URL:-}" ]; then
  as_user python3 "$here/wait_db.py" 120
fi
if [ ! -f "$basedir/.bbm-created" ]; then
  log "creating the master in $basedir"
  # create-master lays out the directory; its throw-away in-memory database keeps the real URL out
  # of argv. upgrade-master below then makes the schema in the configured database.
  as_user buildbot create-master --quiet --force --db=sqlite:// "$basedir" >/dev/null
  rm -f "$basedir/master.cfg.sample"
  cp "$here/master.cfg.py" "$basedir/master.cfg"
  cp "$here/buildbot.tac.py" "$basedir/buildbot.tac"
  touch "$basedir/.bbm-created"
fi
log "upgrade-master $basedir (creates or migrates the database)"
as_user buildbot upgrade-master --quiet "$basedir" >/dev/null
cd "$basedir"
log "starting Buildbot $(buildbot --version | sed -n 's/^Buildbot version: //p') with $cfg"
exec setpriv --reuid="$run_as" --regid="$run_as" --init-groups -- \
  python3 "$here/twistd.py" "$basedir"
