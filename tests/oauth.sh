#!/usr/bin/env bash
# The OAuth2 token source (workers/ingest/oauth.c on curl_loop.c) against the
# simulator's token endpoint: both grants, renewal before expiry, refresh
# tokens, invalidation, 429 with Retry-After, a refused client secret, an
# endpoint that is not there, TLS verification, and no secret in anything
# printed.  OAUTH_PROBE_WRAP="valgrind --error-exitcode=9 --leak-check=full"
# runs the probe under valgrind.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE=$top_builddir/tests/oauth_probe
BG_PIDS=

oauth_cleanup() {
	local rc=$? p
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	(exit "$rc")
	tl_cleanup
}

tl_setup
[ -x "$PROBE" ] || fail "$PROBE is not built"
trap oauth_cleanup EXIT

SECRET=cs-$$-$RANDOM-topsecret
PASSWORD=ak-$$-$RANDOM-keysecret
WRONG=wrong-$$-$RANDOM-secret
CID=cxpipe-test-client
AKID=ak-id-$$

# sim_start NAME ARGS...: a token endpoint of its own, on $SIM_PORT or a
# free port; sets SIM_URL and SIM_PID.
sim_start() {
	local name=$1 port ready
	shift
	port=${SIM_PORT:-$(tl_free_port)}
	ready=$TL_DIR/$name.ready
	"$CXSIM" serve --port "$port" --client-id "$CID" --client-secret "$SECRET" \
	    --ready-file "$ready" --duration 60 "$@" >"$TL_DIR/$name.sim.log" 2>&1 &
	SIM_PID=$!
	BG_PIDS="$BG_PIDS $SIM_PID"
	TL_WAIT=10 tl_wait test -s "$ready" || fail "$name: simulator did not start: $(cat "$TL_DIR/$name.sim.log")"
	SIM_URL=http://127.0.0.1:$port/oauth/token
}

# probe NAME ARGS...: runs the probe; its stdout and stderr go to NAME.out.
probe() {
	local name=$1 rc=0
	shift
	${OAUTH_PROBE_WRAP:-} "$PROBE" --client-id "$CID" "$@" >"$TL_DIR/$name.out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || fail "$name: probe exited $rc: $(tail -n 20 "$TL_DIR/$name.out")"
}

# field NAME KEY: a number from the probe's final stats.
field() {
	sed -n "s/^final .*\"$2\":\\([0-9]*\\).*/\\1/p" "$TL_DIR/$1.out"
}

# token_ms NAME N: when token N arrived, in ms after the probe started.
token_ms() {
	sed -n "s/^token $2 t_ms=\\([0-9]*\\) .*/\\1/p" "$TL_DIR/$1.out"
}

