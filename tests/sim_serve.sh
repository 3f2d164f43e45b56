#!/usr/bin/env bash
# cxpipe-sim serve, the CXone stand-in: its command line; the token endpoint
# (both grants, HTTP Basic, 401, 429 with Retry-After, refresh); the upgrade
# refused with 401 without a token; a WebSocket stream that matches the
# manifest (and "generate" for the same seed); resume after drops; close
# 4001 when the token expires, pings; subscribe.reject and 1008; REST
# polling with an advancing cursor; long polling 200/304/404; /healthz;
# TLS when openssl is there.  Loopback only; every wait is bounded.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
PROBE=$top_builddir/tests/ws_probe
[ -x "$PROBE" ] || fail "$PROBE is not built"
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
LOG=$TL_DIR/serve.log

# serve_start ARGS...: starts serve with a ready file; sets PORT and BASE.
serve_start() {
	rm -f "$TL_DIR/ready"
	"$CXSIM" serve --ready-file "$TL_DIR/ready" --duration 120 "$@" \
	    2>>"$LOG" &
	TL_DAEMON_PID=$!
	tl_wait test -s "$TL_DIR/ready" || fail "serve did not come up: $(tail -n 5 "$LOG")"
	PORT=$(cat "$TL_DIR/ready")
	BASE=http://127.0.0.1:$PORT
}

# serve_stop: SIGTERM, and serve must exit 0 (it writes its manifests).
serve_stop() {
	local rc=0
	tl_stop_daemon || rc=$?
	[ "$rc" -eq 0 ] || fail "serve exited $rc: $(tail -n 5 "$LOG")"
}

# http ARGS...: curl with a bound; prints the status, body in $TL_DIR/body.
http() {
	curl -s -m 20 -o "$TL_DIR/body" -D "$TL_DIR/headers" -w '%{http_code}' "$@"
}

# field NAME: a string member of the last body.
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$TL_DIR/body"; }

# manifest_number FILE NAME: a top-level count of a manifest.
manifest_number() { sed -n "s/^\"$2\":\([0-9][0-9]*\),*\$/\1/p" "$1"; }

# token: a fresh access token by client credentials.
token() {
	assert_eq 200 "$(http -u cxpipe-sim:cxpipe-sim-secret \
	    -d grant_type=client_credentials "$BASE/oauth/token")" "token"
	field access_token
}

# probe ARGS...: runs ws_probe; stdout in $TL_DIR/frames, stderr in $TL_DIR/probe.err.
probe() { "$PROBE" --timeout 20 "$@" >"$TL_DIR/frames" 2>"$TL_DIR/probe.err"; }

# --- command line ---
assert_status 0 "$CXSIM" serve --help
for o in port bind tls-cert tls-key client-id client-secret username password \
    expires-in rate-limit-first retry-after family count rate dup-rate \
    invalid-rate disconnect-every reject-subscribe ping-interval seed \
    manifest-dir duration ready-file session-ttl; do
	assert_grep "\-\-$o" "$TL_DIR/out"
done
assert_status 0 "$CXSIM" --help
assert_grep "cxpipe-sim serve" "$TL_DIR/out"
assert_status 2 "$CXSIM" serve
assert_status 2 "$CXSIM" serve --port 0 --bogus
assert_status 2 "$CXSIM" serve --port 70000
assert_status 2 "$CXSIM" serve --port 0 --family voice
assert_status 2 "$CXSIM" serve --port 0 --dup-rate 0.7 --invalid-rate 0.5
assert_status 2 "$CXSIM" serve --port 0 --tls-cert /nonexistent
assert_status 2 "$CXSIM" serve --port 0 stray
assert_status 1 "$CXSIM" serve --port 0 --tls-cert /nonexistent --tls-key /nonexistent

# --- tokens, health, refusals; an explicit port ---
P=$(tl_free_port)
serve_start --port "$P" --rate-limit-first 2 --retry-after 3 --expires-in 600 \
	--family agent_state --family analytics --count 30 --rate 10 \
	--session-ttl 4 --manifest-dir "$TL_DIR/m1"
assert_eq "$P" "$PORT" "ready file"
assert_status 1 "$CXSIM" serve --port "$P" --duration 5
assert_eq 200 "$(http "$BASE/healthz")" "healthz"
for i in 1 2; do
	assert_eq 429 "$(http -d grant_type=client_credentials "$BASE/oauth/token")" "rate limit $i"
	assert_grep "Retry-After: 3" "$TL_DIR/headers"
