/*
 * One stream's OAuth2 token (see oauth.h).  Every failure backs off:
 * exponentially with full jitter between the base and the cap, or as long as
 * Retry-After asks.  Secrets, tokens and request bodies are wiped when
 * dropped and never logged.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "backoff.h"
#include "curl_loop.h"
#include "log.h"
#include "oauth.h"
#include "tuple.h"
#include "xmalloc.h"

#define OAUTH_LIFETIME_DEFAULT_S 3600	/* when the answer has no expires_in */
#define OAUTH_RETRY_AFTER_MAX_S	3600	/* a longer Retry-After is clamped */
#define OAUTH_LIFETIME_MAX_S	31536000 /* a longer expires_in is clamped */

struct oauth {
	struct curl_loop	*loop;
	oauth_cb		 on_token;
	void			*arg;

	/* Configuration, owned copies; secrets wiped on free. */
	char			*name;
	char			*token_url;
	enum oauth_grant	 grant;
	char			*client_id;
	char			*client_secret;
	char			*username;
	char			*password;
	char			*scope;
	char			*tenant;
	char			*ca_file;
	int			 margin_s;
	long			 timeout_ms;
	struct backoff		 retry;		/* after failed requests */
	struct backoff		 refused;	/* after tokens the resource refused */
	struct backoff_rng	 rng;

	enum oauth_state	 state;
	struct event		*timer;		/* renewal or retry */
	bool			 timer_renews;	/* armed for a scheduled renewal */

	/* The request in flight. */
	CURL			*easy;
	struct curl_slist	*headers;	/* the same for every request */
	char			*form;
	size_t			 form_len;
	char			*resp;
	size_t			 resp_len;
	bool			 resp_too_big;
	bool			 req_refresh;	/* refresh_token grant */
	uint64_t		 req_start_ms;
	char			 errbuf[CURL_ERROR_SIZE];

	/* The token held. */
	char			*token;
	char			*refresh_token;
	char			*base_uri;
	uint64_t		 expires_ms;	/* monotonic */
	time_t			 expires_at;	/* wall clock */

	char			 last_error[256];
	unsigned		 refusals;	/* consecutive invalidations */

	uint64_t		 n_requests;
	uint64_t		 n_tokens;
	uint64_t		 n_refreshes;
	uint64_t		 n_failures;
	uint64_t		 n_invalidations;
};

static void	oauth_request(struct oauth *);

