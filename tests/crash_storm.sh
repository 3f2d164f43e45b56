#!/usr/bin/env bash
# A worker that crashes at start (the test hook of --enable-test-hooks) is
# restarted with exponential backoff, marked failed after restart_max
# restarts in restart_period, shown as failed by `cxpipectl status`, and
# recovers once it stops crashing; with on_restart_storm = exit the daemon
# exits non-zero.
set -eu
. "$(dirname "$0")/lib.sh"
if [ "${CXPIPE_TEST_HOOKS:-no}" != yes ]; then
	echo "built without --enable-test-hooks" >&2
	exit 77
fi
tl_setup
tl_pg_start
TL_CXPIPE_EXTRA="restart_max = 4
restart_period = 60s
restart_backoff_max = 800ms" tl_write_config
touch "$TL_DIR/crash"
export CXPIPE_TEST_CRASH_ROLE=alert CXPIPE_TEST_CRASH_FILE=$TL_DIR/crash
"$CXPIPED" -f -c "$TL_CONF" 2>>"$TL_DIR/cxpiped.stderr" &
TL_DAEMON_PID=$!
tl_wait sh -c "$CXPIPECTL -s $TL_SOCK status | grep -q '^alert .* failed'" ||
    fail "alert never shown as failed"
assert_grep "alert: died (exit 70)" "$TL_DIR/cxpiped.log"
assert_grep "alert: restarting in 100 ms" "$TL_DIR/cxpiped.log"
assert_grep "alert: restarting in 200 ms" "$TL_DIR/cxpiped.log"
assert_grep "alert: restarting in 400 ms" "$TL_DIR/cxpiped.log"
assert_grep "alert: 5 restarts within 60 s: marked failed, retrying every 800 ms" "$TL_DIR/cxpiped.log"
# The first death is restarted at once (no delay line before the second start).
first=$(grep -n "alert: died" "$TL_DIR/cxpiped.log" | head -n 1 | cut -d: -f1)
second_start=$(grep -n "alert: started" "$TL_DIR/cxpiped.log" | sed -n 2p | cut -d: -f1)
delay_lines=$(sed -n "${first},${second_start}p" "$TL_DIR/cxpiped.log" | grep -c "restarting in" || true)
assert_eq 0 "$delay_lines" "delay before the first restart"
# The other workers were never disturbed.
for role in ingest validate pgsink; do
	ctl status | grep -q "^$role .* running .* 0 " || fail "$role was disturbed"
done
# Once it stops crashing, the failed worker comes back.
rm -f "$TL_DIR/crash"
tl_wait tl_all_running || fail "alert did not recover"
tl_stop_daemon || fail "daemon exit status"

# on_restart_storm = exit: the daemon gives up with a non-zero status.
sed -i 's/^restart_max = 4$/restart_max = 2\non_restart_storm = exit/' "$TL_CONF"
touch "$TL_DIR/crash"
rc=0
timeout 60 "$CXPIPED" -f -c "$TL_CONF" 2>>"$TL_DIR/cxpiped.stderr" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "expected a non-zero exit, got $rc"
assert_grep "on_restart_storm = exit" "$TL_DIR/cxpiped.log"
exit 0
