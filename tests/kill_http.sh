#!/usr/bin/env bash
# Events posted over HTTP while validate, pgsink and alert are killed with
# SIGKILL at random moments and ingest between requests (three rounds each):
# the tables still equal the manifest exactly, revision included.
#
# ingest is killed only between requests because a client whose connection
# drops before the 202 cannot know whether its events were spooled; its
# retry is a new delivery (see README, "Delivery").
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
count=100000
[ "${CXPIPE_QUICK:-0}" = 1 ] && count=30000

"$CXSIM" generate --family interaction --count "$count" --dup-rate 0.05 \
    --invalid-rate 0.02 --seed 13 --manifest "$TL_DIR/manifest.json" \
    --output "$TL_DIR/events.ndjson" || fail "generate"
# spool_sync = always: each 202 follows an fsync of the spool.
TL_SPOOL_SYNC=always TL_BATCH_SIZE=200 tl_write_config
tl_start_daemon
split -l 500 -d -a 5 "$TL_DIR/events.ndjson" "$TL_DIR/chunk_"
chunks=("$TL_DIR"/chunk_*)
post() {
	local code
	while :; do
		code=$(curl -s -o "$TL_DIR/post.out" -w '%{http_code}' \
		    -H "Authorization: Bearer $TL_TOKEN" --data-binary "@$1" \
		    "http://127.0.0.1:$TL_PORT/v1/events") || code=000
		case "$code" in
		202) return 0 ;;
		503|000) sleep 0.1 ;;
		*) fail "POST $1: HTTP $code: $(cat "$TL_DIR/post.out")" ;;
		esac
	done
}
n=${#chunks[@]}
step=$((n / 13))
kills=0
killers=()
roles=(validate pgsink alert ingest)
for i in "${!chunks[@]}"; do
	post "${chunks[$i]}"
	if [ $((i % step)) -eq $((step / 2)) ] && [ "$kills" -lt 12 ]; then
		role=${roles[$((kills % 4))]}
		pid=$(tl_worker_pid "$role")
		if [ "$role" = ingest ]; then
			kill -KILL "$pid"
			tl_wait tl_all_running || fail "ingest did not come back"
		else
			# At a random moment while the next requests are served.
			( sleep "0.0$((RANDOM % 9 + 1))"; kill -KILL "$pid" ) &
			killers+=($!)
		fi
		kills=$((kills + 1))
	fi
done
for k in "${killers[@]}"; do wait "$k"; done
tl_log "$kills kills"
tl_wait tl_all_running || fail "not every worker is running"
tl_wait_committed 300
"$CXSIM" verify --manifest "$TL_DIR/manifest.json" --db "$TL_CONNINFO" ||
    fail "tables differ from the manifest after $kills kills"
tl_stop_daemon || fail "daemon exit status"
exit 0
