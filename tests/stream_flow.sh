#!/usr/bin/env bash
# Flow control end to end: a WebSocket stream (5,000 events/s) while
# PostgreSQL is stopped for 20 s.  The spool fills to its
# limit, the stream stops reading (no memory growth in any process), and
# once PostgreSQL is back every event arrives: the tables equal what the
# simulator sent.
set -eu
. "$(dirname "$0")/lib.sh"
# Stopping the shared server would disturb the other tests: use our own.
unset CXPIPE_TEST_PGDIR
tl_setup
tl_pg_start
count=60000
outage=20
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=30000; outage=8; fi
mkdir -p "$TL_DIR/sim"
"$CXSIM" serve --port 0 --ready-file "$TL_DIR/sim/port" --manifest-dir "$TL_DIR/sim/man" \
    --duration 300 --family interaction --count "$count" --rate 5000 \
    --dup-rate 0.05 --invalid-rate 0.02 >"$TL_DIR/sim/sim.log" 2>&1 &
sim=$!
TL_BG_PIDS="$TL_BG_PIDS $sim"
TL_WAIT=10 tl_wait test -s "$TL_DIR/sim/port" || fail "simulator did not start"
port=$(cat "$TL_DIR/sim/port")
printf 'cxpipe-sim-secret\n' >"$TL_DIR/client.secret"
TL_CXPIPE_EXTRA="spool_max_bytes = 2M
spool_segment_bytes = 256K" tl_write_config <<EOF2
[stream cx]
family = interaction
token_url = http://127.0.0.1:$port/oauth/token
client_id = cxpipe-sim
client_secret_file = $TL_DIR/client.secret
ws_url = /ws/interaction
subscribe = {"type":"subscribe"}
EOF2
tl_start_daemon
messages() { ctl stats --json | tr -d ' \n' | sed 's/.*"streams":\[//' | grep -o '"messages":[0-9]*' | head -n 1 | grep -o '[0-9]*$'; }
flowing() { [ "$(messages)" -gt 1000 ]; }
tl_wait flowing || fail "the stream did not start"
tl_pg_stop
max_rss=0
paused_seen=0
end=$((SECONDS + outage))
while [ "$SECONDS" -lt "$end" ]; do
	for pid in "$TL_DAEMON_PID" $(pgrep -P "$TL_DAEMON_PID"); do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
	done
	ctl stats --json | tr -d ' \n' | grep -q '"paused":true' && paused_seen=1
	sleep 1
done
full=$(ctl stats --json | tr -d ' \n' | grep -o '"spool_full":[a-z]*' | head -n 1)
tl_log "during the outage: peak RSS ${max_rss} KiB, $full, stream paused: $paused_seen"
[ "$paused_seen" = 1 ] || fail "the stream never stopped reading while the spool was full"
assert_eq '"spool_full":true' "$full" "spool state during the outage"
if [ -z "${CXPIPE_SANITIZERS:-}" ]; then
	[ "$max_rss" -lt $((32 * 1024)) ] || fail "a process used ${max_rss} KiB while PostgreSQL was down"
fi
tl_pg_restart
all_in() { [ "$(messages)" -ge "$count" ]; }
TL_WAIT=180 tl_wait all_in || fail "only $(messages) of $count events arrived"
tl_wait_committed 120
tl_stop_sim "$sim"	# its manifest is final once it exited
"$CXSIM" verify --manifest "$TL_DIR/sim/man/interaction.json" --db "$TL_CONNINFO" ||
    fail "tables differ from what the simulator sent"
tl_stop_daemon || fail "daemon exit status"
exit 0
