#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "proto.h"
#include "xmalloc.h"
#include "alert_rows.h"
#include "batch.h"
#include "commit.h"
#include "pg_conn.h"

/* Data errors: the batch is retried in savepoints, the refused row becomes
 * a dead letter.  Class 21 is two rows of one statement with the same key
 * (keys equal as times but not as text): one by one they go in. */
#define SQLSTATE_IS_DATA(s)	(strncmp((s), "22", 2) == 0 || \
	strncmp((s), "23", 2) == 0 || strncmp((s), "21", 2) == 0)

/* The statements of one savepoint group in the pipeline. */
struct commit_group {
	size_t		 from;		/* units [from, to) */
	size_t		 to;
	int		 first;		/* results [first, last) are its statements */
	int		 last;
};

struct commit {
	struct pg_conn		*pg;
	struct batch		*batch;
	struct alert_rows	*alert;
	size_t			 nalert;	/* alert records in flight */
	commit_done_cb		 done;
	void			*arg;
	char			*err;
	size_t			 errlen;

	struct batch_plan	 plan;		/* the transaction in flight */
	struct batch_stmt	 st;
	bool			 busy;
	bool			 row_by_row;
	size_t			 unit;		/* row by row: first unit sent */
	size_t			 fine_until;	/* units below it go one by one */
	int			 prefix;	/* statements before the first group */
	size_t			 refused;
	struct commit_group	*groups;
	size_t			 ngroups;
	size_t			 gcap;
};

struct commit *
commit_new(struct pg_conn *pg, struct batch *batch, struct alert_rows *alert,
    commit_done_cb done, void *arg, char *errbuf, size_t errlen)
{
	struct commit	*c;

	c = xcalloc(1, sizeof(*c));
	c->pg = pg;
	c->batch = batch;
	c->alert = alert;
	c->done = done;
	c->arg = arg;
	c->err = errbuf;
	c->errlen = errlen;
	batch_stmt_init(&c->st);
	return c;
}

void
commit_free(struct commit *c)
{
	if (c == NULL)
		return;
	batch_plan_free(&c->plan);
	batch_stmt_free(&c->st);
	free(c->groups);
	free(c);
}

size_t
commit_inflight(const struct commit *c)
{
	return c->busy ? c->plan.n : 0;
}

size_t
commit_inflight_alert(const struct commit *c)
{
	return c->busy ? c->nalert : 0;
}

void
commit_abandon(struct commit *c)
{
	batch_plan_clear(&c->plan);
	c->busy = false;
	c->nalert = 0;
}

/* Queues the alert records' statements and, when there are records of
 * the batch, the offsets; they never fail on data (alert_rows.h). */
static void
commit_send_tail(struct commit *c)
{
	if (alert_rows_build(c->alert, MSG_ALERT_TRANSITION, c->nalert, &c->st))
		pg_conn_query(c->pg, c->st.sql, c->st.nparams, c->st.values);
	if (alert_rows_build(c->alert, MSG_METRIC_SNAPSHOT, c->nalert, &c->st))
		pg_conn_query(c->pg, c->st.sql, c->st.nparams, c->st.values);
	if (c->plan.n > 0) {
		batch_build_offsets(c->batch, &c->plan, &c->st);
		pg_conn_query(c->pg, c->st.sql, c->st.nparams, c->st.values);
	}
}

/* Resets the connection because a statement failed in a way a retry after
 * reconnecting may cure (the batch stays queued). */
static void
commit_fail(struct commit *c, const char *what, const PGresult *r)
{
	char	 msg[400], why[512];

	pg_result_message(r, msg, sizeof(msg));
	snprintf(why, sizeof(why), "%s failed: %s%s%s", what,
	    pg_result_sqlstate(r), *pg_result_sqlstate(r) ? ": " : "", msg);
	pg_conn_reset(c->pg, why);
}

