#!/usr/bin/env bash
# A delta-poll stream against cxpipe-sim serve while the ingest worker is
# killed (SIGKILL) at random moments of the run, and (with test hooks) once
# half-way through spooling a page: ingest comes back, polls on from the
# cursor that matches what it spooled, and the tables equal what the
# simulator sent (`cxpipe-sim verify`): no gap, and no event spooled twice
# (a repeat would raise its row's revision).
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=15000 rate=1500 kills=3
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=6000 kills=2; fi

tl_start_sim --family interaction --count "$count" --rate "$rate" \
    --dup-rate 0.05 --invalid-rate 0.02
tl_write_config < <(tl_stream_section cx interaction poll "poll_interval = 200ms" \
    "backoff_base = 100ms" "backoff_cap = 1s")
hooked=0
if [ "${CXPIPE_TEST_HOOKS:-no}" = yes ]; then
	hooked=1
	export CXPIPE_TEST_POLL_CRASH_FILE=$TL_DIR/crash-mid-page
	touch "$CXPIPE_TEST_POLL_CRASH_FILE"
fi
tl_start_daemon

stored() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM cxone_events) + (SELECT count(*) FROM cxpipe_dead_letters)"; }
sent() { sed -n 's/^"lines":\([0-9]*\).*/\1/p' "$SIM_MANIFEST_DIR/interaction.json" 2>/dev/null; }
for round in $(seq 1 "$kills"); do
	flowing() { [ "$(stored)" -ge $((round * count / (kills + 2))) ]; }
	TL_WAIT=60 tl_wait flowing || fail "round $round: the stream is not flowing"
	old=$(tl_worker_pid ingest)
	kill -KILL "$old"
	tl_wait_restarted ingest "$old"
done
all_sent() { [ "$(sent)" = "$count" ]; }
TL_WAIT=60 tl_wait all_sent || fail "the simulator sent only $(sent) of $count events"
all_stored() { [ "$(stored)" -ge "$count" ]; }
TL_WAIT=60 tl_wait all_stored || fail "stored $(stored) of $count events"
tl_wait_committed 30
assert_eq "$kills" "$(grep -c 'ingest: died (signal 9' "$TL_DIR/cxpiped.log")" "ingest kills seen by the master"
if [ "$hooked" = 1 ]; then
	assert_grep 'test hook: stream cx: dying after [0-9]* of [0-9]* items of a page' "$TL_DIR/cxpiped.log"
	assert_grep 'ingest: died (exit 70)' "$TL_DIR/cxpiped.log"
fi
tl_stop_sim "$SIM_PID"	# its manifest is final once it exited
"$CXSIM" verify --manifest "$SIM_MANIFEST_DIR/interaction.json" --db "$TL_CONNINFO" ||
    fail "tables differ from what the simulator sent"
tl_stop_daemon || fail "daemon exit status"
exit 0
