#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "curl_loop.h"
#include "ingest.h"
#include "log.h"
#include "record.h"
#include "spool.h"
#include "stream.h"
#include "tuple.h"
#include "worker.h"
#include "ws_client.h"
#include "xmalloc.h"

#define DOWN_HIWAT	(1024 * 1024)	/* stop forwarding above this much queued output */
#define DOWN_LOWAT	(256 * 1024)
#define PUMP_BATCH	2048		/* records forwarded per loop turn */

static void	ingest_pump_cb(int, short, void *);

uint64_t
ingest_now_us(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

bool
ingest_can_accept(const struct ingest *in)
{
	return in->positioned && !in->stopping && !spool_full(in->spool);
}

int
ingest_accept(struct ingest *in, const char *source, enum family fam,
    uint64_t aux, const void *body, size_t len)
{
	uint64_t	 seq;

	/* Fullness is checked per request (ingest_can_accept), so a request is
	 * taken whole: the spool may pass its limit by one request body. */
	if (!in->positioned) {
		errno = EAGAIN;
		return -1;
	}
	if (spool_append(in->spool, source, (uint8_t)fam, ingest_now_us(), aux,
	    body, len, &seq) == -1) {
		in->n.spool_errors++;
		return -1;
	}
	in->dirty = true;
	in->n.accepted++;
	return 0;
}

int
ingest_accept_dead(struct ingest *in, const char *source, enum family fam,
    const char *reason, const void *body, size_t len)
{
	struct buf	 b;
	int		 r;

	buf_init(&b);
	buf_add(&b, reason, strlen(reason) + 1);
	buf_add(&b, body, len);
	r = ingest_accept(in, source, (enum family)(fam | FAMILY_F_DEAD), 0,
	    b.data, b.len);
	buf_free(&b);
	return r;
}

struct curl_loop *
ingest_curl_loop(struct ingest *in)
{
	if (in->curl == NULL)
		in->curl = curl_loop_new(in->base);
	return in->curl;
}

struct ws_thread *
ingest_ws_thread(struct ingest *in, char *err, size_t errlen)
{
	if (in->ws == NULL)
		in->ws = ws_thread_new(in->base, err, errlen);
	return in->ws;
}

int
ingest_commit(struct ingest *in)
{
	if (in->conf->spool_sync_mode == SPOOL_SYNC_ALWAYS && in->dirty) {
		if (spool_sync(in->spool) == -1) {
			in->n.spool_errors++;
			return -1;
		}
		in->dirty = false;
	}
	event_active(in->ev_pump, 0, 0);
	return 0;
}

/* Starts a resend: everything after the last acknowledged record goes
 * downstream again, announced by a rewind marker. */
static void
ingest_rewind(struct ingest *in)
{
	spool_rewind(in->spool);
	in->sent_seq = in->acked_seq;
	if (in->down == NULL)
		return;
	channel_send(in->down, MSG_EVENT_REWIND, 0, in->acked_seq + 1, NULL, 0);
	in->n.resends++;
	event_active(in->ev_pump, 0, 0);
}

/* Forwards records from the spool while validate and the in-flight bound allow. */
static void
ingest_pump_cb(int fd, short what, void *arg)
{
	struct ingest		*in = arg;
	struct spool_rec	 rec;
	struct buf		 b;
	char			 us[24];
	int			 i, r;

	if (in->down == NULL)
		return;
	buf_init(&b);
	for (i = 0; i < PUMP_BATCH; i++) {
		if (channel_pending(in->down) >= DOWN_HIWAT ||
		    in->sent_seq - in->acked_seq >= (uint64_t)in->conf->inflight_max)
			break;
		if ((r = spool_read_next(in->spool, &rec)) <= 0) {
			if (r == -1)
				in->n.spool_errors++;
			break;
		}
		buf_reset(&b);
		tuple_add_str(&b, rec.source);
		snprintf(us, sizeof(us), "%" PRIu64, rec.received_us);
		tuple_add_str(&b, us);
		tuple_add(&b, rec.body, rec.body_len);
		channel_send(in->down, MSG_EVENT_RAW, rec.family, rec.seq, b.data, b.len);
		in->sent_seq = rec.seq;
		in->n.forwarded++;
	}
	buf_free(&b);
	if (i == PUMP_BATCH)
		event_active(in->ev_pump, 0, 0);
}

static void
ingest_down_drain_cb(struct channel *ch, void *arg)
{
	struct ingest	*in = arg;

	event_active(in->ev_pump, 0, 0);
}

/* Lets every source read again (the spool has room, or ingest is positioned). */
static void
ingest_kick_sources(struct ingest *in)
{
	int	 i;

	for (i = 0; i < in->nsources; i++)
		ndjson_kick(in->sources[i]);
	for (i = 0; i < in->nstreams; i++)
		stream_kick(in->streams[i]);
}

/* pgsink committed everything up to seq. */
static void
ingest_on_ack(struct ingest *in, uint64_t seq)
{
	bool	 was_full = spool_full(in->spool);

	/* Numbers at or below what PostgreSQL committed would be skipped by
	 * pgsink: a new spool, or a tail lost with a power failure. */
	if (spool_next_seq(in->spool) <= seq) {
		log_warnx("spool numbering continues after sequence %" PRIu64
		    " committed in PostgreSQL (was %" PRIu64 ")", seq,
		    spool_next_seq(in->spool));
		spool_advance_seq(in->spool, seq + 1);
	}
	if (!in->positioned) {
		in->positioned = true;
		ingest_kick_sources(in);
	}
	if (seq > in->acked_seq && seq < spool_next_seq(in->spool)) {
		in->acked_seq = seq;
		spool_ack(in->spool, seq);
		if (in->sent_seq < seq)
			in->sent_seq = seq;
	}
	if (was_full && !spool_full(in->spool))
		ingest_kick_sources(in);
	if (in->stopping && spool_records(in->spool) == 0) {
		log_info("drained: every accepted event is committed");
		worker_drained(in->w);
		return;
	}
	event_active(in->ev_pump, 0, 0);
}

static void
ingest_down_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct ingest	*in = arg;

	switch (h->type) {
	case MSG_ACK_COMMITTED:
		ingest_on_ack(in, h->seq);
		break;
	case MSG_EVENT_RESEND:
		log_debug("resend asked by validate (new pgsink)");
		ingest_rewind(in);
		break;
	default:
		log_warnx("validate channel: unexpected %s", proto_type_name(h->type));
		break;
	}
}

