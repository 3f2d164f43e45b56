#!/usr/bin/env bash
# The REST transports against cxpipe-sim serve: delta polling (agent_state,
# cursor from the answer's lastPollTime) and long polling (analytics, 200s
# and 304s).  Every event arrives exactly once; the poll cursor survives a
# daemon restart, so nothing is read twice; the tables equal the
# simulator's manifests.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=2000
TL_SIM_DURATION=120 tl_start_sim --family agent_state --family analytics --count "$count" \
    --rate 1000
sim=$SIM_PID
{
	tl_stream_section agents agent_state poll "poll_interval = 200ms"
	tl_stream_section analytics analytics longpoll "longpoll_timeout = 2s"
} >"$TL_DIR/streams.conf"
tl_write_config <"$TL_DIR/streams.conf"
tl_start_daemon
# Deliveries stored for a stream: revisions of its table plus dead letters.
per_source() {
	local table
	case $1 in agents) table=agent_state_changes ;; *) table=analytics_events ;; esac
	tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM $table) +
	    (SELECT count(*) FROM cxpipe_dead_letters WHERE source = '$1')"
}
both() { [ "$(per_source agents)" -ge "$count" ] && [ "$(per_source analytics)" -ge "$count" ]; }
TL_WAIT=60 tl_wait both || fail "not every event arrived: agents $(per_source agents), analytics $(per_source analytics)"
sleep 1
assert_eq "$count" "$(per_source agents)" "agent_state events (polled)"
assert_eq "$count" "$(per_source analytics)" "analytics events (long-polled)"
cursor=$(cat "$TL_DIR/spool/sources/agents.cursor" | tr -d '\0')
[ -n "$cursor" ] || fail "no poll cursor saved"
tl_stop_daemon || fail "daemon exit status"

# A restart polls on from the saved cursor: nothing is read again.
tl_start_daemon
sleep 2
tl_wait_committed 30
assert_eq "$count" "$(per_source agents)" "agent_state events after a restart"
assert_eq "$count" "$(per_source analytics)" "analytics events after a restart"
tl_stop_daemon || fail "daemon exit status"
tl_stop_sim "$sim"
"$CXSIM" verify --manifest "$TL_DIR/sim/man/agent_state.json" --db "$TL_CONNINFO" \
    --source agents || fail "agent_state tables differ from the manifest"
"$CXSIM" verify --manifest "$TL_DIR/sim/man/analytics.json" --db "$TL_CONNINFO" \
    --source analytics || fail "analytics_events differs from the manifest"
exit 0
