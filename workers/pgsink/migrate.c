#include "autoconf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "xmalloc.h"
#include "migrate.h"
#include "pg_conn.h"

/*
 * Migration 1: the interaction table, dead letters and offsets.
 *
 * cxone_events may already exist as the tutorial's table (id serial,
 * varchar columns, no revision/source/seq): CREATE ... IF NOT EXISTS leaves
 * it and its data alone, the ALTER adds whatever columns it lacks, and the
 * DO block adds a unique index on idempotency_key when none exists (ON
 * CONFLICT needs one).  On a table created here both are no-ops.
 */
static const char *const migration_1[] = {
	"CREATE TABLE IF NOT EXISTS cxone_events ("
	" id bigserial PRIMARY KEY,"
	" interaction_id text NOT NULL,"
	" \"timestamp\" timestamptz NOT NULL,"
	" type text NOT NULL,"
	" idempotency_key text NOT NULL UNIQUE,"
	" duration numeric,"
	" disposition text,"
	" queue_name text,"
	" agent_id text,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" revision integer NOT NULL DEFAULT 1,"
	" source text,"
	" seq bigint)",

	"ALTER TABLE cxone_events"
	" ADD COLUMN IF NOT EXISTS duration numeric,"
	" ADD COLUMN IF NOT EXISTS disposition text,"
	" ADD COLUMN IF NOT EXISTS queue_name text,"
	" ADD COLUMN IF NOT EXISTS agent_id text,"
	" ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),"
	" ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now(),"
	" ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 1,"
	" ADD COLUMN IF NOT EXISTS source text,"
	" ADD COLUMN IF NOT EXISTS seq bigint",

	"DO $$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_index i"
	"  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
	"  WHERE i.indrelid = 'cxone_events'::regclass AND i.indisunique"
	"  AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL"
	"  AND a.attname = 'idempotency_key') THEN"
	"  CREATE UNIQUE INDEX cxone_events_idempotency_key_key"
	"   ON cxone_events (idempotency_key);"
	" END IF;"
	" END $$",

	"CREATE TABLE IF NOT EXISTS cxpipe_dead_letters ("
	" id bigserial PRIMARY KEY,"
	" source text NOT NULL,"
	" seq bigint NOT NULL,"
	" received_at timestamptz NOT NULL,"
	" reason text NOT NULL,"
	" payload text,"
	" UNIQUE (source, seq))",

	"CREATE TABLE IF NOT EXISTS cxpipe_offsets ("
	" source text PRIMARY KEY,"
	" seq bigint NOT NULL,"
	" updated_at timestamptz NOT NULL DEFAULT now())",

	NULL
};

/*
 * Migration 2: the analytics, agent_state and data_action families
 * (family_rows.c writes them).  Plain CREATE TABLE: a table of that name
 * made by someone else stops the migration with PostgreSQL's message
 * instead of being written into half-understood.  received_at is NULL when
 * ingest's receipt time is unknown.
 */
static const char *const migration_2[] = {
	"CREATE TABLE analytics_events ("
	" interaction_id text NOT NULL,"
	" event_time timestamptz NOT NULL,"
	" event_type text NOT NULL,"
	" state text,"
	" handle_time numeric,"
	" wait_time numeric,"
	" queue_time numeric,"
	" queue_name text,"
	" agent_id text,"
	" last_updated timestamptz,"
	" revision integer NOT NULL DEFAULT 1,"
	" source text NOT NULL,"
	" seq bigint NOT NULL,"
	" received_at timestamptz,"
	" PRIMARY KEY (interaction_id, event_time, event_type))",

	"CREATE INDEX analytics_events_event_time_idx"
	" ON analytics_events (event_time)",

	"CREATE INDEX analytics_events_queue_idx"
	" ON analytics_events (queue_name, event_time)",

	"CREATE TABLE agent_state_changes ("
	" agent_id text NOT NULL,"
	" event_time timestamptz NOT NULL,"
	" previous_state text,"
	" current_state text,"
	" reason_code text,"
	" verdict text NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
	" latency_ms numeric,"
	" revision integer NOT NULL DEFAULT 1,"
	" source text NOT NULL,"
	" seq bigint NOT NULL,"
	" received_at timestamptz,"
	" PRIMARY KEY (agent_id, event_time))",

	"CREATE INDEX agent_state_changes_event_time_idx"
	" ON agent_state_changes (event_time)",

	"CREATE INDEX agent_state_changes_rejected_idx"
	" ON agent_state_changes (event_time) WHERE verdict = 'rejected'",

	"CREATE TABLE agent_states ("
	" agent_id text PRIMARY KEY,"
	" state text,"
	" previous_state text,"
	" since timestamptz NOT NULL,"
	" verdict text,"
	" reason_code text,"
	" seq bigint NOT NULL,"
	" updated_at timestamptz NOT NULL DEFAULT now())",

	"CREATE INDEX agent_states_state_idx ON agent_states (state)",

	"CREATE TABLE data_action_events ("
	" action_id text NOT NULL,"
	" event_type text NOT NULL,"
	" event_time timestamptz NOT NULL,"
	" bucket timestamptz NOT NULL,"
	" source text NOT NULL,"
	" seq bigint NOT NULL,"
	" received_at timestamptz,"
	" PRIMARY KEY (action_id, event_type, event_time))",

	"CREATE INDEX data_action_events_bucket_idx"
	" ON data_action_events (bucket)",

	"CREATE TABLE data_action_rollups ("
	" bucket timestamptz NOT NULL,"
	" action_id text NOT NULL,"
	" event_type text NOT NULL,"
	" count bigint NOT NULL,"
	" PRIMARY KEY (bucket, action_id, event_type))",

	"CREATE INDEX data_action_rollups_action_idx"
	" ON data_action_rollups (action_id, event_type, bucket)",

	NULL
};

