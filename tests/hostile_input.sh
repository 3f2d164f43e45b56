#!/usr/bin/env bash
# Hostile events through the real daemon: nesting deeper than max_depth,
# duplicate keys, NUL in strings, huge strings and arrays, timestamps out of
# range or too far in the future, numbers beyond double range and invalid
# UTF-8.  Each becomes a dead letter with its reason (or, where the HTTP
# endpoint already refuses a body that is not JSON, a 400 there and a dead
# letter through an NDJSON source); validate never dies.  An integer too
# big for jansson is valid JSON and read as a double.  Then live reloads of
# max_depth, all_errors, a schema that $refs another document of the
# schema directory, a broken schema and a broken [states] line.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start

mkdir -p "$TL_DIR/schemas"
cp "$top_srcdir"/etc/schemas/*.json "$TL_DIR/schemas/"

# Nested arrays: $1 levels around 0.
nest() { local n=$1; printf '%*s' "$n" '' | tr ' ' '['; printf 0; printf '%*s' "$n" '' | tr ' ' ']'; }
# An interaction event whose attributes get $2 (a JSON text) as member x.
event() { printf '{"interactionId":"%s","timestamp":"%s","type":"call","idempotencyKey":"%s"%s}' \
    "$1" "${3:-2026-01-01T00:00:00Z}" "$1" "${2:+,\"attributes\":{\"x\":$2\}}"; }
future=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)

# Lines the HTTP endpoint refuses (they are not JSON) reach validate from
# an NDJSON file instead.
{
	event n-overflow '1e400'; echo
	event n-bigint '123456789012345678901234567890'; echo
	printf '{"interactionId":"n-utf8-\xff\xfe","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"n-utf8"}\n'
	printf '{"interactionId":"n-rawnul-\0","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"n-rawnul"}\n'
	event n-deeper-than-jansson "$(nest 5000)"; echo
	printf '%s\n' "$(printf '%*s' 100000 '' | tr ' ' '{')"
} >"$TL_DIR/hostile.ndjson"

TL_MAX_BODY=2M
TL_CXPIPE_EXTRA="schema_dir = $TL_DIR/schemas" tl_write_config <<EOF
[source hostile]
type = ndjson
path = $TL_DIR/hostile.ndjson
EOF
tl_start_daemon
validate_pid=$(tl_worker_pid validate)

# Posts one body; prints the HTTP status.
post() {
	curl -s -o "$TL_DIR/post.out" -w '%{http_code}' -H "Authorization: Bearer $TL_TOKEN" \
	    --data-binary "@$1" "http://127.0.0.1:$TL_PORT/v1/events"
}
# Posts a body that must be accepted (one event each).
post_ok() {
	printf '%s' "$2" >"$TL_DIR/body"
	assert_eq 202 "$(post "$TL_DIR/body")" "POST of $1"
}

post_ok deep "$(event h-deep "$(nest 100)")"
post_ok deep-in-string "$(event h-deep-string "\"$(nest 100)\"")"
post_ok duplicate '{"interactionId":"h-dup","interactionId":"h-dup2","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"h-dup"}'
post_ok nul '{"interactionId":"h-nul\u0000x","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"h-nul"}'
post_ok nul-attribute '{"interactionId":"h-nul-attr","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"h-nul-attr","attributes":{"queueName":"\u0000"}}'
post_ok huge-string "$(event h-huge-string "1,\"disposition\":\"$(head -c 1000000 /dev/zero | tr '\0' x)\"")"
post_ok huge-array "[$(yes 0 | head -n 300000 | paste -sd,)]"
post_ok future "$(event h-future '' "$future")"
post_ok year-zero "$(event h-year-zero '' 0000-01-01T00:00:00Z)"
post_ok past-9999 "$(event h-past-9999 '' 9999-12-31T23:59:59-01:00)"
# Still accepted as rows: a big array where extra attributes may go, a
# timestamp with any offset and a long fraction, a small number.
post_ok big-array-row "$(event h-big-array "[$(yes 1 | head -n 100000 | paste -sd,)]")"
post_ok offset-row "$(event h-offset '' 2026-01-01T00:30:00.1234567890+05:30)"

# What the HTTP endpoint refuses, it refuses whole with a reason.
event h-overflow '1e400' >"$TL_DIR/body"
assert_eq 400 "$(post "$TL_DIR/body")" "POST of a number beyond double range"
assert_grep 'real number overflow' "$TL_DIR/post.out"
printf '{"interactionId":"h-utf8-\xff","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"h-utf8"}' >"$TL_DIR/body"
assert_eq 400 "$(post "$TL_DIR/body")" "POST of invalid UTF-8"
# The event size is bounded by ingest before validate sees it.
head -c 3000000 /dev/zero | tr '\0' ' ' >"$TL_DIR/body"
assert_eq 413 "$(post "$TL_DIR/body")" "POST above max_body"

tl_wait_committed 60
assert_eq "$validate_pid" "$(tl_worker_pid validate)" "validate pid (it never restarted)"

# The reasons, in the order sent.
reasons() { tl_psql -c "SELECT reason FROM cxpipe_dead_letters WHERE source = '$1' ORDER BY seq"; }
reasons http >"$TL_DIR/http.reasons"
reasons hostile >"$TL_DIR/ndjson.reasons"
expect_lines() {
	local file=$1 n=0 want got
	shift
	assert_eq "$#" "$(wc -l <"$file")" "dead letters in $file"
	for want in "$@"; do
		n=$((n + 1))
		got=$(sed -n "${n}p" "$file")
		printf '%s\n' "$got" | grep -qE -e "$want" ||
		    fail "$file line $n: '$got' does not match '$want'"
	done
}
expect_lines "$TL_DIR/http.reasons" \
    '^\(root\): max_depth: arrays and objects nest deeper than 64 levels \(at byte [0-9]+\)$' \
    '^not JSON: duplicate object key' \
    '^/interactionId: a NUL character \(\\u0000\) cannot be stored in PostgreSQL text$' \
    '^/attributes/queueName: a NUL character' \
    '^/attributes/disposition: maxLength: ' \
    '^\(root\): type: ' \
    "^/timestamp: ${future%Z}\\.000000Z is 3[56][0-9]{2}(\\.[0-9]+)? s in the future \\(max_clock_skew 300 s\\)$" \
    '^/timestamp: "0000-01-01T00:00:00Z" is out of range: in UTC it lies before 0001-01-01T00:00:00Z$' \
    '^/timestamp: "9999-12-31T23:59:59-01:00" is out of range: in UTC it lies after 9999-12-31T23:59:59.999999Z$'
expect_lines "$TL_DIR/ndjson.reasons" \
    '^not JSON: real number overflow' \
    '^not JSON: (unable to decode byte|.*UTF-8)' \
    '^not JSON: control character 0x0' \
    '^\(root\): max_depth: arrays and objects nest deeper than 64 levels' \
    '^\(root\): max_depth: arrays and objects nest deeper than 64 levels \(at byte 65\)$'
assert_eq 3 "$(tl_psql -c "SELECT count(*) FROM cxone_events WHERE interaction_id IN ('h-big-array', 'h-offset', 'n-bigint')")" \
    "rows of the events that are big or odd but valid"
[ "$(tl_stat validate too_deep)" -eq 3 ] || fail "validate too_deep: $(tl_stat validate too_deep)"
[ "$(tl_stat validate bad_time)" -eq 3 ] || fail "validate bad_time: $(tl_stat validate bad_time)"

# max_depth is live: 100 levels pass once it is 128.
printf '[validate]\nmax_depth = 128\n' >>"$TL_CONF"
assert_status 0 ctl reload
post_ok deep-after-reload "$(event h-deep-ok "$(nest 100)")"
tl_wait_committed 60
assert_eq 1 "$(tl_psql -c "SELECT count(*) FROM cxone_events WHERE interaction_id = 'h-deep-ok'")" \
    "a 100-deep event with max_depth 128"

# all_errors = yes: every schema error of an event in its reason.
printf 'all_errors = yes\n' >>"$TL_CONF"
assert_status 0 ctl reload
post_ok all-errors '{"interactionId":1,"timestamp":"2026-01-01T00:00:00Z","type":"fax","idempotencyKey":"h-all"}'
tl_wait_committed 60
reason=$(tl_psql -c "SELECT reason FROM cxpipe_dead_letters WHERE payload LIKE '%h-all%'")
printf '%s\n' "$reason" | grep -q '^/interactionId: type: .*; /type: enum: ' ||
    fail "all_errors reason: $reason"

# A $ref to another document of the schema directory, by its $id.
printf '{"$id":"https://schemas.test/queue.json","type":["string","null"],"maxLength":5}\n' \
    >"$TL_DIR/schemas/queue.json"
sed -i 's|"queueName": { "$ref": "#/$defs/optionalText" }|"queueName": { "$ref": "https://schemas.test/queue.json" }|' \
    "$TL_DIR/schemas/interaction.json"
assert_grep 'schemas.test/queue.json' "$TL_DIR/schemas/interaction.json"
assert_status 0 ctl reload
post_ok ref-long '{"interactionId":"h-ref","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"h-ref","attributes":{"queueName":"too long"}}'
tl_wait_committed 60
reason=$(tl_psql -c "SELECT reason FROM cxpipe_dead_letters WHERE payload LIKE '%h-ref%'")
printf '%s\n' "$reason" | grep -q '^/attributes/queueName: maxLength: .*schemas.test/queue.json' ||
    fail "reason through a \$ref to another file: $reason"

# A schema that does not compile: the reload names file and pointer, and
# nothing changes.
cp "$TL_DIR/schemas/data_action.json" "$TL_DIR/data_action.good"
sed -i 's/"minLength": 1,/"minLength": -1,/' "$TL_DIR/schemas/data_action.json"
assert_status 1 ctl reload
assert_grep "data_action.json: /properties/data/properties/actionId/minLength" "$TL_DIR/out"
assert_status 0 ctl status
assert_grep "generation 4" "$TL_DIR/out"
cp "$TL_DIR/data_action.good" "$TL_DIR/schemas/data_action.json"

# A bad [states] line: file:line, nothing changes.
printf '[states]\nAvailable = Busy Away\n' >>"$TL_CONF"
line=$(wc -l <"$TL_CONF")
assert_status 1 ctl reload
assert_grep "$TL_CONF:$line: \\[states\\] Available: \"Busy Away\" is not a state name" "$TL_DIR/out"
sed -i '$d' "$TL_CONF"
printf 'Available = Busy, Away\n' >>"$TL_CONF"
assert_status 0 ctl reload
assert_grep "generation 5" "$TL_DIR/out"
assert_eq "$validate_pid" "$(tl_worker_pid validate)" "validate pid after the reloads"

tl_stop_daemon || fail "daemon exit status"
exit 0