static void
ingest_down_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct ingest	*in = arg;

	log_debug("validate channel closed (%s)", why);
	channel_free(in->down);
	in->down = NULL;
}

static void
ingest_sync_cb(int fd, short what, void *arg)
{
	struct ingest	*in = arg;

	if (in->dirty && in->conf->spool_sync_mode == SPOOL_SYNC_INTERVAL) {
		if (spool_sync(in->spool) == -1)
			in->n.spool_errors++;
		in->dirty = false;
	}
}

static void
ingest_arm_sync(struct ingest *in, const struct config *c)
{
	struct timeval	 tv;

	tv.tv_sec = c->spool_sync_interval_ms / 1000;
	tv.tv_usec = (c->spool_sync_interval_ms % 1000) * 1000;
	event_del(in->ev_sync);
	event_add(in->ev_sync, &tv);
}

static void
ingest_spool_opts(const struct config *c, struct spool_opts *o)
{
	o->max_bytes = (uint64_t)c->spool_max_bytes;
	o->segment_bytes = (uint64_t)c->spool_segment_bytes;
	o->sync_on_rotate = c->spool_sync_mode != SPOOL_SYNC_NEVER;
}

/* Finds, for a source, the offset past its newest line still in the spool:
 * that line may be newer than the position file if the worker died between
 * the two writes. */
static uint64_t
ingest_spooled_offset(struct ingest *in, const char *source)
{
	struct spool_rec	 rec;
	uint64_t		 off = 0;

	spool_rewind(in->spool);
	while (spool_read_next(in->spool, &rec) == 1)
		if (strcmp(rec.source, source) == 0 && rec.aux > off)
			off = rec.aux;
	spool_rewind(in->spool);
	return off;
}