/*
 * Version 3: the claim every batch transaction makes first.  A pgsink
 * killed with its COMMIT in flight leaves a backend that may still commit
 * that batch after the next pgsink has read the committed position; that
 * one would then store the batch again.  cxpipe_claim() takes the same
 * exclusive lock as the migrations and fails (SQLSTATE CX001) when records
 * from first_seq on are already committed, so the late batch is refused
 * and pgsink reads the position again.
 */
static const char *const migration_3[] = {
	"CREATE OR REPLACE FUNCTION cxpipe_claim(first_seq bigint) RETURNS void"
	" LANGUAGE plpgsql AS $$"
	" DECLARE done bigint;"
	" BEGIN"
	"  PERFORM pg_advisory_xact_lock(hashtext('cxpipe schema'));"
	"  SELECT coalesce(max(seq), 0) INTO done FROM cxpipe_offsets;"
	"  IF done >= first_seq THEN"
	"   RAISE EXCEPTION 'records from % on are already committed (up to %)"
	" by another session', first_seq, done USING ERRCODE = 'CX001';"
	"  END IF;"
	" END $$",

	NULL
};

/*
 * Migration 4: what the alert worker produces.  alerts holds one row per
 * transition, metric_snapshots one row per metric, scope and window; both
 * are written ON CONFLICT DO NOTHING on the unique keys below, so a record
 * the alert worker sends again after a crash changes nothing.
 */
static const char *const migration_4[] = {
	"CREATE TABLE alerts ("
	" id bigserial PRIMARY KEY,"
	" fingerprint text NOT NULL,"
	" rule text NOT NULL,"
	" scope text NOT NULL DEFAULT '',"
	" severity text NOT NULL,"
	" state text NOT NULL CHECK (state IN ('firing', 'resolved')),"
	" value double precision,"
	" threshold double precision,"
	" starts_at timestamptz NOT NULL,"
	" ends_at timestamptz,"
	" labels jsonb NOT NULL DEFAULT '{}',"
	" seq bigint NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" UNIQUE (fingerprint, state, severity, starts_at))",

	"CREATE INDEX alerts_rule_idx ON alerts (rule, starts_at)",

	"CREATE INDEX alerts_starts_at_idx ON alerts (starts_at)",

	"CREATE TABLE metric_snapshots ("
	" metric text NOT NULL,"
	" scope_kind text NOT NULL,"
	" scope_value text NOT NULL DEFAULT '',"
	" window_start timestamptz NOT NULL,"
	" window_end timestamptz NOT NULL,"
	" value double precision,"
	" count bigint,"
	" invalid bigint,"
	" avg double precision,"
	" max double precision,"
	" p95 double precision,"
	" seq bigint NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (metric, scope_kind, scope_value, window_start))",

	"CREATE INDEX metric_snapshots_window_idx"
	" ON metric_snapshots (window_start)",

	NULL
};

/* Every migration, in order: index i is version i + 1.  Forward only: a
 * released migration is never edited, a change is a new one. */
static const char *const *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
};
#define MIGRATE_LATEST	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements of the first round trip; the version query is the last. */
#define MIGRATE_Q_ENCODING	3
#define MIGRATE_Q_VERSION	4

struct migrate {
	struct pg_conn	*pc;
	migrate_done_cb	 done;
	void		*arg;
	bool		 warned_newer;
	bool		 warned_encoding;
};

struct migrate *
migrate_new(struct pg_conn *pc, migrate_done_cb done, void *arg)
{
	struct migrate	*m;

	m = xcalloc(1, sizeof(*m));
	m->pc = pc;
	m->done = done;
	m->arg = arg;
	return m;
}

