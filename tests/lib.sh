# Shared helpers for the end-to-end tests: a private directory, PostgreSQL,
# config, daemon, and assertions.  Each test sources this file, calls
# tl_setup, and is cleaned up by the EXIT trap whatever happens.
# shellcheck shell=bash

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CXPIPED=$top_builddir/cxpiped
CXPIPECTL=$top_builddir/cxpipectl
CXSIM=$top_builddir/cxpipe-sim
PGSH=$top_srcdir/scripts/pg.sh

TL_NAME=$(basename "$0" .sh)
TL_PGDIR=
TL_OWN_PG=0
TL_DAEMON_PID=
TL_FAILED=0
TL_BG_PIDS=	# helpers (simulators) stopped by tl_cleanup

tl_log() { printf '%s: %s\n' "$TL_NAME" "$*" >&2; }

# Ends the test as failed, with the daemon's log tail for context.
fail() {
	tl_log "FAIL: $*"
	if [ -n "${TL_DIR:-}" ] && [ -f "$TL_DIR/cxpiped.log" ]; then
		echo "--- last lines of cxpiped.log ---" >&2
		tail -n 40 "$TL_DIR/cxpiped.log" >&2
	fi
	exit 1
}

tl_cleanup() {
	local rc=$? pid
	for pid in ${TL_BG_PIDS:-}; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	if [ -n "$TL_DAEMON_PID" ] && kill -0 "$TL_DAEMON_PID" 2>/dev/null; then
		kill -TERM "$TL_DAEMON_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$TL_DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TL_DAEMON_PID" 2>/dev/null
	fi
	if [ "$TL_OWN_PG" = 1 ] && [ -n "$TL_PGDIR" ]; then
		"$PGSH" kill "$TL_PGDIR" >/dev/null 2>&1 || true
	elif [ -n "${TL_DB:-}" ] && [ -n "${CXPIPE_TEST_PGDIR:-}" ]; then
		tl_psql_admin -c "DROP DATABASE IF EXISTS $TL_DB" >/dev/null 2>&1 || true
	fi
	tl_release_ports
	if [ "$rc" -eq 0 ] && [ -n "${TL_DIR:-}" ] && [ -z "${TL_KEEP:-}" ]; then
		rm -rf "$TL_DIR"
	elif [ -n "${TL_DIR:-}" ]; then
		tl_log "kept $TL_DIR for inspection"
	fi
	exit "$rc"
}

# Starts `cxpipe-sim serve` on a free port of its own choosing and waits
# until it listens.  tl_start_sim [-n NAME] ARGS...: NAME (default "sim") is
# its directory under $TL_DIR (port file, log sim.log, manifests in man/);
# ARGS go after the defaults (--duration ${TL_SIM_DURATION:-120}), so they
# may override them.  Sets SIM_DIR, SIM_PORT, SIM_PID and SIM_MANIFEST_DIR;
# tl_cleanup stops it.
tl_start_sim() {
	local name=sim
	if [ "${1:-}" = -n ]; then
		name=$2
		shift 2
	fi
	SIM_DIR=$TL_DIR/$name
	SIM_MANIFEST_DIR=$SIM_DIR/man
	mkdir -p "$SIM_DIR"
	rm -f "$SIM_DIR/port"
	"$CXSIM" serve --port 0 --ready-file "$SIM_DIR/port" \
	    --manifest-dir "$SIM_MANIFEST_DIR" --duration "${TL_SIM_DURATION:-120}" \
	    "$@" >"$SIM_DIR/sim.log" 2>&1 &
	SIM_PID=$!
	TL_BG_PIDS="$TL_BG_PIDS $SIM_PID"
	TL_WAIT=10 tl_wait test -s "$SIM_DIR/port" ||
	    fail "simulator $name did not start: $(tail -n 5 "$SIM_DIR/sim.log")"
	SIM_PORT=$(cat "$SIM_DIR/port")
}

# Prints a [stream NAME] block for the simulator at $SIM_PORT (the last one
# tl_start_sim started, unless set otherwise), with the simulator's client
# credentials (in $TL_DIR/client.secret) and the endpoints of TRANSPORT
# (websocket, poll or longpoll) for FAMILY.  Each further argument is a
# "key = value" line that replaces the default of that key or adds to them.
tl_stream_section() {
	local name=$1 family=$2 transport=$3 line key
	local -A extra=()
	shift 3
	for line in "$@"; do
		key=${line%%=*}
		key=${key// /}
		extra[$key]=1
	done
	[ -s "$TL_DIR/client.secret" ] ||
	    printf 'cxpipe-sim-secret\n' >"$TL_DIR/client.secret"
	printf '\n[stream %s]\n' "$name"
	{
		echo "family = $family"
		echo "transport = $transport"
		echo "token_url = http://127.0.0.1:$SIM_PORT/oauth/token"
		echo "client_id = cxpipe-sim"
		echo "client_secret_file = $TL_DIR/client.secret"
		case $transport in
		websocket)
			echo "ws_url = /ws/$family"
			echo 'subscribe = {"type":"subscribe"}'
			;;
		poll)
			echo "poll_url = /poll/$family"
			;;
		longpoll)
			echo "longpoll_session_url = /longpoll/sessions?family=$family"
			echo 'longpoll_next_url = /longpoll/sessions/${session_id}/next'
			;;
		esac
	} | while IFS= read -r line; do
		key=${line%%=*}
		key=${key// /}
		[ -n "${extra[$key]:-}" ] || printf '%s\n' "$line"
	done
	for line in "$@"; do
		printf '%s\n' "$line"
	done
}