static uint64_t
oauth_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wipes and frees what may hold a secret: len bytes, or a string if 0. */
static void
oauth_wipe(char **p, size_t len)
{
	if (*p != NULL) {
		explicit_bzero(*p, len > 0 ? len : strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static char *
oauth_strdup_opt(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static const char *
oauth_grant_name(enum oauth_grant g)
{
	return g == OAUTH_GRANT_PASSWORD ? "password" : "client_credentials";
}

static void
oauth_timer_arm(struct oauth *o, uint64_t delay_ms, bool renews)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	o->timer_renews = renews;
	evtimer_add(o->timer, &tv);
}

/* Records a failed request and schedules the next: after delay_ms, or after
 * the backoff when delay_ms is 0. */
static void __attribute__((format(printf, 3, 4)))
oauth_fail(struct oauth *o, uint64_t delay_ms, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(o->last_error, sizeof(o->last_error), fmt, ap);
	va_end(ap);
	o->n_failures++;
	if (delay_ms == 0)
		delay_ms = backoff_next(&o->retry, &o->rng);
	log_warnx("stream %s: %s; retrying in %.1f s", o->name, o->last_error,
	    (double)delay_ms / 1000);
	o->state = OAUTH_BACKOFF;
	oauth_timer_arm(o, delay_ms, false);
}

/* CURLOPT_WRITEFUNCTION: keeps the answer, up to OAUTH_BODY_MAX bytes. */
static size_t
oauth_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct oauth	*o = arg;
	size_t		 n = size * nmemb;

	if (n > OAUTH_BODY_MAX - o->resp_len) {
		o->resp_too_big = true;
		return 0;	/* libcurl fails the transfer: CURLE_WRITE_ERROR */
	}
	memcpy(o->resp + o->resp_len, data, n);
	o->resp_len += n;
	o->resp[o->resp_len] = '\0';
	return n;
}

/* Builds the form body in one allocation sized for the worst case, so no
 * realloc leaves a stray copy of a secret; NULL values are skipped. */
static void
oauth_form_build(struct oauth *o, CURL *easy, const char *const *kv, int n)
{
	size_t	 cap = 1, off = 0, len;
	char	*esc;
	int	 i;

	for (i = 0; i < n; i += 2)
		if (kv[i + 1] != NULL)
			cap += strlen(kv[i]) + 2 + 3 * strlen(kv[i + 1]);
	o->form = xmalloc(cap);
	o->form[0] = '\0';
	for (i = 0; i < n; i += 2) {
		if (kv[i + 1] == NULL)
			continue;
		if ((esc = curl_easy_escape(easy, kv[i + 1], 0)) == NULL)
			fatalx("curl_easy_escape: out of memory");
		len = strlen(esc);
		off += (size_t)snprintf(o->form + off, cap - off, "%s%s=%s",
		    off > 0 ? "&" : "", kv[i], esc);
		explicit_bzero(esc, len);
		curl_free(esc);
	}
	o->form_len = off;
}

/* Drops what the request in flight holds (the easy handle is the caller's). */
static void
oauth_request_clear(struct oauth *o)
{
	oauth_wipe(&o->form, o->form_len + 1);
	o->form_len = 0;
	oauth_wipe(&o->resp, o->resp_len + 1);
	o->resp_len = 0;
	o->resp_too_big = false;
}

static void	oauth_done_cb(void *, CURL *, CURLcode);

/* Sends a token request: the refresh_token grant when a refresh token is
 * held, the configured grant otherwise. */
static void
oauth_request(struct oauth *o)
{
	const char	*kv[16];
	CURL		*easy;
	int		 n = 0;

	if (o->easy != NULL)
		return;
	evtimer_del(o->timer);
	oauth_request_clear(o);
	if ((easy = curl_easy_init()) == NULL) {
		oauth_fail(o, 0, "cannot create a token request");
		return;
	}
	o->req_refresh = o->refresh_token != NULL;
	if (o->req_refresh) {
		kv[n++] = "grant_type";	kv[n++] = "refresh_token";
		kv[n++] = "refresh_token"; kv[n++] = o->refresh_token;
	} else {
		kv[n++] = "grant_type";	kv[n++] = oauth_grant_name(o->grant);
		if (o->grant == OAUTH_GRANT_PASSWORD) {
			kv[n++] = "username";	kv[n++] = o->username;
			kv[n++] = "password";	kv[n++] = o->password;
		}
	}
	kv[n++] = "client_id";		kv[n++] = o->client_id;
	kv[n++] = "client_secret";	kv[n++] = o->client_secret;
	kv[n++] = "scope";		kv[n++] = o->scope;
	kv[n++] = "tenant";		kv[n++] = o->tenant;
	oauth_form_build(o, easy, kv, n);
	o->resp = xmalloc(OAUTH_BODY_MAX + 1);
	o->resp[0] = '\0';
	o->errbuf[0] = '\0';

	curl_easy_setopt(easy, CURLOPT_URL, o->token_url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"); /* no redirects */
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, o->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, o->form);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->form_len);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OAUTH_BODY_MAX);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, oauth_write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, o);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, o->errbuf);

	if (curl_loop_add(o->loop, easy, oauth_done_cb, o) == -1) {
		curl_easy_cleanup(easy);
		oauth_request_clear(o);
		oauth_fail(o, 0, "cannot start a token request");
		return;
	}
	o->easy = easy;
	o->req_start_ms = oauth_now_ms();
	o->n_requests++;
	o->state = OAUTH_FETCHING;
	log_debug("stream %s: token request (%s grant)", o->name,
	    o->req_refresh ? "refresh_token" : oauth_grant_name(o->grant));
}

/* Copies the answer's "error" code for messages: letters, digits, '_', '-',
 * '.' only, so nothing the server echoes back can carry a secret. */
static void
oauth_error_code(json_t *root, char *out, size_t outlen)
{
	const char	*s;
	size_t		 i = 0;

	if ((s = json_string_value(json_object_get(root, "error"))) != NULL) {
		for (; s[i] != '\0' && i + 1 < outlen; i++) {
			if (!isalnum((unsigned char)s[i]) && strchr("_-.", s[i]) == NULL)
				break;
			out[i] = s[i];
		}
		if (s[i] != '\0')
			i = 0;		/* all of it, or nothing */
	}
	out[i] = '\0';
}

