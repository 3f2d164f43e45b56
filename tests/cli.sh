#!/usr/bin/env bash
# Every cxpipectl command against a running daemon; --help/--version of each
# binary; bad arguments (exit 2); no daemon (exit 3); pidfile exclusion.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start

for b in "$CXPIPED" "$CXPIPECTL" "$CXSIM"; do
	assert_status 0 "$b" --version
	assert_grep "0\\.1" "$TL_DIR/out"
	assert_status 0 "$b" --help
	assert_grep "usage" "$TL_DIR/out"
done
assert_status 2 "$CXPIPED" --no-such-flag
assert_status 2 "$CXPIPECTL"
assert_status 2 "$CXPIPECTL" frobnicate
assert_status 2 "$CXPIPECTL" restart nosuchrole
assert_status 2 "$CXPIPECTL" log-level loud
assert_status 2 "$CXPIPECTL" status --yaml
assert_status 2 "$CXPIPECTL" stop now
assert_grep "usage: cxpipectl" "$TL_DIR/out"

# No daemon: exit 3 and the message names the socket.
assert_status 3 "$CXPIPECTL" -s "$TL_DIR/none.sock" status
assert_grep "$TL_DIR/none.sock" "$TL_DIR/out"
CXPIPE_SOCKET=$TL_DIR/env.sock assert_status 3 "$CXPIPECTL" stats
assert_grep "env.sock" "$TL_DIR/out"

tl_write_config
tl_start_daemon

assert_status 0 ctl status
assert_grep "generation 1" "$TL_DIR/out"
assert_eq 660 "$(stat -c %a "$TL_SOCK")" "control socket mode"
for role in ingest validate pgsink alert; do
	assert_grep "^$role .* running" "$TL_DIR/out"
done
assert_status 0 ctl status --json
assert_grep '"generation": 1' "$TL_DIR/out"
assert_grep '"role": "pgsink"' "$TL_DIR/out"
assert_status 0 ctl stats
assert_grep "^pgsink:" "$TL_DIR/out"
assert_grep "spool_bytes" "$TL_DIR/out"
assert_status 0 ctl stats --json
assert_grep '"alert"' "$TL_DIR/out"
assert_status 0 ctl log-level debug
assert_grep "log level debug" "$TL_DIR/out"
assert_status 0 ctl log-level info

# A second daemon with the same pidfile is refused.
assert_status 1 "$CXPIPED" -f -c "$TL_CONF"
assert_grep "another cxpiped (pid $TL_DAEMON_PID) holds" "$TL_DIR/out"

# restart ROLE: a new pid, not counted as a crash.
old=$(tl_worker_pid validate)
assert_status 0 ctl restart validate
assert_grep "restarting validate" "$TL_DIR/out"
tl_wait sh -c "[ \"\$($CXPIPECTL -s $TL_SOCK status --json | tr -d ' \n' | grep -o '\"role\":\"validate\",\"pid\":[0-9]*' | grep -o '[0-9]*\$')\" != $old ]" ||
    fail "validate was not restarted"
tl_wait tl_all_running || fail "not all running after restart"
ctl status --json | tr -d ' \n' | grep -q '"role":"validate","pid":[0-9]*,"state":"running","uptime_s":[0-9]*,"restarts":0' ||
    fail "a requested restart counted as a crash"

assert_status 0 ctl reload
assert_grep "reloaded: generation 2" "$TL_DIR/out"

# SIGUSR1 reopens the log in the master and in every worker (logrotate).
mv "$TL_DIR/cxpiped.log" "$TL_DIR/cxpiped.log.1"
kill -USR1 "$TL_DAEMON_PID"
sleep 0.3
ctl restart validate >/dev/null
tl_wait tl_all_running || fail "validate not back"
tl_wait grep -q "master: info: validate: started" "$TL_DIR/cxpiped.log" ||
    fail "the master did not reopen its log"
tl_wait grep -q "pgsink: info: validate resends" "$TL_DIR/cxpiped.log" ||
    fail "pgsink did not reopen its log"

assert_status 0 ctl stop
assert_grep stopping "$TL_DIR/out"
rc=0
wait "$TL_DAEMON_PID" || rc=$?
TL_DAEMON_PID=
assert_eq 0 "$rc" "exit status after cxpipectl stop"
[ ! -e "$TL_DIR/cxpiped.pid" ] || fail "pidfile left behind"
[ ! -e "$TL_SOCK" ] || fail "control socket left behind"
assert_status 3 ctl status
exit 0
