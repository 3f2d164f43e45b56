#include "autoconf.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "channel.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "worker.h"
#include "xmalloc.h"
#include "alert_rows.h"
#include "batch.h"
#include "commit.h"
#include "latency.h"
#include "migrate.h"
#include "pg_conn.h"
#include "pgsink.h"

/* Where the database side stands. */
enum sink_db {
	DB_DOWN = 0,		/* no usable connection (connecting or waiting) */
	DB_MIGRATING,		/* schema migration and committed position */
	DB_IDLE,		/* ready for a batch */
	DB_BUSY			/* a batch's transaction is in flight */
};

struct pgsink {
	struct worker		*w;
	struct event_base	*base;
	struct pg_conn		*pg;
	struct migrate		*mig;
	struct batch		*batch;		/* accepted, not yet committed */
	struct alert_rows	*arows;		/* alert's records, not yet committed */
	struct commit		*commit;
	struct channel		*validate;
	struct channel		*alert;
	struct event		*ev_delay;	/* batch_delay after a first record */

	int64_t			 batch_size;
	int64_t			 batch_delay_ms;

	enum sink_db		 db;
	bool			 delay_due;
	bool			 committed_known;
	bool			 synced;	/* a rewind was seen on this channel */
	bool			 flow_paused;
	bool			 stopping;
	bool			 drained;
	bool			 alert_paused;
	uint64_t		 committed;
	uint64_t		 last_accepted;
	uint64_t		 last_received;

	uint64_t		 rows_committed;
	uint64_t		 dead_committed;
	uint64_t		 batches;
	uint64_t		 row_by_row;
	uint64_t		 collapsed;
	uint64_t		 duplicates;
	uint64_t		 unsynced_ignored;
	uint64_t		 alert_committed;	/* alert records */
	uint64_t		 alert_malformed;
	uint64_t		 alert_acked;		/* highest alert seq committed */
	char			 last_error[512];
	struct latency		 latency;	/* accept to commit, since start */
};

static void	pgsink_flush(struct pgsink *);

/* Records still waiting for a batch (not part of the one in flight). */
static size_t
pgsink_waiting(const struct pgsink *s)
{
	return batch_count(s->batch) - commit_inflight(s->commit);
}

/* Alert records still waiting for a transaction. */
static size_t
pgsink_waiting_alert(const struct pgsink *s)
{
	return alert_rows_count(s->arows) - commit_inflight_alert(s->commit);
}

/* Everything held and not committed, validate's and alert's. */
static size_t
pgsink_pending(const struct pgsink *s)
{
	return batch_count(s->batch) + alert_rows_count(s->arows);
}

/* Tells validate (and through it ingest) what is committed. */
static void
pgsink_send_ack(struct pgsink *s)
{
	if (s->validate != NULL && s->committed_known)
		channel_send(s->validate, MSG_ACK_COMMITTED, 0, s->committed,
		    NULL, 0);
}

/* Reads from validate only while the committed position is known and the
 * pending records stay under their bound (with hysteresis). */
static void
pgsink_update_flow(struct pgsink *s)
{
	size_t	 n = batch_count(s->batch), bs = (size_t)s->batch_size;

	if (!s->flow_paused && n >= 4 * bs)
		s->flow_paused = true;
	else if (s->flow_paused && n < 2 * bs)
		s->flow_paused = false;
	if (s->validate != NULL)
		channel_pause(s->validate, !s->committed_known || s->flow_paused);
	n = alert_rows_count(s->arows);
	if (!s->alert_paused && n >= 4 * bs)
		s->alert_paused = true;
	else if (s->alert_paused && n < 2 * bs)
		s->alert_paused = false;
	if (s->alert != NULL)
		channel_pause(s->alert, s->alert_paused);
}