/* True when s is usable in a header or URL: visible ASCII, no spaces. */
static bool
oauth_is_visible(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* A JSON number, or a string holding one (some servers quote it), at most
 * OAUTH_LIFETIME_MAX_S; -1 when absent or unusable. */
static long
oauth_json_seconds(json_t *v)
{
	const char	*s;
	char		*end;
	double		 n = -1;

	if (json_is_number(v))
		n = json_number_value(v);
	else if ((s = json_string_value(v)) != NULL) {
		n = strtod(s, &end);
		if (end == s || *end != '\0')
			n = -1;
	}
	if (!(n >= 1))			/* NaN too */
		return -1;
	return n < OAUTH_LIFETIME_MAX_S ? (long)n : OAUTH_LIFETIME_MAX_S;
}

/* Takes a 2xx answer; returns the lifetime in seconds, or -1 with
 * last_error-worthy text in why. */
static long
oauth_take_token(struct oauth *o, json_t *root, const char **why)
{
	const char	*tok, *rt, *base;
	long		 life;

	if (!json_is_object(root)) {
		*why = "the answer is not a JSON object";
		return -1;
	}
	tok = json_string_value(json_object_get(root, "access_token"));
	if (tok == NULL || !oauth_is_visible(tok)) {
		*why = "the answer has no usable access_token";
		return -1;
	}
	if ((life = oauth_json_seconds(json_object_get(root, "expires_in"))) < 0) {
		log_info("stream %s: token answer has no usable expires_in; assuming %d s",
		    o->name, OAUTH_LIFETIME_DEFAULT_S);
		life = OAUTH_LIFETIME_DEFAULT_S;
	}
	oauth_wipe(&o->token, 0);
	o->token = xstrdup(tok);
	/* Without a new refresh token, the one we used stays good (RFC 6749 6). */
	rt = json_string_value(json_object_get(root, "refresh_token"));
	if (rt != NULL && oauth_is_visible(rt)) {
		oauth_wipe(&o->refresh_token, 0);
		o->refresh_token = xstrdup(rt);
	}
	base = json_string_value(json_object_get(root, "resource_server_base_uri"));
	if (base != NULL && oauth_is_visible(base)) {
		free(o->base_uri);
		o->base_uri = xstrdup(base);
	}
	return life;
}

/* Stores a new token, schedules its renewal and tells the owner. */
static void
oauth_on_success(struct oauth *o, json_t *root)
{
	const char	*why = NULL;
	uint64_t	 renew_ms;
	long		 life;

	if ((life = oauth_take_token(o, root, &why)) < 0) {
		oauth_fail(o, 0, "unusable token answer: %s", why);
		return;
	}
	o->expires_ms = o->req_start_ms + (uint64_t)life * 1000;
	o->expires_at = time(NULL) + life -
	    (time_t)((oauth_now_ms() - o->req_start_ms) / 1000);
	if (life > o->margin_s) {
		renew_ms = (uint64_t)(life - o->margin_s) * 1000;
		if (renew_ms < 1000)
			renew_ms = 1000;
	} else
		renew_ms = (uint64_t)life * 500;	/* half the lifetime */
	backoff_reset(&o->retry);
	o->last_error[0] = '\0';
	o->n_tokens++;
	if (o->req_refresh)
		o->n_refreshes++;
	o->state = OAUTH_VALID;
	oauth_timer_arm(o, renew_ms, true);
	log_info("stream %s: new token (%s grant), expires in %ld s, renewal in "
	    "%.1f s", o->name, o->req_refresh ? "refresh_token" :
	    oauth_grant_name(o->grant), life, (double)renew_ms / 1000);
	o->on_token(o->arg, o->token, o->expires_at);	/* last: may free o */
}

/* Handles an HTTP error answer from the token endpoint. */
static void
oauth_on_refusal(struct oauth *o, long status, curl_off_t retry_after,
    json_t *root)
{
	char		 code[48], tag[96];
	const char	*what;
	uint64_t	 wait_ms = 0;

	oauth_error_code(root, code, sizeof(code));
	if (retry_after > 0 && (status == 429 || status == 503))
		wait_ms = (uint64_t)(retry_after < OAUTH_RETRY_AFTER_MAX_S ?
		    retry_after : OAUTH_RETRY_AFTER_MAX_S) * 1000;
	snprintf(tag, sizeof(tag), "HTTP %ld%s%s%s", status, code[0] ? " " : "",
	    code, wait_ms ? ", honouring Retry-After" : "");
	if (o->req_refresh && (status == 400 || status == 401)) {
		/* The refresh token expired or was revoked: start over. */
		log_info("stream %s: refresh token refused (%s); asking with the "
		    "%s grant", o->name, tag, oauth_grant_name(o->grant));
		oauth_wipe(&o->refresh_token, 0);
		oauth_request(o);
		return;
	}
	if (status == 401 || (status == 400 && (strcmp(code, "invalid_client") == 0 ||
	    strcmp(code, "unauthorized_client") == 0)))
		what = "token endpoint refused the client credentials";
	else if (status == 400 && strcmp(code, "invalid_grant") == 0)
		what = o->grant == OAUTH_GRANT_PASSWORD ?
		    "token endpoint refused the access key" :
		    "token endpoint refused the grant";
	else if (status == 429)
		what = "token endpoint is rate limiting";
	else if (status >= 500)
		what = "token endpoint failed";
	else
		what = "token endpoint refused the request";
	oauth_fail(o, wait_ms, "%s (%s)", what, tag);
}

/* curl_loop callback: the token request finished. */
static void
oauth_done_cb(void *arg, CURL *easy, CURLcode rc)
{
	struct oauth	*o = arg;
	json_t		*root = NULL;
	curl_off_t	 retry_after = 0;
	long		 status = 0;
	bool		 too_big = o->resp_too_big || rc == CURLE_FILESIZE_EXCEEDED;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
	curl_easy_cleanup(easy);
	o->easy = NULL;
	if (rc == CURLE_OK)
		root = json_loadb(o->resp, o->resp_len, 0, NULL);
	oauth_request_clear(o);		/* wipes the request and the answer */
	if (rc == CURLE_OK && status >= 200 && status < 300)
		oauth_on_success(o, root);	/* may free o (on_token) */
	else if (rc == CURLE_OK)
		oauth_on_refusal(o, status, retry_after, root);
	else if (too_big)
		oauth_fail(o, 0, "token answer is larger than %d KiB",
		    OAUTH_BODY_MAX / 1024);
	else
		oauth_fail(o, 0, "token request failed: %s", o->errbuf[0] != '\0' ?
		    o->errbuf : curl_easy_strerror(rc));
	json_decref(root);
}

/* The renewal or retry timer fired. */
static void
oauth_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct oauth	*o = arg;

	(void)fd;
	(void)what;
	/* A token that lived until its renewal was accepted by the resource. */
	if (o->timer_renews) {
		o->refusals = 0;
		backoff_reset(&o->refused);
	}
	oauth_request(o);
}

