/*
 * verify_families.c: "cxpipe-sim verify" for the analytics, agent_state
 * and data_action manifests of "cxpipe-sim serve".
 *
 *   analytics    analytics_events: one row per key with the event last
 *                sent (every member the manifest has), revision = sends.
 *   agent_state  agent_state_changes: one row per key with the change last
 *                sent, revision = sends; as many rows with verdict
 *                'rejected' as "odd_transitions"; agent_states: one row per
 *                agent of "current", in that state, since its newest change.
 *   data_action  data_action_rollups: one row per manifest key (action,
 *                event type, minute) with its "count"; data_action_events
 *                holds as many events as the counts add up to.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "families.h"
#include "manifest.h"
#include "verify_internal.h"

#define US(col)	"(extract(epoch FROM " col ") * 1000000)::bigint"

/* Writes numeric text without trailing fraction zeros into out. */
static void
verify_numeric_trim(const char *s, char *out, size_t size)
{
	size_t n;

	snprintf(out, size, "%s", s);
	if (strchr(out, '.') == NULL || strpbrk(out, "eE") != NULL)
		return;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if (strcmp(out, "-0") == 0)
		snprintf(out, size, "0");
}

/* Tells whether PostgreSQL numeric text got is the JSON number want. */
static bool
verify_numeric_same(const char *want, const char *got)
{
	char a[64], b[64];

	if (want == NULL || got == NULL)
		return want == got;
	verify_numeric_trim(want, a, sizeof(a));
	verify_numeric_trim(got, b, sizeof(b));
	return strcmp(a, b) == 0 || strtod(a, NULL) == strtod(b, NULL);
}

/* A cell as text, NULL for SQL NULL. */
static const char *
verify_cell(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A time cell (µs); INT64_MIN for NULL. */
static int64_t
verify_cell_us(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? INT64_MIN :
	    strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Notes a time field that differs. */
static void
verify_note_time(struct verify_diff *d, const char *field, int64_t want,
    int64_t got, char *wbuf, char *gbuf, size_t size)
{
	if (want == got)
		return;
	verify_note(d, field, verify_format_us(want, wbuf, size),
	    got == INT64_MIN ? NULL : verify_format_us(got, gbuf, size));
}

/* Finds the entry of a row and marks it seen; counts it unexpected if none. */
static struct manifest_entry *
verify_entry(struct manifest *m, struct verify_tally *t, const char *a,
    const char *b, int64_t time_us, char *name, size_t size)
{
	struct manifest_entry *e = NULL;
	char key[1024], when[40];

	snprintf(name, size, "%s%s%s at %s", a, b ? " " : "", b ? b : "",
	    verify_format_us(time_us, when, sizeof(when)));
	if (manifest_entry_key(m->family, a, b, time_us, key, sizeof(key)))
		e = manifest_find_entry(m, key);
	if (e == NULL || e->seen) {
		t->unexpected++;
		verify_example(t, "unexpected: %s", name);
		return NULL;
	}
	e->seen = true;
	return e;
}

/* Compares a row's revision with the entry's sends. */
static void
verify_revision(struct verify_tally *t, const struct manifest_entry *e,
    const char *name, const char *revision)
{
	int64_t r = revision ? strtoll(revision, NULL, 10) : 0;

	if (r == e->sends)
		return;
	t->revisions++;
	verify_example(t, "revision: %s: revision %" PRId64 ", expected %"
	    PRId64 " (sends)", name, r, e->sends);
}

/* One analytics_events row. */
static void
verify_analytics_row(struct manifest *m, struct verify_tally *t,
    PGresult *res, int row)
{
	static const struct { int v, col; const char *name; } text[] = {
		{ MV_AN_STATE, 3, "state" },
		{ MV_AN_QUEUE_NAME, 7, "queue_name" },
		{ MV_AN_AGENT_ID, 8, "agent_id" },
	}, num[] = {
		{ MV_AN_HANDLE_TIME, 4, "handle_time" },
		{ MV_AN_WAIT_TIME, 5, "wait_time" },
		{ MV_AN_QUEUE_TIME, 6, "queue_time" },
	};
	struct verify_diff d = { NULL, NULL, NULL, 0 };
	struct manifest_entry *e;
	char name[256], w[40], g[40];
	size_t i;

	e = verify_entry(m, t, PQgetvalue(res, row, 0), PQgetvalue(res, row, 2),
	    verify_cell_us(res, row, 1), name, sizeof(name));
	if (e == NULL)
		return;
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!verify_same(e->v[text[i].v], verify_cell(res, row,
		    text[i].col)))
			verify_note(&d, text[i].name, e->v[text[i].v],
			    verify_cell(res, row, text[i].col));
	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (!verify_numeric_same(e->v[num[i].v], verify_cell(res, row,
		    num[i].col)))
			verify_note(&d, num[i].name, e->v[num[i].v],
			    verify_cell(res, row, num[i].col));
	verify_note_time(&d, "last_updated", e->t[MT_LAST_UPDATED],
	    verify_cell_us(res, row, 9), w, g, sizeof(w));
	verify_report(t, name, &d);
	verify_revision(t, e, name, verify_cell(res, row, 10));
}

/* One agent_state_changes row. */
static void
verify_agent_state_row(struct manifest *m, struct verify_tally *t,
    PGresult *res, int row)
{
	static const struct { int v, col; const char *name; } text[] = {
		{ MV_AS_PREVIOUS_STATE, 2, "previous_state" },
		{ MV_AS_CURRENT_STATE, 3, "current_state" },
		{ MV_AS_REASON_CODE, 4, "reason_code" },
	};
	struct verify_diff d = { NULL, NULL, NULL, 0 };
	struct manifest_entry *e;
	char name[256];
	size_t i;

	e = verify_entry(m, t, PQgetvalue(res, row, 0), NULL,
	    verify_cell_us(res, row, 1), name, sizeof(name));
	if (e == NULL)
		return;
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!verify_same(e->v[text[i].v], verify_cell(res, row,
		    text[i].col)))
			verify_note(&d, text[i].name, e->v[text[i].v],
			    verify_cell(res, row, text[i].col));
	verify_report(t, name, &d);
	verify_revision(t, e, name, verify_cell(res, row, 5));
}