between() {	# between VALUE LO HI WHAT
	if [ -z "$1" ] || [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
		fail "$4: '$1' is not within [$2, $3]"
	fi
}

# 1. client_credentials; expires_in 3 and a margin of 1 s: the second token
#    comes about 2 s after the first.
sim_start cc --expires-in 3
OAUTH_CLIENT_SECRET=$SECRET probe cc --url "$SIM_URL" --margin 1 --tokens 2 --duration 8000
assert_grep '^token 1 .* expires_in=[23] current=yes base_uri=http' "$TL_DIR/cc.out"
t1=$(token_ms cc 1) t2=$(token_ms cc 2)
between "$((t2 - t1))" 1500 2900 "renewal of a 3 s token with a 1 s margin (ms)"
assert_eq 0 "$(field cc refreshes)" "client_credentials offers no refresh token"

# 2. password grant (access key as username and password): the renewals use
#    the refresh token the endpoint offered.
sim_start pw --expires-in 3 --username "$AKID" --password "$PASSWORD"
OAUTH_CLIENT_SECRET=$SECRET OAUTH_PASSWORD=$PASSWORD probe pw --url "$SIM_URL" \
    --grant password --username "$AKID" --margin 1 --tokens 3 --duration 10000
assert_eq 3 "$(field pw tokens)" "password grant tokens"
assert_eq 2 "$(field pw refreshes)" "renewals through the refresh_token grant"
assert_grep 'new token (password grant)' "$TL_DIR/pw.out"
assert_grep 'new token (refresh_token grant)' "$TL_DIR/pw.out"

# 2b. The endpoint forgot the refresh token (a restarted simulator answers
#    400 invalid_grant): the renewal falls back to the password grant.
sim_start fb1 --expires-in 3 --username "$AKID" --password "$PASSWORD"
OAUTH_CLIENT_SECRET=$SECRET OAUTH_PASSWORD=$PASSWORD ${OAUTH_PROBE_WRAP:-} "$PROBE" \
    --client-id "$CID" --url "$SIM_URL" --grant password --username "$AKID" \
    --margin 1 --tokens 2 --duration 10000 >"$TL_DIR/fb.out" 2>&1 &
probe_pid=$!
TL_WAIT=10 tl_wait grep -q '^token 1 ' "$TL_DIR/fb.out" || fail "fallback: no first token"
kill "$SIM_PID"
wait "$SIM_PID" || true
port=${SIM_URL#http://127.0.0.1:}
SIM_PORT=${port%%/*} sim_start fb2 --expires-in 3 --username "$AKID" --password "$PASSWORD"
wait "$probe_pid" || fail "fallback: probe exited $?: $(tail -n 20 "$TL_DIR/fb.out")"
assert_grep 'refresh token refused (HTTP 400 invalid_grant); asking with the password grant' "$TL_DIR/fb.out"
assert_eq 2 "$(field fb tokens)" "tokens across the restart"
assert_eq 0 "$(field fb refreshes)" "refreshes across the restart"

# 3. The resource refused the token: a new one at once.
sim_start inv --expires-in 60
OAUTH_CLIENT_SECRET=$SECRET probe inv --url "$SIM_URL" --invalidate-at 1 --tokens 2 --duration 5000
assert_grep '^after-invalidate token=no' "$TL_DIR/inv.out"
between "$(token_ms inv 2)" 0 1500 "token after an invalidation (ms)"
assert_eq 1 "$(field inv invalidations)" "invalidations"

# 4. 429 for the first two requests, Retry-After: 1: the token comes after
#    about 2 s although the backoff would have retried within 100 ms.
sim_start rl --rate-limit-first 2 --retry-after 1
OAUTH_CLIENT_SECRET=$SECRET probe rl --url "$SIM_URL" --backoff-base 50 \
    --backoff-cap 100 --tokens 1 --duration 8000
between "$(token_ms rl 1)" 1900 3500 "first token after two 429s (ms)"
assert_eq 3 "$(field rl requests)" "requests with two 429s"
assert_grep 'rate limiting (HTTP 429.*honouring Retry-After); retrying in 1.0 s' "$TL_DIR/rl.out"

# 5. A wrong client secret: a clear error, retried with backoff, no token.
sim_start bad
OAUTH_CLIENT_SECRET=$WRONG probe bad --url "$SIM_URL" --backoff-base 200 \
    --backoff-cap 800 --duration 3000
assert_eq 0 "$(field bad tokens)" "tokens with a wrong secret"
assert_grep '^last_error: token endpoint refused the client credentials (HTTP 401 invalid_client)$' "$TL_DIR/bad.out"
grep -Eq '"state":"(backoff|fetching)"' "$TL_DIR/bad.out" || fail "wrong-secret state"
between "$(field bad requests)" 3 15 "requests in 3 s with backoff 200..800 ms"

# 6. Nothing listens: connection refused, backing off.
port=$(tl_free_port)
OAUTH_CLIENT_SECRET=$SECRET probe refused --url "http://127.0.0.1:$port/oauth/token" \
    --backoff-base 100 --backoff-cap 400 --duration 2000
assert_eq 0 "$(field refused tokens)" "tokens without a server"
assert_grep '^last_error: token request failed: Failed to connect' "$TL_DIR/refused.out"
between "$(field refused requests)" 3 20 "requests in 2 s with backoff 100..400 ms"

# 7. TLS is verified: a self-signed endpoint is refused unless its
#    certificate is the configured CA file.  openssl s_server plays the
#    endpoint: it prints the request it got and sends a canned answer, so
#    the form encoding and the headers are checked here too.
# tls_server NAME: one TLS connection on a fresh port; sets TLS_URL.  The
# answer goes out once the request body is in the log.
tls_server() {
	local port log=$TL_DIR/$1.log
	port=$(tl_free_port)
	for _ in $(seq 1 100); do
		grep -q -e 'grant_type=' -e ':error:' "$log" 2>/dev/null && break
		sleep 0.1
	done </dev/null | cat - "$TL_DIR/tls.answer" |
	    openssl s_server -accept "$port" -cert "$TL_DIR/tls.crt" \
	    -key "$TL_DIR/tls.key" -naccept 1 >"$log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	TL_WAIT=10 tl_wait grep -q ACCEPT "$TL_DIR/$1.log" || fail "s_server did not start"
	TLS_URL=https://127.0.0.1:$port/oauth/token
}
if command -v openssl >/dev/null 2>&1 &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TL_DIR/tls.key" \
    -out "$TL_DIR/tls.crt" >/dev/null 2>&1; then
	body='{"access_token":"tls-token","token_type":"Bearer","expires_in":60}'
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	    "${#body}" "$body" >"$TL_DIR/tls.answer"
	tls_server s_server1
	OAUTH_CLIENT_SECRET=$SECRET probe tls --url "$TLS_URL" --backoff-base 5000 --duration 1500
	# The refusal names the certificate.  (Full jitter may retry before
	# the probe ends, against a server that took its one connection.)
	assert_grep 'token request failed: .*[Cc]ertificate' "$TL_DIR/tls.out"
	if grep -q '^token 1 ' "$TL_DIR/tls.out"; then
		fail "a token came from a server whose certificate is not trusted"
	fi
	tls_server s_server2
	OAUTH_CLIENT_SECRET='x y&z=+é' probe tlsca --url "$TLS_URL" --ca-file "$TL_DIR/tls.crt" \
	    --scope 'a b' --tenant t-1 --tokens 1 --duration 5000
	assert_grep '^token 1 .*expires_in=5[0-9] \|^token 1 .*expires_in=60 ' "$TL_DIR/tlsca.out"
	assert_grep '^POST /oauth/token HTTP/1.1' "$TL_DIR/s_server2.log"
	assert_grep '^Accept: application/json' "$TL_DIR/s_server2.log"
	assert_grep '^Content-Type: application/x-www-form-urlencoded' "$TL_DIR/s_server2.log"
	assert_grep "grant_type=client_credentials&client_id=$CID&client_secret=x%20y%26z%3D%2B%C3%A9&scope=a%20b&tenant=t-1" \
	    "$TL_DIR/s_server2.log"
else
	tl_log "openssl cannot make a certificate: TLS check skipped"
fi

# 8. No secret in anything the probe printed or logged, and no request body.
for f in "$TL_DIR"/*.out; do
	if grep -F -e "$SECRET" -e "$PASSWORD" -e "$WRONG" -e "client_secret=" "$f"; then
		fail "a secret appears in $f"
	fi
done
tl_log "ok"
