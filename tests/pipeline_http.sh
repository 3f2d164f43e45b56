#!/usr/bin/env bash
# 100,000 interaction events (5% repeats of earlier keys with changed
# attributes, 2% invalid in every way the schema can fail) posted over HTTP:
# cxone_events must equal the manifest exactly (rows, values, revision =
# times sent) and the dead letters must equal the invalid lines.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=100000
[ "${CXPIPE_QUICK:-0}" = 1 ] && count=20000

"$CXSIM" generate --family interaction --count "$count" --dup-rate 0.05 \
    --invalid-rate 0.02 --seed 42 --manifest "$TL_DIR/manifest.json" \
    --output "$TL_DIR/events.ndjson" || fail "generate"
tl_write_config
tl_start_daemon
tl_post_file "$TL_DIR/events.ndjson" 1000
tl_wait_committed 300
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "tables differ from the manifest"
# Dead letters name the JSON pointer and the keyword.
reasons=$(tl_psql -c "SELECT count(*) FROM cxpipe_dead_letters WHERE reason ~ '^(/[^:]*|\\(root\\)): [a-zA-Z]+: '")
total=$(tl_psql -c "SELECT count(*) FROM cxpipe_dead_letters")
assert_eq "$total" "$reasons" "dead letters whose reason names pointer and keyword"
assert_eq "$count" "$(tl_stat ingest accepted)" "events accepted"
# alert saw the events: invalid ones counted apart, none unreadable.
assert_eq 0 "$(tl_stat alert malformed)" "malformed observations"
[ "$(tl_stat alert invalid)" -gt 0 ] || fail "alert counted no invalid events"
[ "$(tl_stat alert observations)" -gt 0 ] || fail "alert saw no events"
tl_stop_daemon || fail "daemon exit status"
exit 0