/* First configuration: opens the spool and starts the sources. */
static int
ingest_start(struct ingest *in, const struct config *c, char *err, size_t errlen)
{
	struct spool_opts	 o;
	int			 i;

	ingest_spool_opts(c, &o);
	if ((in->spool = spool_open(c->spool_dir, &o, err, errlen)) == NULL)
		return -1;
	in->acked_seq = spool_acked_seq(in->spool);
	in->sent_seq = in->acked_seq;
	/* A spool with history numbers on from it; a new one must first learn
	 * what PostgreSQL already committed, or pgsink would skip its events. */
	in->positioned = !spool_is_fresh(in->spool);
	in->ev_pump = event_new(in->base, -1, 0, ingest_pump_cb, in);
	in->ev_sync = event_new(in->base, -1, EV_PERSIST, ingest_sync_cb, in);
	in->conf = c;
	ingest_arm_sync(in, c);
	log_info("spool %s: %" PRIu64 " records to commit, next sequence %" PRIu64,
	    c->spool_dir, spool_records(in->spool), spool_next_seq(in->spool));
	if (c->http_listen != NULL &&
	    (in->http = http_start(in, c, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < c->nstreams; i++) {
		if ((in->streams[i] = stream_start(in, &c->streams[i], err,
		    errlen)) == NULL)
			return -1;
		in->nstreams++;
	}
	for (i = 0; i < c->nsources; i++) {
		if ((in->sources[i] = ndjson_start(in, &c->sources[i],
		    ingest_spooled_offset(in, c->sources[i].name), err, errlen)) == NULL)
			return -1;
		in->nsources++;
	}
	return 0;
}

static int
ingest_configure(struct worker *w, const struct config *c,
    const struct config *old, char *err, size_t errlen)
{
	struct ingest		*in = worker_arg(w);
	struct spool_opts	 o;

	in->w = w;
	in->base = worker_base(w);
	if (old == NULL)
		return ingest_start(in, c, err, errlen);
	if (in->http != NULL && http_reconfigure(in->http, c, err, errlen) == -1)
		return -1;
	ingest_spool_opts(c, &o);
	spool_set_opts(in->spool, &o);
	in->conf = c;
	ingest_arm_sync(in, c);
	ingest_kick_sources(in);
	return 0;
}

static void
ingest_attach(struct worker *w, enum role peer, int fd)
{
	struct ingest	*in = worker_arg(w);

	if (peer != ROLE_VALIDATE) {
		log_warnx("attach: ingest has no channel to %s", role_name(peer));
		close(fd);
		return;
	}
	if (in->down != NULL)
		channel_free(in->down);
	in->down = channel_new(in->base, fd, "validate", ingest_down_msg_cb,
	    ingest_down_eof_cb, in);
	channel_set_drain_cb(in->down, ingest_down_drain_cb, DOWN_LOWAT);
	ingest_rewind(in);
}

static void
ingest_stats(struct worker *w, struct buf *b)
{
	struct ingest	*in = worker_arg(w);
	int		 i;

	buf_printf(b, "\"accepted\":%" PRIu64 ",\"forwarded\":%" PRIu64
	    ",\"resends\":%" PRIu64 ",\"http_requests\":%" PRIu64
	    ",\"http_rejected\":%" PRIu64 ",\"spool_errors\":%" PRIu64
	    ",\"spool_bytes\":%" PRIu64 ",\"spool_records\":%" PRIu64
	    ",\"spool_segments\":%d,\"spool_full\":%s"
	    ",\"next_seq\":%" PRIu64 ",\"sent_seq\":%" PRIu64
	    ",\"committed_seq\":%" PRIu64 ",\"lag\":%" PRIu64,
	    in->n.accepted, in->n.forwarded, in->n.resends, in->n.http_requests,
	    in->n.http_rejected, in->n.spool_errors, spool_bytes(in->spool),
	    spool_records(in->spool), spool_segments(in->spool),
	    spool_full(in->spool) ? "true" : "false", spool_next_seq(in->spool),
	    in->sent_seq, in->acked_seq, spool_records(in->spool));
	buf_add_str(b, ",\"sources\":[");
	for (i = 0; i < in->nsources; i++) {
		if (i > 0)
			buf_add_str(b, ",");
		ndjson_stats(in->sources[i], b);
	}
	buf_add_str(b, "],\"streams\":[");
	for (i = 0; i < in->nstreams; i++) {
		if (i > 0)
			buf_add_str(b, ",");
		stream_stats(in->streams[i], b);
	}
	buf_add_str(b, "]");
}

/* Stop: accept nothing more, wait until every spooled event is committed. */
static void
ingest_stop(struct worker *w)
{
	struct ingest	*in = worker_arg(w);
	int		 i;

	in->stopping = true;
	if (in->http != NULL) {
		http_stop(in->http);
		in->http = NULL;
	}
	for (i = 0; i < in->nsources; i++)
		ndjson_stop(in->sources[i]);
	in->nsources = 0;
	for (i = 0; i < in->nstreams; i++)
		stream_stop(in->streams[i]);
	in->nstreams = 0;
	if (in->dirty && spool_sync(in->spool) == 0)
		in->dirty = false;
	if (spool_records(in->spool) == 0) {
		worker_drained(w);
		return;
	}
	log_info("stopping: waiting for %" PRIu64 " events to be committed",
	    spool_records(in->spool));
}

static void
ingest_shutdown(struct worker *w)
{
	struct ingest	*in = worker_arg(w);
	int		 i;

	if (in->http != NULL)
		http_stop(in->http);
	for (i = 0; i < in->nsources; i++)
		ndjson_stop(in->sources[i]);
	for (i = 0; i < in->nstreams; i++)
		stream_stop(in->streams[i]);
	if (in->ws != NULL)
		ws_thread_free(in->ws);
	if (in->curl != NULL)
		curl_loop_free(in->curl);
	if (in->down != NULL)
		channel_free(in->down);
	if (in->spool != NULL) {
		if (in->dirty)
			spool_sync(in->spool);
		spool_close(in->spool);
	}
	if (in->ev_pump != NULL)
		event_free(in->ev_pump);
	if (in->ev_sync != NULL)
		event_free(in->ev_sync);
}

int
ingest_main(void)
{
	static const struct worker_ops ops = {
		.role = ROLE_INGEST,
		.configure = ingest_configure,
		.attach = ingest_attach,
		.stats = ingest_stats,
		.stop = ingest_stop,
		.shutdown = ingest_shutdown,
	};
	struct ingest	 in;

	memset(&in, 0, sizeof(in));
	return worker_main(&ops, &in);
}