done
assert_eq 200 "$(http -d grant_type=client_credentials -d client_id=cxpipe-sim \
	-d client_secret=cxpipe-sim-secret "$BASE/oauth/token")" "client credentials in the body"
assert_grep '"token_type":"Bearer"' "$TL_DIR/body"
assert_grep '"expires_in":600' "$TL_DIR/body"
assert_eq "http://127.0.0.1:$PORT/" "$(field resource_server_base_uri)" "base uri"
grep -q refresh_token "$TL_DIR/body" && fail "client credentials got a refresh token"
T=$(token)
assert_eq 401 "$(http -u cxpipe-sim:wrong -d grant_type=client_credentials \
	"$BASE/oauth/token")" "wrong secret"
assert_grep '"error":"invalid_client"' "$TL_DIR/body"
assert_eq 401 "$(http -d grant_type=client_credentials "$BASE/oauth/token")" "no credentials"
assert_eq 200 "$(http -d grant_type=password -d username=cxpipe-sim-key \
	-d password=cxpipe-sim-key-secret "$BASE/oauth/token")" "password grant"
R=$(field refresh_token)
[ -n "$R" ] || fail "password grant without refresh_token"
assert_eq 401 "$(http -d grant_type=password -d username=cxpipe-sim-key \
	-d password=nope "$BASE/oauth/token")" "wrong password"
assert_eq 200 "$(http -d grant_type=refresh_token -d "refresh_token=$R" \
	"$BASE/oauth/token")" "refresh grant"
[ -n "$(field access_token)" ] || fail "refresh grant without access_token"
assert_eq 400 "$(http -d grant_type=refresh_token -d refresh_token=bogus \
	"$BASE/oauth/token")" "unknown refresh token"
assert_eq 400 "$(http -d grant_type=authorization_code "$BASE/oauth/token")" "other grant"
assert_grep '"error":"unsupported_grant_type"' "$TL_DIR/body"
assert_eq 404 "$(http "$BASE/nowhere")" "unknown path"
assert_eq 405 "$(http "$BASE/oauth/token")" "GET on the token endpoint"

# the upgrade is refused with 401 without a (good) token
upgrade() {
	http -H "Connection: Upgrade" -H "Upgrade: websocket" \
	    -H "Sec-WebSocket-Version: 13" \
	    -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$@"
}
assert_eq 401 "$(upgrade "$BASE/ws/agent_state")" "upgrade without token"
assert_eq 401 "$(upgrade -H "Authorization: Bearer bogus" "$BASE/ws/agent_state")" "upgrade, bad token"
assert_eq 401 "$(upgrade "$BASE/ws/agent_state?access_token=bogus")" "upgrade, bad query token"
assert_eq 404 "$(upgrade -H "Authorization: Bearer $T" "$BASE/ws/interaction")" "upgrade, family not served"
probe --expect-status 401 "ws://127.0.0.1:$PORT/ws/agent_state" bogus header 1 ||
	fail "probe with a bad token: $(cat "$TL_DIR/probe.err")"

# --- REST polling: the cursor advances, every event comes once ---
assert_eq 401 "$(http "$BASE/poll/analytics")" "poll without token"
assert_eq 404 "$(http -H "Authorization: Bearer $T" "$BASE/poll/data_action")" "poll, family not served"
assert_eq 400 "$(http -H "Authorization: Bearer $T" \
	"$BASE/poll/analytics?updatedSince=yesterday")" "bad updatedSince"
since=1970-01-01T00:00:00Z
: >"$TL_DIR/polled"
polls=0
waited=0
while [ "$(wc -l <"$TL_DIR/polled")" -lt 30 ]; do
	polls=$((polls + 1))
	[ "$polls" -le 60 ] || fail "30 analytics events not polled in 60 polls"
	assert_eq 200 "$(http -H "Authorization: Bearer $T" \
	    "$BASE/poll/analytics?updatedSince=$since&limit=7")" "poll"
	n=$(grep -o '"eventType":' "$TL_DIR/body" | wc -l)
	[ "$n" -le 7 ] || fail "poll returned $n items over limit 7"
	grep -o '"lastUpdated":"[^"]*"' "$TL_DIR/body" >>"$TL_DIR/polled" || true
	next=$(field lastPollTime)
	[ -n "$next" ] || fail "poll without lastPollTime"
	[ "$polls" -eq 1 ] || [ "$n" -eq 0 ] || [[ "$next" > "$since" ]] ||
		fail "cursor went back: $since -> $next"
	since=$next
	if [ "$n" -lt 7 ] && [ "$(wc -l <"$TL_DIR/polled")" -lt 30 ]; then
		waited=1	# the rest appears later, at --rate
		sleep 0.2
	fi
