/*
 * serve_rest.c: REST delta polling and long polling of "cxpipe-sim serve".
 *
 *   GET /poll/FAMILY?updatedSince=RFC3339&limit=N
 *     200 {"items":[...],"lastPollTime":"..."}: the events stamped after
 *     updatedSince, oldest first, at most limit (default 100, at most
 *     1000).  Pass lastPollTime as the next updatedSince: it is the last
 *     item's stamp when more are waiting, else the server's time.
 *   POST /longpoll/sessions[?family=F]  (or a JSON body {"family":"F"})
 *     201 {"sessionId":"...","family":"F"}; F defaults to agent_state when
 *     served, else to the first family served.
 *   GET /longpoll/sessions/ID/next?timeout=S
 *     200 {"events":[...]} (at most 100) as soon as events are ready, 304
 *     after S seconds (default 30, at most 60) if none were; 404 when the
 *     session is unknown or older than --session-ttl.
 *
 * All need a bearer token (401 otherwise).  Polls and long polls take
 * events from the same feed as the WebSocket streams of their family.  A
 * long poll whose client has hung up takes none: they would count as sent
 * and be lost, since a long poll has no cursor to ask for them again.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "families.h"
#include "log.h"
#include "manifest.h"
#include "serve.h"
#include "serve_feed.h"
#include "xmalloc.h"

#define SERVE_POLL_LIMIT	100
#define SERVE_POLL_MAX		1000
#define SERVE_NEXT_MAX		100
#define SERVE_NEXT_TIMEOUT	30.0
#define SERVE_NEXT_CAP		60.0
#define SERVE_MAX_SESSIONS	10000
#define SERVE_SESSION_ID_LEN	32

struct serve_session {
	char		id[SERVE_SESSION_ID_LEN + 1];
	enum family_id	family;
	int64_t		created_us;
};

struct serve_sessions {
	struct serve_session	*v;		/* oldest first */
	size_t			 n;
	size_t			 cap;
};

/* Items of a reply being built: the buffer and whether one was put. */
struct serve_items {
	struct gen_buf	*b;
	size_t		 n;
	int64_t		 last_us;
};

struct serve_sessions *
serve_sessions_new(void)
{
	return xcalloc(1, sizeof(struct serve_sessions));
}

void
serve_sessions_free(struct serve_sessions *ss)
{
	if (ss == NULL)
		return;
	free(ss->v);
	free(ss);
}

/* Appends one event to a JSON array being built. */
static void
serve_rest_put_item(void *arg, const struct feed_item *item)
{
	struct serve_items *items = arg;

	if (items->n++ > 0)
		gen_buf_put(items->b, ",", 1);
	gen_buf_put(items->b, item->text, item->len);
	items->last_us = item->stamp_us;
}

/* Parses a whole number in [1, inf) into *out. */
static bool
serve_rest_parse_limit(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return false;
	*out = v > SERVE_POLL_MAX ? SERVE_POLL_MAX : (size_t)v;
	return true;
}

int
serve_rest_poll(struct serve *s, struct lws *wsi, enum family_id family)
{
	struct feed *feed = s->feeds[family];
	struct serve_items items = { &s->out, 0, 0 };
	int64_t since = INT64_MIN, now = serve_now_us(), cursor;
	size_t limit = SERVE_POLL_LIMIT;
	char text[96], *p;
	bool more;

	if (serve_http_arg(wsi, "updatedSince", text, sizeof(text))) {
		/* an unescaped + in the offset arrives as a space */
		for (p = text; *p != '\0'; p++)
			if (*p == ' ')
				*p = '+';
		if (!manifest_parse_timestamp(text, &since))
			return serve_http_finish(wsi, serve_http_send_error(s,
			    wsi, 400, "updatedSince is not RFC 3339"));
	}
	if (serve_http_arg(wsi, "limit", text, sizeof(text)) &&
	    !serve_rest_parse_limit(text, &limit))
		return serve_http_finish(wsi, serve_http_send_error(s, wsi,
		    400, "limit is not a positive whole number"));
	serve_buf_reset(&s->out);
	gen_buf_puts(&s->out, "{\"items\":[");
	feed_poll(feed, since, limit, now, serve_rest_put_item, &items, &more);
	cursor = more ? items.last_us : feed_mark(feed, now);
	gen_buf_puts(&s->out, "],\"lastPollTime\":");
	family_put_time(&s->out, cursor);
	gen_buf_puts(&s->out, "}");
	log_debug("serve: poll %s: %zu items%s", family_name(family), items.n,
	    more ? ", more waiting" : "");
	return serve_http_finish(wsi, serve_http_send(wsi, 200, NULL, NULL,
	    &s->out));
}

