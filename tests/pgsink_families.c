/*
 * pgsink_families: the non-interaction records of pgsink_driver's mixed
 * mode and the checks of their tables (see pgsink_families.h).
 *
 * Keys come from a small space, so most keys are delivered several times,
 * a fifth of the records repeat a key of the last 30 records (collapsing
 * inside a batch), and the deliveries of a key arrive in no order of their
 * own: analytics last_updated goes up and down and ties often, an agent's
 * older change arrives after its newer one.  The model says what must win.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "record.h"
#include "xmalloc.h"
#include "pgsink_families.h"

#define T0_US		(INT64_C(1704067200) * 1000000)	/* 2024-01-01 */
#define T1_US		(INT64_C(1735689600) * 1000000)	/* 2025-01-01 */
#define NO_TIME		INT64_MIN
#define AGENTS		20

static const char *const an_types[] = { "interaction", "agent", "queue" };
static const char *const an_states[] = {
	"queued", "active", "held", "wrapup", "ended"
};
static const char *const as_states[] = {
	"Available", "Busy", "Away", "OnBreak", "LoggedOut"
};
static const char *const da_types[] = { "completed", "started" };

/* One record's fields in its record.h layout, and its key. */
struct ff {
	uint32_t	 fam;
	uint64_t	 k;
	int		 nf;
	const char	*f[12];
	char		 s[12][48];
	int64_t		 t[3];		/* event time, last_updated, bucket */
};

uint32_t
fam_of(uint64_t seq)
{
	static const uint32_t fams[5] = {
		FAMILY_INTERACTION, FAMILY_INTERACTION, FAMILY_ANALYTICS,
		FAMILY_AGENT_STATE, FAMILY_DATA_ACTION
	};

	return fams[mix(seq * 8 + 5) % 5];
}

bool
fam_is_bad(uint64_t seq, int bad)
{
	return mix(seq * 8 + 4) % 1000 < (uint64_t)bad;
}

/* The number of keys per family among records 1..last. */
static uint64_t
fam_nkeys(uint64_t last)
{
	return last / 25 > 8 ? last / 25 : 8;
}

/* The key of record seq: mostly its own draw, a fifth a recent record's. */
static uint64_t
fam_key(uint64_t seq, uint64_t nkeys)
{
	uint64_t	 r = mix(seq * 8 + 3), s = seq;

	if (r % 100 < 20 && seq > 31)
		s = seq - 1 - (r >> 8) % 30;
	return mix(s * 8 + 7) % nkeys;
}

