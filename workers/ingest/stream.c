#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <sys/time.h>
#include <jansson.h>

#include "curl_loop.h"
#include "ingest.h"
#include "log.h"
#include "oauth.h"
#include "poll.h"
#include "stream.h"
#include "ws_client.h"
#include "xmalloc.h"

#define STREAM_MAX_HEADERS	16

struct stream {
	struct ingest		*in;
	char			*name;
	enum family		 family;
	struct oauth		*oauth;
	struct ws_client	*ws;
	struct poller		*poller;
	char			*ws_url;	/* as configured (may be a path) */
	char			*url;		/* resolved ws_url, once known */
	int			 transport;	/* 0 websocket, 1 poll, 2 longpoll */
	struct ws_conf		 wsc;		/* kept for the resolved start */
	char			*subscribe;
	char			*ack;
	char			*ca_file;
	char			*headers[STREAM_MAX_HEADERS];
	size_t			 nheaders;
	bool			 paused;
	/* register_url: a REST call whose id fills ${subscription_id} */
	char			*register_url;
	char			*register_body;
	char			*subscription_id;
	CURL			*reg_easy;
	struct curl_slist	*reg_hdrs;
	struct buf		 reg_body;
	struct event		*reg_timer;
	int64_t			 reg_delay_ms;
	int64_t			 backoff_cap_ms;
	uint64_t		 messages;
	uint64_t		 dead_letters;
};

char *
stream_resolve_url(const char *url, const char *base, int ws)
{
	const char	*rest;
	size_t		 n;

	if (url[0] != '/')
		return xstrdup(url);
	if (base == NULL)
		return NULL;
	if (strncmp(base, "https://", 8) == 0)
		rest = base + 8;
	else if (strncmp(base, "http://", 7) == 0)
		rest = base + 7;
	else
		return NULL;
	n = strlen(rest);
	while (n > 0 && rest[n - 1] == '/')
		n--;
	return xasprintf("%s%.*s%s", ws ? (base[4] == 's' ? "wss://" : "ws://") :
	    (base[4] == 's' ? "https://" : "http://"), (int)n, rest, url);
}

/* Reads a secret from a file or the environment; NULL with err set. */
static char *
stream_read_secret(const char *file, const char *env, char *err, size_t errlen)
{
	const char	*v;

	if (file != NULL)
		return config_read_secret_file(file, err, errlen);
	if (env == NULL)
		return NULL;
	if ((v = getenv(env)) == NULL || *v == '\0') {
		snprintf(err, errlen, "environment variable %s is not set", env);
		return NULL;
	}
	return xstrdup(v);
}

/* Wipes and frees a secret. */
static void
stream_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Spools one message; false when the spool cannot take it now. */
static bool
stream_take(struct stream *st, const char *data, size_t len)
{
	if (!ingest_can_accept(st->in))
		return false;
	if (ingest_accept(st->in, st->name, st->family, 0, data, len) == -1)
		return false;
	ingest_commit(st->in);
	st->messages++;
	return true;
}

/* Spools a message the stream could not use, as a dead letter with why. */
static bool
stream_take_dead(struct stream *st, const char *reason, const char *data,
    size_t len)
{
	if (!ingest_can_accept(st->in))
		return false;
	if (ingest_accept_dead(st->in, st->name, st->family, reason, data, len) == -1)
		return false;
	ingest_commit(st->in);
	st->dead_letters++;
	return true;
}

/* Events of the WebSocket client, on the libevent thread. */
static int
stream_ws_cb(struct ws_client *c, const struct ws_event *ev, void *arg)
{
	struct stream	*st = arg;

	switch (ev->type) {
	case WS_EVENT_MESSAGE:
		if (!stream_take(st, ev->data, ev->len)) {
			st->paused = true;
			return WS_HOLD;
		}
		return WS_TAKEN;
	case WS_EVENT_DEAD_LETTER:
		if (!stream_take_dead(st, ev->reason, ev->data, ev->len)) {
			st->paused = true;
			return WS_HOLD;
		}
		return WS_TAKEN;
	case WS_EVENT_TOKEN_REJECTED:
		log_info("stream %s: the server refused the token; fetching a new one",
		    st->name);
		oauth_invalidate(st->oauth);
		return WS_TAKEN;
	case WS_EVENT_STATE:
		log_debug("stream %s: %s", st->name, ws_state_name(ev->state));
		return WS_TAKEN;
	}
	return WS_TAKEN;
}