/* Picks the family of a new session from ?family= or the body; false if bad. */
static bool
serve_rest_session_family(struct serve *s, struct lws *wsi, const char *body,
    size_t len, enum family_id *family)
{
	char name[64];
	json_t *o = NULL, *v;
	bool ok;

	if (serve_http_arg(wsi, "family", name, sizeof(name)))
		return family_lookup(name, family) && s->feeds[*family] != NULL;
	if (len > 0 && (o = json_loadb(body, len, 0, NULL)) != NULL &&
	    json_is_string(v = json_object_get(o, "family"))) {
		ok = family_lookup(json_string_value(v), family) &&
		    s->feeds[*family] != NULL;
		json_decref(o);
		return ok;
	}
	json_decref(o);
	if (s->feeds[FAMILY_AGENT_STATE] != NULL) {
		*family = FAMILY_AGENT_STATE;
		return true;
	}
	for (*family = 0; s->feeds[*family] == NULL; (*family)++)
		;
	return true;
}

/* Drops sessions past their time to live, and the oldest if still full. */
static void
serve_sessions_prune(struct serve *s, int64_t now_us)
{
	struct serve_sessions *ss = s->sessions;
	int64_t ttl = (int64_t)s->opt.session_ttl * SERVE_USEC;
	size_t i, kept = 0;

	for (i = 0; i < ss->n; i++)
		if (ss->v[i].created_us + ttl >= now_us)
			ss->v[kept++] = ss->v[i];
	ss->n = kept;
	if (ss->n == SERVE_MAX_SESSIONS) {
		memmove(ss->v, ss->v + 1, (ss->n - 1) * sizeof(*ss->v));
		ss->n--;
	}
}

int
serve_rest_session_new(struct serve *s, struct lws *wsi, const char *body,
    size_t len)
{
	struct serve_sessions *ss = s->sessions;
	struct serve_session *se;
	int64_t now = serve_now_us(), expires;
	enum family_id family;

	if (!serve_http_authorized(s, wsi, now, &expires))
		return serve_http_finish(wsi,
		    serve_http_send_unauthorized(s, wsi));
	if (!serve_rest_session_family(s, wsi, body, len, &family))
		return serve_http_finish(wsi, serve_http_send_error(s, wsi,
		    400, "unknown or unserved family"));
	serve_sessions_prune(s, now);
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? ss->cap * 2 : 16;
		ss->v = xreallocarray(ss->v, ss->cap, sizeof(*ss->v));
	}
	se = &ss->v[ss->n++];
	serve_random_hex(se->id, SERVE_SESSION_ID_LEN);
	se->family = family;
	se->created_us = now;
	log_debug("serve: long-poll session %s for %s", se->id,
	    family_name(family));
	return serve_http_finish(wsi, serve_http_send_json(s, wsi, 201, NULL,
	    NULL, json_pack("{s:s,s:s}", "sessionId", se->id, "family",
	    family_name(family))));
}

/* Finds a live session; NULL if unknown or past its time to live. */
static const struct serve_session *
serve_sessions_find(struct serve *s, const char *id, int64_t now_us)
{
	const struct serve_sessions *ss = s->sessions;
	int64_t ttl = (int64_t)s->opt.session_ttl * SERVE_USEC;
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (strcmp(ss->v[i].id, id) == 0)
			return ss->v[i].created_us + ttl >= now_us ?
			    &ss->v[i] : NULL;
	return NULL;
}