/* Writes µs since the epoch as validate normalises times. */
static void
fam_time(char *out, size_t len, int64_t us)
{
	time_t		 secs = (time_t)(us / 1000000);
	struct tm	 tm;

	gmtime_r(&secs, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

/* Sets field i to printf text. */
static void __attribute__((format(printf, 3, 4)))
ff_set(struct ff *x, int i, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(x->s[i], sizeof(x->s[i]), fmt, ap);
	va_end(ap);
	x->f[i] = x->s[i];
}

/* Sets field i to a time (NO_TIME: NULL). */
static void
ff_time(struct ff *x, int i, int64_t us)
{
	if (us == NO_TIME) {
		x->f[i] = NULL;
		return;
	}
	fam_time(x->s[i], sizeof(x->s[i]), us);
	x->f[i] = x->s[i];
}

static void
fam_analytics(struct ff *x, uint64_t s, bool bad)
{
	uint64_t	 k = x->k;

	x->nf = AN_NFIELDS;
	x->t[0] = T0_US + (int64_t)k * 2000000 + (int64_t)(k * 7919 % 1000000);
	x->t[1] = s % 20 == 0 ? NO_TIME : T1_US +
	    (int64_t)(mix(s * 8 + 1) % 40) * 1000000;
	ff_set(x, AN_INTERACTION_ID, "an-%" PRIu64, k / 3);
	ff_time(x, AN_EVENT_TIME, x->t[0]);
	ff_set(x, AN_EVENT_TYPE, "%s", an_types[k % 3]);
	ff_set(x, AN_STATE, "%s", an_states[s % 5]);
	if (s % 7 != 0)
		ff_set(x, AN_HANDLE_TIME, "%d.5", (int)(s % 1000));
	ff_set(x, AN_WAIT_TIME, "%d", (int)(s % 300));
	if (s % 11 != 0)
		ff_set(x, AN_QUEUE_TIME, "%d.25", (int)(s % 600));
	if (s % 6 != 0)
		ff_set(x, AN_QUEUE_NAME, "q%d \"x\" {%d}", (int)(s % 4), (int)(s % 3));
	ff_set(x, AN_AGENT_ID, "7%04d", (int)(s % 400));
	ff_time(x, AN_LAST_UPDATED, x->t[1]);
	if (bad) {
		ff_set(x, AN_INTERACTION_ID, "bad-%" PRIu64, s);
		if (s % 2)
			ff_set(x, AN_HANDLE_TIME, "x1");
		else
			ff_set(x, AN_EVENT_TIME, "0000-01-01T00:00:00.000000Z");
	}
}

static void
fam_agent_state(struct ff *x, uint64_t s, bool bad)
{
	uint64_t	 k = x->k;

	x->nf = AS_NFIELDS;
	x->t[0] = T0_US + (int64_t)k * 3000000 + (int64_t)(k * 31 % 1000000);
	ff_set(x, AS_AGENT_ID, "ag-%02d", (int)(k % AGENTS));
	ff_time(x, AS_EVENT_TIME, x->t[0]);
	ff_set(x, AS_PREVIOUS_STATE, "%s", as_states[s % 5]);
	ff_set(x, AS_CURRENT_STATE, "%s", as_states[s / 5 % 5]);
	if (s % 9 != 0)
		ff_set(x, AS_REASON_CODE, "r%d", (int)(s % 7));
	ff_set(x, AS_VERDICT, "%s", s % 10 == 0 ? "rejected" : "accepted");
	ff_set(x, AS_LATENCY_US, "%d", (int)(s % 5000) - 1000);
	if (bad) {
		ff_set(x, AS_AGENT_ID, "bad-%" PRIu64, s);
		if (s % 2)
			ff_set(x, AS_VERDICT, "maybe");
		else
			ff_set(x, AS_EVENT_TIME, "300000-01-01T00:00:00.000000Z");
	}
}

static void
fam_data_action(struct ff *x, uint64_t s, bool bad)
{
	uint64_t	 k = x->k;

	x->nf = DA_NFIELDS;
	x->t[0] = T0_US + (int64_t)k * 7000000 + (int64_t)(k * 13 % 1000000);
	x->t[2] = x->t[0] - x->t[0] % 60000000;
	ff_set(x, DA_ACTION_ID, "da-%d", (int)(k % 3));
	ff_set(x, DA_EVENT_TYPE, "%s", da_types[k / 3 % 2]);
	ff_time(x, DA_EVENT_TIME, x->t[0]);
	ff_time(x, DA_BUCKET, x->t[2]);
	if (bad) {
		ff_set(x, DA_ACTION_ID, "bad-%" PRIu64, s);
		ff_set(x, DA_EVENT_TIME, "0000-01-01T00:00:00.000000Z");
	}
}

/* Fills x with record seq of family fam. */
static void
fam_fill(struct ff *x, uint64_t seq, uint32_t fam, uint64_t nkeys, int bad)
{
	bool	 b = fam_is_bad(seq, bad);

	memset(x, 0, sizeof(*x));
	x->fam = fam;
	x->k = fam_key(seq, nkeys);
	ff_set(x, 0, "%s", seq % 3 == 0 ? "replay1" : "http");
	ff_set(x, 1, "%" PRIu64, UINT64_C(1700000000000000) + seq * 1000);
	if (fam == FAMILY_ANALYTICS)
		fam_analytics(x, seq, b);
	else if (fam == FAMILY_AGENT_STATE)
		fam_agent_state(x, seq, b);
	else
		fam_data_action(x, seq, b);
}

/* The key space depends on the run's length: the driver sends 1..2N. */
static uint64_t	fam_space = 0;

void
fam_tuple(struct buf *t, uint64_t seq, uint32_t fam, int bad)
{
	struct ff	 x;
	int		 i;

	fam_fill(&x, seq, fam, fam_space, bad);
	for (i = 0; i < x.nf; i++)
		if (x.f[i] == NULL)
			tuple_add_null(t);
		else
			tuple_add(t, x.f[i], strlen(x.f[i]));
}

void
fam_setup(uint64_t last)
{
	fam_space = fam_nkeys(last);
}

static PGresult *
fam_query(PGconn *db, const char *sql)
{
	PGresult	*r = PQexec(db, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(db));
	return r;
}

/* Compares a result cell with text (NULL: SQL NULL). */
static void
fam_cell(PGresult *r, int row, int col, const char *want, const char *what,
    uint64_t seq)
{
	const char	*got = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);

	if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0))
		die("%s (winning record %" PRIu64 "): \"%s\", expected \"%s\"",
		    what, seq, got ? got : "(null)", want ? want : "(null)");
}

