#!/usr/bin/env bash
# PostgreSQL stopped for 30 s in the middle of a run and started again:
# nothing is lost, and the RSS of every cxpipe process stays under 32 MiB.
set -eu
. "$(dirname "$0")/lib.sh"
# Stopping the shared server would disturb the other tests: use our own.
unset CXPIPE_TEST_PGDIR
tl_setup
tl_pg_start
count=100000
outage=30
if [ "${CXPIPE_QUICK:-0}" = 1 ]; then count=20000; outage=5; fi

"$CXSIM" generate --family interaction --count "$count" --dup-rate 0.05 \
    --invalid-rate 0.02 --seed 21 --manifest "$TL_DIR/manifest.json" \
    --output "$TL_DIR/events.ndjson" || fail "generate"
head -n $((count / 3)) "$TL_DIR/events.ndjson" >"$TL_DIR/part1"
tail -n +$((count / 3 + 1)) "$TL_DIR/events.ndjson" >"$TL_DIR/part2"
tl_write_config
tl_start_daemon

# Peak RSS in KiB of the master and its workers.
max_rss=0
sample_rss() {
	local pid rss
	for pid in "$TL_DAEMON_PID" $(pgrep -P "$TL_DAEMON_PID"); do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
	done
	return 0
}
tl_post_file "$TL_DIR/part1" 1000
sample_rss
tl_pg_stop
start=$SECONDS
( tl_post_file "$TL_DIR/part2" 1000 ) &
poster=$!
while [ $((SECONDS - start)) -lt "$outage" ]; do
	sample_rss
	sleep 1
done
spooled=$(tl_stat ingest spool_records)
tl_log "spool held $spooled events during the outage"
[ "${spooled:-0}" -gt 0 ] || fail "nothing waited in the spool during the outage"
tl_pg_restart
wait "$poster" || fail "posting failed"
tl_wait_committed 300
sample_rss
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "events lost or doubled across the outage"
tl_log "peak RSS ${max_rss} KiB"
# AddressSanitizer's shadow memory makes RSS meaningless in such builds.
if [ -z "${CXPIPE_SANITIZERS:-}" ]; then
	[ "$max_rss" -lt $((32 * 1024)) ] || fail "a cxpipe process used ${max_rss} KiB (limit 32 MiB)"
fi
tl_stop_daemon || fail "daemon exit status"
exit 0
