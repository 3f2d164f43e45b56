#!/usr/bin/env bash
# SIGKILL of the ingest worker in the middle of a WebSocket stream and of a
# delta-poll stream, three times: ingest comes back, gets a token,
# reconnects (the poll resumes from its saved cursor), and nothing it had
# accepted is lost or doubled.
#
# A WebSocket has no acknowledgements: a frame the simulator wrote that the
# killed ingest had not read yet is gone, so "accepted" is what each ingest
# counted as read and spooled.  The simulator is paused (SIGSTOP) around
# each kill so that the count read just before the kill is final; the
# tables must hold exactly the sum over ingest's lifetimes.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=30000
TL_SIM_DURATION=240 tl_start_sim --family interaction --family agent_state --count "$count" \
    --rate 3000 --dup-rate 0.05 --invalid-rate 0.02
sim=$SIM_PID
{
	tl_stream_section cx interaction websocket "backoff_base = 100ms" "backoff_cap = 1s"
	tl_stream_section agents agent_state poll "poll_interval = 200ms"
} >"$TL_DIR/streams.conf"
tl_write_config <"$TL_DIR/streams.conf"
tl_start_daemon
agents() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM agent_state_changes) + (SELECT count(*) FROM cxpipe_dead_letters WHERE source = 'agents')"; }
rows() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM cxone_events) + (SELECT count(*) FROM cxpipe_dead_letters WHERE source = 'cx')"; }
cx_messages() {
	ctl stats --json | tr -d ' \n' | sed 's/.*"streams":\[//' |
	    sed -n 's/^{"name":"cx","messages":\([0-9]*\).*/\1/p'
}
accepted=0
for round in 1 2 3; do
	started() { [ "$(rows)" -ge $((round * count / 5)) ]; }
	TL_WAIT=60 tl_wait started || fail "round $round: the stream is not flowing"
	kill -STOP "$sim"
	sleep 1
	m=$(cx_messages)
	[ -n "$m" ] || fail "no message count for stream cx"
	accepted=$((accepted + m))
	old=$(tl_worker_pid ingest)
	kill -KILL "$old"
	tl_wait tl_all_running || fail "ingest did not come back"
	kill -CONT "$sim"
done
sent() { grep -o '"lines": *[0-9]*' "$TL_DIR/sim/man/interaction.json" | grep -o '[0-9]*$'; }
complete() { [ "$(sent)" -ge "$count" ] && [ "$(agents)" -ge "$count" ]; }
TL_WAIT=120 tl_wait complete || fail "incomplete: sent $(sent), polled $(agents) of $count"
sleep 1
tl_wait_committed 60
accepted=$((accepted + $(cx_messages)))
assert_eq "$accepted" "$(rows)" "events ingest accepted over its lifetimes vs rows + dead letters"
tl_log "WebSocket: $count sent, $accepted accepted, $((count - accepted)) lost in flight at the 3 kills"
[ $((count - accepted)) -le 100 ] || fail "too many events in flight at the kills"
# Every agent_state event the simulator released came in exactly once.
assert_eq "$count" "$(agents)" "polled events across ingest kills"
tl_stop_daemon || fail "daemon exit status"
tl_stop_sim "$sim"
"$CXSIM" verify --manifest "$TL_DIR/sim/man/agent_state.json" --db "$TL_CONNINFO" \
    --source agents || fail "agent_state tables differ from the manifest"
exit 0