/* COMMIT succeeded: reports what was stored. */
static void
commit_finish(struct commit *c)
{
	struct commit_result	 r;

	memset(&r, 0, sizeof(r));
	r.n = c->plan.n;
	r.first_seq = c->plan.first_seq;
	r.max_seq = c->plan.max_seq;
	batch_plan_count(&c->plan, &r.rows, &r.dead);
	r.collapsed = c->plan.collapsed;
	r.refused = c->refused;
	r.row_by_row = c->row_by_row;
	r.nalert = c->nalert;
	r.alert_max_seq = alert_rows_max_seq(c->alert, c->nalert);
	if (c->refused > 0)
		log_warnx("records %" PRIu64 " to %" PRIu64 ": %zu rows refused by "
		    "PostgreSQL were stored as dead letters (last: %s)",
		    r.first_seq, r.max_seq, c->refused, c->err);
	batch_plan_clear(&c->plan);
	c->busy = false;
	c->nalert = 0;
	c->done(c->arg, &r);
}

/* Queues the statements of units [from, to) in a savepoint, as a group. */
static void
commit_send_group(struct commit *c, size_t from, size_t to, int *nres)
{
	struct commit_group	*g;
	uint32_t		 fam;

	if (c->ngroups == c->gcap) {
		c->gcap = c->gcap ? c->gcap * 2 : 32;
		c->groups = xreallocarray(c->groups, c->gcap, sizeof(*c->groups));
	}
	g = &c->groups[c->ngroups++];
	g->from = from;
	g->to = to;
	pg_conn_query(c->pg, "SAVEPOINT unit", 0, NULL);
	g->first = ++*nres;
	for (fam = 0; fam < FAMILY_COUNT; fam++)
		if (batch_build_rows(c->batch, &c->plan, fam, from, to, &c->st)) {
			pg_conn_query(c->pg, c->st.sql, c->st.nparams,
			    c->st.values);
			++*nres;
		}
	if (batch_build_dead(c->batch, &c->plan, from, to, &c->st)) {
		pg_conn_query(c->pg, c->st.sql, c->st.nparams, c->st.values);
		++*nres;
	}
	g->last = *nres;
	pg_conn_query(c->pg, "RELEASE SAVEPOINT unit", 0, NULL);
	++*nres;
}

static void	commit_row_done_cb(void *, PGresult **, int);

/* Row by row: the units from c->unit on, in savepoint groups of about the
 * square root of the batch (single units below fine_until), then the
 * offsets and COMMIT, in one pipeline after the prefix statements. */
static void
commit_send_rows(struct commit *c)
{
	size_t	 i, j, g, n = c->plan.nunits;
	int	 nres = c->prefix;

	for (g = 4; g * g < n; g *= 2)
		;
	c->ngroups = 0;
	for (i = c->unit; i < n; i = j) {
		j = i < c->fine_until ? i + 1 : i + g < n ? i + g : n;
		commit_send_group(c, i, j, &nres);
	}
	commit_send_tail(c);
	pg_conn_query(c->pg, "COMMIT", 0, NULL);
	pg_conn_sync(c->pg, commit_row_done_cb, c);
}

/* Row by row came back: committed; or a group was refused, and is sent
 * again one unit at a time; or a unit was refused, and becomes a dead
 * letter (a dead letter is stored as ASCII); anything else resets. */
