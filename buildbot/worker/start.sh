#!/bin/sh
# Entry of the worker image. Two uses:
#   start.sh                 run a Buildbot worker in the foreground (the default command)
#   start.sh bbm ARGS...     run a bbm command instead (devcluster, haproxy --watch: same image)
#
# Worker environment (docker-compose.yml sets it):
#   BBM_WORKER_NAME            the worker's name in master.cfg                 (default worker-1)
#   BBM_MASTER_HOST            the master's address                           (127.0.0.1)
#   BBM_MASTER_PORT            the port to connect to; without it BBM_MSGPACK_PORT (9990) for the bbm
#                              worker, BBM_PB_PORT (9989) for buildbot-worker
#   BBM_WORKER_PASSWORD_FILE   the file holding the worker's password, a mounted secret
#                                                                  (/run/secrets/worker-password)
#   BBM_STEP_<X>=value         reaches the build steps as BBM_<X> (e.g. BBM_STEP_TIMEOUT=300: bbm deploy's
#                              --timeout). Every step log prints the worker's environment: no secrets here.
# The password is read from its file by the worker process itself; it is never in argv, in the
# environment or in a file the worker writes. The worker runs with a clean environment, because
# Buildbot prints the worker's whole environment at the top of every step log.
set -eu
if [ "$#" -gt 0 ]; then exec "$@"; fi

basedir=${BUILDBOT_WORKER_BASEDIR:-/var/lib/buildbot/worker}
name=${BBM_WORKER_NAME:-worker-1}
host=${BBM_MASTER_HOST:-127.0.0.1}
if [ "${BBM_WORKER_KIND:-buildbot-worker}" = bbm ]; then port=${BBM_MASTER_PORT:-${BBM_MSGPACK_PORT:-9990}}; else port=${BBM_MASTER_PORT:-${BBM_PB_PORT:-9989}}; fi
password_file=${BBM_WORKER_PASSWORD_FILE:-/run/secrets/worker-password}
[ -r "$password_file" ] || { echo "bbm-worker: no password file at $password_file (mount the worker-password secret)" >&2; exit 2; }
mkdir -p "$basedir/info"
hostname >"$basedir/info/host"
printf 'buildbot-marathon worker image: Node.js %s, bbm %s\n' "$(node --version)" "$(bbm --version 2>/dev/null || echo '?')" >"$basedir/info/admin"
if [ "${BBM_WORKER_KIND:-buildbot-worker}" = bbm ]; then
  # bbm worker (msgpack_experimental_v7): BBM_MASTER_PORT is the master's msgpack port. It reads the
  # password file itself and hands steps only PATH, HOME, LANG… and BBM_STEP_* as BBM_* (docs/worker.md).
  cd "$basedir"
  export HOME=/var/lib/buildbot LANG=C.UTF-8
  exec bbm worker --master "$host:$port" --name "$name" --password-file "$password_file" --basedir "$basedir"
fi
python3 /opt/bbm-worker/write_tac.py "$basedir" "$host" "$port" "$name" "$password_file"
rm -f "$basedir/twistd.pid"
cd "$basedir"
# The clean environment (clean_env.py): a fixed few variables plus BBM_STEP_* renamed.
exec python3 /opt/bbm-worker/clean_env.py python3 /opt/bbm-worker/twistd.py "$basedir"
