#!/usr/bin/env bash
# The HTTP endpoint's refusals: 401, 404, 405, 413, 400 naming the line (and
# nothing of that body accepted), 503 with Retry-After while the spool is full.
set -eu
. "$(dirname "$0")/lib.sh"
# Stopping the shared server would disturb the other tests: use our own.
unset CXPIPE_TEST_PGDIR
tl_setup
tl_pg_start
TL_MAX_BODY=64K TL_CXPIPE_EXTRA="spool_max_bytes = 1M
spool_segment_bytes = 64K" tl_write_config
tl_start_daemon
url=http://127.0.0.1:$TL_PORT/v1/events
ev='{"interactionId":"i-%d","timestamp":"2026-01-01T00:00:00Z","type":"chat","idempotencyKey":"k-%d"}\n'

req() {	# req TOKEN BODYFILE [PATH] -> status code; body in $TL_DIR/resp
	curl -s -D "$TL_DIR/headers" -o "$TL_DIR/resp" -w '%{http_code}' \
	    -H "Authorization: Bearer $1" --data-binary "@$2" "${3:-$url}"
}
printf "$ev" 1 1 >"$TL_DIR/one.json"

assert_eq 401 "$(req wrong "$TL_DIR/one.json")" "wrong token"
assert_grep "WWW-Authenticate: Bearer" "$TL_DIR/headers"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TL_DIR/one.json" "$url")" "no token"
assert_eq 404 "$(req "$TL_TOKEN" "$TL_DIR/one.json" "http://127.0.0.1:$TL_PORT/v2/x")" "unknown path"
assert_eq 404 "$(req "$TL_TOKEN" "$TL_DIR/one.json" "$url/nosuchfamily")" "unknown family"
assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TL_TOKEN" "$url")" "GET"
assert_eq 202 "$(req "$TL_TOKEN" "$TL_DIR/one.json")" "one event"
assert_grep '"accepted":1' "$TL_DIR/resp"
assert_eq 202 "$(req "$TL_TOKEN" "$TL_DIR/one.json" "$url/interaction")" "family in the path"

# 413 over max_body (64K).
for i in $(seq 1 800); do printf "$ev" "$i" "$i"; done >"$TL_DIR/big.ndjson"
assert_eq 413 "$(req "$TL_TOKEN" "$TL_DIR/big.ndjson")" "body over max_body"

# 400 names the first line that is not JSON; nothing of the body is taken.
before=$(tl_stat ingest accepted)
{ printf "$ev" 100 100; printf "$ev" 101 101; echo '{"interactionId": oops}'; printf "$ev" 102 102; } >"$TL_DIR/bad.ndjson"
assert_eq 400 "$(req "$TL_TOKEN" "$TL_DIR/bad.ndjson")" "a line that is not JSON"
assert_grep '"line":3' "$TL_DIR/resp"
assert_grep '"accepted":0' "$TL_DIR/resp"
assert_eq "$before" "$(tl_stat ingest accepted)" "events accepted from a refused body"

# Events that are JSON but fail the schema are accepted (and dead-lettered).
printf '{"interactionId":""}\n[1,2]\n' >"$TL_DIR/invalid.ndjson"
assert_eq 202 "$(req "$TL_TOKEN" "$TL_DIR/invalid.ndjson")" "JSON that fails the schema"
assert_grep '"accepted":2' "$TL_DIR/resp"
tl_wait_committed 30
assert_eq 2 "$(tl_psql -c 'SELECT count(*) FROM cxpipe_dead_letters')" "dead letters"

# 503 + Retry-After while the spool is full: PostgreSQL down, spool 1M.
tl_pg_stop
for i in $(seq 1 200); do printf "$ev" "$((i + 1000))" "$((i + 1000))"; done >"$TL_DIR/chunk.ndjson"
code=202
for n in $(seq 1 400); do
	code=$(req "$TL_TOKEN" "$TL_DIR/chunk.ndjson")
	[ "$code" = 202 ] || break
done
assert_eq 503 "$code" "POST while the spool is full"
assert_grep "Retry-After: " "$TL_DIR/headers"
assert_grep "spool full" "$TL_DIR/resp"
accepted=$(tl_stat ingest accepted)
tl_pg_restart
tl_wait_committed 120
deliveries=$(tl_psql -c 'SELECT sum(revision) FROM cxone_events')
dead=$(tl_psql -c 'SELECT count(*) FROM cxpipe_dead_letters')
# Everything accepted was committed: each delivery counted once, nothing lost.
assert_eq "$accepted" "$((deliveries + dead))" "deliveries + dead letters after the outage"
assert_eq 202 "$(req "$TL_TOKEN" "$TL_DIR/chunk.ndjson")" "accepting again once drained"
tl_stop_daemon || fail "daemon exit status"
exit 0