/* Compares a result cell with a number (NO_TIME: SQL NULL). */
static void
fam_num(PGresult *r, int row, int col, int64_t want, const char *what,
    uint64_t seq)
{
	char	 w[32];

	snprintf(w, sizeof(w), "%" PRId64, want);
	fam_cell(r, row, col, want == NO_TIME ? NULL : w, what, seq);
}

/* The model: per key, deliveries and the winning record. */
struct model {
	uint32_t	*deliveries[FAMILY_COUNT];
	uint64_t	*winner[FAMILY_COUNT];
	int64_t		*lu;		/* analytics: the winner's last_updated */
};

static void
fam_model(struct model *m, uint64_t last, uint64_t nkeys, int bad,
    uint64_t *refused)
{
	struct ff	 x;
	uint64_t	 s;
	uint32_t	 f;
	int64_t		 lu;

	for (f = 1; f < FAMILY_COUNT; f++) {
		m->deliveries[f] = xcalloc(nkeys, sizeof(uint32_t));
		m->winner[f] = xcalloc(nkeys, sizeof(uint64_t));
	}
	m->lu = xcalloc(nkeys, sizeof(int64_t));
	*refused = 0;
	for (s = 1; s <= last; s++) {
		if ((f = fam_of(s)) == FAMILY_INTERACTION)
			continue;
		if (fam_is_bad(s, bad)) {
			(*refused)++;
			continue;
		}
		fam_fill(&x, s, f, nkeys, bad);
		m->deliveries[f][x.k]++;
		lu = f == FAMILY_ANALYTICS ? x.t[1] : 0;
		/* a later delivery wins unless analytics says it is older */
		if (m->winner[f][x.k] == 0 || f != FAMILY_ANALYTICS ||
		    lu >= m->lu[x.k]) {
			m->winner[f][x.k] = s;
			m->lu[x.k] = f == FAMILY_ANALYTICS ? lu : m->lu[x.k];
		}
	}
}

/* The key of an analytics row: "an-ID" and its event type. */
static uint64_t
fam_an_key(PGresult *r, int row)
{
	uint64_t	 id;
	int		 t;

	if (sscanf(PQgetvalue(r, row, 0), "an-%" SCNu64, &id) != 1)
		die("analytics_events: unexpected interaction_id %s",
		    PQgetvalue(r, row, 0));
	for (t = 0; t < 3; t++)
		if (strcmp(PQgetvalue(r, row, 1), an_types[t]) == 0)
			return id * 3 + (uint64_t)t;
	die("analytics_events: unexpected event_type %s", PQgetvalue(r, row, 1));
}

#define US(col)	"(extract(epoch FROM " col ") * 1000000)::bigint"

static void
fam_check_analytics(PGconn *db, struct model *m, uint64_t nkeys, int bad)
{
	PGresult	*r;
	struct ff	 x;
	uint64_t	 k, want = 0, s;
	int		 row;
	char		 what[64];

	for (k = 0; k < nkeys; k++)
		want += m->deliveries[FAMILY_ANALYTICS][k] > 0;
	r = fam_query(db, "SELECT interaction_id, event_type, " US("event_time")
	    ", state, handle_time::text, wait_time::text, queue_time::text,"
	    " queue_name, agent_id, " US("last_updated") ", revision, seq,"
	    " source, " US("received_at") " FROM analytics_events");
	if ((uint64_t)PQntuples(r) != want)
		die("analytics_events has %d rows, expected %" PRIu64,
		    PQntuples(r), want);
	for (row = 0; row < PQntuples(r); row++) {
		k = fam_an_key(r, row);
		if (k >= nkeys || (s = m->winner[FAMILY_ANALYTICS][k]) == 0)
			die("analytics_events: unexpected key %" PRIu64, k);
		fam_fill(&x, s, FAMILY_ANALYTICS, nkeys, bad);
		snprintf(what, sizeof(what), "analytics key %" PRIu64, k);
		fam_num(r, row, 2, x.t[0], what, s);
		fam_cell(r, row, 3, x.f[AN_STATE], what, s);
		fam_cell(r, row, 4, x.f[AN_HANDLE_TIME], what, s);
		fam_cell(r, row, 5, x.f[AN_WAIT_TIME], what, s);
		fam_cell(r, row, 6, x.f[AN_QUEUE_TIME], what, s);
		fam_cell(r, row, 7, x.f[AN_QUEUE_NAME], what, s);
		fam_cell(r, row, 8, x.f[AN_AGENT_ID], what, s);
		fam_num(r, row, 9, x.t[1], "last_updated", s);
		fam_num(r, row, 10, m->deliveries[FAMILY_ANALYTICS][k],
		    "revision (deliveries)", s);
		fam_num(r, row, 11, (int64_t)s, "seq", s);
		fam_cell(r, row, 12, x.f[0], "source", s);
		fam_num(r, row, 13, (int64_t)(UINT64_C(1700000000000000) + s * 1000),
		    "received_at", s);
	}
	PQclear(r);
	printf("pgsink_driver: analytics_events: %" PRIu64 " rows, newest "
	    "last_updated won everywhere\n", want);
}

