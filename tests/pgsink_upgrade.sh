#!/usr/bin/env bash
# A database at schema version 1, as the previous pgsink left it (its SQL,
# verbatim, with rows in cxone_events), upgrades in place to the latest version:
# the old rows stay, the new families' tables appear, and the mixed
# pgsink_driver run then stores every family exactly once.
set -eu
. "$(dirname "$0")/lib.sh"
tl_setup
tl_pg_start
tl_psql >/dev/null <<'SQL'
BEGIN;
CREATE TABLE cxpipe_schema_version (version integer NOT NULL,
 applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS cxone_events ( id bigserial PRIMARY KEY,
 interaction_id text NOT NULL, "timestamp" timestamptz NOT NULL,
 type text NOT NULL, idempotency_key text NOT NULL UNIQUE, duration numeric,
 disposition text, queue_name text, agent_id text,
 created_at timestamptz NOT NULL DEFAULT now(),
 updated_at timestamptz NOT NULL DEFAULT now(),
 revision integer NOT NULL DEFAULT 1, source text, seq bigint);
ALTER TABLE cxone_events ADD COLUMN IF NOT EXISTS duration numeric,
 ADD COLUMN IF NOT EXISTS disposition text, ADD COLUMN IF NOT EXISTS queue_name text,
 ADD COLUMN IF NOT EXISTS agent_id text,
 ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
 ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now(),
 ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 1,
 ADD COLUMN IF NOT EXISTS source text, ADD COLUMN IF NOT EXISTS seq bigint;
CREATE TABLE IF NOT EXISTS cxpipe_dead_letters ( id bigserial PRIMARY KEY,
 source text NOT NULL, seq bigint NOT NULL, received_at timestamptz NOT NULL,
 reason text NOT NULL, payload text, UNIQUE (source, seq));
CREATE TABLE IF NOT EXISTS cxpipe_offsets ( source text PRIMARY KEY,
 seq bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO cxpipe_schema_version (version) VALUES (1);
INSERT INTO cxone_events (interaction_id, "timestamp", type, idempotency_key,
 duration, revision, source, seq)
 SELECT 'ix-old-' || i, '2023-06-01T00:00:00Z'::timestamptz + i * interval '1 s',
  'call', 'old-' || i, i, 2, 'http', 0 FROM generate_series(1, 50) i;
COMMIT;
SQL
n=2000
PGSINK_DRIVER_KEEP_SCHEMA=1 PGSINK_DRIVER_FAMILIES=1 PGSINK_DRIVER_TIMEOUT=120 \
    "$top_builddir/tests/pgsink_driver" "$CXPIPED" "$TL_CONNINFO" "$n" ||
    fail "pgsink_driver on the upgraded database"
assert_eq "1 2 3 4" "$(tl_psql -c "SELECT string_agg(version::text, ' ' ORDER BY version) FROM cxpipe_schema_version")" "schema versions"
assert_eq "50 100" "$(tl_psql -c "SELECT count(*) || ' ' || sum(revision) FROM cxone_events WHERE idempotency_key LIKE 'old-%'")" "version 1 rows kept"
for t in analytics_events agent_state_changes agent_states data_action_events data_action_rollups; do
	[ "$(tl_psql -c "SELECT count(*) > 0 FROM $t")" = t ] || fail "$t is empty"
done
exit 0
