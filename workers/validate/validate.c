#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "channel.h"
#include "log.h"
#include "record.h"
#include "schema.h"
#include "tuple.h"
#include "validate.h"
#include "worker.h"
#include "xmalloc.h"

#define DOWN_HIWAT	(1024 * 1024)	/* stop reading ingest above this much output */
#define DOWN_LOWAT	(256 * 1024)
#define REASON_MAX	1024

struct validate_counters {
	uint64_t	 received;
	uint64_t	 valid;
	uint64_t	 rejected;	/* dead letters: schema or storage */
	uint64_t	 not_json;
	uint64_t	 rewinds;
	uint64_t	 acks;
};

struct validate {
	struct worker		*w;
	struct event_base	*base;
	struct channel		*up;		/* ingest */
	struct channel		*down;		/* pgsink */
	struct channel		*obs;		/* alert */
	struct schema		*schemas[FAMILY_COUNT];
	uint64_t		 last_ack;	/* relayed to a new ingest */
	uint64_t		 last_seq;
	struct buf		 out;		/* reused for every record */
	struct buf		 obsbuf;	/* reused for every observation */
	struct validate_counters n;
};

/* Reading from ingest only makes sense while pgsink can take the output. */
static void
validate_flow(struct validate *v)
{
	if (v->up == NULL)
		return;
	channel_pause(v->up, v->down == NULL || channel_pending(v->down) >= DOWN_HIWAT);
}

/* Sends a dead letter for event seq. */
static void
validate_dead(struct validate *v, uint64_t seq, const struct tuple *t,
    const char *reason)
{
	buf_reset(&v->out);
	tuple_add(&v->out, t->val[RAW_SOURCE], t->len[RAW_SOURCE]);
	tuple_add(&v->out, t->val[RAW_RECEIVED_US], t->len[RAW_RECEIVED_US]);
	tuple_add_str(&v->out, reason);
	tuple_add(&v->out, t->val[RAW_BODY], t->len[RAW_BODY]);
	channel_send(v->down, MSG_RECORD_DEAD, 0, seq, v->out.data, v->out.len);
	v->n.rejected++;
}

/* A message the source could not use: body is "reason\0payload". */
static void
validate_source_dead(struct validate *v, uint64_t seq, const struct tuple *t)
{
	struct tuple	 d = *t;
	const char	*body = t->val[RAW_BODY];
	size_t		 rlen = strnlen(body, t->len[RAW_BODY]);
	char		 reason[REASON_MAX];

	snprintf(reason, sizeof(reason), "%.*s", (int)rlen, body);
	if (rlen < t->len[RAW_BODY]) {
		d.val[RAW_BODY] = body + rlen + 1;
		d.len[RAW_BODY] = t->len[RAW_BODY] - (uint32_t)rlen - 1;
	}
	validate_dead(v, seq, &d, reason);
}

/* Tells alert what was seen: family, type, queue, valid or not. */
static void
validate_observe(struct validate *v, enum family fam, const char *type,
    const char *queue, int valid)
{
	struct buf	*b = &v->obsbuf;

	if (v->obs == NULL || channel_pending(v->obs) >= DOWN_HIWAT)
		return;
	buf_reset(b);
	tuple_add_str(b, family_name(fam));
	tuple_add_str(b, type);
	tuple_add_str(b, queue);
	tuple_add_str(b, valid ? "1" : "0");
	channel_send(v->obs, MSG_OBS_EVENT, 0, 0, b->data, b->len);
}

/* One event: parse, validate, build the row or the dead letter. */
static void
validate_event(struct validate *v, const struct msg_hdr *h, const uint8_t *p)
{
	struct tuple	 t;
	json_error_t	 jerr;
	json_t		*ev;
	char		 reason[REASON_MAX];
	const char	*type, *queue;
	enum family	 fam = (enum family)h->flags;

	v->n.received++;
	v->last_seq = h->seq;
	if (tuple_parse(&t, p, h->len) == -1 || t.n != RAW_NFIELDS ||
	    t.val[RAW_SOURCE] == NULL || t.val[RAW_BODY] == NULL ||
	    (fam & ~FAMILY_F_DEAD) >= FAMILY_COUNT) {
		log_warnx("event %" PRIu64 ": malformed message from ingest", h->seq);
		return;
	}
	if (fam & FAMILY_F_DEAD) {
		validate_source_dead(v, h->seq, &t);
		return;
	}
	ev = json_loadb(t.val[RAW_BODY], t.len[RAW_BODY],
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (ev == NULL) {
		snprintf(reason, sizeof(reason), "not JSON: %s (line %d, column %d)",
		    jerr.text, jerr.line, jerr.column);
		v->n.not_json++;
		validate_dead(v, h->seq, &t, reason);
		validate_observe(v, fam, NULL, NULL, 0);
		return;
	}
	if (v->schemas[fam] == NULL) {
		snprintf(reason, sizeof(reason), "no schema for family %s",
		    family_name(fam));
		validate_dead(v, h->seq, &t, reason);
	} else if (!schema_validate(v->schemas[fam], ev, reason, sizeof(reason))) {
		validate_dead(v, h->seq, &t, reason);
		validate_observe(v, fam, NULL, NULL, 0);
	} else {
		buf_reset(&v->out);
		if (interaction_build_row(&v->out, t.val[RAW_SOURCE],
		    t.val[RAW_RECEIVED_US], ev, reason, sizeof(reason)) == -1) {
			validate_dead(v, h->seq, &t, reason);
		} else {
			channel_send(v->down, MSG_RECORD_ROW, fam, h->seq,
			    v->out.data, v->out.len);
			v->n.valid++;
			interaction_obs_keys(ev, &type, &queue);
			validate_observe(v, fam, type, queue, 1);
		}
	}
	json_decref(ev);
}

static void
validate_up_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct validate	*v = arg;

	if (v->down == NULL) {
		/* Paused reads make this rare; what is dropped is resent. */
		validate_flow(v);
		return;
	}
	switch (h->type) {
	case MSG_EVENT_RAW:
		validate_event(v, h, p);
		break;
	case MSG_EVENT_REWIND:
		v->n.rewinds++;
		channel_send(v->down, MSG_EVENT_REWIND, 0, h->seq, NULL, 0);
		break;
	default:
		log_warnx("ingest channel: unexpected %s", proto_type_name(h->type));
		break;
	}
	validate_flow(v);
}