/* latency_ms as PostgreSQL writes round(us / 1000, 3). */
static void
fam_latency(char *out, size_t len, const char *us)
{
	long	 v = strtol(us, NULL, 10);

	snprintf(out, len, "%s%ld.%03ld", v < 0 ? "-" : "", labs(v) / 1000,
	    labs(v) % 1000);
}

static void
fam_check_agent_state(PGconn *db, struct model *m, uint64_t nkeys, int bad)
{
	PGresult	*r;
	struct ff	 x;
	uint64_t	 k, want = 0, s, newest[AGENTS] = { 0 }, rejected = 0;
	int		 row, a;
	char		 lat[32];

	for (k = 0; k < nkeys; k++) {
		if (m->deliveries[FAMILY_AGENT_STATE][k] == 0)
			continue;
		want++;
		/* keys of an agent: a greater k is a later event time */
		newest[k % AGENTS] = k + 1;
		fam_fill(&x, m->winner[FAMILY_AGENT_STATE][k], FAMILY_AGENT_STATE,
		    nkeys, bad);
		rejected += strcmp(x.f[AS_VERDICT], "rejected") == 0;
	}
	r = fam_query(db, "SELECT agent_id, " US("event_time") ", previous_state,"
	    " current_state, reason_code, verdict, latency_ms::text, revision, seq,"
	    " source FROM agent_state_changes");
	if ((uint64_t)PQntuples(r) != want)
		die("agent_state_changes has %d rows, expected %" PRIu64,
		    PQntuples(r), want);
	for (row = 0; row < PQntuples(r); row++) {
		if (sscanf(PQgetvalue(r, row, 0), "ag-%d", &a) != 1 || a < 0 ||
		    a >= AGENTS)
			die("agent_state_changes: unexpected agent %s",
			    PQgetvalue(r, row, 0));
		k = (uint64_t)((strtoll(PQgetvalue(r, row, 1), NULL, 10) -
		    T0_US) / 3000000);
		if (k >= nkeys || k % AGENTS != (uint64_t)a ||
		    (s = m->winner[FAMILY_AGENT_STATE][k]) == 0)
			die("agent_state_changes: unexpected row %s %s",
			    PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
		fam_fill(&x, s, FAMILY_AGENT_STATE, nkeys, bad);
		fam_num(r, row, 1, x.t[0], "event_time", s);
		fam_cell(r, row, 2, x.f[AS_PREVIOUS_STATE], "previous_state", s);
		fam_cell(r, row, 3, x.f[AS_CURRENT_STATE], "current_state", s);
		fam_cell(r, row, 4, x.f[AS_REASON_CODE], "reason_code", s);
		fam_cell(r, row, 5, x.f[AS_VERDICT], "verdict", s);
		fam_latency(lat, sizeof(lat), x.f[AS_LATENCY_US]);
		fam_cell(r, row, 6, lat, "latency_ms", s);
		fam_num(r, row, 7, m->deliveries[FAMILY_AGENT_STATE][k],
		    "revision (deliveries)", s);
		fam_num(r, row, 8, (int64_t)s, "seq", s);
		fam_cell(r, row, 9, x.f[0], "source", s);
	}
	PQclear(r);
	r = fam_query(db, "SELECT count(*) FROM agent_state_changes"
	    " WHERE verdict = 'rejected'");
	fam_num(r, 0, 0, (int64_t)rejected, "rejected changes", 0);
	PQclear(r);

	r = fam_query(db, "SELECT agent_id, state, previous_state, " US("since")
	    ", verdict, reason_code, seq FROM agent_states ORDER BY agent_id");
	for (a = 0, row = 0; a < AGENTS; a++) {
		if (newest[a] == 0)
			continue;
		if (row >= PQntuples(r))
			die("agent_states: no row for ag-%02d", a);
		k = newest[a] - 1;
		s = m->winner[FAMILY_AGENT_STATE][k];
		fam_fill(&x, s, FAMILY_AGENT_STATE, nkeys, bad);
		fam_cell(r, row, 0, x.f[AS_AGENT_ID], "agent_states agent_id", s);
		fam_cell(r, row, 1, x.f[AS_CURRENT_STATE], "agent_states state", s);
		fam_cell(r, row, 2, x.f[AS_PREVIOUS_STATE],
		    "agent_states previous_state", s);
		fam_num(r, row, 3, x.t[0], "agent_states since", s);
		fam_cell(r, row, 4, x.f[AS_VERDICT], "agent_states verdict", s);
		fam_cell(r, row, 5, x.f[AS_REASON_CODE],
		    "agent_states reason_code", s);
		fam_num(r, row, 6, (int64_t)s, "agent_states seq", s);
		row++;
	}
	if (row != PQntuples(r))
		die("agent_states has %d rows, expected %d", PQntuples(r), row);
	PQclear(r);
	printf("pgsink_driver: agent_state_changes: %" PRIu64 " rows (%" PRIu64
	    " rejected), agent_states: %d agents at their newest change\n",
	    want, rejected, row);
}

/* One rollup of the model. */
struct rollup {
	int64_t		bucket;
	int		action;
	int		type;
	int64_t		count;
};

static int
fam_rollup_cmp(const void *a, const void *b)
{
	const struct rollup *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->action != y->action)
		return x->action - y->action;
	return x->type - y->type;
}

