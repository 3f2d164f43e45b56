#!/bin/bash
# The WebSocket stream client (workers/ingest/ws_*.c) against the simulator:
# `cxpipe-sim serve` on a loopback port of its choosing, driven by
# tests/ws_client_probe.  Covers resumed drops (every event exactly once),
# the token in the header and in the query, token refresh after 4001 and
# after a 401 on the upgrade, subscribe.reject without a retry loop, the ack
# timeout, dead letters for oversized messages on a kept connection, pings
# both ways and silence, and flow control with flat memory.
# CXPIPE_WS_SIM may name another simulator command, CXPIPE_WS_PROBE_WRAP a
# command to run the probe under (valgrind ...), both for development.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

tl_setup
PROBE=$top_builddir/tests/ws_client_probe
[ -x "$PROBE" ] || fail "$PROBE is not built"
read -r -a SIM <<<"${CXPIPE_WS_SIM:-$CXSIM}"
read -r -a WRAP <<<"${CXPIPE_WS_PROBE_WRAP:-}"
if ! "${SIM[@]}" serve --help >"$TL_DIR/serve.help" 2>&1; then
	tl_log "SKIP: ${SIM[*]} has no serve subcommand yet"
	exit 77
fi

SECRET=probe-secret-$$
SIM_PID=
SUBSCRIBE='{"type":"subscribe","subscriptionId":"probe-1","family":"interaction"}'

# Stops the simulator too, whatever happens.
ws_cleanup() {
	local rc=$?
	ws_sim_stop
	(exit "$rc")
	tl_cleanup
}
trap ws_cleanup EXIT

# Starts the simulator on a port of its choosing (it writes the port to
# the ready file) with extra options; sets SIM_PORT.
ws_sim_start() {
	local ready
	SIM_N=$((${SIM_N:-0} + 1))
	ready=$TL_DIR/sim.$SIM_N.ready
	mkdir -p "$TL_DIR/manifest.$SIM_N"
	"${SIM[@]}" serve --port 0 --client-id probe \
	    --client-secret "$SECRET" --family interaction \
	    --ready-file "$ready" --duration 120 \
	    --manifest-dir "$TL_DIR/manifest.$SIM_N" "$@" \
	    >"$TL_DIR/sim.$SIM_N.log" 2>&1 &
	SIM_PID=$!
	TL_WAIT=15 tl_wait test -s "$ready" ||
	    fail "the simulator did not start: $(tail -n 5 "$TL_DIR/sim.$SIM_N.log")"
	SIM_PORT=$(tr -dc 0-9 <"$ready")
	[ -n "$SIM_PORT" ] || fail "no port in $ready"
}

ws_sim_stop() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
	fi
}

# Runs the probe against the running simulator; its report goes to
# $TL_DIR/probe.out, its log to $TL_DIR/probe.log.  Returns its status.
ws_probe() {
	"${WRAP[@]}" "$PROBE" --url "ws://127.0.0.1:$SIM_PORT/ws/interaction" \
	    --token-url "http://127.0.0.1:$SIM_PORT/oauth/token" \
	    --client-id probe --client-secret "$SECRET" \
	    --subscribe "$SUBSCRIBE" --ack subscribe.ack "$@" \
	    >"$TL_DIR/probe.out" 2>"$TL_DIR/probe.log"
}

# One value from the probe's report.
kv() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$TL_DIR/probe.out" | head -n 1
}

# Runs the probe and fails with its report unless it met its goal.
ws_expect() {
	local what=$1
	shift
	local rc=0
	ws_probe "$@" || rc=$?
	{ echo "== $what"; cat "$TL_DIR/probe.out"; } >>"$TL_DIR/probe.all"
	[ "$rc" -eq 0 ] || fail "$what: $(cat "$TL_DIR/probe.out") $(tail -n 5 "$TL_DIR/probe.log")"
}

check() {
	[ "$2" = "$3" ] || fail "$1: expected $2, got $3 ($(head -n 1 "$TL_DIR/probe.out"))"
}

check_ge() {
	[ "$3" -ge "$2" ] || fail "$1: expected at least $2, got $3 ($(head -n 1 "$TL_DIR/probe.out"))"
}

# 1. Drops every 500 events, token in the header: every event once.
ws_sim_start --count 3000 --disconnect-every 500
ws_expect "drops" --expect 3000 --timeout 60 --backoff-base 50 --stable 200 --settle 1000
check "drops: messages" 3000 "$(kv messages)"
check "drops: distinct" 3000 "$(kv distinct)"
check_ge "drops: reconnects" 5 "$(kv reconnects)"
assert_grep "1006" "$TL_DIR/probe.out"
assert_grep "without a close frame (1006)" "$TL_DIR/probe.log"
ws_sim_stop

# 2. The token in the query string.
ws_sim_start --count 500
ws_expect "query" --token-in query --expect 500 --timeout 30
check "query: messages" 500 "$(kv messages)"
check "query: reconnects" 0 "$(kv reconnects)"
ws_sim_stop

# 3. Tokens that expire: 4001, a new token, resumed.
ws_sim_start --count 1500 --rate 500 --expires-in 1
ws_expect "4001" --expect 1500 --timeout 60 --settle 1000
check "4001: messages" 1500 "$(kv messages)"
check "4001: distinct" 1500 "$(kv distinct)"
assert_grep "closes=[0-9,]*4001" "$TL_DIR/probe.out"
check_ge "4001: token fetches" 2 "$(kv token_fetches)"
assert_grep "needs_token" "$TL_DIR/probe.out"
ws_sim_stop