void
migrate_free(struct migrate *m)
{
	free(m);
}

int
migrate_latest(void)
{
	return MIGRATE_LATEST;
}

/* Checks every result of a step; on the first failure resets the
 * connection with what failed and returns -1. */
static int
migrate_check(struct migrate *m, const char *step, PGresult **res, int n)
{
	char	 msg[512], why[700];
	int	 i;

	for (i = 0; i < n; i++) {
		if (pg_result_ok(res[i]))
			continue;
		pg_result_message(res[i], msg, sizeof(msg));
		snprintf(why, sizeof(why), "schema %s failed (statement %d): %s%s%s",
		    step, i + 1, pg_result_sqlstate(res[i]),
		    *pg_result_sqlstate(res[i]) ? ": " : "", msg);
		pg_conn_reset(m->pc, why);
		return -1;
	}
	return 0;
}

/* Parses the single integer a query returned; -1 if it is not one. */
static long long
migrate_value(const PGresult *r)
{
	const char	*s;
	char		*end;
	long long	 v;

	if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQgetisnull(r, 0, 0))
		return -1;
	s = PQgetvalue(r, 0, 0);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	return v;
}

/* Second round trip done: the migrations are committed. */
static void
migrate_apply_done_cb(void *arg, PGresult **res, int n)
{
	struct migrate	*m = arg;
	long long	 committed;

	if (migrate_check(m, "migration", res, n) == -1)
		return;
	if ((committed = migrate_value(res[n - 2])) == -1) {
		pg_conn_reset(m->pc, "cxpipe_offsets: unexpected answer to max(seq)");
		return;
	}
	m->done(m->arg, (uint64_t)committed);
}

/* First round trip done: applies the missing migrations, reads the
 * committed position and commits, all in the same transaction. */
static void
migrate_version_done_cb(void *arg, PGresult **res, int n)
{
	struct migrate	*m = arg;
	const char	*enc;
	char		 sql[128];
	long long	 version;
	int		 v, i;

	if (migrate_check(m, "version check", res, n) == -1)
		return;
	enc = PQntuples(res[MIGRATE_Q_ENCODING]) == 1 ?
	    PQgetvalue(res[MIGRATE_Q_ENCODING], 0, 0) : "";
	if (strcmp(enc, "UTF8") != 0 && !m->warned_encoding) {
		log_warnx("postgres: the database encoding is %s, not UTF8: text "
		    "it cannot represent becomes a dead letter", enc);
		m->warned_encoding = true;
	}
	if ((version = migrate_value(res[MIGRATE_Q_VERSION])) == -1) {
		pg_conn_reset(m->pc, "cxpipe_schema_version: unexpected answer to max(version)");
		return;
	}
	if (version > MIGRATE_LATEST && !m->warned_newer) {
		log_warnx("postgres: schema version %lld is newer than this "
		    "program's %d; using it as it is", version, MIGRATE_LATEST);
		m->warned_newer = true;
	}
	for (v = (int)version + 1; v <= MIGRATE_LATEST; v++) {
		log_info("postgres: applying schema migration %d", v);
		for (i = 0; migrations[v - 1][i] != NULL; i++)
			pg_conn_query(m->pc, migrations[v - 1][i], 0, NULL);
		snprintf(sql, sizeof(sql),
		    "INSERT INTO cxpipe_schema_version (version) VALUES (%d)", v);
		pg_conn_query(m->pc, sql, 0, NULL);
	}
	pg_conn_query(m->pc, "SELECT coalesce(max(seq), 0) FROM cxpipe_offsets",
	    0, NULL);
	pg_conn_query(m->pc, "COMMIT", 0, NULL);
	pg_conn_sync(m->pc, migrate_apply_done_cb, m);
}

void
migrate_start(struct migrate *m)
{
	/* The advisory lock serialises two pgsinks migrating at once (an old
	 * one may still be exiting); it is held until COMMIT. */
	pg_conn_query(m->pc, "BEGIN", 0, NULL);
	pg_conn_query(m->pc, "SELECT pg_advisory_xact_lock(hashtext('cxpipe schema'))",
	    0, NULL);
	pg_conn_query(m->pc, "CREATE TABLE IF NOT EXISTS cxpipe_schema_version ("
	    " version integer NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL);
	pg_conn_query(m->pc, "SELECT current_setting('server_encoding')", 0, NULL);
	pg_conn_query(m->pc,
	    "SELECT coalesce(max(version), 0) FROM cxpipe_schema_version", 0, NULL);
	pg_conn_sync(m->pc, migrate_version_done_cb, m);
}
