#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "record.h"
#include "family_rows.h"
#include "text.h"

_Static_assert(IX_NFIELDS <= FAMILY_ROWS_MAX_FIELDS &&
    AN_NFIELDS <= FAMILY_ROWS_MAX_FIELDS &&
    AS_NFIELDS <= FAMILY_ROWS_MAX_FIELDS &&
    DA_NFIELDS <= FAMILY_ROWS_MAX_FIELDS &&
    DEAD_NFIELDS <= FAMILY_ROWS_MAX_FIELDS, "FAMILY_ROWS_MAX_FIELDS");

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* interaction: cxone_events, newest delivery wins. */
static const char *const ix_names[IX_NFIELDS] = {
	"source", "received_us", "interaction_id", "timestamp", "type",
	"idempotency_key", "duration", "disposition", "queue_name", "agent_id"
};
static const int ix_required[] = {
	IX_SOURCE, IX_INTERACTION_ID, IX_TIMESTAMP, IX_TYPE, IX_IDEMPOTENCY_KEY
};
static const int ix_cols[] = {
	IX_INTERACTION_ID, IX_TIMESTAMP, IX_TYPE, IX_IDEMPOTENCY_KEY,
	IX_DURATION, IX_DISPOSITION, IX_QUEUE_NAME, IX_AGENT_ID,
	FR_COL_DELIVERIES, IX_SOURCE, FR_COL_SEQ
};
static const char ix_sql[] =
	"INSERT INTO cxone_events AS e (interaction_id, \"timestamp\", type,"
	" idempotency_key, duration, disposition, queue_name, agent_id, revision,"
	" source, seq)"
	" SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[],"
	" $4::text[], $5::numeric[], $6::text[], $7::text[], $8::text[],"
	" $9::integer[], $10::text[], $11::bigint[])"
	" ON CONFLICT (idempotency_key) DO UPDATE SET"
	" interaction_id = EXCLUDED.interaction_id,"
	" \"timestamp\" = EXCLUDED.\"timestamp\", type = EXCLUDED.type,"
	" duration = EXCLUDED.duration, disposition = EXCLUDED.disposition,"
	" queue_name = EXCLUDED.queue_name, agent_id = EXCLUDED.agent_id,"
	" updated_at = now(), revision = e.revision + EXCLUDED.revision,"
	" source = EXCLUDED.source, seq = EXCLUDED.seq";

/* analytics: analytics_events, the newest last_updated wins. */
static const char *const an_names[AN_NFIELDS] = {
	"source", "received_us", "interaction_id", "event_time", "event_type",
	"state", "handle_time", "wait_time", "queue_time", "queue_name",
	"agent_id", "last_updated"
};
static const int an_required[] = {
	AN_SOURCE, AN_INTERACTION_ID, AN_EVENT_TIME, AN_EVENT_TYPE
};
static const int an_cols[] = {
	AN_INTERACTION_ID, AN_EVENT_TIME, AN_EVENT_TYPE, AN_STATE,
	AN_HANDLE_TIME, AN_WAIT_TIME, AN_QUEUE_TIME, AN_QUEUE_NAME,
	AN_AGENT_ID, AN_LAST_UPDATED, FR_COL_DELIVERIES, AN_SOURCE,
	FR_COL_SEQ, FR_COL_RECEIVED
};
/* The stored row's values stay unless the delivery is newer: a later
 * last_updated (NULL is the earliest), or the same and a later sequence.
 * A replay (same last_updated, same sequence) changes nothing. */
#define AN_NEWER \
	"(coalesce(EXCLUDED.last_updated, '-infinity'), EXCLUDED.seq) >" \
	" (coalesce(e.last_updated, '-infinity'), e.seq)"
#define AN_TAKE(col) \
	" " col " = CASE WHEN " AN_NEWER " THEN EXCLUDED." col " ELSE e." col " END"
static const char an_sql[] =
	"INSERT INTO analytics_events AS e (interaction_id, event_time,"
	" event_type, state, handle_time, wait_time, queue_time, queue_name,"
	" agent_id, last_updated, revision, source, seq, received_at)"
	" SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[],"
	" $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::text[],"
	" $9::text[], $10::timestamptz[], $11::integer[], $12::text[],"
	" $13::bigint[], $14::timestamptz[])"
	" ON CONFLICT (interaction_id, event_time, event_type) DO UPDATE SET"
	AN_TAKE("state") "," AN_TAKE("handle_time") "," AN_TAKE("wait_time") ","
	AN_TAKE("queue_time") "," AN_TAKE("queue_name") "," AN_TAKE("agent_id") ","
	AN_TAKE("source") "," AN_TAKE("received_at") ","
	AN_TAKE("last_updated") "," AN_TAKE("seq") ","	/* e is the old row */
	" revision = e.revision + EXCLUDED.revision";

