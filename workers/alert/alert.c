#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "../ingest/curl_loop.h"
#include "alert.h"
#include "alert_internal.h"
#include "channel.h"
#include "eval.h"
#include "silence.h"
#include "webhook.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "record.h"
#include "tuple.h"
#include "window.h"
#include "persist.h"
#include "snapshot.h"
#include "worker.h"
#include "xmalloc.h"

/* Keys listed under "top" in stats. */
#define ALERT_TOP_KEYS	20


/* Seconds on a clock that never steps back, for the windows (the coarse
 * clock is cheaper and a millisecond off does not matter here). */
int64_t
alert_now_s(void)
{
	struct timespec	 ts;

#ifdef CLOCK_MONOTONIC_COARSE
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (int64_t)ts.tv_sec;
}

/* True when field i of t is a C string without an embedded NUL. */
static bool
alert_field_is_text(const struct tuple *t, int i)
{
	return t->val[i] != NULL && memchr(t->val[i], '\0', t->len[i]) == NULL;
}

/* True when every optional field present is text. */
static bool
alert_fields_are_text(const struct tuple *t)
{
	int	 i;

	for (i = OBS_V1_NFIELDS; i < OBS_NFIELDS && i < t->n; i++)
		if (t->val[i] != NULL && !alert_field_is_text(t, i))
			return false;
	return true;
}

/* Reads field i as a number of seconds (scale 1) or microseconds (scale
 * 1e-6) into o's timed value w, when it is there and a number >= 0. */
static void
alert_timed_field(const struct tuple *t, int i, double scale,
    struct agg_obs *o, enum agg_timed w)
{
	char	*end;
	double	 v;

	if (i >= t->n || t->val[i] == NULL)
		return;
	v = strtod(t->val[i], &end);
	if (end == t->val[i] || *end != '\0' || !(v >= 0))
		return;
	o->has[w] = true;
	o->v[w] = v * scale;
}

/* Counts one observation into the rules' aggregates. */
static void
alert_feed_eval(struct alert *a, const struct tuple *t, bool valid)
{
	struct eval_obs	 ob;

	if (a->ev == NULL)
		return;
	memset(&ob, 0, sizeof(ob));
	ob.key[EVAL_GLOBAL] = "";
	ob.o.invalid = !valid;
	if (valid) {
		ob.key[EVAL_TYPE] = t->val[OBS_TYPE];
		ob.key[EVAL_QUEUE] = t->val[OBS_QUEUE];
	}
	if (t->n >= OBS_NFIELDS) {
		if (valid) {
			ob.key[EVAL_AGENT] = t->val[OBS_AGENT];
			ob.key[EVAL_ACTION] = t->val[OBS_ACTION];
		}
		ob.o.rejected = t->val[OBS_VERDICT] != NULL &&
		    strcmp(t->val[OBS_VERDICT], "rejected") == 0;
		alert_timed_field(t, OBS_HANDLE_TIME, 1, &ob.o, AGG_HANDLE);
		alert_timed_field(t, OBS_WAIT_TIME, 1, &ob.o, AGG_WAIT);
		alert_timed_field(t, OBS_QUEUE_TIME, 1, &ob.o, AGG_QUEUE);
		alert_timed_field(t, OBS_LATENCY_US, 1e-6, &ob.o, AGG_LATENCY);
	}
	eval_observe(a->ev, &ob, alert_now_s());
}

/* Counts one observation into the windows. */
static void
alert_handle_obs(struct alert *a, const uint8_t *p, size_t len)
{
	struct tuple		 t;
	struct window_key	 k;
	const char		*valid;

	if (tuple_parse(&t, p, len) == -1 ||
	    (t.n != OBS_V1_NFIELDS && t.n < OBS_NFIELDS) ||
	    !alert_fields_are_text(&t) ||
	    !alert_field_is_text(&t, OBS_FAMILY) ||
	    (t.val[OBS_TYPE] != NULL && !alert_field_is_text(&t, OBS_TYPE)) ||
	    (t.val[OBS_QUEUE] != NULL && !alert_field_is_text(&t, OBS_QUEUE)) ||
	    (valid = t.val[OBS_VALID]) == NULL ||
	    (strcmp(valid, "1") != 0 && strcmp(valid, "0") != 0) ||
	    (valid[0] == '1' && t.val[OBS_TYPE] == NULL)) {
		/* An invalid event may have no type; a valid one always has. */
		a->malformed++;
		log_debug("validate channel: malformed observation (%zu bytes)",
		    len);
		return;
	}
	a->observations++;
	alert_feed_eval(a, &t, valid[0] == '1');
	snapshot_observe(a->snap, t.val[OBS_FAMILY], t.val[OBS_TYPE],
	    t.val[OBS_QUEUE], valid[0] == '1');
	if (valid[0] == '0') {
		a->invalid++;
		return;
	}
	k.family = t.val[OBS_FAMILY];
	k.type = t.val[OBS_TYPE];
	k.queue = t.val[OBS_QUEUE];
	if (window_observe(a->win, &k, alert_now_s()) == -1)
		a->oversized++;
}

