/*
 * REST sources of a [stream]: delta polling (transport = poll) and long
 * polling (transport = longpoll), on the worker's libcurl loop.  A delta
 * poll's cursor is kept by poll_cursor.c.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "backoff.h"
#include "curl_loop.h"
#include "daemon.h"
#include "ingest.h"
#include "log.h"
#include "poll.h"
#include "poll_cursor.h"
#include "spool.h"
#include "stream.h"
#include "xmalloc.h"

#define POLL_BODY_MAX		(16 * 1024 * 1024)

enum poll_kind {
	POLL_DELTA = 1,
	POLL_LONG = 2
};

struct poller {
	struct ingest		*in;
	char			*name;
	enum family		 family;
	enum poll_kind		 kind;
	/* configuration */
	char			*url_conf;	/* poll_url or longpoll_next_url */
	char			*session_conf;	/* longpoll_session_url */
	char			*cursor_param;
	char			*items_ptr;
	char			*cursor_ptr;
	char			 next_cursor[POLL_CURSOR_MAX];	/* of the held page */
	char			*ca_file;
	int64_t			 interval_ms;
	int64_t			 lp_timeout_ms;
	/* state */
	char			*token;		/* secret: wiped */
	char			*base;
	char			*session;	/* long poll session id */
	struct poll_cursor	 pc;		/* delta polls: the durable cursor */
	char			 page_base[POLL_CURSOR_MAX];	/* before the held page */
	CURL			*easy;		/* the request in flight */
	struct curl_slist	*hdrs;
	struct buf		 body;
	bool			 body_too_big;
	json_t			*held;		/* items the spool could not take yet */
	size_t			 held_next;
	struct event		*timer;
	struct backoff		 bo;
	struct backoff_rng	 rng;
	void			(*unauthorized)(void *);
	void			*unauthorized_arg;
	/* counters */
	uint64_t		 requests;
	uint64_t		 items;
	uint64_t		 empty;		/* 304s and empty pages */
	uint64_t		 errors;
	char			 state[24];
	char			 last_error[256];
	char			 retry_after[32];	/* of the answer in flight */
};

static void	poller_request(struct poller *);

static uint64_t
poller_now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void
poller_state(struct poller *p, const char *s)
{
	snprintf(p->state, sizeof(p->state), "%s", s);
}

/* Runs the next request after ms. */
static void
poller_schedule(struct poller *p, int64_t ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_del(p->timer);
	evtimer_add(p->timer, &tv);
}

