#!/usr/bin/env bash
# cxpiped -t on good and bad files (file:line errors, exit 0/1); a reload
# with a broken file changes nothing; a good one bumps the generation and
# takes effect (the HTTP token changes live).
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
tl_write_config

assert_status 0 "$CXPIPED" -t -c "$TL_CONF"
assert_grep "test is successful" "$TL_DIR/out"

bad=$TL_DIR/bad.conf
cp "$TL_CONF" "$bad"
printf '[postgres]\nbatch_size = many\n' >>"$bad"
line=$(wc -l <"$bad")
assert_status 1 "$CXPIPED" -t -c "$bad"
assert_grep "$bad:$line: batch_size: \"many\" is not a valid integer" "$TL_DIR/out"
assert_grep "test failed" "$TL_DIR/out"

printf '[cxpipe]\nspool_dir = /tmp/x\n[sources]\n' >"$bad"
assert_status 1 "$CXPIPED" -t -c "$bad"
assert_grep "$bad:3: unknown section \\[sources\\]" "$TL_DIR/out"

printf '[http]\nlisten = 127.0.0.1:1\ntoken_file = %s/missing.token\n' "$TL_DIR" >"$bad"
assert_status 1 "$CXPIPED" -t -c "$bad"
assert_grep "missing.token: No such file" "$TL_DIR/out"

assert_status 1 "$CXPIPED" -t -c "$TL_DIR/nonexistent.conf"
assert_grep "nonexistent.conf: No such file" "$TL_DIR/out"

# The sample config documents every key with its default and parses.
"$CXPIPED" --print-sample-config >"$TL_DIR/sample.conf"
cp "$TL_DIR/sample.conf" "$TL_DIR/sample-here.conf"
printf '[cxpipe]\nschema_dir = %s/etc/schemas\n' "$top_srcdir" >>"$TL_DIR/sample-here.conf"
assert_status 0 "$CXPIPED" -t -c "$TL_DIR/sample-here.conf"
# (schema_dir's default follows the install prefix.)
cmp -s <(grep -v '^#schema_dir' "$TL_DIR/sample.conf") \
    <(grep -v '^#schema_dir' "$top_srcdir/etc/cxpipe.conf.sample") ||
    fail "etc/cxpipe.conf.sample is out of date: regenerate with cxpiped --print-sample-config"

tl_start_daemon
post() {
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	    --data-binary '{"interactionId":"i1","timestamp":"2026-01-01T00:00:00Z","type":"call","idempotencyKey":"k1"}' \
	    "http://127.0.0.1:$TL_PORT/v1/events"
}
assert_eq 202 "$(post "$TL_TOKEN")" "POST with the first token"

# A broken file: the CLI says where, nothing changes.
cp "$TL_CONF" "$TL_DIR/good.conf"
printf '[postgres]\nbatch_size = -4\n' >>"$TL_CONF"
line=$(wc -l <"$TL_CONF")
assert_status 1 ctl reload
assert_grep "$TL_CONF:$line: batch_size: \"-4\" is not a valid integer" "$TL_DIR/out"
assert_status 0 ctl status
assert_grep "generation 1" "$TL_DIR/out"
kill -HUP "$TL_DAEMON_PID"
sleep 0.3
assert_status 0 ctl status
assert_grep "generation 1" "$TL_DIR/out"
assert_grep "reload refused, nothing changed" "$TL_DIR/cxpiped.log"
assert_eq 202 "$(post "$TL_TOKEN")" "old token after a refused reload"

# A setting only a daemon restart can change: refused, nothing changed.
sed "s|^spool_dir = .*|spool_dir = $TL_DIR/other-spool|" "$TL_DIR/good.conf" >"$TL_CONF"
assert_status 1 ctl reload
assert_grep "spool_dir changed" "$TL_DIR/out"

# A good file with a new token: generation 2, new token in force at once.
cp "$TL_DIR/good.conf" "$TL_CONF"
old_token=$TL_TOKEN
printf 'rotated-%s\n' "$RANDOM" >"$TL_DIR/http.token"
new_token=$(cat "$TL_DIR/http.token")
assert_status 0 ctl reload
assert_grep "reloaded: generation 2" "$TL_DIR/out"
assert_eq 401 "$(post "$old_token")" "old token after reload"
assert_eq 202 "$(post "$new_token")" "new token after reload"
# batch_size applies live (no restart); a new conninfo restarts pgsink only.
pgsink_pid=$(tl_worker_pid pgsink)
ingest_pid=$(tl_worker_pid ingest)
sed -i 's/^batch_size = .*/batch_size = 77/' "$TL_CONF"
assert_status 0 ctl reload
assert_eq "$pgsink_pid" "$(tl_worker_pid pgsink)" "pgsink pid after a batch_size reload"
tl_wait sh -c "$CXPIPECTL -s $TL_SOCK stats --json | tr -d ' \n' | grep -q '\"batch_size\":77'" ||
    fail "batch_size did not apply live"
sed -i "s|^conninfo = .*|conninfo = $TL_CONNINFO application_name=cxpipe_reload|" "$TL_CONF"
assert_status 0 ctl reload
tl_wait sh -c "[ \"\$($CXPIPECTL -s $TL_SOCK status --json | tr -d ' \n' | grep -o '\"role\":\"pgsink\",\"pid\":[0-9]*' | grep -o '[0-9]*\$')\" != $pgsink_pid ]" ||
    fail "pgsink was not restarted for a new conninfo"
tl_wait tl_all_running || fail "pgsink did not come back"
assert_eq "$ingest_pid" "$(tl_worker_pid ingest)" "ingest pid after a conninfo reload"
tl_wait sh -c "psql -X -A -t '$TL_CONNINFO' -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cxpipe_reload'\" | grep -q '^1'" ||
    fail "pgsink does not use the new conninfo"
# SIGHUP does the same.
kill -HUP "$TL_DAEMON_PID"
tl_wait sh -c "$CXPIPECTL -s $TL_SOCK status | grep -q 'generation 5'" ||
    fail "SIGHUP did not reload"
# The token never reaches the log.
if grep -q -e "$new_token" -e "$old_token" "$TL_DIR/cxpiped.log"; then
	fail "a token appears in the log"
fi
tl_stop_daemon || fail "daemon exit status"
exit 0