done
[ "$waited" = 1 ] || fail "every event was there at once: none appeared over time"
assert_eq 30 "$(sort -u "$TL_DIR/polled" | wc -l)" "distinct polled events"
assert_eq 200 "$(http -H "Authorization: Bearer $T" \
	"$BASE/poll/analytics?updatedSince=$since")" "poll after the last"
assert_grep '"items":\[\]' "$TL_DIR/body"

# --- long polling ---
assert_eq 401 "$(http -X POST "$BASE/longpoll/sessions")" "session without token"
assert_eq 201 "$(http -X POST -H "Authorization: Bearer $T" \
	"$BASE/longpoll/sessions?family=agent_state")" "new session"
S=$(field sessionId)
[ -n "$S" ] || fail "no sessionId"
got=0
for _ in 1 2 3 4 5; do
	code=$(http -H "Authorization: Bearer $T" "$BASE/longpoll/sessions/$S/next?timeout=5")
	[ "$code" = 200 ] || break
	got=$((got + $(grep -o '"agent.state.change"' "$TL_DIR/body" | wc -l)))
	[ "$got" -lt 30 ] || break
done
assert_eq 30 "$got" "long-polled events"
start=$SECONDS
assert_eq 304 "$(http -H "Authorization: Bearer $T" \
	"$BASE/longpoll/sessions/$S/next?timeout=1")" "long poll with nothing left"
[ $((SECONDS - start)) -le 3 ] || fail "304 came late"
assert_eq 404 "$(http -H "Authorization: Bearer $T" \
	"$BASE/longpoll/sessions/nosuchsession/next")" "unknown session"
sleep 4.5
assert_eq 404 "$(http -H "Authorization: Bearer $T" \
	"$BASE/longpoll/sessions/$S/next?timeout=0")" "session past --session-ttl"
serve_stop
assert_eq 30 "$(manifest_number "$TL_DIR/m1/analytics.json" lines)" "analytics lines"
assert_eq 0 "$(manifest_number "$TL_DIR/m1/analytics.json" redelivered)" "redelivered"
assert_eq 30 "$(manifest_number "$TL_DIR/m1/agent_state.json" lines)" "agent_state lines"
[ ! -e "$TL_DIR/m1/interaction.json" ] || fail "a manifest for a family not served"

# --- a WebSocket stream is what the manifest (and generate) says ---
serve_start --port 0 --family interaction --count 300 --dup-rate 0.2 \
	--invalid-rate 0.1 --seed 11 --manifest-dir "$TL_DIR/m2"
T=$(token)
probe "ws://127.0.0.1:$PORT/ws/interaction" "$T" header 300 ||
	fail "stream: $(cat "$TL_DIR/probe.err")"
head -n 1 "$TL_DIR/frames" | grep -q '"type":"subscribe.ack","subscriptionId":"' ||
	fail "no subscribe.ack first: $(head -n 1 "$TL_DIR/frames")"
tail -n +2 "$TL_DIR/frames" >"$TL_DIR/stream"
serve_stop
m=$TL_DIR/m2/interaction.json
assert_eq 300 "$(wc -l <"$TL_DIR/stream")" "events streamed"
assert_eq "$(manifest_number "$m" lines)" "$(wc -l <"$TL_DIR/stream")" "manifest lines"
assert_eq "$(manifest_number "$m" valid_sends)" "$(grep -c '"idempotencyKey": *"ik-' "$TL_DIR/stream")" "valid sends"
assert_eq "$(grep -c '^"ik-' "$m")" "$(grep -o '"idempotencyKey": *"ik-[^"]*"' "$TL_DIR/stream" | tr -d ' ' | sort -u | wc -l)" "keys"
"$CXSIM" generate --family interaction --count 300 --dup-rate 0.2 \
	--invalid-rate 0.1 --seed 11 --manifest "$TL_DIR/gen.json" >"$TL_DIR/gen.ndjson"
cmp -s "$TL_DIR/stream" "$TL_DIR/gen.ndjson" || fail "stream differs from generate's lines"
grep -v '^"count":\|^"redelivered":\|^"garbage":' "$m" >"$TL_DIR/m2.cut"
grep -v '^"garbage":' "$TL_DIR/gen.json" >"$TL_DIR/gen.cut"
cmp -s "$TL_DIR/m2.cut" "$TL_DIR/gen.cut" || fail "manifest differs from generate's"