/* A failure: note it once and retry after a jittered backoff. */
static void
poller_fail(struct poller *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
poller_fail(struct poller *p, const char *fmt, ...)
{
	va_list		 ap;
	uint32_t	 delay;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
	p->errors++;
	delay = backoff_next(&p->bo, &p->rng);
	log_warnx("stream %s: %s; retrying in %u ms", p->name, p->last_error, delay);
	poller_state(p, "backing-off");
	poller_schedule(p, delay);
}

#ifdef CXPIPE_TEST_HOOKS
/* Test hook: dies half-way through spooling a page when the file named by
 * CXPIPE_TEST_POLL_CRASH_FILE exists (removed first: once per file). */
static void
poller_test_crash_hook(const struct poller *p, size_t n)
{
	const char	*f = getenv("CXPIPE_TEST_POLL_CRASH_FILE");

	if (f == NULL || n < 2 || p->held_next != n / 2 || unlink(f) == -1)
		return;
	log_warnx("test hook: stream %s: dying after %zu of %zu items of a "
	    "page", p->name, p->held_next, n);
	_exit(70);
}
#endif

/* Spools the held items, oldest first; returns false when the spool is
 * full (the rest stays held until poller_kick). */
static bool
poller_drain_held(struct poller *p)
{
	json_t		*item;
	char		*text;
	size_t		 n;
	uint64_t	 aux;
	int		 r;

	if (p->held == NULL)
		return true;
	n = json_array_size(p->held);
	for (; p->held_next < n; p->held_next++) {
#ifdef CXPIPE_TEST_HOOKS
		poller_test_crash_hook(p, n);
#endif
		if (!ingest_can_accept(p->in))
			goto paused;
		item = json_array_get(p->held, p->held_next);
		if ((text = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			continue;
		aux = p->kind == POLL_DELTA ?
		    poll_cursor_aux(&p->pc, p->held_next) : 0;
		r = ingest_accept(p->in, p->name, p->family, aux, text,
		    strlen(text));
		free(text);
		if (r == -1)
			goto paused;
		p->items++;
		if (p->kind == POLL_DELTA)
			poll_cursor_advance(&p->pc, item, p->pc.cursor, sizeof(p->pc.cursor));
	}
	ingest_commit(p->in);
	/* The whole page is spooled: the server's next cursor may be taken. */
	if (p->next_cursor[0] != '\0' && strcmp(p->next_cursor, p->pc.cursor) > 0)
		snprintf(p->pc.cursor, sizeof(p->pc.cursor), "%s", p->next_cursor);
	if (p->kind == POLL_DELTA)
		poll_cursor_save(&p->pc, p->pc.cursor, NULL, 0);
	json_decref(p->held);
	p->held = NULL;
	return true;

paused:
	/* What is spooled may be committed and leave the spool meanwhile. */
	if (p->kind == POLL_DELTA)
		poll_cursor_save(&p->pc, p->page_base, p->held, p->held_next);
	return false;
}

/* What comes after a page was spooled whole. */
static void
poller_next(struct poller *p, bool got_items)
{
	if (p->kind == POLL_LONG)
		poller_schedule(p, 0);
	else
		poller_schedule(p, got_items ? 0 : p->interval_ms);
}

/* Returns a new reference to items without the head that was spooled
 * before the worker stopped (p->pc.skip items, first answer only). */
static json_t *
poller_skip(struct poller *p, json_t *items)
{
	json_t	*rest = json_array();
	size_t	 i, n = json_array_size(items);

	for (i = p->pc.skip < n ? (size_t)p->pc.skip : n; i < n; i++)
		json_array_append(rest, json_array_get(items, i));
	log_info("stream %s: left out the first %zu items of the answer, "
	    "spooled before the worker stopped", p->name,
	    p->pc.skip < n ? (size_t)p->pc.skip : n);
	p->pc.skip = 0;
	return rest;
}

/* The answer to a poll, a session start or a next-event request. */
static void
poller_handle(struct poller *p, long code, const char *retry_after)
{
	json_error_t	 jerr;
	json_t		*doc, *items, *next;
	bool		 session_req = p->kind == POLL_LONG && p->session == NULL;
	bool		 got;

	if (code == 401) {
		poller_fail(p, "HTTP 401: the token was refused");
		if (p->unauthorized != NULL)
			p->unauthorized(p->unauthorized_arg);
		return;
	}
	if (code == 429) {
		int64_t s = retry_after != NULL ? strtoll(retry_after, NULL, 10) : 0;
		snprintf(p->last_error, sizeof(p->last_error), "HTTP 429: rate limited");
		log_warnx("stream %s: rate limited; retrying in %lld s", p->name,
		    (long long)(s > 0 ? s : 1));
		poller_schedule(p, (s > 0 ? s : 1) * 1000);
		return;
	}
	if (p->kind == POLL_LONG && !session_req && code == 404) {
		log_info("stream %s: long-poll session gone; starting a new one", p->name);
		free(p->session);
		p->session = NULL;
		poller_schedule(p, 0);
		return;
	}
	if (p->kind == POLL_LONG && !session_req && code == 304) {
		p->empty++;
		backoff_reset(&p->bo);
		poller_schedule(p, 0);
		return;
	}
	if (code < 200 || code > 299) {
		poller_fail(p, "HTTP %ld", code);
		return;
	}
	buf_add(&p->body, "", 1);
	doc = json_loads((const char *)p->body.data, 0, &jerr);
	if (doc == NULL) {
		poller_fail(p, "the answer is not JSON: %s", jerr.text);
		return;
	}
	backoff_reset(&p->bo);
	snprintf(p->last_error, sizeof(p->last_error), "%s", "");
	if (session_req) {
		json_t *id = json_object_get(doc, "sessionId");
		if (!json_is_string(id)) {
			json_decref(doc);
			poller_fail(p, "the session answer has no sessionId");
			return;
		}
		p->session = xstrdup(json_string_value(id));
		json_decref(doc);
		poller_state(p, "subscribed");
		poller_schedule(p, 0);
		return;
	}
	items = poll_json_get(doc, p->kind == POLL_LONG ? "/events" : p->items_ptr);
	if (!json_is_array(items)) {
		json_decref(doc);
		poller_fail(p, "no item array at %s",
		    p->kind == POLL_LONG ? "/events" : p->items_ptr);
		return;
	}
	if (json_array_size(items) == 0)
		p->empty++;
	next = p->kind == POLL_DELTA ? poll_json_get(doc, p->cursor_ptr) : NULL;
	snprintf(p->next_cursor, sizeof(p->next_cursor), "%s",
	    json_is_string(next) ? json_string_value(next) : "");
	got = json_array_size(items) > 0;
	if (p->kind == POLL_DELTA && p->pc.skip > 0)
		items = poller_skip(p, items);
	else
		json_incref(items);
	if (p->kind == POLL_DELTA && json_array_size(items) > 0) {
		p->pc.gen++;
		snprintf(p->page_base, sizeof(p->page_base), "%s", p->pc.cursor);
		poll_cursor_save(&p->pc, p->page_base, items, 0);
	}
	p->held = items;
	p->held_next = 0;
	json_decref(doc);
	poller_state(p, "subscribed");
	/* items goes with held once the page is spooled: got was read before. */
	if (poller_drain_held(p))
		poller_next(p, got);
	else
		poller_state(p, "paused");
}

/* Collects the body of the request in flight, bounded. */
static size_t
poller_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct poller	*p = arg;

	if (p->body.len + size * n > POLL_BODY_MAX) {
		p->body_too_big = true;
		return 0;
	}
	buf_add(&p->body, data, size * n);
	return size * n;
}

/* Keeps the Retry-After header of the answer. */
static size_t
poller_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct poller	*p = arg;
	size_t		 len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		snprintf(p->retry_after, sizeof(p->retry_after), "%.*s",
		    (int)(len - 12), data + 12);
	return len;
}

static void
poller_done_cb(void *arg, CURL *easy, CURLcode rc)
{
	struct poller	*p = arg;
	long		 code = 0;

	p->easy = NULL;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(easy);
	curl_slist_free_all(p->hdrs);
	p->hdrs = NULL;
	if (p->body_too_big)
		poller_fail(p, "the answer is larger than %d bytes", POLL_BODY_MAX);
	else if (rc != CURLE_OK)
		poller_fail(p, "request failed: %s", curl_easy_strerror(rc));
	else
		poller_handle(p, code, code == 429 ? p->retry_after : NULL);
	buf_reset(&p->body);
}

/* Builds the URL of the next request; NULL when it cannot be resolved. */
static char *
poller_url(struct poller *p, bool *post)
{
	char		*u, *esc, *r;
	const char	*at;
	CURL		*tmp;

	*post = false;
	if (p->kind == POLL_LONG && p->session == NULL) {
		*post = true;
		return stream_resolve_url(p->session_conf, p->base, 0);
	}
	if ((u = stream_resolve_url(p->url_conf, p->base, 0)) == NULL)
		return NULL;
	if (p->kind == POLL_LONG) {
		if ((at = strstr(u, "${session_id}")) != NULL) {
			r = xasprintf("%.*s%s%s", (int)(at - u), u, p->session, at + 13);
			free(u);
			u = r;
		}
		r = xasprintf("%s%stimeout=%lld", u, strchr(u, '?') ? "&" : "?",
		    (long long)(p->lp_timeout_ms / 1000));
		free(u);
		return r;
	}
	if (p->pc.cursor[0] == '\0')
		return u;
	tmp = curl_easy_init();
	esc = curl_easy_escape(tmp, p->pc.cursor, 0);
	r = xasprintf("%s%s%s=%s", u, strchr(u, '?') ? "&" : "?", p->cursor_param,
	    esc != NULL ? esc : "");
	curl_free(esc);
	curl_easy_cleanup(tmp);
	free(u);
	return r;
}

static void
poller_request(struct poller *p)
{
	char	*url, *auth;
	bool	 post;
	CURL	*e;

	if (p->easy != NULL || p->token == NULL)
		return;
	if (p->held != NULL && !poller_drain_held(p)) {
		poller_state(p, "paused");
		return;
	}
	if ((url = poller_url(p, &post)) == NULL) {
		poller_fail(p, "a URL is a path and the token endpoint gave no "
		    "resource_server_base_uri");
		return;
	}
	e = curl_easy_init();
	auth = xasprintf("Authorization: Bearer %s", p->token);
	p->hdrs = curl_slist_append(NULL, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	p->hdrs = curl_slist_append(p->hdrs, "Accept: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, poller_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, poller_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(p->kind == POLL_LONG ?
	    p->lp_timeout_ms + 15000 : 30000));
	if (post)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(e, CURLOPT_PRIVATE, p);
	free(url);
	buf_reset(&p->body);
	p->body_too_big = false;
	p->retry_after[0] = '\0';
	p->easy = e;
	p->requests++;
	if (curl_loop_add(ingest_curl_loop(p->in), e, poller_done_cb, p) == -1) {
		p->easy = NULL;
		curl_easy_cleanup(e);
		curl_slist_free_all(p->hdrs);
		p->hdrs = NULL;
		poller_fail(p, "cannot start a request");
	}
}

static void
poller_timer_cb(int fd, short what, void *arg)
{
	poller_request(arg);
}

struct poller *
poller_new(struct ingest *in, const char *name, enum family fam,
    const struct stream_conf *sc, char *err, size_t errlen)
{
	struct poller	*p;

	p = xcalloc(1, sizeof(*p));
	p->in = in;
	p->name = xstrdup(name);
	p->family = fam;
	p->pc.fd = -1;
	p->kind = strcmp(sc->transport, "poll") == 0 ? POLL_DELTA : POLL_LONG;
	p->url_conf = xstrdup(p->kind == POLL_DELTA ? sc->poll_url : sc->longpoll_next_url);
	p->session_conf = sc->longpoll_session_url != NULL ?
	    xstrdup(sc->longpoll_session_url) : NULL;
	p->cursor_param = xstrdup(sc->cursor_param);
	p->items_ptr = xstrdup(sc->items_pointer);
	p->cursor_ptr = xstrdup(sc->cursor_pointer);
	p->ca_file = sc->ca_file != NULL ? xstrdup(sc->ca_file) : NULL;
	p->interval_ms = sc->poll_interval_ms;
	p->lp_timeout_ms = sc->longpoll_timeout_ms;
	buf_init(&p->body);
	backoff_init(&p->bo, (uint32_t)sc->backoff_base_ms,
	    (uint32_t)sc->backoff_cap_ms, (uint64_t)sc->stable_after_ms);
	backoff_rng_seed(&p->rng, poller_now_ms() ^ (uint64_t)getpid());
	p->timer = evtimer_new(in->base, poller_timer_cb, p);
	poller_state(p, "authenticating");
	if (p->kind == POLL_DELTA && poll_cursor_open(&p->pc, in->conf->spool_dir,
	    p->name, sc->timestamp_pointer, in->spool, err, errlen) == -1) {
		poller_free(p);
		return NULL;
	}
	return p;
}

void
poller_set_token(struct poller *p, const char *token, const char *base)
{
	bool	 first = p->token == NULL;

	if (p->token != NULL) {
		explicit_bzero(p->token, strlen(p->token));
		free(p->token);
	}
	p->token = xstrdup(token);
	free(p->base);
	p->base = base != NULL ? xstrdup(base) : NULL;
	if (first || strcmp(p->state, "backing-off") == 0)
		poller_schedule(p, 0);
}

void
poller_on_unauthorized(struct poller *p, void (*cb)(void *), void *arg)
{
	p->unauthorized = cb;
	p->unauthorized_arg = arg;
}

void
poller_kick(struct poller *p)
{
	if (strcmp(p->state, "paused") != 0)
		return;
	if (poller_drain_held(p)) {
		poller_state(p, "subscribed");
		poller_next(p, true);
	}
}

void
poller_stats(struct poller *p, struct buf *b)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s?}", "kind",
	    p->kind == POLL_DELTA ? "poll" : "longpoll", "state", p->state,
	    "requests", (json_int_t)p->requests, "items", (json_int_t)p->items,
	    "empty", (json_int_t)p->empty, "errors", (json_int_t)p->errors,
	    "last_error", p->last_error, "cursor",
	    p->kind == POLL_DELTA ? p->pc.cursor : NULL);
	t = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	buf_add_str(b, t != NULL ? t : "null");
	free(t);
	json_decref(o);
}

void
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	if (p->easy != NULL) {
		curl_loop_remove(ingest_curl_loop(p->in), p->easy);
		curl_easy_cleanup(p->easy);
	}
	curl_slist_free_all(p->hdrs);
	if (p->timer != NULL)
		event_free(p->timer);
	poll_cursor_close(&p->pc);
	if (p->token != NULL) {
		explicit_bzero(p->token, strlen(p->token));
		free(p->token);
	}
	json_decref(p->held);
	buf_free(&p->body);
	free(p->base);
	free(p->session);
	free(p->name);
	free(p->url_conf);
	free(p->session_conf);
	free(p->cursor_param);
	free(p->items_ptr);
	free(p->cursor_ptr);
	free(p->ca_file);
	free(p);
}