/* Dispatches one message from validate. */
static void
alert_obs_cb(struct channel *ch, const struct msg_hdr *h, const uint8_t *p,
    int fd, void *arg)
{
	struct alert	*a = arg;

	(void)ch;
	if (fd != -1)
		close(fd);
	if (h->type != MSG_OBS_EVENT) {
		log_warnx("validate channel: unexpected %s",
		    proto_type_name(h->type));
		return;
	}
	/* Events replayed to a new validate or pgsink are observed again:
	 * count each sequence once (0: a sender that does not number). */
	if (h->seq != 0 && h->seq <= a->obs_seq) {
		a->replayed++;
		return;
	}
	if (h->seq != 0)
		a->obs_seq = h->seq;
	alert_handle_obs(a, p, h->len);
}

/* Validate went away: drop its channel and wait for the next attach. */
static void
alert_obs_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct alert	*a = arg;

	log_info("validate channel closed (%s): waiting for a new one", why);
	channel_free(ch);
	if (a->obs == ch)
		a->obs = NULL;
}

/* Milliseconds since the epoch, for alert times. */
static int64_t
alert_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Formats epoch ms as RFC 3339 UTC with milliseconds. */
static void
alert_format_time(int64_t ms, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);
	char		 s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", s, (int)(ms % 1000));
}

/* A notification the rules let out: held back by a silence (false), or
 * queued for the webhooks as JSON. */
static bool
alert_notify_cb(void *arg, const struct eval_note *n)
{
	struct alert		*a = arg;
	const struct rule_alert	*x = n->alert;
	const char		*status;
	char			 starts[40], ends[40], *body, *p, *q, *eq;
	json_t			*o, *labels;

	status = x->state == RULE_RESOLVED ? "resolved" : "firing";
	if (silence_match(a->silences, n->rule, n->scope, alert_wall_ms() / 1000)) {
		a->silenced++;
		log_debug("alert %s %s: %s notification silenced", n->rule,
		    n->fingerprint, status);
		return false;
	}
	alert_format_time(x->started_ms, starts, sizeof(starts));
	if (x->ended_ms != 0)
		alert_format_time(x->ended_ms, ends, sizeof(ends));
	labels = json_object();
	for (p = n->labels != NULL ? xstrdup(n->labels) : NULL, q = p;
	    q != NULL && *q != '\0';) {
		char *item = strsep(&q, ",");
		while (*item == ' ')
			item++;
		if ((eq = strchr(item, '=')) == NULL)
			continue;
		*eq++ = '\0';
		item[strcspn(item, " ")] = '\0';
		while (*eq == ' ')
			eq++;
		json_object_set_new(labels, item, json_string(eq));
	}
	free(p);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:s,s:s,s:s?,s:o}",
	    "status", status, "rule", n->rule, "severity",
	    rule_severity_name(x->severity), "scope_kind", n->scope_kind,
	    "scope", n->scope, "value", x->value, "threshold", x->threshold,
	    "fingerprint", n->fingerprint, "startsAt", starts,
	    "endsAt", x->ended_ms != 0 ? ends : NULL, "labels", labels);
	if (o == NULL) {
		log_warnx("alert %s %s: notification not encodable", n->rule,
		    n->fingerprint);
		return true;
	}
	body = json_dumps(o, JSON_COMPACT);
	log_info("alert %s %s: notifying %s, %s", n->rule, n->fingerprint,
	    status, rule_severity_name(x->severity));
	if (a->hooks != NULL)
		webhook_set_post(a->hooks, n->rule, body);
	free(body);
	json_decref(o);
	return true;
}

