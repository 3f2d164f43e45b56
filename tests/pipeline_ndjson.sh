#!/usr/bin/env bash
# The same events plus lines that are not JSON, replayed as an NDJSON source:
# tables equal the manifest, every non-JSON line is a dead letter; a restart
# of the daemon afterwards re-reads nothing.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=100000
[ "${CXPIPE_QUICK:-0}" = 1 ] && count=20000

"$CXSIM" generate --family interaction --count "$count" --dup-rate 0.05 \
    --invalid-rate 0.02 --garbage-rate 0.01 --seed 7 \
    --manifest "$TL_DIR/manifest.json" --output "$TL_DIR/events.ndjson" || fail "generate"
tl_write_config <<EOF2
[source replay]
type = ndjson
path = $TL_DIR/events.ndjson
EOF2
tl_start_daemon
tl_wait_committed 300
TL_WAIT=300 tl_wait sh -c "$CXPIPECTL -s $TL_SOCK stats --json | tr -d ' \n' | grep -q '\"done\":true'" ||
    fail "replay did not finish"
tl_wait_committed 300
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "tables differ from the manifest"
notjson=$(tl_psql -c "SELECT count(*) FROM cxpipe_dead_letters WHERE reason LIKE 'not JSON:%'")
garbage=$(grep -o '"garbage": *[0-9]*' "$TL_DIR/manifest.json" | grep -o '[0-9]*$')
assert_eq "$garbage" "$notjson" "non-JSON lines as dead letters"
src=$(tl_psql -c "SELECT count(*) FROM cxone_events WHERE source <> 'replay'")
assert_eq 0 "$src" "rows whose source is not the replay source"
tl_stop_daemon || fail "daemon exit status"

# A restart resumes at the end of the file: nothing is read twice.
tl_start_daemon
sleep 1
tl_wait_committed 60
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "a restart re-read the file"
tl_stop_daemon || fail "daemon exit status"
exit 0