/* Tells the master this worker is done, once. */
static void
pgsink_drained(struct pgsink *s)
{
	if (s->drained)
		return;
	s->drained = true;
	if (batch_count(s->batch) > 0)
		log_warnx("stopping with %zu records uncommitted (PostgreSQL is "
		    "unavailable); the spool keeps them", batch_count(s->batch));
	if (alert_rows_count(s->arows) > 0)
		log_warnx("stopping with %zu alert records uncommitted; the alert "
		    "worker's journal keeps them", alert_rows_count(s->arows));
	worker_drained(s->w);
}

/* Starts a batch when the database is free and one is due. */
static void
pgsink_maybe_flush(struct pgsink *s)
{
	size_t	 n = pgsink_waiting(s), na = pgsink_waiting_alert(s);

	if (s->db != DB_IDLE || !pg_conn_is_idle(s->pg) || n + na == 0)
		return;
	if (n >= (size_t)s->batch_size || na >= (size_t)s->batch_size ||
	    s->delay_due || s->stopping)
		pgsink_flush(s);
}

/* Arms the batch delay for records that wait without a timer. */
static void
pgsink_arm_delay(struct pgsink *s)
{
	struct timeval	 tv;

	if (evtimer_pending(s->ev_delay, NULL))
		return;
	tv.tv_sec = s->batch_delay_ms / 1000;
	tv.tv_usec = (s->batch_delay_ms % 1000) * 1000;
	evtimer_add(s->ev_delay, &tv);
}

static void
pgsink_delay_cb(int fd, short what, void *arg)
{
	struct pgsink	*s = arg;

	s->delay_due = true;
	pgsink_maybe_flush(s);
}

/* The transaction in flight is committed: counts, drops its records and
 * acknowledges. */
/* Adds the accept-to-commit latency of the oldest n records, just committed. */
static void
pgsink_note_latency(struct pgsink *s, size_t n)
{
	struct timeval	 tv;
	uint64_t	 now, at;
	size_t		 i;

	gettimeofday(&tv, NULL);
	now = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	for (i = 0; i < n; i++) {
		at = batch_received_us(s->batch, i);
		if (at != 0 && at <= now)
			latency_add(&s->latency, now - at);
	}
}

static void
pgsink_committed_cb(void *arg, const struct commit_result *r)
{
	struct pgsink	*s = arg;

	s->rows_committed += r->rows;
	s->dead_committed += r->dead;
	s->collapsed += r->collapsed;
	s->row_by_row += r->row_by_row;
	s->batches++;
	if (r->n > 0) {
		s->committed = r->max_seq;
		pgsink_note_latency(s, r->n);
		batch_pop(s->batch, r->n);
	}
	if (r->nalert > 0) {
		alert_rows_pop(s->arows, r->nalert);
		s->alert_committed += r->nalert;
		if (r->alert_max_seq > s->alert_acked)
			s->alert_acked = r->alert_max_seq;
		if (s->alert != NULL)
			channel_send(s->alert, MSG_ACK_COMMITTED, 0,
			    r->alert_max_seq, NULL, 0);
	}
	s->db = DB_IDLE;
	pg_conn_healthy(s->pg);
	if (r->n > 0)
		pgsink_send_ack(s);
	pgsink_update_flow(s);
	if (s->stopping && pgsink_pending(s) == 0) {
		pgsink_drained(s);
		return;
	}
	pgsink_maybe_flush(s);
}

/* Sends one batch: the oldest records, at most batch_size. */
static void
pgsink_flush(struct pgsink *s)
{
	size_t	 n = batch_count(s->batch), na = alert_rows_count(s->arows);

	if (n > (size_t)s->batch_size)
		n = (size_t)s->batch_size;
	if (na > (size_t)s->batch_size)
		na = (size_t)s->batch_size;
	s->delay_due = false;
	evtimer_del(s->ev_delay);
	if (batch_count(s->batch) > n || alert_rows_count(s->arows) > na)
		pgsink_arm_delay(s);
	s->db = DB_BUSY;
	commit_start(s->commit, n, na);
}

