#!/usr/bin/env bash
# The alert worker end to end, driven by tests/alert_driver (master and
# validate for one alert worker) with a webhook receiver on loopback that
# refuses (500) its first seconds:
#  - handle times over warning, then critical, then back: the webhook gets
#    exactly firing(warning), firing(critical), resolved, after retries;
#  - rejected transitions over a threshold raise their alert;
#  - a silence holds a notification back, survives SIGKILL of the worker,
#    and once it ends the notification is delivered;
#  - many agents past max_keys: evictions counted, RSS flat;
#  - cxpipectl's alerts and silences answers.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
T=$(mktemp -d /tmp/cxpipe-alert.XXXXXX)
RX_PID=
cleanup() {
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null
	[ -n "${drv_pid:-}" ] && kill "$drv_pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "alert_rules: FAIL: $*" >&2
	echo "--- alert worker log ---" >&2
	tail -n 40 "$T/alert.log" >&2
	echo "--- webhook ---" >&2
	cat "$T/hook" "$T/hook.refused" >&2 2>/dev/null || true
	exit 1
}

# Waits up to $1 seconds for the command in the remaining arguments.
wait_for() {
	local n=$(( $1 * 10 )); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

mkdir -p "$T/spool"
"$top_builddir/tests/webhook_receiver" "$T/port" "$T/hook" 3 &
RX_PID=$!
wait_for 10 test -s "$T/port" || fail "receiver did not start"
: >"$T/hook"
cat >"$T/conf" <<CONF
[cxpipe]
log = stderr
log_level = info
spool_dir = $T/spool
[alert]
max_keys = 200
eval_interval = 200ms
group_wait = 0s
group_interval = 1s
[rule ht]
metric = handle_time_avg
scope = queue
warning = 100
critical = 200
window = 2s
for = 1s
repeat_interval = 1h
labels = team=support, tier=1
[rule rej]
metric = rejected_transitions
warning = 3
window = 10s
[webhook rx]
url = http://127.0.0.1:$(cat "$T/port")/hook
retries = 10
retry_backoff = 200ms
timeout = 2s
CONF

# Under ASan freed keys would sit in its quarantine and RSS would measure it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
coproc DRV { exec "$top_builddir/tests/alert_driver" "$top_builddir/cxpiped" "$T/conf" 2>"$T/alert.log"; }
# A copy: bash unsets DRV_PID as soon as the coprocess is reaped.
drv_pid=$DRV_PID
# Plain fds: a coprocess's own are closed in subshells (pipelines).
exec 7>&"${DRV[1]}" 8<&"${DRV[0]}"
say() { printf '%s\n' "$*" >&7; }
# Answer of the next cmd/stats/rss line.
ask() { say "$@"; local line; read -r -t 15 line <&8 || fail "no answer to $*"; printf '%s\n' "$line"; }
# $1 obs per 100 ms for $2 tenths of a second on queue $3, handle $4.
feed() {
	local i
	for i in $(seq 1 "$2"); do
		say "obs interaction completed $3 1 $4 - - agent1 - - 1000 -"
		say "sleep 100"
	done
}
count() { grep -c "$1" "$T/hook" 2>/dev/null || true; }

# Warning, then critical, then back under warning.  Each phase outlasts
# the receiver's refusals and the retries (the feed is queued in the
# driver, so the next phase follows without a gap in the 2 s window).
feed x 60 Q1 150
wait_for 15 grep -q '"status":"firing","rule":"ht","severity":"warning"' "$T/hook" ||
    fail "no firing(warning) for ht"
[ -s "$T/hook.refused" ] || fail "the receiver refused nothing: no retry tested"
feed x 40 Q1 400
wait_for 15 grep -q '"rule":"ht","severity":"critical"' "$T/hook" ||
    fail "no firing(critical) for ht"
ask cmd alerts --json | grep -q '\\"rule\\":\\"ht\\"' || fail "alerts lacks ht"
feed x 40 Q1 20
wait_for 15 grep -q '"status":"resolved","rule":"ht"' "$T/hook" ||
    fail "ht did not resolve"
sleep 1.5
[ "$(count '"rule":"ht"')" = 3 ] || fail "ht notified $(count '"rule":"ht"') times, not 3"
grep '"rule":"ht"' "$T/hook" | head -1 | grep -q '"scope":"Q1".*"labels":{"team":"support","tier":"1"}' ||
    fail "body lacks scope or labels"
grep '"status":"resolved","rule":"ht"' "$T/hook" | grep -q '"endsAt":"20' || fail "resolved without endsAt"

# Rejected agent transitions.
for i in 1 2 3 4; do
	say "obs agent_state agent.state.change - 1 - - - a$i - rejected 1000 Busy"
done
wait_for 10 grep -q '"rule":"rej","severity":"warning"' "$T/hook" ||
    fail "rejected transitions did not fire rej"

# A silence: held back, kept across SIGKILL, delivered once it ends.
ask cmd silence ht:Q2 4s --comment maintenance | grep -q '"status":0' || fail "silence refused"
feed x 20 Q2 150
sleep 2.5
ask stats | grep -q '"silenced":[1-9]' || fail "nothing silenced"
[ "$(count '"scope":"Q2"')" = 0 ] || fail "a silenced notification was delivered"
say kill
ask cmd silences | grep -q 'maintenance' || fail "silence lost across SIGKILL"
feed x 60 Q2 150
wait_for 15 grep -q '"rule":"ht","severity":"warning","scope_kind":"queue","scope":"Q2"' "$T/hook" ||
    fail "no delivery after the silence ended"
ask cmd silences | grep -q 'maintenance' && fail "silence did not end"

# Many agents: keys bounded, evictions counted, memory flat.
say "agents 2000 x"
rss1=$(ask rss | awk '{print $2}')
for i in 1 2 3 4 5; do say "agents 2000 y$i"; done
rss2=$(ask rss | awk '{print $2}')
st=$(ask stats)
echo "$st" | grep -q '"agent":200' || fail "agent keys not bounded: $st"
echo "$st" | grep -Eq '"agent":[0-9]{4,}' || fail "no agent evictions counted: $st"
[ "$rss2" -le $((rss1 + 2048)) ] || fail "RSS grew from $rss1 kB to $rss2 kB"

# 4-field observations (today's validate) are still taken.
say "obs4 interaction completed Q3 1"
ask stats | grep -q '"malformed":0' || fail "a 4-field observation was refused"
exec 7>&- {DRV[1]}>&-
wait "$drv_pid" || fail "driver failed"
drv_pid=
echo "alert_rules: ok"
