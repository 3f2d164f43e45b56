#!/usr/bin/env bash
# A batch committed by another session is never stored twice.  A pgsink
# killed with its COMMIT in flight leaves a backend that may commit that
# batch after the restarted pgsink read the committed position (seen in
# CI: one batch's revisions counted twice).  Here the other session is
# played by psql: after 100 events, the committed position jumps by 50 as
# if a late COMMIT had stored records 101..150.  The next batch, which
# starts at 101, must be refused by cxpipe_claim() and pgsink must read the
# position again: of the next 100 events only 151..200 are stored.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start

"$CXSIM" generate --family interaction --count 200 --seed 7 \
    --output "$TL_DIR/events.ndjson" || fail "generate"
head -n 100 "$TL_DIR/events.ndjson" >"$TL_DIR/first.ndjson"
tail -n 100 "$TL_DIR/events.ndjson" >"$TL_DIR/second.ndjson"
tl_write_config
tl_start_daemon
tl_post_file "$TL_DIR/first.ndjson" 100
tl_wait_committed 60
assert_eq 100 "$(tl_psql -c "SELECT max(seq) FROM cxpipe_offsets")" "committed position"
tl_psql -c "UPDATE cxpipe_offsets SET seq = seq + 50" >/dev/null

tl_post_file "$TL_DIR/second.ndjson" 100
tl_wait_committed 60
assert_grep "CX001" "$TL_DIR/cxpiped.log"
assert_eq 150 "$(tl_psql -c "SELECT count(*) FROM cxone_events")" \
    "rows (101..150 count as stored by the other session)"
assert_eq 0 "$(tl_psql -c "SELECT count(*) FROM cxone_events WHERE seq BETWEEN 101 AND 150")" \
    "rows of records another session had committed"
assert_eq 200 "$(tl_psql -c "SELECT max(seq) FROM cxpipe_offsets")" "committed position"
tl_stop_daemon || fail "daemon exit status"
exit 0