static void
commit_row_done_cb(void *arg, PGresult **res, int n)
{
	struct commit		*c = arg;
	struct commit_group	*g = NULL;
	struct batch_unit	*u;
	char			 msg[400];
	size_t			 k;
	int			 i;

	for (i = 0; i < n && pg_result_ok(res[i]); i++)
		;
	if (i == n) {
		commit_finish(c);
		return;
	}
	for (k = 0; k < c->ngroups && g == NULL; k++)
		if (i >= c->groups[k].first && i < c->groups[k].last)
			g = &c->groups[k];
	if (g == NULL || !SQLSTATE_IS_DATA(pg_result_sqlstate(res[i]))) {
		commit_fail(c, "row-by-row commit", res[i]);
		return;
	}
	c->unit = g->from;
	if (g->to - g->from > 1)
		c->fine_until = g->to;
	else {
		u = &c->plan.units[g->from];
		pg_result_message(res[i], msg, sizeof(msg));
		log_debug("record %" PRIu64 " refused: %s", u->seq, msg);
		if (u->row && u->failure == NULL)
			c->refused++;
		if (!batch_plan_fail(&c->plan, g->from, msg)) {
			commit_fail(c, "dead-letter insert", res[i]);
			return;
		}
		snprintf(c->err, c->errlen, "postgres: %s", msg);
	}
	pg_conn_query(c->pg, "ROLLBACK TO SAVEPOINT unit", 0, NULL);
	pg_conn_query(c->pg, "RELEASE SAVEPOINT unit", 0, NULL);
	c->prefix = 2;
	commit_send_rows(c);
}

/* First in every batch transaction with records of validate's stream:
 * no other session has committed them (see migration 3); else the batch
 * fails with SQLSTATE CX001, the connection is reset and the committed
 * position is read again.  Returns the statements queued (0 or 1); a
 * transaction of alert records alone needs no claim (their keys are
 * natural, see alert_rows.h). */
static int
commit_claim(struct commit *c)
{
	char		 first[24];
	const char	*v[1] = { first };

	if (c->plan.n == 0)
		return 0;
	snprintf(first, sizeof(first), "%" PRIu64, c->plan.first_seq);
	pg_conn_query(c->pg, "SELECT cxpipe_claim($1::bigint)", 1, v);
	return 1;
}

/* The whole batch came back: committed, or a data error sends it again
 * row by row, or anything else resets the connection. */
static void
commit_batch_done_cb(void *arg, PGresult **res, int n)
{
	struct commit	*c = arg;
	const char	*state;
	char		 msg[400];
	int		 i;

	for (i = 0; i < n && pg_result_ok(res[i]); i++)
		;
	if (i == n) {
		commit_finish(c);
		return;
	}
	state = pg_result_sqlstate(res[i]);
	if (!SQLSTATE_IS_DATA(state)) {
		commit_fail(c, "batch", res[i]);
		return;
	}
	pg_result_message(res[i], msg, sizeof(msg));
	snprintf(c->err, c->errlen, "postgres: %s: %s", state, msg);
	log_debug("records %" PRIu64 " to %" PRIu64 ": %s: %s; retrying row "
	    "by row", c->plan.first_seq, c->plan.max_seq, state, msg);
	c->row_by_row = true;
	c->unit = c->fine_until = 0;
	pg_conn_query(c->pg, "ROLLBACK", 0, NULL);
	pg_conn_query(c->pg, "BEGIN", 0, NULL);
	c->prefix = 2 + commit_claim(c);
	commit_send_rows(c);
}

void
commit_start(struct commit *c, size_t n, size_t nalert)
{
	struct batch_plan	*p = &c->plan;
	uint32_t		 fam;

	batch_plan_make(c->batch, n, p);
	c->nalert = nalert;
	c->busy = true;
	c->row_by_row = false;
	c->refused = 0;
	pg_conn_query(c->pg, "BEGIN", 0, NULL);
	commit_claim(c);
	for (fam = 0; fam < FAMILY_COUNT; fam++)
		if (batch_build_rows(c->batch, p, fam, 0, p->nunits, &c->st))
			pg_conn_query(c->pg, c->st.sql, c->st.nparams,
			    c->st.values);
	if (batch_build_dead(c->batch, p, 0, p->nunits, &c->st))
		pg_conn_query(c->pg, c->st.sql, c->st.nparams, c->st.values);
	commit_send_tail(c);
	pg_conn_query(c->pg, "COMMIT", 0, NULL);
	pg_conn_sync(c->pg, commit_batch_done_cb, c);
}
