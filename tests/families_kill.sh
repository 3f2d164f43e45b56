#!/usr/bin/env bash
# Every event family end to end through the daemon, from the simulator over
# WebSockets, with repeats and invalid events; validate and then pgsink
# are killed with SIGKILL mid-stream.  Afterwards each family's tables
# equal what the simulator sent: rows, revisions, rejected agent
# transitions, each agent's current state and the data-action rollups,
# none counted twice.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=30000 rate=2000
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=10000 rate=1000; fi
families="interaction analytics agent_state data_action"

args=()
for f in $families; do args+=(--family "$f"); done
TL_SIM_DURATION=240 tl_start_sim "${args[@]}" --count "$count" --rate "$rate" \
    --dup-rate 0.1 --invalid-rate 0.02
for f in $families; do
	tl_stream_section "$f" "$f" websocket "backoff_base = 100ms" "backoff_cap = 1s"
done >"$TL_DIR/streams.conf"
tl_write_config <"$TL_DIR/streams.conf"
tl_start_daemon

committed() { tl_stat pgsink committed_seq; }
total=$((4 * count))
for role in validate pgsink; do
	case $role in validate) at=$((total / 4)) ;; pgsink) at=$((total / 2)) ;; esac
	reached() { [ "$(committed)" -ge "$at" ]; }
	TL_WAIT=120 tl_wait reached || fail "the pipeline did not reach $at events before killing $role"
	old=$(tl_worker_pid "$role")
	kill -KILL "$old"
	tl_wait_restarted "$role" "$old"
done
all() {
	local f
	for f in $families; do
		[ "$(tl_stream_stat "$f" messages)" -ge "$count" ] || return 1
	done
}
TL_WAIT=180 tl_wait all || fail "not every stream delivered $count events"
tl_wait_committed 60
tl_stop_sim "$SIM_PID"
for f in $families; do
	"$CXSIM" verify --manifest "$SIM_MANIFEST_DIR/$f.json" --db "$TL_CONNINFO" \
	    --source "$f" || fail "family $f: the tables differ from what the simulator sent"
done
assert_grep "validate: died (signal 9" "$TL_DIR/cxpiped.log"
assert_grep "pgsink: died (signal 9" "$TL_DIR/cxpiped.log"
tl_stop_daemon || fail "daemon exit status"
exit 0