# Waits until ROLE runs with a pid other than OLD_PID (after a kill) and every
# worker is running again.
tl_wait_restarted() {	# tl_wait_restarted ROLE OLD_PID
	local role=$1 old=$2
	_tl_restarted() {
		local pid
		pid=$(tl_worker_pid "$role") && [ -n "$pid" ] && [ "$pid" != "$old" ] &&
		    [ "$pid" != 0 ] && tl_all_running
	}
	tl_wait _tl_restarted || fail "$role did not come back after pid $old"
}

# Stops a simulator and waits for it: its manifest is final once it exited.
tl_stop_sim() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "simulator $1 did not exit"
}

tl_setup() {
	TL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cxpipe-$TL_NAME.XXXXXX")
	chmod 755 "$TL_DIR"
	trap tl_cleanup EXIT
	trap 'exit 1' INT TERM
	for b in "$CXPIPED" "$CXPIPECTL" "$CXSIM"; do
		[ -x "$b" ] || fail "$b is not built"
	done
}

# psql as the cluster owner against the maintenance database.
tl_psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 "$(cat "$TL_PGDIR/conninfo.admin")" "$@"
}

# psql against this test's database; prints unaligned tuples.
tl_psql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$TL_CONNINFO" "$@"
}

# A database of the test's own: in the PostgreSQL that scripts/check started
# (CXPIPE_TEST_PGDIR), or in a cluster the test starts itself.
tl_pg_start() {
	local admin
	if [ -n "${CXPIPE_TEST_PGDIR:-}" ]; then
		TL_PGDIR=$CXPIPE_TEST_PGDIR
		admin=$("$PGSH" conninfo "$TL_PGDIR")
	else
		TL_PGDIR=$TL_DIR/pg
		TL_OWN_PG=1
		admin=$("$PGSH" start "$TL_PGDIR") || fail "cannot start PostgreSQL"
	fi
	echo "$admin" >"$TL_PGDIR/conninfo.admin.$$"
	mv "$TL_PGDIR/conninfo.admin.$$" "$TL_PGDIR/conninfo.admin"
	TL_DB=cxtest_${TL_NAME//[^a-z0-9]/_}_$$
	tl_psql_admin -c "CREATE DATABASE $TL_DB" >/dev/null || fail "createdb"
	TL_CONNINFO=${admin%dbname=*}dbname=$TL_DB
}

tl_pg_stop() { "$PGSH" stop "$TL_PGDIR" >/dev/null; }
tl_pg_restart() { "$PGSH" start "$TL_PGDIR" >/dev/null || fail "cannot restart PostgreSQL"; }

# A free TCP port on 127.0.0.1, reserved for this test.  Ports come from
# below the kernel's ephemeral range (32768+), so no outgoing connection of
# a neighbouring test can hold one, and each is claimed with mkdir in a
# shared directory, so two tests running in parallel never pick the same.
# A claim whose owner is gone is taken over; tl_cleanup drops ours.
TL_PORT_LOCKS=${TMPDIR:-/tmp}/cxpipe-test-ports
tl_free_port() {
	local p d owner
	mkdir -p "$TL_PORT_LOCKS" 2>/dev/null && chmod 1777 "$TL_PORT_LOCKS" 2>/dev/null
	for _ in $(seq 1 200); do
		p=$((10000 + RANDOM % 22000))
		d=$TL_PORT_LOCKS/$p
		if ! mkdir "$d" 2>/dev/null; then
			owner=$(cat "$d/owner" 2>/dev/null) || continue
			[ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null || continue
		fi
		echo $$ >"$d/owner"
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			continue	# someone outside the tests listens there; keep it claimed
		fi
		echo "$p"
		return 0
	done
	fail "no free port"
}

tl_release_ports() {
	local d
	for d in "$TL_PORT_LOCKS"/*/; do
		[ "$(cat "$d/owner" 2>/dev/null)" = "$$" ] && rm -rf "$d"
	done
	return 0
}

# Writes $TL_DIR/cxpipe.conf; extra lines for any section come on stdin as
# "[section]" blocks appended at the end (later keys win in libinih order).
tl_write_config() {
	TL_PORT=${TL_PORT:-$(tl_free_port)}
	TL_TOKEN=test-token-$$-$RANDOM
	printf '%s\n' "$TL_TOKEN" >"$TL_DIR/http.token"
	chmod 600 "$TL_DIR/http.token"
	TL_CONF=$TL_DIR/cxpipe.conf
	TL_SOCK=$TL_DIR/ctl.sock
	{
		cat <<EOF2
[cxpipe]
spool_dir = $TL_DIR/spool
control_socket = $TL_SOCK
pidfile = $TL_DIR/cxpiped.pid
log = $TL_DIR/cxpiped.log
log_level = ${TL_LOG_LEVEL:-info}
schema_dir = $top_srcdir/etc/schemas
spool_sync = ${TL_SPOOL_SYNC:-interval}
stop_timeout = 20s
${TL_CXPIPE_EXTRA:-}

[postgres]
conninfo = ${TL_CONNINFO:-host=/nonexistent dbname=none}
batch_size = ${TL_BATCH_SIZE:-500}
batch_delay_ms = 20ms
reconnect_max = 2s
${TL_POSTGRES_EXTRA:-}

[http]
listen = 127.0.0.1:$TL_PORT
token_file = $TL_DIR/http.token
max_body = ${TL_MAX_BODY:-8M}
EOF2
		if [ ! -t 0 ]; then cat; fi
	} >"$TL_CONF"
}

ctl() { "$CXPIPECTL" -s "$TL_SOCK" "$@"; }

# Waits until "$@" succeeds, up to $TL_WAIT seconds (default 30).
tl_wait() {
	local deadline=$((SECONDS + ${TL_WAIT:-30}))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# Starts the daemon in the foreground (as a child of the test) and waits
# until every worker is running.
tl_start_daemon() {
	"$CXPIPED" -f -c "$TL_CONF" 2>>"$TL_DIR/cxpiped.stderr" &
	TL_DAEMON_PID=$!
	tl_wait tl_all_running || fail "daemon did not come up"
}

tl_all_running() {
	local out
	out=$(ctl status 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$out" | grep -c ' running ')" -eq 4 ]
}

# Stops the daemon with SIGTERM and waits for its exit status.
tl_stop_daemon() {
	local rc=0
	kill -TERM "$TL_DAEMON_PID" 2>/dev/null || return 0
	wait "$TL_DAEMON_PID" || rc=$?
	TL_DAEMON_PID=
	return "$rc"
}

# A worker's pid from `cxpipectl status --json`.
tl_worker_pid() {
	ctl status --json | tr -d ' \n' | grep -o "\"role\":\"$1\",\"pid\":[0-9]*" | grep -o '[0-9]*$'
}

# One counter of one worker from `cxpipectl stats --json`.
tl_stat() {
	ctl stats --json | tr -d ' \n' |
	    sed -n "s/.*\"$1\":{[^}]*\"$2\":\\([0-9]*\\).*/\\1/p"
}

# One counter of one stream (its own or its transport's) from ingest's
# `cxpipectl stats --json`: tl_stream_stat NAME KEY.
tl_stream_stat() {
	ctl stats --json | tr -d ' \n' |
	    sed -e "s/.*\"name\":\"$1\",\"messages\"/\"messages\"/" \
	    -e 's/"name":"[^"]*","messages".*//' |
	    grep -o "\"$2\":[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}

# Posts an NDJSON file in chunks of $2 lines; fails on any answer but 202.
tl_post_file() {
	local file=$1 chunk=${2:-1000} part code
	mkdir -p "$TL_DIR/chunks"
	rm -f "$TL_DIR/chunks/"*
	split -l "$chunk" -d -a 5 "$file" "$TL_DIR/chunks/chunk_"
	for part in "$TL_DIR/chunks/"chunk_*; do
		while :; do
			code=$(curl -s -o "$TL_DIR/post.out" -w '%{http_code}' \
			    -H "Authorization: Bearer $TL_TOKEN" \
			    -H 'Content-Type: application/x-ndjson' \
			    --data-binary "@$part" "http://127.0.0.1:$TL_PORT/v1/events") || code=000
			case "$code" in
			202) break ;;
			503|000) sleep 0.2 ;;
			*) fail "POST $part: HTTP $code: $(cat "$TL_DIR/post.out")" ;;
			esac
		done
	done
}

# Waits until pgsink has committed everything ingest accepted.
tl_wait_committed() {
	local t=${1:-120}
	TL_WAIT=$t tl_wait tl_is_drained || fail "pipeline did not commit everything within ${t}s"
}

tl_is_drained() {
	local recs
	recs=$(tl_stat ingest spool_records)
	[ -n "$recs" ] && [ "$recs" -eq 0 ]
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$1', got '$2'"
}

# Runs a command and checks its exit status.
assert_status() {
	local want=$1 rc=0
	shift
	"$@" >"$TL_DIR/out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want: $(head -c 600 "$TL_DIR/out")"
}

assert_grep() {
	grep -q -e "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"
}
