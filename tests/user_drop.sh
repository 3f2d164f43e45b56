#!/usr/bin/env bash
# user = nobody: started as root, the master and every worker run as that
# user, can write the log, the spool and the socket, and events still land.
set -eu
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "needs root and a nobody user" >&2
	exit 77
fi
tl_setup
tl_pg_start
# The socket and pidfile go in a directory the daemon creates (and so owns).
TL_CXPIPE_EXTRA="user = nobody
control_socket = $TL_DIR/run/ctl.sock
pidfile = $TL_DIR/run/cxpiped.pid" tl_write_config
TL_SOCK=$TL_DIR/run/ctl.sock
chmod 644 "$TL_DIR/http.token"
tl_start_daemon
for pid in "$TL_DAEMON_PID" $(pgrep -P "$TL_DAEMON_PID"); do
	assert_eq nobody "$(ps -o user= -p "$pid")" "user of process $pid"
done
assert_eq 4 "$(pgrep -P "$TL_DAEMON_PID" | wc -l)" "workers"
"$CXSIM" generate --family interaction --count 2000 --seed 5 \
    --manifest "$TL_DIR/manifest.json" --output "$TL_DIR/events.ndjson"
tl_post_file "$TL_DIR/events.ndjson" 1000
tl_wait_committed 60
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" || fail "verify"
grep -q "Permission denied" "$TL_DIR/cxpiped.log" && fail "a process could not open something"
assert_grep "pgsink: info: committed position" "$TL_DIR/cxpiped.log"
[ "$(stat -c %U "$TL_DIR/spool")" = nobody ] || fail "spool not owned by nobody"
[ "$(stat -c %U "$TL_DIR")" = root ] || fail "the daemon changed the owner of an existing directory"
tl_stop_daemon || fail "daemon exit status"
[ ! -e "$TL_DIR/run/cxpiped.pid" ] || fail "pidfile left behind"
[ ! -e "$TL_DIR/run/ctl.sock" ] || fail "socket left behind"
grep -q "Permission denied" "$TL_DIR/cxpiped.log" && fail "a process could not remove something"
exit 0