static void
fam_check_data_action(PGconn *db, struct model *m, uint64_t nkeys, int bad)
{
	struct rollup	*ru;
	PGresult	*r;
	struct ff	 x;
	uint64_t	 k, events = 0;
	size_t		 n = 0, i, j;
	char		 sql[64];

	ru = xcalloc(nkeys, sizeof(*ru));
	for (k = 0; k < nkeys; k++) {
		if (m->deliveries[FAMILY_DATA_ACTION][k] == 0)
			continue;
		events++;
		fam_fill(&x, m->winner[FAMILY_DATA_ACTION][k], FAMILY_DATA_ACTION,
		    nkeys, bad);
		ru[n].bucket = x.t[2];
		ru[n].action = (int)(k % 3);
		ru[n].type = (int)(k / 3 % 2);
		ru[n++].count = 1;
	}
	qsort(ru, n, sizeof(*ru), fam_rollup_cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && fam_rollup_cmp(&ru[j - 1], &ru[i]) == 0)
			ru[j - 1].count++;
		else
			ru[j++] = ru[i];
	}
	n = j;
	r = fam_query(db, "SELECT count(*) FROM data_action_events");
	fam_num(r, 0, 0, (int64_t)events, "data_action_events rows", 0);
	PQclear(r);
	r = fam_query(db, "SELECT " US("bucket") ", action_id, event_type, count"
	    " FROM data_action_rollups ORDER BY bucket, action_id COLLATE \"C\","
	    " event_type COLLATE \"C\"");
	if ((size_t)PQntuples(r) != n)
		die("data_action_rollups has %d rows, expected %zu",
		    PQntuples(r), n);
	for (i = 0; i < n; i++) {
		fam_num(r, (int)i, 0, ru[i].bucket, "rollup bucket", 0);
		snprintf(sql, sizeof(sql), "da-%d", ru[i].action);
		fam_cell(r, (int)i, 1, sql, "rollup action_id", 0);
		fam_cell(r, (int)i, 2, da_types[ru[i].type], "rollup event_type", 0);
		fam_num(r, (int)i, 3, ru[i].count, "rollup count", 0);
	}
	PQclear(r);
	free(ru);
	printf("pgsink_driver: data_action_rollups: %zu buckets over %" PRIu64
	    " distinct events, every count exact\n", n, events);
}

uint64_t
fam_check(PGconn *db, uint64_t last, int bad)
{
	struct model	 m;
	uint64_t	 nkeys = fam_nkeys(last), refused;
	PGresult	*r;
	uint32_t	 f;

	memset(&m, 0, sizeof(m));
	fam_model(&m, last, nkeys, bad, &refused);
	fam_check_analytics(db, &m, nkeys, bad);
	fam_check_agent_state(db, &m, nkeys, bad);
	fam_check_data_action(db, &m, nkeys, bad);
	r = fam_query(db, "SELECT count(*) FROM cxpipe_dead_letters WHERE"
	    " reason LIKE 'postgres: %' AND (payload::jsonb->>'interaction_id'"
	    " LIKE 'bad-%' OR payload::jsonb->>'agent_id' LIKE 'bad-%' OR"
	    " payload::jsonb->>'action_id' LIKE 'bad-%')");
	fam_num(r, 0, 0, (int64_t)refused, "refused family rows as dead letters", 0);
	PQclear(r);
	for (f = 1; f < FAMILY_COUNT; f++) {
		free(m.deliveries[f]);
		free(m.winner[f]);
	}
	free(m.lu);
	return refused;
}