# 4. A 401 on the upgrade (bad token, both placements): refresh, then on.
for where in header query; do
	ws_sim_start --count 200
	ws_expect "401 $where" --token-in "$where" --bad-token --expect 200 --timeout 30
	check "401 $where: messages" 200 "$(kv messages)"
	assert_grep "upgrade refused: HTTP 401" "$TL_DIR/probe.log"
	assert_grep "states=connecting,needs_token,connecting" "$TL_DIR/probe.out"
	ws_sim_stop
done

# 5. subscribe.reject: an error with the reason, no retry loop.
ws_sim_start --count 100 --reject-subscribe
ws_expect "reject" --expect-state failed --settle 3000 --timeout 30
check "reject: state" failed "$(kv state)"
check "reject: reconnects" 0 "$(kv reconnects)"
assert_grep "^last_error=subscribe rejected: ." "$TL_DIR/probe.out"
assert_grep "not retried" "$TL_DIR/probe.log"
ws_sim_stop

# 6. No ack: an error after ack_timeout, then backoff.  Without a
# simulator option that withholds the ack, the client waits for an ack type
# the simulator never sends (its subscribe.ack then arrives as a message).
if grep -q -- '--no-ack' "$TL_DIR/serve.help"; then
	ws_sim_start --count 100 --no-ack
	ack=subscribe.ack
else
	ws_sim_start --count 100 --rate 10
	ack=subscribe.confirmed
fi
ws_expect "ack timeout" --ack "$ack" --ack-timeout 500 --expect-error "not acknowledged" --settle 100 --timeout 30
assert_grep "^last_error=subscribe not acknowledged: no $ack within 500 ms" "$TL_DIR/probe.out"
assert_grep "states=connecting,subscribing,backing_off" "$TL_DIR/probe.out"
assert_grep "closes=1000" "$TL_DIR/probe.out"
ws_sim_stop

# 7. Messages over max_message_bytes are dead letters; the connection stays.
ws_sim_start --count 400
ws_expect "sizes" --expect 200 --timeout 30
avg=$(( $(kv bytes) / $(kv messages) ))
ws_sim_stop
ws_sim_start --count 400
ws_expect "too large" --max-message $((avg - 1)) --expect 400 --timeout 30
check_ge "too large: dead letters" 1 "$(kv dead_letters)"
check "too large: all events" 400 $(( $(kv messages) + $(kv dead_letters) ))
check "too large: reconnects" 0 "$(kv reconnects)"
assert_grep "larger than max_message_bytes" "$TL_DIR/probe.out"
ws_sim_stop

# 8. Heartbeats.  The simulator's pings are answered (as many pongs as
# pings in its log); our own pings keep a stream alive whose events are
# further apart than idle_timeout; a stream that falls silent is dropped.
ws_sim_start --count 16 --rate 2 --ping-interval 1
ws_expect "server pings" --expect 16 --timeout 30
check "server pings: reconnects" 0 "$(kv reconnects)"
TL_WAIT=10 tl_wait grep -q "closed after 16 events" "$TL_DIR/sim.$SIM_N.log" ||
    fail "server pings: the simulator logged no close"
pings=$(sed -n 's/.*closed after 16 events (\([0-9]*\) pings, \([0-9]*\) pongs).*/\1 \2/p' "$TL_DIR/sim.$SIM_N.log")
read -r npings npongs <<<"$pings"
check_ge "server pings: pings" 2 "${npings:-0}"
check "server pings: pongs" "$npings" "${npongs:-}"
ws_sim_stop
ws_sim_start --count 3 --rate 0.5
ws_expect "client pings" --ping-interval 200 --idle-timeout 1200 --expect 3 --timeout 30
check "client pings: reconnects" 0 "$(kv reconnects)"
ws_sim_stop
ws_sim_start --count 3 --rate 0.5
ws_expect "silence" --ping-interval 60000 --idle-timeout 800 --backoff-base 50 --expect 3 --timeout 30
check_ge "silence: reconnects" 1 "$(kv reconnects)"
check "silence: messages" 3 "$(kv messages)"
assert_grep "no traffic for 800 ms" "$TL_DIR/probe.log"
ws_sim_stop

# 9. Flow control: paused for a second every 25000 events while the
# simulator sends as fast as it can; the queue stays within its bound and
# memory stays flat.
ws_sim_start --count 100000
ws_expect "flow" --queue 64 --pause-every 25000 --pause-ms 1000 --expect 100000 --timeout 120
check "flow: messages" 100000 "$(kv messages)"
check "flow: distinct" 100000 "$(kv distinct)"
check_ge "flow: pauses" 3 "$(kv pauses)"
[ "$(kv max_queued)" -le 64 ] || fail "flow: $(kv max_queued) events queued, bound 64"
if [ -z "${CXPIPE_SANITIZERS:-}" ] && [ ${#WRAP[@]} -eq 0 ]; then
	[ "$(kv rss_growth_kb)" -lt 8192 ] || fail "flow: memory grew by $(kv rss_growth_kb) kB"
fi
ws_sim_stop

tl_log "PASS"
