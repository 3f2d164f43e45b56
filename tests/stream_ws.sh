#!/usr/bin/env bash
# A CXone WebSocket stream through the daemon, against cxpipe-sim serve:
# OAuth2 token (after two 429s), ws_url resolved against the token's
# resource_server_base_uri, subscribe/ack, 100,000 events with repeats and
# invalid ones, the connection dropped every 30,000 events and resumed, the
# token expiring every 5 s (the server closes with 4001; the renewed token
# is used): the tables equal what the simulator sent.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=100000 rate=4000 min_reconnects=3
# Quick (the tarball's run): 10 s of stream, two token lives, one 4001 at least.
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=30000 rate=3000 min_reconnects=1; fi

start_sim() {	# start_sim DIR ARGS...
	local d=$1
	shift
	mkdir -p "$d"
	"$CXSIM" serve --port 0 --ready-file "$d/port" --manifest-dir "$d/man" \
	    --duration 120 "$@" >"$d/sim.log" 2>&1 &
	SIM_PID=$!
	TL_BG_PIDS="$TL_BG_PIDS $!"
	TL_WAIT=10 tl_wait test -s "$d/port" || fail "simulator did not start"
	SIM_PORT=$(cat "$d/port")
}

start_sim "$TL_DIR/sim" --family interaction --count "$count" --rate "$rate" \
    --dup-rate 0.05 --invalid-rate 0.02 --disconnect-every 30000 \
    --rate-limit-first 2 --retry-after 1 --expires-in 5
printf 'cxpipe-sim-secret\n' >"$TL_DIR/client.secret"
tl_write_config <<EOF2
[stream cx]
family = interaction
token_url = http://127.0.0.1:$SIM_PORT/oauth/token
client_id = cxpipe-sim
client_secret_file = $TL_DIR/client.secret
ws_url = /ws/interaction
subscribe = {"type":"subscribe","family":"interaction"}
backoff_base = 100ms
backoff_cap = 1s
token_refresh_margin = 2s
EOF2
tl_start_daemon
stream_stat() {	# stream_stat KEY: from ingest's first stream
	ctl stats --json | tr -d ' \n' | sed 's/.*"streams":\[//' |
	    grep -o "\"$1\":[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}
delivered() { [ "$(stream_stat messages)" -ge "$count" ]; }
TL_WAIT=120 tl_wait delivered || fail "the stream did not deliver $count messages"
tl_wait_committed 60
# cxpipectl status shows the stream: state, messages, reconnects, token expiry.
ctl status >"$TL_DIR/status.out"
grep -Eq '^cx +subscribed +[0-9]+ +[0-9]+ +[0-9]+s' "$TL_DIR/status.out" ||
    fail "status does not show the stream: $(cat "$TL_DIR/status.out")"
ctl status --json | tr -d ' \n' | grep -q '"streams":\[{"name":"cx"' ||
    fail "status --json has no streams"
tl_stop_sim "$SIM_PID"	# its manifest is final once it exited
"$CXSIM" verify --manifest "$TL_DIR/sim/man/interaction.json" --db "$TL_CONNINFO" ||
    fail "tables differ from what the simulator sent"
reconnects=$(stream_stat reconnects)
[ "${reconnects:-0}" -ge "$min_reconnects" ] ||
    fail "expected at least $min_reconnects reconnects, got ${reconnects:-none}"
grep -q "4001" "$TL_DIR/cxpiped.log" || fail "the token never expired mid-stream (no 4001)"
tokens=$(stream_stat tokens)
[ "${tokens:-0}" -ge 3 ] || fail "expected at least 3 tokens, got ${tokens:-none}"
assert_grep "stream cx: subscribed" "$TL_DIR/cxpiped.log"
grep -q "429" "$TL_DIR/cxpiped.log" || fail "the 429s were not seen"
if grep -q -e "cxpipe-sim-secret" "$TL_DIR/cxpiped.log"; then
	fail "the client secret reached the log"
fi
tl_stop_daemon || fail "daemon exit status"
exit 0
