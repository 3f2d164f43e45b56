#!/usr/bin/env bash
# The alert worker's records reach PostgreSQL exactly once across crashes.
# Events are posted in three phases, each with its own queue name (so its
# own metric_snapshots keys), with 1 s snapshot windows:
#   1. pgsink frozen (SIGSTOP): the phase's snapshots are made but cannot
#      be committed; alert is SIGKILLed holding them; the restarted alert
#      must resend them from its journal.
#   2. pgsink frozen again, then SIGKILLed holding that phase's snapshots
#      uncommitted; alert must resend them to the new pgsink.
#   3. nothing killed.
# metric_snapshots must then hold, per key, exactly the events posted
# (valid and invalid), no key/window twice; the synthetic transitions of
# CXPIPE_TEST_ALERT_TRANSITIONS (made again at every start of alert) must
# each be in alerts exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
if [ "${CXPIPE_TEST_HOOKS:-no}" != yes ]; then
	echo "built without --enable-test-hooks" >&2
	exit 77
fi
tl_setup
tl_pg_start
export CXPIPE_TEST_ALERT_TRANSITIONS=6
TL_WAIT=15
printf '[alert]\nsnapshot_interval = 2s\n' >"$TL_DIR/alert.conf"
tl_write_config <"$TL_DIR/alert.conf"
tl_start_daemon

# Writes phase P's events: N valid (types in turn) in queue qP, M invalid.
make_phase() {
	local p=$1 n=$2 m=$3 i types=(chat email call)
	for ((i = 0; i < n; i++)); do
		printf '{"interactionId":"p%s-%s","timestamp":"2026-01-05T08:34:07.010Z","type":"%s","idempotencyKey":"ik-p%s-%s","attributes":{"queueName":"q%s"}}\n' \
		    "$p" "$i" "${types[i % 3]}" "$p" "$i" "$p"
	done
	for ((i = 0; i < m; i++)); do
		printf '{"interactionId":"bad-p%s-%s","type":"chat","attributes":{"queueName":"q%s"}}\n' "$p" "$i" "$p"
	done
}

alert_stat() { tl_stat alert "$1"; }
# At least $1 observations counted and the window they fell in closed.
window_closed() {
	[ "$(alert_stat observations)" -ge "$1" ] &&
	    [ "$(alert_stat snapshot_open_keys)" = 0 ]
}
queue_empty() { [ "$(alert_stat persist_queued)" = 0 ]; }
posted=0
post_phase() {
	make_phase "$1" "$2" "$3" >"$TL_DIR/phase$1.ndjson"
	tl_post_file "$TL_DIR/phase$1.ndjson" 100
	posted=$((posted + $2 + $3))
}

# Phase 1: alert dies holding snapshots pgsink could not commit.
pg_pid=$(tl_worker_pid pgsink)
kill -STOP "$pg_pid"
post_phase 1 120 7
tl_wait window_closed 127 || fail "phase 1: window not closed"
[ "$(alert_stat persist_queued)" -gt 0 ] || fail "phase 1: nothing queued for pgsink"
al_pid=$(tl_worker_pid alert)
kill -KILL "$al_pid"
kill -CONT "$pg_pid"
tl_wait_restarted alert "$al_pid"
assert_grep "journal: [0-9]* records for PostgreSQL not yet committed" "$TL_DIR/cxpiped.log"
tl_wait queue_empty || fail "phase 1: records not committed"

# Phase 2: pgsink dies holding what alert sent (alert's counters start at
# its restart).  The events themselves are committed first: validate
# observes again what ingest replays to a new pgsink, so a replay would
# count twice.  Posting starts early in a window so that pgsink is frozen
# before the window closes.
base=$(alert_stat observations)
early_in_window() { [ $(( $(date +%s%N) / 1000000 % 2000 )) -lt 300 ]; }
tl_wait early_in_window
post_phase 2 150 5
tl_wait_committed 20
pg_pid=$(tl_worker_pid pgsink)
kill -STOP "$pg_pid"
[ "$(alert_stat snapshot_open_keys)" -gt 0 ] || fail "phase 2: window closed before pgsink was frozen"
tl_wait window_closed $((base + 155)) || fail "phase 2: window not closed"
[ "$(alert_stat persist_queued)" -gt 0 ] || fail "phase 2: nothing queued for pgsink"
kill -KILL "$pg_pid"
kill -CONT "$pg_pid" 2>/dev/null || :
tl_wait_restarted pgsink "$pg_pid"
tl_wait queue_empty || fail "phase 2: records not committed"

# Phase 3: undisturbed.
base=$(alert_stat observations)
post_phase 3 90 3
tl_wait window_closed $((base + 93)) || fail "phase 3: window not closed"
tl_wait queue_empty || fail "phase 3: records not committed"

# Valid events per key (family, type, queue), as posted.
want=$(for p in 1 2 3; do
	for t in chat email call; do
		c=$(grep -c "\"type\":\"$t\",\"idempotencyKey\":\"ik-p$p-" "$TL_DIR/phase$p.ndjson")
		echo "[\"interaction\",\"$t\",\"q$p\"]=$c"
	done
done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
got=$(tl_psql -c "SELECT string_agg(k, ' ' ORDER BY k COLLATE \"C\") FROM (SELECT scope_value || '=' || sum(count) AS k FROM metric_snapshots WHERE metric = 'events' AND count > 0 GROUP BY scope_value) s")
assert_eq "$want" "$got" "valid events per key in metric_snapshots"
assert_eq 15 "$(tl_psql -c "SELECT sum(invalid) FROM metric_snapshots")" "invalid events in metric_snapshots"
assert_eq "$posted" "$(tl_psql -c "SELECT sum(count) + sum(invalid) FROM metric_snapshots")" "events in metric_snapshots"
assert_eq 0 "$(tl_psql -c "SELECT count(*) FROM metric_snapshots WHERE window_end - window_start <> interval '2 seconds' OR extract(epoch FROM window_start)::numeric % 2 <> 0")" "windows of 2 s on even seconds"
assert_eq 6 "$(tl_psql -c "SELECT count(*) FROM alerts")" "transitions stored"
assert_eq "3 3" "$(tl_psql -c "SELECT count(*) FILTER (WHERE state = 'firing') || ' ' || count(*) FILTER (WHERE state = 'resolved' AND ends_at > starts_at) FROM alerts")" "firing and resolved transitions"
assert_eq 0 "$(tl_psql -c "SELECT count(*) FROM alerts WHERE labels <> '{\"test\": true}'")" "labels"
assert_eq 0 "$(tl_stat pgsink alert_records_malformed)" "alert records pgsink refused"
tl_stop_daemon || fail "daemon exit status"
exit 0