/* Tells whether the client of a request has closed its end or reset. */
static bool
serve_rest_client_gone(struct lws *wsi)
{
	lws_sockfd_type fd = lws_get_socket_fd(wsi);
	char c;
	ssize_t n;

	if (fd < 0)
		return true;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR);
}

/* Sends up to SERVE_NEXT_MAX ready events; false (nothing sent) if none. */
static bool
serve_rest_send_events(struct serve *s, struct lws *wsi, enum family_id family,
    int *rc)
{
	struct serve_items items = { &s->out, 0, 0 };
	struct feed_item item;

	if (feed_ready(s->feeds[family], serve_now_us()) == 0)
		return false;
	if (serve_rest_client_gone(wsi)) {
		log_info("serve: long poll %s: the client hung up; no events "
		    "taken", family_name(family));
		*rc = -1;
		return true;
	}
	serve_buf_reset(&s->out);
	gen_buf_puts(&s->out, "{\"events\":[");
	while (items.n < SERVE_NEXT_MAX &&
	    feed_take(s->feeds[family], serve_now_us(), &item))
		serve_rest_put_item(&items, &item);
	if (items.n == 0)
		return false;
	gen_buf_puts(&s->out, "]}");
	log_debug("serve: long poll %s: %zu events", family_name(family),
	    items.n);
	*rc = serve_http_send(wsi, 200, NULL, NULL, &s->out);
	return true;
}

/* Sets the request's timer for its deadline or the next release, if sooner. */
static void
serve_rest_arm(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    int64_t now_us)
{
	int64_t next = feed_next_release(s->feeds[pss->family]);

	if (next > pss->deadline_us)
		next = pss->deadline_us;
	lws_set_timer_usecs(wsi, next - now_us > 1000 ? next - now_us : 1000);
}

int
serve_rest_next(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    const char *id)
{
	const struct serve_session *se;
	int64_t now = serve_now_us(), expires;
	double timeout = SERVE_NEXT_TIMEOUT;
	char text[32], *end;
	int rc;

	if (!serve_http_authorized(s, wsi, now, &expires))
		return serve_http_finish(wsi,
		    serve_http_send_unauthorized(s, wsi));
	if ((se = serve_sessions_find(s, id, now)) == NULL)
		return serve_http_finish(wsi, serve_http_send_error(s, wsi,
		    404, "unknown or expired session"));
	if (serve_http_arg(wsi, "timeout", text, sizeof(text))) {
		errno = 0;
		timeout = strtod(text, &end);
		if (errno != 0 || end == text || *end != '\0' ||
		    !(timeout >= 0.0))
			return serve_http_finish(wsi, serve_http_send_error(s,
			    wsi, 400, "timeout is not a number of seconds"));
		if (timeout > SERVE_NEXT_CAP)
			timeout = SERVE_NEXT_CAP;
	}
	if (serve_rest_send_events(s, wsi, se->family, &rc))
		return serve_http_finish(wsi, rc);
	if (timeout == 0.0)
		return serve_http_finish(wsi,
		    serve_http_send(wsi, 304, NULL, NULL, NULL));
	pss->waiting = true;
	pss->family = se->family;
	pss->deadline_us = now + (int64_t)(timeout * SERVE_USEC);
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT,
	    (int)timeout + 10);
	serve_rest_arm(s, wsi, pss, now);
	return 0;
}

/* A held long poll's timer: ask to write once events or the deadline came. */
int
serve_rest_timer(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	int64_t now = serve_now_us();

	if (now >= pss->deadline_us ||
	    feed_ready(s->feeds[pss->family], now) > 0)
		lws_callback_on_writable(wsi);
	else
		serve_rest_arm(s, wsi, pss, now);
	return 0;
}

/* A held long poll may write: events, 304 at the deadline, or wait on. */
int
serve_rest_writeable(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	int64_t now = serve_now_us();
	int rc;

	if (serve_rest_send_events(s, wsi, pss->family, &rc))
		;
	else if (now >= pss->deadline_us)
		rc = serve_http_send(wsi, 304, NULL, NULL, NULL);
	else {
		serve_rest_arm(s, wsi, pss, now);	/* another took them */
		return 0;
	}
	pss->waiting = false;
	lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
	return serve_http_finish(wsi, rc);
}
