#!/usr/bin/env bash
# A long-poll stream against cxpipe-sim serve while the ingest worker is
# killed (SIGKILL) mid-run: ingest comes back, opens a new session, and the
# tables equal what the simulator sent (`cxpipe-sim verify`): no gap, and
# nothing stored twice.
#
# A long poll hands events over once, with no cursor to ask for them
# again: an answer that the killed ingest had not read yet is gone.  So the
# simulator is paused (SIGUSR1: it sends nothing more and writes its
# manifest) around each kill, and ingest is killed once it has spooled all
# the simulator sent; the request it had made meanwhile dies with it, and
# the simulator, resumed (SIGUSR2), takes no events for a client that hung
# up.  What ingest spooled over its lifetimes must then be exactly what
# the simulator sent.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=15000 rate=1500 kills=3
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=6000 kills=2; fi

tl_start_sim --family interaction --count "$count" --rate "$rate" \
    --dup-rate 0.05 --invalid-rate 0.02
tl_write_config < <(tl_stream_section lp interaction longpoll \
    "longpoll_timeout = 2s" "backoff_base = 100ms" "backoff_cap = 1s")
tl_start_daemon

stored() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM cxone_events) + (SELECT count(*) FROM cxpipe_dead_letters)"; }
sent() { sed -n 's/^"lines":\([0-9]*\).*/\1/p' "$SIM_MANIFEST_DIR/interaction.json" 2>/dev/null; }
before=0	# items spooled by the ingest workers killed so far
paused() { [ "$(grep -c 'serve: paused' "$SIM_DIR/sim.log")" -ge "$round" ]; }
caught_up() { [ "$(sent)" = $((before + $(tl_stream_stat lp items))) ]; }
for round in $(seq 1 "$kills"); do
	flowing() { [ "$(stored)" -ge $((round * count / (kills + 2))) ]; }
	TL_WAIT=60 tl_wait flowing || fail "round $round: the stream is not flowing"
	kill -USR1 "$SIM_PID"
	TL_WAIT=10 tl_wait paused || fail "round $round: the simulator did not pause"
	TL_WAIT=20 tl_wait caught_up ||
	    fail "round $round: ingest spooled $(tl_stream_stat lp items) + $before of $(sent) events"
	before=$(sent)
	old=$(tl_worker_pid ingest)
	kill -KILL "$old"
	tl_wait_restarted ingest "$old"
	kill -USR2 "$SIM_PID"
done
all_sent() { [ "$(sent)" = "$count" ]; }
TL_WAIT=60 tl_wait all_sent || fail "the simulator sent only $(sent) of $count events"
all_stored() { [ "$(stored)" -ge "$count" ]; }
TL_WAIT=60 tl_wait all_stored || fail "stored $(stored) of $count events"
tl_wait_committed 30
assert_eq "$kills" "$(grep -c 'ingest: died (signal 9' "$TL_DIR/cxpiped.log")" "ingest kills seen by the master"
tl_stop_sim "$SIM_PID"	# its manifest is final once it exited
"$CXSIM" verify --manifest "$SIM_MANIFEST_DIR/interaction.json" --db "$TL_CONNINFO" ||
    fail "tables differ from what the simulator sent"
tl_stop_daemon || fail "daemon exit status"
exit 0