struct oauth *
oauth_new(struct curl_loop *loop, const struct oauth_conf *c, oauth_cb on_token,
    void *arg)
{
	struct oauth	*o;
	uint32_t	 base_ms, cap_ms;
	uint64_t	 seed;

	o = xcalloc(1, sizeof(*o));
	o->loop = loop;
	o->on_token = on_token;
	o->arg = arg;
	o->name = xstrdup(c->name != NULL ? c->name : "-");
	o->token_url = xstrdup(c->token_url);
	o->grant = c->grant;
	o->client_id = oauth_strdup_opt(c->client_id);
	o->client_secret = oauth_strdup_opt(c->client_secret);
	o->username = oauth_strdup_opt(c->username);
	o->password = oauth_strdup_opt(c->password);
	o->scope = oauth_strdup_opt(c->scope);
	o->tenant = oauth_strdup_opt(c->tenant);
	o->ca_file = oauth_strdup_opt(c->ca_file);
	o->margin_s = c->refresh_margin_s > 0 ? c->refresh_margin_s :
	    OAUTH_REFRESH_MARGIN_S;
	o->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : OAUTH_TIMEOUT_MS;
	base_ms = c->backoff_base_ms > 0 ? (uint32_t)c->backoff_base_ms :
	    OAUTH_BACKOFF_BASE_MS;
	cap_ms = c->backoff_cap_ms > 0 ? (uint32_t)c->backoff_cap_ms :
	    OAUTH_BACKOFF_CAP_MS;
	backoff_init(&o->retry, base_ms, cap_ms, 0);
	backoff_init(&o->refused, base_ms, cap_ms, 0);
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = oauth_now_ms() ^ ((uint64_t)getpid() << 32);
	backoff_rng_seed(&o->rng, seed);
	if ((o->timer = evtimer_new(curl_loop_base(loop), oauth_timer_cb, o)) == NULL)
		fatalx("oauth: evtimer_new failed");
	o->headers = curl_slist_append(NULL, "Accept: application/json");
	o->headers = curl_slist_append(o->headers,
	    "Content-Type: application/x-www-form-urlencoded");
	if (o->headers == NULL)
		fatalx("oauth: out of memory");
	return o;
}

