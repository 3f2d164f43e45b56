#!/usr/bin/env bash
# Alerting through the whole daemon: events posted over HTTP pass validate,
# whose observations now carry handle times, agents and agent-state
# verdicts, into the alert worker's rules.  Long calls raise handle time
# over its threshold and an agent-state change outside the [states] matrix
# raises the transition rule: the test's webhook receiver gets both
# firings, and `cxpipectl alerts` lists them; a reload changes a threshold
# live and keeps the window.  Events replayed to a new
# validate (killed while pgsink is frozen) are observed once, not twice.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start

mkdir -p "$TL_DIR/rx"
"$top_builddir/tests/webhook_receiver" "$TL_DIR/rx/port" "$TL_DIR/rx/hook" 0 \
    >"$TL_DIR/rx/log" 2>&1 &
TL_BG_PIDS="$TL_BG_PIDS $!"
TL_WAIT=10 tl_wait test -s "$TL_DIR/rx/port" || fail "webhook receiver did not start"
rx_port=$(cat "$TL_DIR/rx/port")

tl_write_config <<EOF2
[alert]
eval_interval = 200ms
group_wait = 0s
group_interval = 1s

[rule long_calls]
metric = handle_time_avg
warning = 300
window = 30s

[rule odd_agents]
metric = rejected_transitions
warning = 1
comparison = >=
window = 30s

[webhook rx]
url = http://127.0.0.1:$rx_port/hook
retry_backoff = 100ms
EOF2
tl_start_daemon

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq 1 20); do
	printf '{"interactionId":"a%d","timestamp":"%s","type":"call","idempotencyKey":"alert-%d","attributes":{"duration":%d,"queueName":"Sales"}}\n' \
	    "$i" "$now" "$i" $((600 + i))
done >"$TL_DIR/calls.ndjson"
tl_post_file "$TL_DIR/calls.ndjson" 20
# LoggedOut -> Busy is outside the default matrix.
printf '{"type":"agent.state.change","agentId":"70013","previousState":"LoggedOut","currentState":"Busy","timestamp":"%s","reasonCode":"x"}\n' \
    "$now" >"$TL_DIR/agent.ndjson"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TL_TOKEN" \
    --data-binary "@$TL_DIR/agent.ndjson" "http://127.0.0.1:$TL_PORT/v1/events/agent_state")
assert_eq 202 "$code" "POST of the agent state change"
tl_wait_committed 60

fired() { grep -q "\"rule\":\"$1\"" "$TL_DIR/rx/hook" 2>/dev/null && grep "\"rule\":\"$1\"" "$TL_DIR/rx/hook" | grep -q '"status":"firing"'; }
TL_WAIT=30 tl_wait fired long_calls || fail "no firing of long_calls: $(cat "$TL_DIR/rx/hook" 2>/dev/null)"
TL_WAIT=30 tl_wait fired odd_agents || fail "no firing of odd_agents: $(cat "$TL_DIR/rx/hook" 2>/dev/null)"
grep '"rule":"long_calls"' "$TL_DIR/rx/hook" | grep -q '"severity":"critical"' ||
    fail "handle time 610 s over warning 300 (critical 450) is not critical: $(cat "$TL_DIR/rx/hook")"
ctl alerts >"$TL_DIR/alerts.out" || fail "cxpipectl alerts"
assert_grep "long_calls" "$TL_DIR/alerts.out"
assert_grep "odd_agents" "$TL_DIR/alerts.out"

# A live reload that raises the critical threshold: the alert stays
# firing, now as a warning, with the value of the same window (the
# window's state survives the reload).
sed -i 's/^warning = 300$/warning = 300\ncritical = 700/' "$TL_CONF"
grep -q '^critical = 700$' "$TL_CONF" || fail "could not edit the config"
assert_status 0 ctl reload
downgraded() { ctl alerts | grep -Eq '^long_calls +global +firing +warning +610\.5 '; }
TL_WAIT=20 tl_wait downgraded || fail "after the reload: $(ctl alerts)"

# pgsink frozen, ten more events observed, validate killed: ingest replays
# what is not committed to the new validate, which observes it again.
assert_eq 21 "$(tl_stat alert observations)" "observations of 21 events"
pg=$(tl_worker_pid pgsink)
kill -STOP "$pg"
for i in $(seq 21 30); do
	printf '{"interactionId":"a%d","timestamp":"%s","type":"call","idempotencyKey":"alert-%d","attributes":{"duration":5}}\n' \
	    "$i" "$now" "$i"
done >"$TL_DIR/more.ndjson"
tl_post_file "$TL_DIR/more.ndjson" 10
seen() { [ "$(tl_stat alert observations)" -ge 31 ]; }
TL_WAIT=30 tl_wait seen || { kill -CONT "$pg"; fail "alert did not observe the ten events"; }
old=$(tl_worker_pid validate)
kill -KILL "$old"
tl_wait_restarted validate "$old"
kill -CONT "$pg"
tl_wait_committed 60
replayed() { [ "$(tl_stat alert replayed)" -ge 10 ]; }
TL_WAIT=30 tl_wait replayed || fail "no replayed observation counted: $(tl_stat alert replayed)"
assert_eq 31 "$(tl_stat alert observations)" "observations after a replay (each event once)"
tl_stop_daemon || fail "daemon exit status"
exit 0
