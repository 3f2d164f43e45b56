#!/usr/bin/env bash
# pgsink alone, driven by tests/pgsink_driver (which plays master and
# validate): repeats collapse with exact revisions, dead letters (including
# rows PostgreSQL refuses) are stored, a SIGKILL mid-stream and a resend
# apply nothing twice.  Run twice: interaction records only, then mixed
# with the analytics, agent_state and data_action families (newest
# last_updated wins, agent_states at each agent's newest change, rollup
# counts exact).
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
n=20000
[ "${CXPIPE_QUICK:-0}" = 1 ] && n=5000
PGSINK_DRIVER_TIMEOUT=120 "$top_builddir/tests/pgsink_driver" "$CXPIPED" "$TL_CONNINFO" "$n" ||
    fail "pgsink_driver"
PGSINK_DRIVER_FAMILIES=1 PGSINK_DRIVER_TIMEOUT=120 \
    "$top_builddir/tests/pgsink_driver" "$CXPIPED" "$TL_CONNINFO" "$n" ||
    fail "pgsink_driver (mixed families)"
exit 0
