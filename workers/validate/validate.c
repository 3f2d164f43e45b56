#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "config.h"
#include "family_schemas.h"
#include "jdoc.h"
#include "log.h"
#include "record.h"
#include "schema.h"
#include "timestamp.h"
#include "tuple.h"
#include "validate.h"
#include "worker.h"
#include "xmalloc.h"

#define DOWN_HIWAT	(1024 * 1024)	/* stop reading ingest above this much output */
#define DOWN_LOWAT	(256 * 1024)
#define REASON_MAX	4096	/* room for all_errors = yes */

struct validate_counters {
	uint64_t	 received;
	uint64_t	 valid;
	uint64_t	 rejected;	/* dead letters: schema or storage */
	uint64_t	 not_json;
	uint64_t	 too_deep;	/* nested deeper than max_depth */
	uint64_t	 bad_time;	/* timestamp out of range or in the future */
	uint64_t	 rejected_transitions;	/* agent_state rows "rejected" */
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
	struct state_matrix	 states;		/* [states] */
	int64_t			 max_skew_us;	/* [validate] max_clock_skew */
	int			 max_depth;	/* [validate] max_depth */
	int			 all_errors;	/* [validate] all_errors */
	uint64_t		 last_ack;	/* relayed to a new ingest */
	uint64_t		 last_seq;
	struct buf		 out;		/* reused for every record */
	struct buf		 obsbuf;	/* reused for every observation */
	struct jdoc		*doc;		/* every event is parsed into it */
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

/* Adds string s (or NULL) as a field, up to a NUL as C strings were. */
static void
validate_add_jstr(struct buf *b, const struct jval *s)
{
	if (s == NULL)
		tuple_add_null(b);
	else
		tuple_add(b, s->u.s, strnlen(s->u.s, s->n));
}

/*
 * Tells alert what was seen (record.h, obs_field): o is NULL for an event
 * that failed; verdict is agent_state's, or NULL; latency_us is receipt
 * minus event time, when known (have_latency).
 */
static void
validate_observe(struct validate *v, enum family fam,
    const struct obs_values *o, const char *verdict, bool have_latency,
    int64_t latency_us)
{
	static const struct obs_values none;
	struct buf	*b = &v->obsbuf;
	char		 lat[24];

	if (v->obs == NULL || channel_pending(v->obs) >= DOWN_HIWAT)
		return;
	if (o == NULL)
		o = &none;
	buf_reset(b);
	tuple_add_str(b, family_name(fam));
	validate_add_jstr(b, o->type);
	validate_add_jstr(b, o->queue);
	tuple_add_str(b, o != &none ? "1" : "0");
	row_add_number_value(b, o->handle_time);
	row_add_number_value(b, o->wait_time);
	row_add_number_value(b, o->queue_time);
	validate_add_jstr(b, o->agent);
	validate_add_jstr(b, o->action);
	tuple_add_str(b, verdict);
	if (have_latency) {
		snprintf(lat, sizeof(lat), "%" PRId64, latency_us);
		tuple_add_str(b, lat);
	} else
		tuple_add_null(b);
	validate_add_jstr(b, o->state);
	/* The event's sequence: alert ignores what it saw before a replay. */
	channel_send(v->obs, MSG_OBS_EVENT, 0, v->last_seq, b->data, b->len);
}

/* Each family's rules, by enum family. */
static const struct family_rules *const validate_rules[FAMILY_COUNT] = {
	[FAMILY_INTERACTION] = &interaction_rules,
	[FAMILY_ANALYTICS] = &analytics_rules,
	[FAMILY_AGENT_STATE] = &agent_state_rules,
	[FAMILY_DATA_ACTION] = &data_action_rules,
};

/* Writes a count of microseconds as seconds: "3600", "1.5". */
static void
validate_format_seconds(int64_t us, char *out, size_t len)
{
	int64_t	 a = us < 0 ? -us : us;
	size_t	 n;

	if (a % 1000000 == 0) {
		snprintf(out, len, "%" PRId64, us / 1000000);
		return;
	}
	snprintf(out, len, "%s%" PRId64 ".%06" PRId64, us < 0 ? "-" : "",
	    a / 1000000, a % 1000000);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
}

/* The event's time, its member "timestamp" in every family: parsed, and
 * no further than max_clock_skew ahead of its receipt.  0, or -1 with
 * reason. */
static int
validate_event_time(struct validate *v, struct row_event *re, char *reason,
    size_t len)
{
	const struct jval *ts = jval_get(re->ev, "timestamp");
	char	 why[256], text[TIMESTAMP_LEN], ahead[32], skew[32];
	int64_t	 d;

	if (ts == NULL || ts->type != JT_STRING) {
		snprintf(reason, len, "/timestamp: a date-time string is "
		    "required (the event's time)");
		return -1;
	}
	if (timestamp_parse(ts->u.s, ts->n, &re->event_us, why,
	    sizeof(why)) == -1) {
		snprintf(reason, len, "/timestamp: %s", why);
		return -1;
	}
	if ((d = re->event_us - re->received_us) > v->max_skew_us) {
		/* Whole seconds unless rounding would hide why it is refused. */
		if ((d + 500000) / 1000000 * 1000000 > v->max_skew_us)
			d = (d + 500000) / 1000000 * 1000000;
		timestamp_format(re->event_us, text);
		validate_format_seconds(d, ahead, sizeof(ahead));
		validate_format_seconds(v->max_skew_us, skew, sizeof(skew));
		snprintf(reason, len, "/timestamp: %s is %s s in the future "
		    "(max_clock_skew %s s)", text, ahead, skew);
		return -1;
	}
	return 0;
}

/* A schema-valid event: its time, then its family's row and observation. */
static void
validate_valid_event(struct validate *v, const struct msg_hdr *h,
    const struct tuple *t, struct row_event *re)
{
	const struct family_rules *rules = validate_rules[h->flags];
	struct tuple	 check;
	char		 reason[REASON_MAX];
	struct obs_values o;
	enum family	 fam = (enum family)h->flags;

	re->states = &v->states;
	re->rejected = false;
	buf_reset(&v->out);
	if (validate_event_time(v, re, reason, sizeof(reason)) == -1) {
		v->n.bad_time++;
		goto dead;
	}
	if (rules->build_row(&v->out, re, reason, sizeof(reason)) == -1)
		goto dead;
	if (tuple_parse(&check, v->out.data, v->out.len) == -1 ||
	    check.n != rules->nfields) {
		/* A builder out of step with record.h: a bug, not the event's. */
		log_warnx("event %" PRIu64 ": %s row has %d fields, not %d",
		    h->seq, family_name(fam), check.n, rules->nfields);
		snprintf(reason, sizeof(reason), "(root): internal: the %s row "
		    "could not be built", family_name(fam));
		goto dead;
	}
	channel_send(v->down, MSG_RECORD_ROW, fam, h->seq, v->out.data,
	    v->out.len);
	v->n.valid++;
	if (re->rejected)
		v->n.rejected_transitions++;
	memset(&o, 0, sizeof(o));
	if (rules->observe(re->ev, &o))
		validate_observe(v, fam, &o, fam != FAMILY_AGENT_STATE ? NULL :
		    re->rejected ? "rejected" : "accepted", true,
		    re->received_us - re->event_us);
	return;
dead:
	validate_dead(v, h->seq, t, reason);
	validate_observe(v, fam, NULL, NULL, false, 0);
}

/* Where schema_validate_all() writes the errors: "; " between them. */
struct validate_errors {
	char	*reason;
	size_t	 len, used;
};

static void
validate_error_cb(const struct schema_error *e, void *arg)
{
	struct validate_errors	*ve = arg;
	int			 n;

	if (ve->used + 1 >= ve->len)
		return;
	n = snprintf(ve->reason + ve->used, ve->len - ve->used, "%s%s",
	    ve->used > 0 ? "; " : "", e->text);
	if (n > 0)
		ve->used += (size_t)n < ve->len - ve->used ? (size_t)n :
		    ve->len - ve->used - 1;
}

/* Validates ev against s; on 0 the first error, or all of them with
 * all_errors = yes, is in reason. */
static int
validate_check(struct validate *v, const struct schema *s,
    const struct jval *ev, char *reason, size_t len)
{
	struct validate_errors	 ve = { reason, len, 0 };

	if (!v->all_errors)
		return schema_validate_doc(s, ev, reason, len);
	reason[0] = '\0';
	return schema_validate_doc_all(s, ev, validate_error_cb, &ve) == 0;
}

/* One event: parse, validate, build the row or the dead letter. */
static void
validate_event(struct validate *v, const struct msg_hdr *h, const uint8_t *p)
{
	struct tuple	 t;
	struct row_event re;
	struct jdoc_error jerr;
	const struct jval *ev;
	char		 reason[REASON_MAX], *end;
	enum family	 fam = (enum family)h->flags;

	v->n.received++;
	v->last_seq = h->seq;
	if (tuple_parse(&t, p, h->len) == -1 || t.n != RAW_NFIELDS ||
	    t.val[RAW_SOURCE] == NULL || t.val[RAW_BODY] == NULL ||
	    t.val[RAW_RECEIVED_US] == NULL ||
	    (fam & ~FAMILY_F_DEAD) >= FAMILY_COUNT) {
		log_warnx("event %" PRIu64 ": malformed message from ingest", h->seq);
		return;
	}
	if (fam & FAMILY_F_DEAD) {
		validate_source_dead(v, h->seq, &t);
		return;
	}
	memset(&re, 0, sizeof(re));
	re.source = t.val[RAW_SOURCE];
	re.received = t.val[RAW_RECEIVED_US];
	re.received_us = strtoll(re.received, &end, 10);
	if (end == re.received || *end != '\0') {
		log_warnx("event %" PRIu64 ": malformed message from ingest "
		    "(received_us)", h->seq);
		return;
	}
	ev = jdoc_parse(v->doc, t.val[RAW_BODY], t.len[RAW_BODY], v->max_depth,
	    &jerr);
	if (ev == NULL) {
		if (jerr.kind == JDOC_E_DEPTH) {
			snprintf(reason, sizeof(reason), "(root): max_depth: "
			    "arrays and objects nest deeper than %d levels (at "
			    "byte %zu)", v->max_depth, jerr.offset + 1);
			v->n.too_deep++;
		} else {
			snprintf(reason, sizeof(reason), "not JSON: %s (line %d, "
			    "column %d)", jerr.text, jerr.line, jerr.column);
			v->n.not_json++;
		}
		validate_dead(v, h->seq, &t, reason);
		validate_observe(v, fam, NULL, NULL, false, 0);
		return;
	}
	re.ev = ev;
	re.doc = v->doc;
	if (v->schemas[fam] == NULL) {
		snprintf(reason, sizeof(reason), "no schema for family %s",
		    family_name(fam));
		validate_dead(v, h->seq, &t, reason);
	} else if (!validate_check(v, v->schemas[fam], ev, reason, sizeof(reason))) {
		validate_dead(v, h->seq, &t, reason);
		validate_observe(v, fam, NULL, NULL, false, 0);
	} else
		validate_valid_event(v, h, &t, &re);
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

/* Compiles every family's schema and takes the rules of c; on error
 * nothing changes (no schema, no setting). */
static int
validate_configure(struct worker *w, const struct config *c,
    const struct config *old, char *err, size_t errlen)
{
	struct validate	*v = worker_arg(w);
	struct schema	*fresh[FAMILY_COUNT] = { NULL };
	int		 f;

	v->w = w;
	v->base = worker_base(w);
	if (family_schemas_load(c->schema_dir, fresh, err, errlen) == -1)
		return -1;
	for (f = 0; f < FAMILY_COUNT; f++) {
		schema_free(v->schemas[f]);
		v->schemas[f] = fresh[f];
	}
	v->states = c->states;
	v->max_skew_us = c->max_clock_skew_ms * 1000;
	v->max_depth = (int)c->max_depth;
	v->all_errors = strcmp(c->all_errors, "yes") == 0;
	return 0;
}

static void
validate_stats(struct worker *w, struct buf *b)
{
	struct validate	*v = worker_arg(w);

	buf_printf(b, "\"received\":%" PRIu64 ",\"valid\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"not_json\":%" PRIu64
	    ",\"too_deep\":%" PRIu64 ",\"bad_time\":%" PRIu64
	    ",\"rejected_transitions\":%" PRIu64
	    ",\"rewinds\":%" PRIu64 ",\"acks\":%" PRIu64
	    ",\"last_seq\":%" PRIu64 ",\"committed_seq\":%" PRIu64,
	    v->n.received, v->n.valid, v->n.rejected, v->n.not_json,
	    v->n.too_deep, v->n.bad_time, v->n.rejected_transitions,
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

	channel_free(v->up);
	channel_free(v->down);
	channel_free(v->obs);
	family_schemas_free(v->schemas);
	buf_free(&v->out);
	buf_free(&v->obsbuf);
	jdoc_free(v->doc);
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
	v.doc = jdoc_new();
	return worker_main(&ops, &v);
}