static void	stream_register(struct stream *);
static void	stream_connect(struct stream *, const char *);

/* Collects the register call's answer, bounded. */
static size_t
stream_reg_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct stream	*st = arg;

	if (st->reg_body.len + size * n > 65536)
		return 0;
	buf_add(&st->reg_body, data, size * n);
	return size * n;
}

/* Builds the subscribe message with ${subscription_id} replaced. */
static void
stream_fill_subscribe(struct stream *st)
{
	const char	*at;
	char		*s;

	if (st->subscribe == NULL ||
	    (at = strstr(st->subscribe, "${subscription_id}")) == NULL)
		return;
	s = xasprintf("%.*s%s%s", (int)(at - st->subscribe), st->subscribe,
	    st->subscription_id, at + strlen("${subscription_id}"));
	free(st->subscribe);
	st->subscribe = s;
	st->wsc.subscribe = s;
}

/* The register call finished: take its id, or retry later. */
static void
stream_reg_done_cb(void *arg, CURL *easy, CURLcode rc)
{
	struct stream	*st = arg;
	json_t		*doc, *id;
	long		 code = 0;
	struct timeval	 tv;

	st->reg_easy = NULL;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(easy);
	curl_slist_free_all(st->reg_hdrs);
	st->reg_hdrs = NULL;
	buf_add(&st->reg_body, "", 1);
	doc = rc == CURLE_OK && code >= 200 && code < 300 ?
	    json_loads((const char *)st->reg_body.data, 0, NULL) : NULL;
	buf_reset(&st->reg_body);
	id = json_object_get(doc, "subscriptionId");
	if (!json_is_string(id))
		id = json_object_get(doc, "id");
	if (json_is_string(id)) {
		st->subscription_id = xstrdup(json_string_value(id));
		json_decref(doc);
		log_info("stream %s: registered, subscription %s", st->name,
		    st->subscription_id);
		stream_fill_subscribe(st);
		if (oauth_token(st->oauth) != NULL)
			stream_connect(st, oauth_token(st->oauth));
		return;
	}
	json_decref(doc);
	if (code == 401)
		oauth_invalidate(st->oauth);
	st->reg_delay_ms = st->reg_delay_ms == 0 ? 1000 :
	    st->reg_delay_ms * 2 > st->backoff_cap_ms ? st->backoff_cap_ms :
	    st->reg_delay_ms * 2;
	log_warnx("stream %s: register_url failed (%s); retrying in %lld ms",
	    st->name, rc != CURLE_OK ? curl_easy_strerror(rc) :
	    code < 200 || code > 299 ? "HTTP error" : "no id in the answer",
	    (long long)st->reg_delay_ms);
	tv.tv_sec = st->reg_delay_ms / 1000;
	tv.tv_usec = (st->reg_delay_ms % 1000) * 1000;
	evtimer_add(st->reg_timer, &tv);
}

static void
stream_reg_timer_cb(int fd, short what, void *arg)
{
	stream_register(arg);
}

/* POSTs register_body to register_url with the token. */
static void
stream_register(struct stream *st)
{
	const char	*token = oauth_token(st->oauth);
	char		*url, *auth;
	CURL		*e;

	if (st->reg_easy != NULL || token == NULL)
		return;
	if ((url = stream_resolve_url(st->register_url, oauth_base_uri(st->oauth), 0)) == NULL) {
		log_warnx("stream %s: register_url is a path and the token endpoint "
		    "gave no resource_server_base_uri", st->name);
		return;
	}
	e = curl_easy_init();
	auth = xasprintf("Authorization: Bearer %s", token);
	st->reg_hdrs = curl_slist_append(NULL, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	st->reg_hdrs = curl_slist_append(st->reg_hdrs, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->reg_hdrs);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
	    st->register_body != NULL ? st->register_body : "{}");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stream_reg_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, st);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
	if (st->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, st->ca_file);
	free(url);
	st->reg_easy = e;
	if (curl_loop_add(ingest_curl_loop(st->in), e, stream_reg_done_cb, st) == -1) {
		st->reg_easy = NULL;
		curl_easy_cleanup(e);
		curl_slist_free_all(st->reg_hdrs);
		st->reg_hdrs = NULL;
	}
}

