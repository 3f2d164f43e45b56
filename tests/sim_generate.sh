#!/bin/bash
# sim_generate.sh: cxpipe-sim generate is reproducible, writes the lines its
# manifest claims (valid, invalid, garbage), and its CLI exits as documented.
# Exit 0 pass, 1 fail, 77 skip.
set -eu

sim="${top_builddir:-.}/cxpipe-sim"
if [ ! -x "$sim" ]; then
	echo "SKIP: $sim not built"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sim_generate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_status WANT CMD...: runs CMD and checks its exit status.
expect_status() {
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	[ "$got" -eq "$want" ] || fail "$* exited $got, expected $want"
}

# manifest_number FILE NAME: a top-level count from a manifest.
manifest_number() {
	sed -n "s/^\"$2\":\([0-9][0-9]*\),*\$/\1/p" "$1"
}

# --- command line ---
expect_status 0 "$sim" --help
grep -q 'generate' "$tmp/out" || fail "--help does not show generate"
expect_status 0 "$sim" --version
grep -q '^cxpipe-sim [0-9]' "$tmp/out" || fail "--version printed $(cat "$tmp/out")"
expect_status 0 "$sim" generate --help
expect_status 0 "$sim" verify --help
expect_status 2 "$sim"
expect_status 2 "$sim" --bogus
expect_status 2 "$sim" frobnicate
expect_status 2 "$sim" generate --bogus
grep -q usage "$tmp/err" || fail "a bad flag does not print usage"
expect_status 2 "$sim" generate --family interaction
expect_status 2 "$sim" generate --family agent --count 3
expect_status 2 "$sim" generate --family interaction --count -3
expect_status 2 "$sim" generate --family interaction --count 10 --dup-rate 1.5
expect_status 2 "$sim" generate --family interaction --count 10 \
	--dup-rate 0.6 --invalid-rate 0.6
expect_status 2 "$sim" generate --family interaction --count 10 --seed x
expect_status 2 "$sim" generate --family interaction --count 10 stray
expect_status 2 "$sim" verify
expect_status 2 "$sim" verify --manifest "$tmp/none.json" --db dbname=x
expect_status 1 "$sim" generate --family interaction --count 3 \
	--output "$tmp/no/such/dir/out"

# --- reproducible for a seed, different for another ---
gen() {
	"$sim" generate --family interaction --count 6000 --dup-rate 0.25 \
		--invalid-rate 0.1 --garbage-rate 0.03 "$@"
}
gen --seed 42 --manifest "$tmp/m1.json" --output "$tmp/e1.ndjson"
gen --seed 42 --manifest "$tmp/m2.json" >"$tmp/e2.ndjson"
gen --seed 43 --manifest "$tmp/m3.json" --output "$tmp/e3.ndjson"
cmp -s "$tmp/e1.ndjson" "$tmp/e2.ndjson" || fail "same seed, other events"
cmp -s "$tmp/m1.json" "$tmp/m2.json" || fail "same seed, other manifest"
cmp -s "$tmp/e1.ndjson" "$tmp/e3.ndjson" && fail "other seed, same events"

