#!/usr/bin/env bash
# The LSB init script starts the daemon, reports its status, reloads it and
# stops it, with a private config.
set -eu
. "$(dirname "$0")/lib.sh"
command -v start-stop-daemon >/dev/null || { echo "no start-stop-daemon" >&2; exit 77; }
tl_setup
tl_pg_start
tl_write_config
export DAEMON=$CXPIPED CONF=$TL_CONF PIDFILE=$TL_DIR/cxpiped.pid STOP_TIMEOUT=30
init=$top_srcdir/etc/init.d/cxpiped

assert_status 3 sh "$init" status
assert_status 0 sh "$init" start
[ -s "$PIDFILE" ] || fail "no pidfile after start"
pid=$(cat "$PIDFILE")
kill -0 "$pid" || fail "daemon $pid not running"
tl_wait tl_all_running || fail "workers not running"
assert_status 0 sh "$init" status
assert_status 0 sh "$init" reload
tl_wait sh -c "$CXPIPECTL -s $TL_SOCK status | grep -q 'generation 2'" || fail "reload did not take"
# A broken config: reload refuses before signalling, the daemon keeps running.
cp "$TL_CONF" "$TL_DIR/good.conf"
echo "bogus line" >>"$TL_CONF"
assert_status 1 sh "$init" reload
assert_grep "$TL_CONF:" "$TL_DIR/out"
cp "$TL_DIR/good.conf" "$TL_CONF"
assert_status 0 sh "$init" stop
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "daemon still running after stop"
assert_status 3 sh "$init" status
exit 0