/* A new token: the first starts the stream, later ones are handed on. */
static void
stream_token_cb(void *arg, const char *token, time_t expires_at)
{
	struct stream	*st = arg;

	if (st->transport != 0) {
		poller_set_token(st->poller, token, oauth_base_uri(st->oauth));
		return;
	}
	if (st->ws != NULL) {
		ws_client_set_token(st->ws, token);
		return;
	}
	if (st->register_url != NULL && st->subscription_id == NULL) {
		stream_register(st);
		return;
	}
	stream_connect(st, token);
}

/* Starts the WebSocket once the token (and any subscription id) is there. */
static void
stream_connect(struct stream *st, const char *token)
{
	char	 err[256];

	if (st->url == NULL &&
	    (st->url = stream_resolve_url(st->ws_url, oauth_base_uri(st->oauth), 1)) == NULL) {
		log_warnx("stream %s: ws_url is a path and the token endpoint "
		    "gave no resource_server_base_uri to resolve it", st->name);
		return;
	}
	st->wsc.url = st->url;
	st->ws = ws_client_new(ingest_ws_thread(st->in, err, sizeof(err)),
	    &st->wsc, stream_ws_cb, st, err, sizeof(err));
	if (st->ws == NULL) {
		log_warnx("stream %s: %s", st->name, err);
		return;
	}
	ws_client_start(st->ws, token);
}

/* The resource refused the token: get another. */
static void
stream_unauthorized_cb(void *arg)
{
	struct stream	*st = arg;

	oauth_invalidate(st->oauth);
}

/* Splits "Name: value | Name: value" into the header list. */
static void
stream_parse_headers(struct stream *st, const char *spec)
{
	char	*copy, *p, *h, *save = NULL;

	if (spec == NULL)
		return;
	copy = xstrdup(spec);
	for (p = copy; (h = strtok_r(p, "|", &save)) != NULL; p = NULL) {
		while (*h == ' ')
			h++;
		size_t n = strlen(h);
		while (n > 0 && h[n - 1] == ' ')
			h[--n] = '\0';
		if (n > 0 && st->nheaders < STREAM_MAX_HEADERS)
			st->headers[st->nheaders++] = xstrdup(h);
	}
	free(copy);
}

/* The OAuth2 side of a stream's config. */
static struct oauth *
stream_oauth_new(struct stream *st, const struct stream_conf *sc, char *err,
    size_t errlen)
{
	struct oauth_conf	 oc;
	struct oauth		*o;
	char			*secret, *password = NULL;

	if ((secret = stream_read_secret(sc->client_secret_file,
	    sc->client_secret_env, err, errlen)) == NULL)
		return NULL;
	if (strcmp(sc->grant, "password") == 0 &&
	    (password = config_read_secret_file(sc->access_key_secret_file, err,
	    errlen)) == NULL) {
		stream_free_secret(secret);
		return NULL;
	}
	memset(&oc, 0, sizeof(oc));
	oc.name = st->name;
	oc.token_url = sc->token_url;
	oc.grant = password != NULL ? OAUTH_GRANT_PASSWORD : OAUTH_GRANT_CLIENT_CREDENTIALS;
	oc.client_id = sc->client_id;
	oc.client_secret = secret;
	oc.username = sc->access_key_id;
	oc.password = password;
	oc.scope = sc->scope;
	oc.tenant = sc->tenant;
	oc.ca_file = sc->ca_file;
	oc.refresh_margin_s = (int)(sc->token_refresh_margin_ms / 1000);
	oc.backoff_base_ms = (int)sc->backoff_base_ms;
	oc.backoff_cap_ms = (int)sc->backoff_cap_ms;
	o = oauth_new(ingest_curl_loop(st->in), &oc, stream_token_cb, st);
	stream_free_secret(secret);
	stream_free_secret(password);
	return o;
}

