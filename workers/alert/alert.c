#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "record.h"
#include "tuple.h"
#include "window.h"
#include "persist.h"
#include "snapshot.h"
#include "worker.h"

/* Keys listed under "top" in stats. */
#define ALERT_TOP_KEYS	20

struct alert {
	struct window	*win;		/* NULL until the first config */
	struct channel	*obs;		/* from validate, NULL between attaches */
	struct persist	*persist;	/* records for pgsink (persist.h) */
	struct snapshot	*snap;		/* metric snapshots (snapshot.h) */
	int		 pgsink_fd;	/* attached before the first config */
	uint64_t	 observations;	/* well-formed MSG_OBS_EVENT received */
	uint64_t	 invalid;	/* of which for events that failed validation */
	uint64_t	 malformed;	/* MSG_OBS_EVENT that could not be read */
	uint64_t	 oversized;	/* keys too long to keep in a window */
};

/* Seconds on a clock that never steps back, for the windows (the coarse
 * clock is cheaper and a millisecond off does not matter here). */
static int64_t
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

/* Counts one observation into the windows. */
static void
alert_handle_obs(struct alert *a, const uint8_t *p, size_t len)
{
	struct tuple		 t;
	struct window_key	 k;
	const char		*valid;

	if (tuple_parse(&t, p, len) == -1 || t.n < OBS_NFIELDS ||
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

/* Applies a config: the key limit changes live. */
static int
alert_configure(struct worker *w, const struct config *conf,
    const struct config *old, char *err, size_t errlen)
{
	struct alert	*a = worker_arg(w);

	(void)old;
	(void)err;
	(void)errlen;
	if (a->win == NULL)
		a->win = window_new((size_t)conf->alert_max_keys,
		    WINDOW_SECONDS_DEFAULT);
	else
		window_set_max_keys(a->win, (size_t)conf->alert_max_keys);
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
	    "\"malformed\":%llu,\"oversized\":%llu,\"validate_attached\":%s",
	    (unsigned long long)a->observations,
	    (unsigned long long)a->invalid, (unsigned long long)a->malformed,
	    (unsigned long long)a->oversized, a->obs != NULL ? "true" : "false");
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