static void
validate_down_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct validate	*v = arg;

	if (h->type != MSG_ACK_COMMITTED) {
		log_warnx("pgsink channel: unexpected %s", proto_type_name(h->type));
		return;
	}
	v->n.acks++;
	v->last_ack = h->seq;
	if (v->up != NULL)
		channel_send(v->up, MSG_ACK_COMMITTED, 0, h->seq, NULL, 0);
}

static void
validate_down_drain_cb(struct channel *ch, void *arg)
{
	validate_flow(arg);
}

/* Ignores anything alert sends back; it has nothing to say yet. */
static void
validate_obs_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
}

static void
validate_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct validate	*v = arg;

	log_debug("%s channel closed (%s)", channel_name(ch), why);
	if (ch == v->up)
		v->up = NULL;
	else if (ch == v->down) {
		v->down = NULL;
		validate_flow(v);
	} else if (ch == v->obs)
		v->obs = NULL;
	channel_free(ch);
}

static void
validate_attach(struct worker *w, enum role peer, int fd)
{
	struct validate	*v = worker_arg(w);

	switch (peer) {
	case ROLE_INGEST:
		channel_free(v->up);
		v->up = channel_new(v->base, fd, "ingest", validate_up_msg_cb,
		    validate_eof_cb, v);
		if (v->last_ack != 0)
			channel_send(v->up, MSG_ACK_COMMITTED, 0, v->last_ack, NULL, 0);
		break;
	case ROLE_PGSINK:
		channel_free(v->down);
		v->down = channel_new(v->base, fd, "pgsink", validate_down_msg_cb,
		    validate_eof_cb, v);
		channel_set_drain_cb(v->down, validate_down_drain_cb, DOWN_LOWAT);
		/* What went to the old pgsink may be lost: ask for a resend,
		 * which arrives behind this point on the ingest channel. */
		if (v->up != NULL)
			channel_send(v->up, MSG_EVENT_RESEND, 0, 0, NULL, 0);
		break;
	case ROLE_ALERT:
		channel_free(v->obs);
		v->obs = channel_new(v->base, fd, "alert", validate_obs_msg_cb,
		    validate_eof_cb, v);
		break;
	default:
		log_warnx("attach: validate has no channel to %s", role_name(peer));
		close(fd);
		return;
	}
	validate_flow(v);
}

/* Compiles every family's schema; on error none replaces the old ones. */
static int
validate_configure(struct worker *w, const struct config *c,
    const struct config *old, char *err, size_t errlen)
{
	struct validate	*v = worker_arg(w);
	struct schema	*fresh[FAMILY_COUNT] = { NULL };
	char		*path;
	int		 f;

	v->w = w;
	v->base = worker_base(w);
	path = xasprintf("%s/%s.json", c->schema_dir, family_name(FAMILY_INTERACTION));
	fresh[FAMILY_INTERACTION] = schema_compile_file(path, err, errlen);
	free(path);
	if (fresh[FAMILY_INTERACTION] == NULL)
		return -1;
	for (f = 0; f < FAMILY_COUNT; f++) {
		schema_free(v->schemas[f]);
		v->schemas[f] = fresh[f];
	}
	return 0;
}

static void
validate_stats(struct worker *w, struct buf *b)
{
	struct validate	*v = worker_arg(w);

	buf_printf(b, "\"received\":%" PRIu64 ",\"valid\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"not_json\":%" PRIu64
	    ",\"rewinds\":%" PRIu64 ",\"acks\":%" PRIu64
	    ",\"last_seq\":%" PRIu64 ",\"committed_seq\":%" PRIu64,
	    v->n.received, v->n.valid, v->n.rejected, v->n.not_json,
	    v->n.rewinds, v->n.acks, v->last_seq, v->last_ack);
}

/* Ingest has drained, so everything validate sent is committed. */
static void
validate_stop(struct worker *w)
{
	struct validate	*v = worker_arg(w);

	if (v->down != NULL)
		channel_flush(v->down, 1000);
	worker_drained(w);
}

static void
validate_shutdown(struct worker *w)
{
	struct validate	*v = worker_arg(w);
	int		 f;

	channel_free(v->up);
	channel_free(v->down);
	channel_free(v->obs);
	for (f = 0; f < FAMILY_COUNT; f++)
		schema_free(v->schemas[f]);
	buf_free(&v->out);
	buf_free(&v->obsbuf);
}

int
validate_main(void)
{
	static const struct worker_ops ops = {
		.role = ROLE_VALIDATE,
		.configure = validate_configure,
		.attach = validate_attach,
		.stats = validate_stats,
		.stop = validate_stop,
		.shutdown = validate_shutdown,
	};
	struct validate	 v;

	memset(&v, 0, sizeof(v));
	buf_init(&v.out);
	buf_init(&v.obsbuf);
	return worker_main(&ops, &v);
}
