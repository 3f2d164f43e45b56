#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"
#include "proto.h"
#include "record.h"
#include "xmalloc.h"
#include "journal.h"
#include "persist.h"

struct persist {
	struct event_base	*base;
	struct journal		*journal;
	struct channel		*pgsink;	/* NULL between attaches */
	struct journal_rec	**q;		/* oldest first: q[head..n) */
	size_t			 head;
	size_t			 n;
	size_t			 cap;
	size_t			 max;
	uint64_t		 last_seq;	/* issued last */
	uint64_t		 acked;		/* highest acknowledged */
	struct buf		 tb;		/* tuple being built */

	uint64_t		 transitions;	/* made since start */
	uint64_t		 snapshots;
	uint64_t		 committed;	/* acknowledged by pgsink */
	uint64_t		 dropped_snapshots;
	uint64_t		 dropped_transitions;
	uint64_t		 resent;	/* sent again to a new pgsink */
};

static size_t
persist_queued(const struct persist *p)
{
	return p->n - p->head;
}

/* Appends rec at the queue's end, moving the live part down when needed. */
static void
persist_push(struct persist *p, struct journal_rec *rec)
{
	if (p->n == p->cap && p->head > 0) {
		memmove(p->q, p->q + p->head, persist_queued(p) * sizeof(*p->q));
		p->n -= p->head;
		p->head = 0;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->q = xreallocarray(p->q, p->cap, sizeof(*p->q));
	}
	p->q[p->n++] = rec;
}

static void
persist_rec_free(struct journal_rec *r)
{
	free(r->payload);
	free(r);
}

static void
persist_load_cb(void *arg, struct journal_rec *r)
{
	struct persist		*p = arg;
	struct journal_rec	*c = xmalloc(sizeof(*c));

	*c = *r;
	persist_push(p, c);
}

struct persist *
persist_new(struct event_base *base, const char *spool_dir, size_t max)
{
	struct persist	*p;
	char		 path[4096];

	p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->max = max > 0 ? max : PERSIST_QUEUE_MAX;
	buf_init(&p->tb);
	if (spool_dir != NULL) {
		if (mkdir(spool_dir, 0700) == -1 && errno != EEXIST)
			log_warn("mkdir %s", spool_dir);
		snprintf(path, sizeof(path), "%s/alert.journal", spool_dir);
		p->journal = journal_open(path, persist_load_cb, p, &p->last_seq);
	}
	return p;
}

void
persist_free(struct persist *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	if (p->pgsink != NULL) {
		channel_flush(p->pgsink, 200);
		channel_free(p->pgsink);
	}
	for (i = p->head; i < p->n; i++)
		persist_rec_free(p->q[i]);
	free(p->q);
	journal_close(p->journal);
	buf_free(&p->tb);
	free(p);
}

static void
persist_send(struct persist *p, const struct journal_rec *r)
{
	if (p->pgsink != NULL)
		channel_send(p->pgsink, r->type, 0, r->seq, r->payload, r->len);
}

/* Rewrites the journal when it has grown well past what is queued. */
static void
persist_compact(struct persist *p)
{
	journal_compact(p->journal,
	    (const struct journal_rec *const *)(p->q + p->head),
	    persist_queued(p), p->last_seq);
}

/* pgsink committed every record numbered up to seq. */
static void
persist_ack(struct persist *p, uint64_t seq)
{
	size_t	 k = 0;

	while (p->head < p->n && p->q[p->head]->seq <= seq) {
		persist_rec_free(p->q[p->head++]);
		k++;
	}
	if (p->head == p->n)
		p->head = p->n = 0;
	if (seq > p->acked)
		p->acked = seq;
	if (k == 0)
		return;
	p->committed += k;
	journal_committed(p->journal, seq);
	persist_compact(p);
}

/* Makes room for one record: drops the oldest snapshot, else the oldest
 * transition. */
static void
persist_make_room(struct persist *p)
{
	size_t	 i, victim = p->head;

	for (i = p->head; i < p->n; i++)
		if (p->q[i]->type == MSG_METRIC_SNAPSHOT) {
			victim = i;
			break;
		}
	if (p->q[victim]->type == MSG_METRIC_SNAPSHOT) {
		if (p->dropped_snapshots++ == 0)
			log_warnx("queue for pgsink full (%zu records): dropping "
			    "the oldest snapshots", p->max);
	} else if (p->dropped_transitions++ == 0)
		log_warnx("queue for pgsink full of transitions (%zu): dropping "
		    "the oldest", p->max);
	journal_dropped(p->journal, p->q[victim]->seq);
	persist_rec_free(p->q[victim]);
	memmove(p->q + victim, p->q + victim + 1,
	    (p->n - victim - 1) * sizeof(*p->q));
	p->n--;
}

/* Numbers, journals, queues and sends the tuple built in p->tb. */
static void
persist_emit(struct persist *p, uint16_t type)
{
	struct journal_rec	*r;

	if (persist_queued(p) >= p->max)
		persist_make_room(p);
	r = xmalloc(sizeof(*r));
	r->type = type;
	r->seq = ++p->last_seq;
	r->len = p->tb.len;
	r->payload = xmalloc(r->len > 0 ? r->len : 1);
	memcpy(r->payload, p->tb.data, r->len);
	journal_append(p->journal, type, r->seq, r->payload, r->len);
	persist_push(p, r);
	persist_send(p, r);
}