/* The schema is current and the committed position read: the connection
 * is usable.  Records already committed (a commit whose answer was lost)
 * are dropped, and whatever waits is sent. */
static void
pgsink_migrated_cb(void *arg, uint64_t committed)
{
	struct pgsink	*s = arg;
	size_t		 dropped;

	s->db = DB_IDLE;
	/* With records waiting, only a commit proves the connection useful
	 * (a batch that keeps failing must not reset the backoff). */
	if (pgsink_pending(s) == 0)
		pg_conn_healthy(s->pg);
	if (!s->committed_known) {
		s->committed_known = true;
		s->committed = committed;
		log_info("committed position is %" PRIu64, committed);
		pgsink_send_ack(s);
	} else if (committed > s->committed) {
		s->committed = committed;
		pgsink_send_ack(s);
	} else if (committed < s->committed)
		log_warnx("the database's committed position %" PRIu64 " is below "
		    "%" PRIu64 " seen before: was it replaced?", committed,
		    s->committed);
	if (s->last_accepted < s->committed)
		s->last_accepted = s->committed;
	if ((dropped = batch_drop_through(s->batch, s->committed)) > 0)
		log_info("%zu pending records were already committed", dropped);
	pgsink_update_flow(s);
	if (s->stopping && pgsink_pending(s) == 0) {
		pgsink_drained(s);
		return;
	}
	s->delay_due = pgsink_pending(s) > 0;
	pgsink_maybe_flush(s);
}

static void
pgsink_pg_ready_cb(void *arg)
{
	struct pgsink	*s = arg;

	s->db = DB_MIGRATING;
	migrate_start(s->mig);
}

/* The connection is gone: the batch in flight stays queued and is sent
 * again once reconnected.  While stopping, there is no waiting for it. */
static void
pgsink_pg_lost_cb(void *arg)
{
	struct pgsink	*s = arg;

	commit_abandon(s->commit);
	s->db = DB_DOWN;
	if (s->stopping)
		pgsink_drained(s);
}

/* Takes one record from validate, in sequence order. */
static void
pgsink_take(struct pgsink *s, const struct msg_hdr *h, const uint8_t *p)
{
	if (h->seq > s->last_received)
		s->last_received = h->seq;
	if (!s->synced) {
		s->unsynced_ignored++;
		return;
	}
	if (h->seq <= s->last_accepted) {
		s->duplicates++;
		return;
	}
	if (h->seq > s->last_accepted + 1)
		log_warnx("sequence jumps from %" PRIu64 " to %" PRIu64,
		    s->last_accepted, h->seq);
	if (pgsink_waiting(s) == 0)
		pgsink_arm_delay(s);
	batch_add(s->batch, h->type, h->flags, h->seq, p, h->len);
	s->last_accepted = h->seq;
	pgsink_update_flow(s);
	pgsink_maybe_flush(s);
}

static void
pgsink_validate_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct pgsink	*s = arg;

	if (fd != -1)
		close(fd);
	switch (h->type) {
	case MSG_RECORD_ROW:
	case MSG_RECORD_DEAD:
		pgsink_take(s, h, p);
		break;
	case MSG_EVENT_REWIND:
		if (!s->synced)
			log_info("validate resends from %" PRIu64 " (accepted up "
			    "to %" PRIu64 ")", h->seq, s->last_accepted);
		s->synced = true;
		break;
	default:
		log_warnx("validate: unexpected %s", proto_type_name(h->type));
		break;
	}
}

static void
pgsink_validate_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct pgsink	*s = arg;

	log_info("validate channel closed (%s); waiting for a new one", why);
	channel_free(ch);
	s->validate = NULL;
	s->synced = false;
}

/* Takes one record of the alert worker: transitions and snapshots go in
 * the next transaction; what is already in the tables stays as it is. */