/* One data_action_rollups row. */
static void
verify_data_action_row(struct manifest *m, struct verify_tally *t,
    PGresult *res, int row)
{
	struct verify_diff d = { NULL, NULL, NULL, 0 };
	struct manifest_entry *e;
	char name[256], want[24];

	e = verify_entry(m, t, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
	    verify_cell_us(res, row, 2), name, sizeof(name));
	if (e == NULL)
		return;
	snprintf(want, sizeof(want), "%" PRId64, e->count);
	if (strcmp(want, PQgetvalue(res, row, 3)) != 0)
		verify_note(&d, "count", want, PQgetvalue(res, row, 3));
	verify_report(t, name, &d);
}

/* Runs a one-number query into *out; false after printing why not. */
static bool
verify_count(PGconn *conn, const char *sql, uint64_t *out)
{
	PGresult *res;

	if (!verify_exec(conn, sql, &res))
		return false;
	*out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

/* agent_states against "current", and the rejected changes. */
static bool
verify_agent_states(PGconn *conn, struct manifest *m, struct verify_tally *t)
{
	struct manifest_current *c;
	uint64_t rejected, agents, differ = 0, extra = 0, missing = 0;
	PGresult *res;
	char w[40], g[40];
	size_t i;
	int row;

	if (!verify_count(conn, "SELECT count(*) FROM agent_state_changes "
	    "WHERE verdict = 'rejected'", &rejected) ||
	    !verify_exec(conn, "SELECT agent_id, state, " US("since")
	    " FROM agent_states", &res))
		return false;
	agents = (uint64_t)PQntuples(res);
	for (row = 0; row < PQntuples(res); row++) {
		c = manifest_find_current(m, PQgetvalue(res, row, 0));
		if (c == NULL) {
			extra++;
			verify_example(t, "unexpected: agent_states %s",
			    PQgetvalue(res, row, 0));
			continue;
		}
		c->seen = true;
		if (!verify_same(c->state, verify_cell(res, row, 1)) ||
		    (c->since != INT64_MIN &&
		    c->since != verify_cell_us(res, row, 2))) {
			differ++;
			verify_example(t, "mismatch: agent_states %s: '%s' since "
			    "%s, expected '%s' since %s", c->agent_id,
			    PQgetvalue(res, row, 1), verify_format_us(
			    verify_cell_us(res, row, 2), g, sizeof(g)), c->state,
			    verify_format_us(c->since, w, sizeof(w)));
		}
	}
	PQclear(res);
	for (i = 0; i < m->ncurrent; i++)
		if (!m->current[i].seen) {
			missing++;
			verify_example(t, "missing: agent_states %s",
			    m->current[i].agent_id);
		}
	if (m->have_odd && rejected != m->odd_transitions) {
		t->other++;
		verify_example(t, "rejected: %" PRIu64 " changes with verdict "
		    "'rejected', expected %" PRIu64 " (odd_transitions)",
		    rejected, m->odd_transitions);
	}
	t->other += differ + extra + missing;
	snprintf(t->extra, sizeof(t->extra), "; rejected: %" PRIu64
	    " expected, %" PRIu64 " found; agent_states: %zu expected, %"
	    PRIu64 " found, %" PRIu64 " differ", m->odd_transitions, rejected,
	    m->ncurrent, agents, differ);
	return true;
}

/* data_action_events against the sum of the counts. */
static bool
verify_data_action_events(PGconn *conn, struct manifest *m,
    struct verify_tally *t)
{
	uint64_t events, want = 0;
	size_t i;

	if (!verify_count(conn, "SELECT count(*) FROM data_action_events",
	    &events))
		return false;
	for (i = 0; i < m->nentries; i++)
		want += (uint64_t)m->entries[i].count;
	if (events != want) {
		t->other++;
		verify_example(t, "events: data_action_events has %" PRIu64
		    " rows, the counts add up to %" PRIu64, events, want);
	}
	snprintf(t->extra, sizeof(t->extra), "; events: %" PRIu64
	    " expected, %" PRIu64 " found", want, events);
	return true;
}

bool
verify_read_family(PGconn *conn, struct manifest *m, struct verify_tally *t)
{
	switch (m->family) {
	case FAMILY_ANALYTICS:
		return verify_each_row(conn, "SELECT interaction_id, "
		    US("event_time") ", event_type, state, handle_time::text, "
		    "wait_time::text, queue_time::text, queue_name, agent_id, "
		    US("last_updated") ", revision FROM analytics_events",
		    verify_analytics_row, m, t);
	case FAMILY_AGENT_STATE:
		return verify_each_row(conn, "SELECT agent_id, " US("event_time")
		    ", previous_state, current_state, reason_code, revision "
		    "FROM agent_state_changes", verify_agent_state_row, m, t) &&
		    verify_agent_states(conn, m, t);
	default:
		return verify_each_row(conn, "SELECT action_id, event_type, "
		    US("bucket") ", count FROM data_action_rollups",
		    verify_data_action_row, m, t) &&
		    verify_data_action_events(conn, m, t);
	}
}