/* The evaluation timer: every rule, then the notifications due. */
static void
alert_tick_cb(int fd, short what, void *arg)
{
	struct alert	*a = arg;

	(void)fd;
	(void)what;
	eval_tick(a->ev, alert_now_s(), alert_wall_ms(), alert_notify_cb, a);
}

/* Applies a config: key limit, rules, thresholds and webhooks change
 * live; aggregates and alerts of unchanged rules are kept. */
static int
alert_configure(struct worker *w, const struct config *conf,
    const struct config *old, char *err, size_t errlen)
{
	struct alert		*a = worker_arg(w);
	struct webhook_set	*hooks;
	char			 path[4096];

	(void)old;
	if (a->curl == NULL)
		a->curl = curl_loop_new(worker_base(w));
	if ((hooks = webhook_set_new(a->curl, conf, a->hooks, err,
	    errlen)) == NULL)
		return -1;
	a->hooks = hooks;
	if (a->win == NULL)
		a->win = window_new((size_t)conf->alert_max_keys,
		    WINDOW_SECONDS_DEFAULT);
	else
		window_set_max_keys(a->win, (size_t)conf->alert_max_keys);
	if (a->ev == NULL)
		a->ev = eval_new();
	eval_configure(a->ev, conf);
	if (a->silences == NULL) {
		snprintf(path, sizeof(path), "%s/alert-silences.json",
		    conf->spool_dir);
		a->silences = silence_set_load(path);
	}
	if (a->ev_tick == NULL)
		a->ev_tick = event_new(worker_base(w), -1, EV_PERSIST,
		    alert_tick_cb, a);
	if (a->tick.tv_sec * 1000 + a->tick.tv_usec / 1000 !=
	    conf->alert_eval_interval_ms) {
		a->tick.tv_sec = conf->alert_eval_interval_ms / 1000;
		a->tick.tv_usec = (conf->alert_eval_interval_ms % 1000) * 1000;
		event_add(a->ev_tick, &a->tick);
	}
	if (a->persist == NULL) {
		a->persist = persist_new(worker_base(w), conf->spool_dir, 0);
		a->snap = snapshot_new(worker_base(w), a->persist,
		    conf->alert_snapshot_interval_ms, (size_t)conf->alert_max_keys);
		if (a->pgsink_fd != -1)
			persist_attach(a->persist, a->pgsink_fd);
		a->pgsink_fd = -1;
#ifdef CXPIPE_TEST_HOOKS
		persist_test_transitions(a->persist);
#endif
	} else
		snapshot_configure(a->snap, conf->alert_snapshot_interval_ms,
		    (size_t)conf->alert_max_keys);
	/* A channel attached before the first config waited for the window. */
	if (a->obs != NULL && channel_is_paused(a->obs))
		channel_pause(a->obs, false);
	return 0;
}

/* Takes a new channel from validate in place of any previous one. */
static void
alert_attach(struct worker *w, enum role peer, int fd)
{
	struct alert	*a = worker_arg(w);

	if (peer == ROLE_PGSINK) {
		if (a->persist != NULL)
			persist_attach(a->persist, fd);
		else {
			if (a->pgsink_fd != -1)
				close(a->pgsink_fd);
			a->pgsink_fd = fd;
		}
		return;
	}
	if (peer != ROLE_VALIDATE) {
		log_warnx("attach from %s: not a neighbour of alert",
		    role_name(peer));
		close(fd);
		return;
	}
	channel_free(a->obs);
	a->obs = channel_new(worker_base(w), fd, "validate", alert_obs_cb,
	    alert_obs_eof_cb, a);
	if (a->win == NULL)
		channel_pause(a->obs, true);
	log_debug("validate channel attached");
}