/* Adds a number field: NaN or infinity is NULL. */
static void
persist_add_double(struct buf *b, double v)
{
	char	 s[64];

	if (!isfinite(v)) {
		tuple_add_null(b);
		return;
	}
	snprintf(s, sizeof(s), "%.17g", v);
	tuple_add_str(b, s);
}

/* Adds an integer field: negative is NULL. */
static void
persist_add_i64(struct buf *b, int64_t v)
{
	char	 s[32];

	if (v < 0) {
		tuple_add_null(b);
		return;
	}
	snprintf(s, sizeof(s), "%" PRId64, v);
	tuple_add_str(b, s);
}

void
persist_alert_transition(struct persist *p, const struct persist_transition *t)
{
	struct buf	*b = &p->tb;

	buf_reset(b);
	tuple_add_str(b, t->fingerprint);
	tuple_add_str(b, t->rule);
	tuple_add_str(b, t->scope != NULL ? t->scope : "");
	tuple_add_str(b, t->severity);
	tuple_add_str(b, t->state);
	persist_add_double(b, t->value);
	persist_add_double(b, t->threshold);
	persist_add_i64(b, t->starts_us);
	persist_add_i64(b, t->ends_us > 0 ? t->ends_us : -1);
	tuple_add_str(b, t->labels_json);
	p->transitions++;
	persist_emit(p, MSG_ALERT_TRANSITION);
}

void
persist_snapshot(struct persist *p, const struct persist_snapshot *s)
{
	struct buf	*b = &p->tb;

	buf_reset(b);
	tuple_add_str(b, s->metric);
	tuple_add_str(b, s->scope_kind);
	tuple_add_str(b, s->scope_value != NULL ? s->scope_value : "");
	persist_add_i64(b, s->window_start_us);
	persist_add_i64(b, s->window_end_us);
	persist_add_double(b, s->value);
	persist_add_i64(b, s->count);
	persist_add_i64(b, s->invalid);
	persist_add_double(b, s->avg);
	persist_add_double(b, s->max);
	persist_add_double(b, s->p95);
	p->snapshots++;
	persist_emit(p, MSG_METRIC_SNAPSHOT);
}

/* Acknowledgements from pgsink. */
static void
persist_msg_cb(struct channel *ch, const struct msg_hdr *h, const uint8_t *pl,
    int fd, void *arg)
{
	struct persist	*p = arg;

	(void)ch;
	(void)pl;
	if (fd != -1)
		close(fd);
	if (h->type != MSG_ACK_COMMITTED) {
		log_warnx("pgsink channel: unexpected %s", proto_type_name(h->type));
		return;
	}
	persist_ack(p, h->seq);
}

static void
persist_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct persist	*p = arg;

	log_info("pgsink channel closed (%s): %zu records wait for the next",
	    why, persist_queued(p));
	channel_free(ch);
	if (p->pgsink == ch)
		p->pgsink = NULL;
}

void
persist_attach(struct persist *p, int fd)
{
	size_t	 i;

	channel_free(p->pgsink);
	p->pgsink = channel_new(p->base, fd, "pgsink", persist_msg_cb,
	    persist_eof_cb, p);
	for (i = p->head; i < p->n; i++)
		persist_send(p, p->q[i]);
	p->resent += persist_queued(p);
	log_debug("pgsink channel attached; %zu records sent", persist_queued(p));
}

void
persist_stats(const struct persist *p, struct buf *b)
{
	buf_printf(b, ",\"pgsink_attached\":%s,\"persist_queued\":%zu"
	    ",\"persist_last_seq\":%" PRIu64 ",\"persist_acked_seq\":%" PRIu64
	    ",\"transitions_made\":%" PRIu64 ",\"snapshots_made\":%" PRIu64
	    ",\"persist_committed\":%" PRIu64 ",\"persist_resent\":%" PRIu64
	    ",\"snapshots_dropped\":%" PRIu64 ",\"transitions_dropped\":%" PRIu64
	    ",\"journal_bytes\":%" PRIu64,
	    p->pgsink != NULL ? "true" : "false", persist_queued(p), p->last_seq,
	    p->acked, p->transitions, p->snapshots, p->committed, p->resent,
	    p->dropped_snapshots, p->dropped_transitions,
	    journal_bytes(p->journal));
}

#ifdef CXPIPE_TEST_HOOKS
void
persist_test_transitions(struct persist *p)
{
	struct persist_transition	 t;
	const char			*s = getenv("CXPIPE_TEST_ALERT_TRANSITIONS");
	char				 fp[64], scope[32];
	long				 n, i;

	if (s == NULL || (n = strtol(s, NULL, 10)) <= 0)
		return;
	log_info("test hook: %ld synthetic transitions", n);
	for (i = 0; i < n; i++) {
		snprintf(fp, sizeof(fp), "test-%ld", i / 2);
		snprintf(scope, sizeof(scope), "queue-%ld", i / 2);
		memset(&t, 0, sizeof(t));
		t.fingerprint = fp;
		t.rule = "test_rule";
		t.scope = scope;
		t.severity = "warning";
		t.state = i % 2 == 0 ? "firing" : "resolved";
		t.value = 10.5 + (double)i;
		t.threshold = 10;
		t.starts_us = 1700000000000000LL + (i / 2) * 1000000LL;
		t.ends_us = i % 2 == 0 ? 0 : t.starts_us + 500000;
		t.labels_json = "{\"test\": true}";
		persist_alert_transition(p, &t);
	}
}
#endif