static void
pgsink_alert_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct pgsink	*s = arg;

	if (fd != -1)
		close(fd);
	if (h->type != MSG_ALERT_TRANSITION && h->type != MSG_METRIC_SNAPSHOT) {
		log_warnx("alert: unexpected %s", proto_type_name(h->type));
		return;
	}
	if (!alert_rows_add(s->arows, h->type, h->seq, p, h->len)) {
		if (s->alert_malformed++ == 0)
			log_warnx("alert: malformed %s record %" PRIu64 " ignored",
			    proto_type_name(h->type), h->seq);
		return;
	}
	pgsink_arm_delay(s);
	pgsink_update_flow(s);
	pgsink_maybe_flush(s);
}

static void
pgsink_alert_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct pgsink	*s = arg;

	channel_free(ch);
	s->alert = NULL;
}

/* Takes the frame's base and timer the first time an op runs. */
static void
pgsink_bind(struct pgsink *s, struct worker *w)
{
	if (s->w != NULL)
		return;
	s->w = w;
	s->base = worker_base(w);
	s->ev_delay = evtimer_new(s->base, pgsink_delay_cb, s);
	if (s->ev_delay == NULL)
		fatalx("pgsink: cannot allocate the batch timer");
}

static int
pgsink_configure(struct worker *w, const struct config *conf,
    const struct config *old, char *err, size_t errlen)
{
	struct pgsink		*s = worker_arg(w);
	PQconninfoOption	*opts;
	char			*msg = NULL;

	pgsink_bind(s, w);
	s->batch_size = conf->batch_size > 0 ? conf->batch_size : 1;
	s->batch_delay_ms = conf->batch_delay_ms;
	if (s->pg != NULL) {
		/* A conninfo change restarts pgsink (the master sees to it). */
		pg_conn_set_reconnect_max(s->pg, conf->reconnect_max_ms);
		pgsink_update_flow(s);
		pgsink_maybe_flush(s);
		return 0;
	}
	/* libpq's own message could quote the string, password and all. */
	if ((opts = PQconninfoParse(conf->pg_conninfo, &msg)) == NULL) {
		snprintf(err, errlen, "[postgres] conninfo is not a valid libpq "
		    "connection string");
		PQfreemem(msg);
		return -1;
	}
	PQconninfoFree(opts);
	s->pg = pg_conn_new(s->base, conf->pg_conninfo, conf->reconnect_max_ms,
	    pgsink_pg_ready_cb, pgsink_pg_lost_cb, s, s->last_error,
	    sizeof(s->last_error));
	s->mig = migrate_new(s->pg, pgsink_migrated_cb, s);
	s->commit = commit_new(s->pg, s->batch, s->arows, pgsink_committed_cb, s,
	    s->last_error, sizeof(s->last_error));
	pg_conn_start(s->pg);
	return 0;
}

static void
pgsink_attach(struct worker *w, enum role peer, int fd)
{
	struct pgsink	*s = worker_arg(w);

	pgsink_bind(s, w);
	switch (peer) {
	case ROLE_VALIDATE:
		channel_free(s->validate);
		s->validate = channel_new(s->base, fd, "validate",
		    pgsink_validate_msg_cb, pgsink_validate_eof_cb, s);
		s->synced = false;
		pgsink_update_flow(s);
		pgsink_send_ack(s);
		break;
	case ROLE_ALERT:
		channel_free(s->alert);
		s->alert = channel_new(s->base, fd, "alert", pgsink_alert_msg_cb,
		    pgsink_alert_eof_cb, s);
		pgsink_update_flow(s);
		break;
	default:
		log_warnx("attach: %s is not a neighbour of pgsink", role_name(peer));
		close(fd);
		break;
	}
}

