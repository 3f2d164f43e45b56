#!/usr/bin/env bash
# An NDJSON replay while every worker, in turn, is killed with SIGKILL at
# random moments (three rounds): the tables still equal the manifest
# exactly, revision included.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=100000
[ "${CXPIPE_QUICK:-0}" = 1 ] && count=30000

"$CXSIM" generate --family interaction --count "$count" --dup-rate 0.05 \
    --invalid-rate 0.02 --garbage-rate 0.01 --seed 11 \
    --manifest "$TL_DIR/manifest.json" --output "$TL_DIR/events.ndjson" || fail "generate"
# Small batches and a replay paced over about fifteen seconds: every kill
# lands mid-stream.
TL_BATCH_SIZE=200 tl_write_config <<EOF2
[source replay]
type = ndjson
path = $TL_DIR/events.ndjson
rate = $((count / 15))
EOF2
tl_start_daemon
kills=0
for round in 1 2 3; do
	for role in ingest validate pgsink alert; do
		sleep "0.$((RANDOM % 4 + 1))"
		pid=$(tl_worker_pid "$role")
		[ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid for $role"
		kill -KILL "$pid"
		kills=$((kills + 1))
		tl_wait tl_all_running || fail "$role did not come back (round $round)"
	done
done
tl_log "$kills kills"
# The kills landed mid-stream: the replay was still going after the last.
ctl stats --json | tr -d ' \n' | grep -q '"done":false' ||
    fail "the replay had finished before the last kill"
TL_WAIT=300 tl_wait sh -c "$CXPIPECTL -s $TL_SOCK stats --json | tr -d ' \n' | grep -q '\"done\":true'" ||
    fail "replay did not finish"
tl_wait_committed 300
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "tables differ from the manifest after $kills kills"
zombies=$(ps --ppid "$TL_DAEMON_PID" -o stat= | grep -c '^Z' || true)
assert_eq 0 "$zombies" "zombie workers"
restarts=$(ctl status --json | awk -F': ' '/"restarts"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }')
[ "$restarts" -ge 12 ] || fail "expected at least 12 restarts, status says $restarts"
tl_stop_daemon || fail "daemon exit status"
exit 0
