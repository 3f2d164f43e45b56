#!/usr/bin/env bash
# A WebSocket stream whose server misbehaves, against cxpipe-sim serve:
# text messages over max_message_bytes and binary frames in the middle of
# the events each become one dead letter whose reason says what was wrong
# (the size, "binary") and the connection is kept; a server that hangs
# (stops reading, so it answers no ping, and stops writing) is given up
# after idle_timeout and the stream reconnects, with the reason in the log
# and in `cxpipectl status`.  Nothing is lost: the tables equal what the
# simulator sent (`cxpipe-sim verify`, whose manifest counts the oversized
# and binary frames as garbage).  Beside it, a server that never answers
# the subscribe: the ack timeout is shown as the stream's error and the
# stream backs off and tries again.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=3000 rate=1500 stall=1200	# three connections: two hang
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=1500 stall=1000; fi
stalls=$(((count - 1) / stall))
big=100000 limit=32768

tl_start_sim -n faults --family interaction --count "$count" --rate "$rate" \
    --dup-rate 0.05 --invalid-rate 0.02 --oversized-every 250 \
    --oversized-bytes "$big" --binary-every 330 --stall-after "$stall"
faults_sim=$SIM_PID faults_dir=$SIM_DIR faults_man=$SIM_MANIFEST_DIR/interaction.json
{
	tl_stream_section faults interaction websocket "max_message_bytes = $limit" \
	    "ping_interval = 1s" "idle_timeout = 3s" "backoff_base = 100ms" \
	    "backoff_cap = 1s"
	tl_start_sim -n noack --family interaction --count 100 --ignore-subscribe
	tl_stream_section noack interaction websocket "ack_timeout = 1s" \
	    "backoff_base = 200ms" "backoff_cap = 2s"
} >"$TL_DIR/streams.conf"
tl_write_config <"$TL_DIR/streams.conf"
tl_start_daemon

man_count() { sed -n "s/^\"$1\":\\([0-9]*\\).*/\\1/p" "$faults_man"; }
stored() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM cxone_events) + (SELECT count(*) FROM cxpipe_dead_letters)"; }
all_sent() { [ "$(man_count lines)" = "$count" ]; }
TL_WAIT=60 tl_wait all_sent || fail "the simulator sent only $(man_count lines) of $count events"
# Every frame the simulator sent is in the tables once the manifest stops growing.
all_stored() { [ "$(stored)" -ge $((count + $(man_count garbage))) ]; }
TL_WAIT=30 tl_wait all_stored ||
    fail "stored $(stored) of $count events and $(man_count garbage) garbage frames"
tl_wait_committed 30
# Only the hangs cost a connection, not the oversized and binary frames
# (read before the simulator stops, which drops the last connection).
assert_eq "$stalls" "$(grep -c 'stalled after' "$faults_dir/sim.log")" "hangs of the simulator"
assert_eq "$stalls" "$(tl_stream_stat faults reconnects)" "reconnects of the stream (one per hang)"
assert_eq "$stalls" "$(grep -c 'stream faults: no traffic for 3000 ms; dropped by cxpipe (1006); reconnecting in' "$TL_DIR/cxpiped.log")" \
    "log lines naming the silence as the reason to reconnect"

ctl status >"$TL_DIR/status.out"
cat "$TL_DIR/status.out" >&2
grep -Eq "^faults +subscribed +[0-9]+ +$stalls .*no traffic for 3000 ms" "$TL_DIR/status.out" ||
    fail "status does not show the reconnects of faults and why"
tl_stop_sim "$faults_sim"	# its manifest is final once it exited
TL_WAIT=30 tl_wait all_stored || fail "a frame sent last did not arrive"
tl_wait_committed 30
"$CXSIM" verify --manifest "$faults_man" --db "$TL_CONNINFO" ||
    fail "tables differ from what the simulator sent"
oversized=$(man_count oversized) binary=$(man_count binary)
[ "$oversized" -gt 0 ] && [ "$binary" -gt 0 ] ||
    fail "the simulator sent $oversized oversized and $binary binary frames"
reason_count() { tl_psql -c "SELECT count(*) FROM cxpipe_dead_letters WHERE source = 'faults' AND reason LIKE '$1'"; }
assert_eq "$oversized" "$(reason_count "message of $big bytes is larger than max_message_bytes ($limit)")" \
    "dead letters naming the size of the oversized messages"
assert_eq "$binary" "$(reason_count 'binary message of % bytes')" "dead letters of binary frames"

# The server that never acks: an error with its reason, and retries with backoff.
retried() { ctl status | grep -Eq '^noack +[a-z_]+ +0 +([2-9]|[1-9][0-9]+) '; }
TL_WAIT=20 tl_wait retried || fail "noack did not retry: $(ctl status | grep '^noack')"
ctl status | grep -E '^noack ' |
    grep -q 'subscribe not acknowledged: no subscribe.ack within 1000 ms' ||
    fail "status does not show the ack timeout of noack: $(ctl status | grep '^noack')"
grep -Eq 'stream noack: subscribe not acknowledged: no subscribe.ack within 1000 ms; .*reconnecting in [0-9]+ ms' \
    "$TL_DIR/cxpiped.log" || fail "the ack timeout and the backoff are not logged"
tl_stop_daemon || fail "daemon exit status"
exit 0
