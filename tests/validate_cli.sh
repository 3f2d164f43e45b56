#!/usr/bin/env bash
# cxpipe-validate: good and bad NDJSON against the interaction schema, its
# exit statuses (0 valid, 1 invalid, 2 usage or bad schema), error text with
# schema locations, --all-errors, --schema-dir and --remote.  No PostgreSQL.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup

VAL=$top_builddir/cxpipe-validate
SCHEMA=$top_srcdir/etc/schemas/interaction.json
[ -x "$VAL" ] || fail "$VAL is not built"

# --- command line ---
assert_status 0 "$VAL" --version
assert_grep "^cxpipe-validate 0\\." "$TL_DIR/out"
assert_status 0 "$VAL" --help
assert_grep "usage: cxpipe-validate" "$TL_DIR/out"
assert_status 2 "$VAL"
assert_grep "usage: cxpipe-validate" "$TL_DIR/out"
assert_status 2 "$VAL" --bogus "$SCHEMA"
assert_grep "usage" "$TL_DIR/out"
assert_status 2 "$VAL" --remote nodir "$SCHEMA"
assert_grep "URI_PREFIX=DIR" "$TL_DIR/out"
assert_status 2 "$VAL" --schema-dir "$TL_DIR/none" "$SCHEMA"
assert_status 2 "$VAL" "$TL_DIR/none.json"

# --- good events: exit 0, one "ok" a line, blank lines skipped ---
good='{"interactionId":"c-1","timestamp":"2024-05-01T12:00:00Z","type":"call","idempotencyKey":"k-1"}'
printf '%s\n\n%s\n' "$good" "$good" >"$TL_DIR/good.ndjson"
assert_status 0 "$VAL" "$SCHEMA" "$TL_DIR/good.ndjson"
assert_grep "^$TL_DIR/good.ndjson:1: ok\$" "$TL_DIR/out"
assert_grep "^$TL_DIR/good.ndjson:3: ok\$" "$TL_DIR/out"
assert_eq 2 "$(wc -l <"$TL_DIR/out")" "lines printed for good.ndjson"
"$VAL" "$SCHEMA" <"$TL_DIR/good.ndjson" >"$TL_DIR/stdin.out" ||
	fail "stdin: exit $?"
assert_grep "^-:1: ok\$" "$TL_DIR/stdin.out"

# --- bad events: exit 1, the first error of each line with its location ---
cat >"$TL_DIR/bad.ndjson" <<'NDJSON'
{"interactionId":"c-1","timestamp":"2024-05-01T12:00:00Z","type":"call","idempotencyKey":"k-1","attributes":{"duration":"long"}}
{"interactionId":"","timestamp":"yesterday","type":"fax","idempotencyKey":"k 1","extra":1}
not json
NDJSON
assert_status 1 "$VAL" "$SCHEMA" "$TL_DIR/good.ndjson" "$TL_DIR/bad.ndjson"
assert_grep "^$TL_DIR/good.ndjson:1: ok\$" "$TL_DIR/out"
assert_grep "^$TL_DIR/bad.ndjson:1: /attributes/duration: type: expected number or null, got string (schema /properties/attributes/properties/duration/type)\$" "$TL_DIR/out"
assert_grep "^$TL_DIR/bad.ndjson:3: not JSON: " "$TL_DIR/out"
assert_eq 1 "$(grep -c "bad.ndjson:2:" "$TL_DIR/out")" "errors of line 2 without --all-errors"

# --- --all-errors: every error of line 2, each on its own prefixed line ---
assert_status 1 "$VAL" --all-errors "$SCHEMA" "$TL_DIR/bad.ndjson"
for want in \
	'/interactionId: minLength: string is too short' \
	'/timestamp: format: not a valid date-time (schema /properties/timestamp/format)' \
	'/type: enum: expected one of' \
	'/idempotencyKey: pattern: string does not match' \
	'/extra: additionalProperties: property not allowed (schema /additionalProperties)'; do
	assert_grep "^$TL_DIR/bad.ndjson:2: $want" "$TL_DIR/out"
done
assert_eq 5 "$(grep -c "bad.ndjson:2:" "$TL_DIR/out")" "errors of line 2 with --all-errors"

# --- a schema that does not compile: exit 2 and the pointer of the bad part ---
echo '{"properties": {"n": {"type": "integer", "minimum": "zero"}}}' >"$TL_DIR/broken.json"
assert_status 2 "$VAL" "$TL_DIR/broken.json" "$TL_DIR/good.ndjson"
assert_grep "broken.json: /properties/n/minimum: expected a number" "$TL_DIR/out"
echo '{"$ref": "http://schemas.test/v1/missing.json"}' >"$TL_DIR/dangling.json"
assert_status 2 "$VAL" "$TL_DIR/dangling.json"
assert_grep '/$ref: cannot resolve "http://schemas.test/v1/missing.json"' "$TL_DIR/out"

# --- referenced documents: --schema-dir by $id, --remote by URI prefix ---
mkdir -p "$TL_DIR/defs/v1" "$TL_DIR/remote/v1"
echo '{"$id": "urn:cx:test:defs", "$defs": {"key": {"type": "string", "maxLength": 3}}}' \
	>"$TL_DIR/defs/defs.json"
echo '{"type": "integer", "minimum": 1}' >"$TL_DIR/remote/v1/count.json"
cat >"$TL_DIR/main.json" <<'JSON'
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "key": { "$ref": "urn:cx:test:defs#/$defs/key" },
    "count": { "$ref": "http://schemas.test/v1/count.json" }
  }
}
JSON
printf '%s\n' '{"key":"abc","count":2}' '{"key":"abcd","count":0}' >"$TL_DIR/refs.ndjson"
assert_status 2 "$VAL" "$TL_DIR/main.json" "$TL_DIR/refs.ndjson"
assert_grep "cannot resolve" "$TL_DIR/out"
assert_status 1 "$VAL" --all-errors --schema-dir "$TL_DIR/defs" \
	--remote "http://schemas.test/=$TL_DIR/remote" "$TL_DIR/main.json" "$TL_DIR/refs.ndjson"
assert_grep "refs.ndjson:1: ok\$" "$TL_DIR/out"
assert_grep "refs.ndjson:2: /key: maxLength: string is too long (length 4, maximum 3) (schema urn:cx:test:defs#/\$defs/key/maxLength)" "$TL_DIR/out"
assert_grep "refs.ndjson:2: /count: minimum: must be >= 1, got 0 (schema http://schemas.test/v1/count.json#/minimum)" "$TL_DIR/out"

# A schema without "$id" names a neighbour of --schema-dir by relative path.
echo '{"properties": {"key": {"$ref": "../defs.json#/$defs/key"}}}' >"$TL_DIR/defs/v1/rel.json"
assert_status 1 "$VAL" --schema-dir "$TL_DIR/defs" "$TL_DIR/defs/v1/rel.json" "$TL_DIR/refs.ndjson"
assert_grep "refs.ndjson:1: ok\$" "$TL_DIR/out"
assert_grep "refs.ndjson:2: /key: maxLength: string is too long" "$TL_DIR/out"

tl_log "ok"