# --- drops every 10 events; reconnecting resumes where it stopped ---
serve_start --port 0 --family data_action --count 45 --disconnect-every 10 \
	--dup-rate 0.1 --manifest-dir "$TL_DIR/m3"
T=$(token)
: >"$TL_DIR/resumed"
for i in $(seq 1 10); do
	left=$((45 - $(wc -l <"$TL_DIR/resumed")))
	[ "$left" -gt 0 ] || break
	probe --expect-close 1006 "ws://127.0.0.1:$PORT/ws/data_action" "$T" query "$left" ||
		fail "resume $i: $(cat "$TL_DIR/probe.err")"
	n=$(($(wc -l <"$TL_DIR/frames") - 1))
	[ "$n" -le 10 ] || fail "connection $i got $n events, over --disconnect-every"
	[ "$n" -eq 10 ] || [ "$n" -eq "$left" ] || fail "connection $i got $n events"
	tail -n +2 "$TL_DIR/frames" >>"$TL_DIR/resumed"
done
assert_eq 45 "$(wc -l <"$TL_DIR/resumed")" "events over the reconnections"
serve_stop
assert_eq 4 "$(grep -c 'dropping the connection after 10 events' "$LOG")" "drops"
assert_eq 45 "$(manifest_number "$TL_DIR/m3/data_action.json" lines)" "data_action lines"
sends=$(grep -o '"sends":[0-9]*' "$TL_DIR/m3/data_action.json" | awk -F: '{ s += $2 } END { print s }')
assert_eq "$(manifest_number "$TL_DIR/m3/data_action.json" valid_sends)" "$sends" "bucket sends"

# --- the token expires mid-stream: close 4001; pings meanwhile ---
serve_start --port 0 --family agent_state --count 1000 --rate 40 \
	--expires-in 3 --ping-interval 1 --manifest-dir "$TL_DIR/m4"
T=$(token)
probe --expect-close 4001 "ws://127.0.0.1:$PORT/ws/agent_state" "$T" header 1000 ||
	fail "expiry: $(cat "$TL_DIR/probe.err")"
assert_grep "closed 4001 token expired" "$TL_DIR/probe.err"
n=$(($(wc -l <"$TL_DIR/frames") - 1))
[ "$n" -gt 10 ] && [ "$n" -lt 1000 ] || fail "$n events before the expiry"
assert_eq 401 "$(upgrade -H "Authorization: Bearer $T" "$BASE/ws/agent_state")" "upgrade, expired token"
serve_stop
assert_eq "$n" "$(manifest_number "$TL_DIR/m4/agent_state.json" lines)" "lines before the expiry"
grep -q 'closed after [0-9]* events ([1-9][0-9]* pings, [1-9][0-9]* pongs)' "$LOG" ||
	fail "no pings answered: $(grep 'closed after' "$LOG" | tail -n 1)"

# --- --reject-subscribe ---
serve_start --port 0 --family analytics --reject-subscribe
probe --expect-close 1008 "ws://127.0.0.1:$PORT/ws/analytics" "$(token)" query 1 ||
	fail "reject: $(cat "$TL_DIR/probe.err")"
assert_grep '"type":"subscribe.reject"' "$TL_DIR/frames"
serve_stop

# --- TLS: https token, wss stream ---
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	    -keyout "$TL_DIR/key.pem" -out "$TL_DIR/cert.pem" >/dev/null 2>&1 ||
		fail "openssl could not make a certificate"
	serve_start --port 0 --family interaction --count 5 \
	    --tls-cert "$TL_DIR/cert.pem" --tls-key "$TL_DIR/key.pem"
	assert_eq 200 "$(http -k -u cxpipe-sim:cxpipe-sim-secret \
	    -d grant_type=client_credentials "https://127.0.0.1:$PORT/oauth/token")" "https token"
	assert_eq "https://127.0.0.1:$PORT/" "$(field resource_server_base_uri)" "https base uri"
	probe "wss://127.0.0.1:$PORT/ws/interaction" "$(field access_token)" header 5 ||
		fail "wss: $(cat "$TL_DIR/probe.err")"
	serve_stop
else
	echo "openssl missing: skipped the TLS check"
fi
echo "PASS: sim_serve"