void
oauth_free(struct oauth *o)
{
	if (o == NULL)
		return;
	if (o->easy != NULL) {
		curl_loop_remove(o->loop, o->easy);
		curl_easy_cleanup(o->easy);
	}
	oauth_request_clear(o);
	curl_slist_free_all(o->headers);
	event_free(o->timer);
	oauth_wipe(&o->client_secret, 0);
	oauth_wipe(&o->password, 0);
	oauth_wipe(&o->token, 0);
	oauth_wipe(&o->refresh_token, 0);
	free(o->name);
	free(o->token_url);
	free(o->client_id);
	free(o->username);
	free(o->scope);
	free(o->tenant);
	free(o->ca_file);
	free(o->base_uri);
	free(o);
}

void
oauth_start(struct oauth *o)
{
	if (o->state == OAUTH_IDLE)
		oauth_request(o);
}

void
oauth_invalidate(struct oauth *o)
{
	uint64_t	 delay_ms;

	o->n_invalidations++;
	oauth_wipe(&o->token, 0);
	o->expires_ms = 0;
	o->expires_at = 0;
	if (o->state == OAUTH_IDLE || o->state == OAUTH_FETCHING)
		return;		/* the answer in flight brings a new token */
	if (o->state == OAUTH_BACKOFF)
		return;		/* a retry is already scheduled: no hurry */
	o->refusals++;
	snprintf(o->last_error, sizeof(o->last_error),
	    "resource server refused the token (HTTP 401)");
	if (o->refusals == 1) {
		log_warnx("stream %s: %s; fetching a new one", o->name, o->last_error);
		oauth_request(o);
		return;
	}
	/* Refused again and again: the token endpoint and the resource
	 * disagree, so do not hammer either. */
	delay_ms = backoff_next(&o->refused, &o->rng);
	log_warnx("stream %s: %s again; fetching a new one in %.1f s", o->name,
	    o->last_error, (double)delay_ms / 1000);
	o->state = OAUTH_BACKOFF;
	oauth_timer_arm(o, delay_ms, false);
}

const char *
oauth_token(const struct oauth *o)
{
	if (o->token == NULL || oauth_now_ms() >= o->expires_ms)
		return NULL;
	return o->token;
}

time_t
oauth_expires_at(const struct oauth *o)
{
	return oauth_token(o) != NULL ? o->expires_at : 0;
}

const char *
oauth_base_uri(const struct oauth *o)
{
	return o->base_uri;
}

enum oauth_state
oauth_state(const struct oauth *o)
{
	return o->state;
}

const char *
oauth_state_name(enum oauth_state s)
{
	static const char *const names[] = { "idle", "fetching", "valid", "backoff" };

	return (unsigned)s < 4 ? names[s] : "?";
}

const char *
oauth_last_error(const struct oauth *o)
{
	return o->last_error[0] != '\0' ? o->last_error : NULL;
}

void
oauth_stats(const struct oauth *o, struct buf *b)
{
	json_t	*j;
	char	*s;
	time_t	 exp = oauth_expires_at(o);

	j = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:s?}",
	    "name", o->name,
	    "state", oauth_state_name(o->state),
	    "token_valid", oauth_token(o) != NULL,
	    "expires_in", (json_int_t)(exp != 0 ? exp - time(NULL) : 0),
	    "requests", (json_int_t)o->n_requests,
	    "tokens", (json_int_t)o->n_tokens,
	    "refreshes", (json_int_t)o->n_refreshes,
	    "failures", (json_int_t)o->n_failures,
	    "invalidations", (json_int_t)o->n_invalidations,
	    "last_error", oauth_last_error(o),
	    "base_uri", o->base_uri);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatalx("oauth_stats: out of memory");
	buf_add_str(b, s);
	free(s);
	json_decref(j);
}
