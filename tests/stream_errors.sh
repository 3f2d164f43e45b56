#!/usr/bin/env bash
# Streams that go wrong next to one that works, all against cxpipe-sim serve:
# a wrong client secret (backing off, the 401 in status), a rejected
# subscription (failed, with the server's reason in status and log), TLS from a throwaway CA (with
# ca_file it connects; without, a clear certificate error); the good
# streams (one with the token in the query string) deliver everything.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=3000

start_sim() {	# start_sim NAME ARGS...
	local name=$1
	shift
	tl_start_sim -n "$name" --family interaction --count "$count" --rate 3000 "$@"
}

# A throwaway CA and a server certificate for 127.0.0.1 signed by it.
ca=$TL_DIR/ca
mkdir -p "$ca"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=cxpipe-test-ca \
    -keyout "$ca/ca.key" -out "$ca/ca.pem" >/dev/null 2>&1 || fail "openssl CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$ca/srv.key" \
    -out "$ca/srv.csr" >/dev/null 2>&1 || fail "openssl CSR"
printf 'subjectAltName=IP:127.0.0.1\n' >"$ca/ext"
openssl x509 -req -in "$ca/srv.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
    -CAcreateserial -days 1 -extfile "$ca/ext" -out "$ca/srv.pem" >/dev/null 2>&1 ||
    fail "openssl sign"

start_sim a --seed 1
start_sim b --seed 2 --reject-subscribe
start_sim c --seed 3 --tls-cert "$ca/srv.pem" --tls-key "$ca/srv.key"
pa=$(cat "$TL_DIR/a/port") pb=$(cat "$TL_DIR/b/port") pc=$(cat "$TL_DIR/c/port")
printf 'not-the-secret\n' >"$TL_DIR/bad.secret"
stream() {	# stream NAME PORT SCHEME [LINE]...
	local name=$1 port=$2 scheme=$3
	shift 3
	SIM_PORT=$port tl_stream_section "$name" interaction websocket \
	    "token_url = $scheme://127.0.0.1:$port/oauth/token" \
	    "backoff_base = 200ms" "backoff_cap = 2s" "$@"
}
{
	stream good "$pa" http "token_in = query"
	stream badsecret "$pa" http "client_secret_file = $TL_DIR/bad.secret"
	stream rejected "$pb" http
	stream tls "$pc" https "ca_file = $ca/ca.pem"
	stream notls "$pc" https
} >"$TL_DIR/streams.conf"
tl_write_config <"$TL_DIR/streams.conf"
tl_start_daemon

per_source() { tl_psql -c "SELECT (SELECT coalesce(sum(revision), 0) FROM cxone_events WHERE source = '$1') + (SELECT count(*) FROM cxpipe_dead_letters WHERE source = '$1')"; }
done_good() { [ "$(per_source good)" -ge "$count" ] && [ "$(per_source tls)" -ge "$count" ]; }
TL_WAIT=60 tl_wait done_good ||
    fail "good streams incomplete: good $(per_source good), tls $(per_source tls) of $count"
tl_wait_committed 30
assert_eq "$count" "$(per_source good)" "events of the stream with the token in the query"
assert_eq "$count" "$(per_source tls)" "events of the TLS stream"
assert_eq 0 "$(per_source badsecret)" "events of the stream with a wrong secret"
assert_eq 0 "$(per_source rejected)" "events of the rejected stream"
assert_eq 0 "$(per_source notls)" "events of the stream that does not trust the CA"

ctl status >"$TL_DIR/status.out"
cat "$TL_DIR/status.out" >&2
grep -E '^good +subscribed' "$TL_DIR/status.out" >/dev/null || fail "good is not subscribed"
grep -E '^tls +subscribed' "$TL_DIR/status.out" >/dev/null || fail "tls is not subscribed"
grep -E '^badsecret +backing-off' "$TL_DIR/status.out" | grep -q '401' ||
    fail "status does not show badsecret backing off with the 401"
grep -E '^rejected +failed' "$TL_DIR/status.out" |
    grep -q 'subscribe rejected: subscriptions are refused (--reject-subscribe)' ||
    fail "the rejected stream is not shown as failed with the server's reason"
grep -q 'stream rejected: subscribe rejected: subscriptions are refused (--reject-subscribe).*; not retried' \
    "$TL_DIR/cxpiped.log" || fail "the log does not give the reason of the reject"
grep -E '^notls ' "$TL_DIR/status.out" | grep -qi 'certificate' ||
    fail "status does not say why notls cannot connect"
if grep -q -e "cxpipe-sim-secret" -e "not-the-secret" "$TL_DIR/cxpiped.log"; then
	fail "a secret reached the log"
fi
tl_stop_daemon || fail "daemon exit status"
exit 0