/* agent_state: agent_state_changes and agent_states. */
static const char *const as_names[AS_NFIELDS] = {
	"source", "received_us", "agent_id", "event_time", "previous_state",
	"current_state", "reason_code", "verdict", "latency_us"
};
static const int as_required[] = { AS_SOURCE, AS_AGENT_ID, AS_EVENT_TIME };
static const int as_cols[] = {
	AS_AGENT_ID, AS_EVENT_TIME, AS_PREVIOUS_STATE, AS_CURRENT_STATE,
	AS_REASON_CODE, AS_VERDICT, AS_LATENCY_US, FR_COL_DELIVERIES,
	AS_SOURCE, FR_COL_SEQ, FR_COL_RECEIVED
};
static const char as_sql[] =
	"WITH u AS (SELECT * FROM unnest($1::text[], $2::timestamptz[],"
	" $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],"
	" $8::integer[], $9::text[], $10::bigint[], $11::timestamptz[])"
	" AS u(agent_id, event_time, previous_state, current_state, reason_code,"
	" verdict, latency_us, revision, source, seq, received_at)),"
	" c AS (INSERT INTO agent_state_changes AS e (agent_id, event_time,"
	" previous_state, current_state, reason_code, verdict, latency_ms,"
	" revision, source, seq, received_at)"
	" SELECT agent_id, event_time, previous_state, current_state,"
	" reason_code, verdict, round(latency_us / 1000, 3), revision, source, seq,"
	" received_at FROM u"
	" ON CONFLICT (agent_id, event_time) DO UPDATE SET"
	" previous_state = EXCLUDED.previous_state,"
	" current_state = EXCLUDED.current_state,"
	" reason_code = EXCLUDED.reason_code, verdict = EXCLUDED.verdict,"
	" latency_ms = EXCLUDED.latency_ms,"
	" revision = e.revision + EXCLUDED.revision, source = EXCLUDED.source,"
	" seq = EXCLUDED.seq, received_at = EXCLUDED.received_at)"
	" INSERT INTO agent_states AS a (agent_id, state, previous_state, since,"
	" verdict, reason_code, seq, updated_at)"
	" SELECT DISTINCT ON (agent_id) agent_id, current_state, previous_state,"
	" event_time, verdict, reason_code, seq, now() FROM u"
	" ORDER BY agent_id, event_time DESC, seq DESC"
	" ON CONFLICT (agent_id) DO UPDATE SET state = EXCLUDED.state,"
	" previous_state = EXCLUDED.previous_state, since = EXCLUDED.since,"
	" verdict = EXCLUDED.verdict, reason_code = EXCLUDED.reason_code,"
	" seq = EXCLUDED.seq, updated_at = now()"
	" WHERE (EXCLUDED.since, EXCLUDED.seq) > (a.since, a.seq)";

/* data_action: data_action_events and data_action_rollups. */
static const char *const da_names[DA_NFIELDS] = {
	"source", "received_us", "action_id", "event_type", "event_time",
	"bucket"
};
static const int da_required[] = {
	DA_SOURCE, DA_ACTION_ID, DA_EVENT_TYPE, DA_EVENT_TIME
};
static const int da_cols[] = {
	DA_ACTION_ID, DA_EVENT_TYPE, DA_EVENT_TIME, DA_BUCKET, DA_SOURCE,
	FR_COL_SEQ, FR_COL_RECEIVED
};
static const char da_sql[] =
	"WITH i AS (INSERT INTO data_action_events (action_id, event_type,"
	" event_time, bucket, source, seq, received_at)"
	" SELECT a, t, w, coalesce(b, date_trunc('minute', w, 'UTC')), s, q, r"
	" FROM unnest($1::text[], $2::text[], $3::timestamptz[],"
	" $4::timestamptz[], $5::text[], $6::bigint[], $7::timestamptz[])"
	" AS u(a, t, w, b, s, q, r)"
	" ON CONFLICT (action_id, event_type, event_time) DO NOTHING"
	" RETURNING bucket, action_id, event_type)"
	" INSERT INTO data_action_rollups AS r (bucket, action_id, event_type,"
	" count)"
	" SELECT bucket, action_id, event_type, count(*) FROM i"
	" GROUP BY bucket, action_id, event_type"
	" ON CONFLICT (bucket, action_id, event_type) DO UPDATE SET"
	" count = r.count + EXCLUDED.count";