# --- counts agree with the manifest ---
m="$tmp/m1.json"
e="$tmp/e1.ndjson"
lines=$(manifest_number "$m" lines)
valid=$(manifest_number "$m" valid_sends)
invalid=$(manifest_number "$m" invalid_total)
garbage=$(manifest_number "$m" garbage)
[ "$lines" -eq 6180 ] || fail "manifest says $lines lines, expected 6180"
[ "$valid" -eq 5400 ] || fail "manifest says $valid valid sends, expected 5400"
[ "$invalid" -eq 600 ] || fail "manifest says $invalid invalid, expected 600"
[ "$garbage" -eq 180 ] || fail "manifest says $garbage garbage, expected 180"
[ "$(wc -l <"$e")" -eq "$lines" ] || fail "line count differs from manifest"
grep -q '^[[:space:]]*$' "$e" && fail "an empty line"
[ "$(grep -c '"idempotencyKey": *"ik-' "$e")" -eq "$valid" ] ||
	fail "lines with valid keys differ from valid_sends"

# --count 0 is an empty stream with an empty manifest
"$sim" generate --family interaction --count 0 --manifest "$tmp/m0.json" \
	--output "$tmp/e0.ndjson"
[ ! -s "$tmp/e0.ndjson" ] || fail "--count 0 wrote lines"
[ "$(manifest_number "$tmp/m0.json" lines)" -eq 0 ] || fail "--count 0 manifest"

# --- every line is what the manifest says it is ---
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import json' 2>/dev/null
then
	echo "python3 missing: skipped the per-line schema check"
	exit 0
fi
python3 - "$e" "$m" <<'EOF' || fail "per-line check"
import calendar, collections, json, re, sys

events, manifest = sys.argv[1], json.load(open(sys.argv[2]))
RFC3339 = re.compile(r'^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)'
                     r'(\.\d+)?([Zz]|[+-](\d\d):(\d\d))$')
KEY = re.compile(r'^[A-Za-z0-9_-]+$')
TOP = {"interactionId", "timestamp", "type", "idempotencyKey", "attributes"}

def no_constants(name):
    raise ValueError(name)

def good_time(s):
    m = RFC3339.match(s)
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not 1 <= mo <= 12 or not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return False
    if h > 23 or mi > 59 or sec > 59:
        return False
    return m.group(9) is None or (int(m.group(9)) < 24 and int(m.group(10)) < 60)

def is_str_or_null(v):
    return v is None or isinstance(v, str)

def valid(ev):
    if not isinstance(ev, dict) or set(ev) - TOP or not TOP - {"attributes"} <= set(ev):
        return False
    if not isinstance(ev["interactionId"], str) or ev["interactionId"] == "":
        return False
    if not isinstance(ev["timestamp"], str) or not good_time(ev["timestamp"]):
        return False
    if ev["type"] not in ("call", "chat", "email", "callback"):
        return False
    if not isinstance(ev["idempotencyKey"], str) or not KEY.match(ev["idempotencyKey"]):
        return False
    a = ev.get("attributes", {})
    if not isinstance(a, dict):
        return False
    d = a.get("duration")
    if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float)) or d < 0):
        return False
    return all(is_str_or_null(a.get(k)) for k in ("disposition", "queueName", "agentId"))

garbage = invalid = 0
last, sends, invalid_keys = {}, collections.Counter(), set()
with open(events, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            ev = json.loads(line, parse_constant=no_constants)
        except ValueError:
            garbage += 1
            continue
        if not valid(ev):
            invalid += 1
            if isinstance(ev, dict) and isinstance(ev.get("idempotencyKey"), str):
                invalid_keys.add(ev["idempotencyKey"])
            continue
        a = ev.get("attributes", {})
        last[ev["idempotencyKey"]] = {
            "interactionId": ev["interactionId"], "timestamp": ev["timestamp"],
            "type": ev["type"], "duration": a.get("duration"),
            "disposition": a.get("disposition"), "queue_name": a.get("queueName"),
            "agent_id": a.get("agentId")}
        sends[ev["idempotencyKey"]] += 1

def check(ok, what):
    if not ok:
        print("sim_generate:", what, file=sys.stderr)
        sys.exit(1)

check(garbage == manifest["garbage"], "%d non-JSON lines, manifest says %d" % (garbage, manifest["garbage"]))
check(invalid == manifest["invalid_total"], "%d invalid lines, manifest says %d" % (invalid, manifest["invalid_total"]))
check(sum(manifest["invalid"].values()) == invalid, "invalid kinds do not add up")
check(all(manifest["invalid"].values()), "a kind of invalid event was never sent")
check(sum(sends.values()) == manifest["valid_sends"], "valid sends differ")
check(set(last) == set(manifest["keys"]), "valid keys differ from the manifest")
check(not invalid_keys & set(manifest["keys"]), "an invalid line reuses a valid key")
check(max(sends.values()) > 1, "no key was sent twice")
for key, want in manifest["keys"].items():
    got = dict(last[key], sends=sends[key])
    check(got == want, "key %s: sent %r, manifest says %r" % (key, got, want))
EOF
echo "PASS: sim_generate"