/* Appends the counters; last_error never holds the conninfo. */
static void
pgsink_stats(struct worker *w, struct buf *b)
{
	struct pgsink	*s = worker_arg(w);
	json_t		*e;
	char		*text;

	buf_printf(b, "\"connected\":%s,\"synced\":%s,\"committed_seq\":%" PRIu64
	    ",\"last_seq_received\":%" PRIu64 ",\"rows_committed\":%" PRIu64
	    ",\"dead_letters_committed\":%" PRIu64 ",\"batches\":%" PRIu64
	    ",\"row_by_row_batches\":%" PRIu64 ",\"collapsed\":%" PRIu64
	    ",\"duplicates_ignored\":%" PRIu64 ",\"unsynced_ignored\":%" PRIu64
	    ",\"pending\":%zu,\"reconnects\":%" PRIu64 ",\"last_error\":",
	    s->db >= DB_IDLE ? "true" : "false", s->synced ? "true" : "false",
	    s->committed, s->last_received, s->rows_committed, s->dead_committed,
	    s->batches, s->row_by_row, s->collapsed, s->duplicates,
	    s->unsynced_ignored, batch_count(s->batch),
	    s->pg != NULL ? pg_conn_reconnects(s->pg) : 0);
	e = json_string(s->last_error);
	text = e != NULL ? json_dumps(e, JSON_ENCODE_ANY) : NULL;
	buf_add_str(b, text != NULL ? text : "\"\"");
	free(text);
	buf_printf(b, ",\"batch_size\":%lld", (long long)s->batch_size);
	buf_printf(b, ",\"alert_attached\":%s,\"alert_records_committed\":%"
	    PRIu64 ",\"alert_records_pending\":%zu,\"alert_records_malformed\":%"
	    PRIu64 ",\"alert_committed_seq\":%" PRIu64,
	    s->alert != NULL ? "true" : "false", s->alert_committed,
	    alert_rows_count(s->arows), s->alert_malformed, s->alert_acked);
	buf_printf(b, ",\"commit_latency_p50_us\":%" PRIu64
	    ",\"commit_latency_p99_us\":%" PRIu64,
	    latency_quantile(&s->latency, 0.50), latency_quantile(&s->latency, 0.99));
	json_decref(e);
}

/* Commits what is held, then reports drained; with PostgreSQL down, after
 * one more attempt to reach it. */
static void
pgsink_stop(struct worker *w)
{
	struct pgsink	*s = worker_arg(w);

	pgsink_bind(s, w);
	s->stopping = true;
	log_info("stopping with %zu records to commit", pgsink_pending(s));
	if (s->pg == NULL || pgsink_pending(s) == 0) {
		if (s->db != DB_BUSY)
			pgsink_drained(s);
		return;
	}
	if (s->db == DB_DOWN) {
		if (!pg_conn_is_connecting(s->pg))
			pg_conn_connect_now(s->pg);
		return;
	}
	pgsink_maybe_flush(s);
}

static void
pgsink_shutdown(struct worker *w)
{
	struct pgsink	*s = worker_arg(w);

	if (s->validate != NULL) {
		channel_flush(s->validate, 1000);
		channel_free(s->validate);
	}
	channel_free(s->alert);
	if (s->ev_delay != NULL)
		event_free(s->ev_delay);
	commit_free(s->commit);
	migrate_free(s->mig);
	pg_conn_free(s->pg);
	batch_free(s->batch);
	alert_rows_free(s->arows);
	s->arows = NULL;
	s->validate = s->alert = NULL;
	s->ev_delay = NULL;
	s->mig = NULL;
	s->commit = NULL;
	s->pg = NULL;
	s->batch = NULL;
}

int
pgsink_main(void)
{
	static const struct worker_ops ops = {
		.role = ROLE_PGSINK,
		.configure = pgsink_configure,
		.attach = pgsink_attach,
		.stats = pgsink_stats,
		.stop = pgsink_stop,
		.shutdown = pgsink_shutdown,
	};
	struct pgsink	*s;
	int		 status;

	s = xcalloc(1, sizeof(*s));
	s->batch = batch_new();
	s->arows = alert_rows_new();
	s->batch_size = 500;
	status = worker_main(&ops, s);
	free(s);
	return status;
}