/* Appends s to b as a JSON string, replacing bytes that are not UTF-8. */
static void
alert_add_json_string(struct buf *b, const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	uint8_t		 lo, hi;
	size_t		 n, i;

	buf_add(b, "\"", 1);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			buf_add(b, "\\", 1);
			buf_add(b, p++, 1);
			continue;
		}
		if (*p < 0x20) {
			buf_printf(b, "\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			buf_add(b, p++, 1);
			continue;
		}
		/* Length of the sequence and the range of its second byte. */
		lo = 0x80;
		hi = 0xbf;
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef) {
			n = 3;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 4;
			if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
		} else
			n = 0;
		for (i = 1; i < n; i++) {
			if (p[i] < (i == 1 ? lo : 0x80) ||
			    p[i] > (i == 1 ? hi : 0xbf))
				break;
		}
		if (n == 0 || i < n) {
			buf_add_str(b, "\\ufffd");
			p++;
			continue;
		}
		buf_add(b, p, n);
		p += n;
	}
	buf_add(b, "\"", 1);
}

/* Appends the counters and the busiest keys as JSON members. */
static void
alert_stats(struct worker *w, struct buf *b)
{
	struct alert		*a = worker_arg(w);
	struct window_stat	 top[ALERT_TOP_KEYS];
	size_t			 n = 0, i;

	buf_printf(b, "\"observations\":%llu,\"invalid\":%llu,"
	    "\"malformed\":%llu,\"oversized\":%llu,\"replayed\":%llu,"
	    "\"validate_attached\":%s",
	    (unsigned long long)a->observations,
	    (unsigned long long)a->invalid, (unsigned long long)a->malformed,
	    (unsigned long long)a->oversized, (unsigned long long)a->replayed,
	    a->obs != NULL ? "true" : "false");
	if (a->persist != NULL) {
		persist_stats(a->persist, b);
		snapshot_stats(a->snap, b);
	}
	if (a->win == NULL)
		return;
	buf_printf(b, ",\"keys\":%zu,\"max_keys\":%zu,\"evictions\":%llu,"
	    "\"window_seconds\":%u,\"top\":[", window_keys(a->win),
	    window_max_keys(a->win),
	    (unsigned long long)window_evictions(a->win),
	    window_seconds(a->win));
	n = window_top(a->win, alert_now_s(), top, ALERT_TOP_KEYS);
	for (i = 0; i < n; i++) {
		buf_add_str(b, i == 0 ? "{\"family\":" : ",{\"family\":");
		alert_add_json_string(b, top[i].key.family);
		buf_add_str(b, ",\"type\":");
		alert_add_json_string(b, top[i].key.type);
		buf_add_str(b, ",\"queue\":");
		if (top[i].key.queue == NULL)
			buf_add_str(b, "null");
		else
			alert_add_json_string(b, top[i].key.queue);
		buf_printf(b, ",\"count_60s\":%llu}",
		    (unsigned long long)top[i].count);
	}
	buf_add_str(b, "]");
	if (a->ev != NULL) {
		buf_add_str(b, ",");
		eval_stats(a->ev, b);
	}
	buf_printf(b, ",\"silenced\":%llu,", (unsigned long long)a->silenced);
	webhook_set_stats(a->hooks, b);
}

/* Nothing is in flight in this worker: it is drained at once. */
static void
alert_stop(struct worker *w)
{
	worker_drained(w);
}

/* Frees the role's state at exit. */
static void
alert_shutdown(struct worker *w)
{
	struct alert	*a = worker_arg(w);

	channel_free(a->obs);
	a->obs = NULL;
	window_free(a->win);
	a->win = NULL;
	if (a->ev_tick != NULL)
		event_free(a->ev_tick);
	a->ev_tick = NULL;
	webhook_set_free(a->hooks);
	a->hooks = NULL;
	curl_loop_free(a->curl);
	a->curl = NULL;
	eval_free(a->ev);
	a->ev = NULL;
	silence_set_free(a->silences);
	a->silences = NULL;
	snapshot_free(a->snap);
	a->snap = NULL;
	persist_free(a->persist);
	a->persist = NULL;
	if (a->pgsink_fd != -1)
		close(a->pgsink_fd);
	a->pgsink_fd = -1;
}

static const struct worker_ops alert_ops = {
	.role = ROLE_ALERT,
	.configure = alert_configure,
	.attach = alert_attach,
	.stats = alert_stats,
	.command = alert_command,
	.stop = alert_stop,
	.shutdown = alert_shutdown,
};

int
alert_main(void)
{
	struct alert	 a;

	memset(&a, 0, sizeof(a));
	a.pgsink_fd = -1;
	return worker_main(&alert_ops, &a);
}