struct stream *
stream_start(struct ingest *in, const struct stream_conf *sc, char *err,
    size_t errlen)
{
	struct stream	*st;

	st = xcalloc(1, sizeof(*st));
	st->in = in;
	st->name = xstrdup(sc->name);
	st->family = (enum family)family_parse(sc->family);
	st->transport = strcmp(sc->transport, "websocket") == 0 ? 0 :
	    strcmp(sc->transport, "poll") == 0 ? 1 : 2;
	if (st->transport == 0) {
		st->subscribe = sc->subscribe != NULL ? xstrdup(sc->subscribe) : NULL;
		st->ack = xstrdup(sc->ack);
		st->ca_file = sc->ca_file != NULL ? xstrdup(sc->ca_file) : NULL;
		stream_parse_headers(st, sc->headers);
		st->wsc.name = st->name;
		st->wsc.token_in = strcmp(sc->token_in, "query") == 0 ?
		    WS_TOKEN_IN_QUERY : WS_TOKEN_IN_HEADER;
		st->wsc.subscribe = st->subscribe;
		st->wsc.ack_type = st->subscribe != NULL ? st->ack : NULL;
		st->wsc.ack_timeout_ms = (uint32_t)sc->ack_timeout_ms;
		st->wsc.ca_file = st->ca_file;
		st->wsc.max_message_bytes = (size_t)sc->max_message_bytes;
		st->wsc.headers = (const char *const *)st->headers;
		st->wsc.nheaders = st->nheaders;
		st->wsc.ping_interval_ms = (uint32_t)sc->ping_interval_ms;
		st->wsc.idle_timeout_ms = (uint32_t)sc->idle_timeout_ms;
		st->wsc.backoff_base_ms = (uint32_t)sc->backoff_base_ms;
		st->wsc.backoff_cap_ms = (uint32_t)sc->backoff_cap_ms;
		st->wsc.stable_ms = (uint32_t)sc->stable_after_ms;
	} else if ((st->poller = poller_new(in, st->name, st->family, sc, err,
	    errlen)) == NULL) {
		stream_stop(st);
		return NULL;
	}
	if (st->poller != NULL)
		poller_on_unauthorized(st->poller, stream_unauthorized_cb, st);
	if ((st->oauth = stream_oauth_new(st, sc, err, errlen)) == NULL) {
		stream_stop(st);
		return NULL;
	}
	if (st->transport == 0)
		st->ws_url = xstrdup(sc->ws_url);
	if (st->transport == 0 && sc->register_url != NULL) {
		st->register_url = xstrdup(sc->register_url);
		st->register_body = sc->register_body != NULL ?
		    xstrdup(sc->register_body) : NULL;
	}
	st->backoff_cap_ms = sc->backoff_cap_ms;
	buf_init(&st->reg_body);
	st->reg_timer = evtimer_new(in->base, stream_reg_timer_cb, st);
	oauth_start(st->oauth);
	log_info("stream %s: %s %s, family %s", st->name, sc->transport,
	    st->transport == 0 ? sc->ws_url : st->transport == 1 ? sc->poll_url :
	    sc->longpoll_session_url, sc->family);
	return st;
}

void
stream_kick(struct stream *st)
{
	if (st->poller != NULL)
		poller_kick(st->poller);
	if (st->ws != NULL && st->paused) {
		st->paused = false;
		ws_client_resume(st->ws);
	}
}

void
stream_stats(struct stream *st, struct buf *b)
{
	buf_printf(b, "{\"name\":\"%s\",\"messages\":%llu,\"dead_letters\":%llu,"
	    "\"oauth\":", st->name, (unsigned long long)st->messages,
	    (unsigned long long)st->dead_letters);
	if (st->oauth != NULL)
		oauth_stats(st->oauth, b);
	else
		buf_add_str(b, "null");
	buf_add_str(b, ",\"transport\":");
	if (st->ws != NULL)
		ws_client_stats(st->ws, b);
	else if (st->poller != NULL)
		poller_stats(st->poller, b);
	else
		buf_printf(b, "{\"state\":\"%s\"}",
		    st->oauth != NULL && oauth_state(st->oauth) == OAUTH_BACKOFF ?
		    "backing-off" : "authenticating");
	buf_add_str(b, "}");
}

void
stream_stop(struct stream *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	if (st->ws != NULL)
		ws_client_free(st->ws);
	if (st->reg_easy != NULL) {
		curl_loop_remove(ingest_curl_loop(st->in), st->reg_easy);
		curl_easy_cleanup(st->reg_easy);
	}
	curl_slist_free_all(st->reg_hdrs);
	if (st->reg_timer != NULL)
		event_free(st->reg_timer);
	buf_free(&st->reg_body);
	free(st->register_url);
	free(st->register_body);
	free(st->subscription_id);
	if (st->poller != NULL)
		poller_free(st->poller);
	if (st->oauth != NULL)
		oauth_free(st->oauth);
	for (i = 0; i < st->nheaders; i++)
		free(st->headers[i]);
	free(st->subscribe);
	free(st->ack);
	free(st->ca_file);
	free(st->url);
	free(st->ws_url);
	free(st->name);
	free(st);
}