static const struct family_rows family_rows_table[FAMILY_COUNT] = {
	[FAMILY_INTERACTION] = {
		"cxone_events", IX_NFIELDS, ix_names,
		ix_required, NELEM(ix_required),
		{ IX_IDEMPOTENCY_KEY }, 1, -1,
		ix_sql, ix_cols, (int)NELEM(ix_cols)
	},
	[FAMILY_ANALYTICS] = {
		"analytics_events", AN_NFIELDS, an_names,
		an_required, NELEM(an_required),
		{ AN_INTERACTION_ID, AN_EVENT_TIME, AN_EVENT_TYPE }, 3,
		AN_LAST_UPDATED,
		an_sql, an_cols, (int)NELEM(an_cols)
	},
	[FAMILY_AGENT_STATE] = {
		"agent_state_changes", AS_NFIELDS, as_names,
		as_required, NELEM(as_required),
		{ AS_AGENT_ID, AS_EVENT_TIME }, 2, -1,
		as_sql, as_cols, (int)NELEM(as_cols)
	},
	[FAMILY_DATA_ACTION] = {
		"data_action_events", DA_NFIELDS, da_names,
		da_required, NELEM(da_required),
		{ DA_ACTION_ID, DA_EVENT_TYPE, DA_EVENT_TIME }, 3, -1,
		da_sql, da_cols, (int)NELEM(da_cols)
	},
};

_Static_assert(NELEM(an_cols) <= FAMILY_ROWS_MAX_PARAMS &&
    NELEM(ix_cols) <= FAMILY_ROWS_MAX_PARAMS &&
    NELEM(as_cols) <= FAMILY_ROWS_MAX_PARAMS &&
    NELEM(da_cols) <= FAMILY_ROWS_MAX_PARAMS, "FAMILY_ROWS_MAX_PARAMS");

const struct family_rows *
family_rows_get(uint32_t family)
{
	return family < FAMILY_COUNT ? &family_rows_table[family] : NULL;
}

const char *
family_rows_check(const struct family_rows *fr, const struct tuple *t,
    char *why, size_t len)
{
	size_t	 i;
	int	 j;

	if (t->n != fr->nfields) {
		snprintf(why, len, "pgsink: %s record has %d fields, not %d",
		    fr->table, t->n, fr->nfields);
		return why;
	}
	for (i = 0; i < fr->nrequired; i++)
		if (t->val[fr->required[i]] == NULL) {
			snprintf(why, len, "pgsink: %s record without %s",
			    fr->table, fr->names[fr->required[i]]);
			return why;
		}
	for (j = 0; j < t->n; j++)
		if (t->val[j] != NULL && memchr(t->val[j], 0, t->len[j]) != NULL) {
			snprintf(why, len, "pgsink: %s contains a NUL byte",
			    fr->names[j]);
			return why;
		}
	return NULL;
}

/* True when s is a time as validate normalises it,
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ", whose text sorts as the time does. */
static bool
family_rows_normal_time(const char *s, uint32_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	uint32_t	 i;

	if (n != sizeof(shape) - 1)
		return false;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return false;
	return true;
}

bool
family_rows_newer(const struct family_rows *fr, const char *const *a,
    const uint32_t *alen, const char *const *b, const uint32_t *blen)
{
	const char	*ta, *tb;
	int		 f = fr->newest;

	if (f < 0)
		return true;
	ta = a[f];
	tb = b[f];
	if (tb == NULL)		/* NULL is the earliest, as in the upsert */
		return ta == NULL;
	if (ta == NULL)
		return true;
	/* Times in another shape: PostgreSQL decides across batches; here
	 * the later delivery wins. */
	if (!family_rows_normal_time(ta, alen[f]) ||
	    !family_rows_normal_time(tb, blen[f]))
		return true;
	return memcmp(tb, ta, alen[f]) >= 0;
}

void
family_rows_add(const struct family_rows *fr, struct buf *param,
    const char *const *f, const uint32_t *len, uint32_t deliveries,
    uint64_t seq)
{
	int	 c, col;

	for (c = 0; c < fr->nparams; c++) {
		col = fr->cols[c];
		if (col == FR_COL_DELIVERIES)
			text_add_element_u64(&param[c], deliveries);
		else if (col == FR_COL_SEQ)
			text_add_element_u64(&param[c], seq);
		else if (col == FR_COL_RECEIVED)
			text_add_element_us(&param[c], f[1]);
		else
			text_add_element(&param[c], f[col], len[col], 0);
	}
}
