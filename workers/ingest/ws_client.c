/*
 * The libevent side of the WebSocket streams: the API of ws_client.h, the
 * delivery of events in order (held while the caller is paused), the
 * status and the log lines.  See ws_thread.h for who owns what.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"
#include "ws_thread.h"

#define WS_DEF_MAX_MESSAGE	(1024 * 1024)
#define WS_DEF_ACK_TIMEOUT	10000
#define WS_DEF_PING		20000
#define WS_DEF_IDLE		60000
#define WS_DEF_BASE		500
#define WS_DEF_CAP		30000
#define WS_DEF_STABLE		60000
#define WS_DEF_QUEUE		1024
#define WS_DEF_QUEUE_BYTES	(8 * 1024 * 1024)

static const char *const ws_state_names[] = {
	"idle", "connecting", "subscribing", "subscribed", "backing_off",
	"failed", "needs_token",
};

const char *
ws_state_name(enum ws_state s)
{
	if ((unsigned)s >= sizeof(ws_state_names) / sizeof(ws_state_names[0]))
		return "unknown";
	return ws_state_names[s];
}

const char *
ws_client_name(const struct ws_client *c)
{
	return c->name;
}

/* Splits ws[s]://host[:port][/path][?query] into the client's fields. */
static int
ws_client_parse_url(struct ws_client *c, const char *url, char *err,
    size_t errlen)
{
	const char	*p, *auth, *end, *colon;
	char		*port_end;
	long		 port;

	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "ws_url is missing");
		return -1;
	}
	if (strncasecmp(url, "wss://", 6) == 0) {
		c->tls = true;
		auth = url + 6;
	} else if (strncasecmp(url, "ws://", 5) == 0) {
		c->tls = false;
		auth = url + 5;
	} else {
		snprintf(err, errlen, "ws_url must start with ws:// or wss://");
		return -1;
	}
	end = auth + strcspn(auth, "/?#");
	if (*auth == '[') {
		p = memchr(auth, ']', (size_t)(end - auth));
		if (p == NULL) {
			snprintf(err, errlen, "ws_url: unterminated [address]");
			return -1;
		}
		c->host = xstrndup(auth + 1, (size_t)(p - auth - 1));
		colon = p + 1 < end && p[1] == ':' ? p + 1 : NULL;
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
		c->host = xstrndup(auth, (size_t)((colon != NULL ? colon : end) -
		    auth));
	}
	if (*c->host == '\0' || strchr(c->host, '@') != NULL) {
		snprintf(err, errlen, "ws_url: bad host");
		return -1;
	}
	port = c->tls ? 443 : 80;
	if (colon != NULL) {
		port = strtol(colon + 1, &port_end, 10);
		if (port_end != end || port < 1 || port > 65535) {
			snprintf(err, errlen, "ws_url: bad port");
			return -1;
		}
	}
	c->port = (int)port;
	if (colon != NULL)
		c->host_header = xstrndup(auth, (size_t)(end - auth));
	else
		c->host_header = xstrdup(c->host);
	p = end + strcspn(end, "#");
	c->path = xasprintf("%s%.*s", *end == '/' ? "" : "/",
	    (int)(p - end), end);
	return 0;
}

/* Copies the "Name: value" headers into the form lws takes. */
static int
ws_client_parse_headers(struct ws_client *c, const struct ws_conf *conf,
    char *err, size_t errlen)
{
	const char	*h, *colon, *v;
	size_t		 i, n;

	c->hdr_names = xcalloc(conf->nheaders + 1, sizeof(char *));
	c->hdr_values = xcalloc(conf->nheaders + 1, sizeof(char *));
	for (i = 0; i < conf->nheaders; i++) {
		h = conf->headers[i];
		colon = strchr(h, ':');
		if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL) {
			snprintf(err, errlen, "header '%.60s' is not \"Name: "
			    "value\"", h);
			return -1;
		}
		for (n = 0; h + n < colon; n++)
			if (!isgraph((unsigned char)h[n])) {
				snprintf(err, errlen, "header name '%.*s' is "
				    "not a token", (int)(colon - h), h);
				return -1;
			}
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		c->hdr_names[c->nheaders] = xstrndup(h, (size_t)(colon - h) + 1);
		c->hdr_values[c->nheaders] = xstrdup(v);
		c->nheaders++;
	}
	return 0;
}

static uint32_t
ws_or(uint32_t v, uint32_t def)
{
	return v != 0 ? v : def;
}

/* Redelivers held events after ws_client_resume(), then reads again. */
static void	ws_client_redeliver_cb(int, short, void *);

struct ws_client *
ws_client_new(struct ws_thread *t, const struct ws_conf *conf,
    ws_event_cb cb, void *arg, char *err, size_t errlen)
{
	struct ws_client *c;

	c = xcalloc(1, sizeof(*c));
	c->t = t;
	c->cb = cb;
	c->arg = arg;
	TAILQ_INIT(&c->held);
	buf_init(&c->l.rx);
	TAILQ_INSERT_TAIL(&t->clients, c, entry);
	c->name = xstrdup(conf->name != NULL ? conf->name : "ws");
	if (ws_client_parse_url(c, conf->url, err, errlen) == -1 ||
	    ws_client_parse_headers(c, conf, err, errlen) == -1)
		goto fail;
	if (conf->token_in != WS_TOKEN_IN_HEADER &&
	    conf->token_in != WS_TOKEN_IN_QUERY) {
		snprintf(err, errlen, "token_in must be header or query");
		goto fail;
	}
	c->token_in = conf->token_in;
	if (conf->subscribe != NULL && *conf->subscribe != '\0')
		c->subscribe = xstrdup(conf->subscribe);
	if (c->subscribe != NULL && conf->ack_type != NULL &&
	    *conf->ack_type != '\0')
		c->ack_type = xstrdup(conf->ack_type);
	c->reject_type = xstrdup(conf->reject_type != NULL ?
	    conf->reject_type : "subscribe.reject");
	if (conf->ca_file != NULL && *conf->ca_file != '\0') {
		if (access(conf->ca_file, R_OK) == -1) {
			snprintf(err, errlen, "ca_file %s: %s", conf->ca_file,
			    strerror(errno));
			goto fail;
		}
		c->ca_file = xstrdup(conf->ca_file);
	}
	c->ack_timeout_ms = ws_or(conf->ack_timeout_ms, WS_DEF_ACK_TIMEOUT);
	c->ping_interval_ms = ws_or(conf->ping_interval_ms, WS_DEF_PING);
	c->idle_timeout_ms = ws_or(conf->idle_timeout_ms, WS_DEF_IDLE);
	c->max_message = conf->max_message_bytes != 0 ?
	    conf->max_message_bytes : WS_DEF_MAX_MESSAGE;
	c->queue_max_messages = ws_or(conf->queue_max_messages, WS_DEF_QUEUE);
	c->queue_max_bytes = conf->queue_max_bytes;
	if (c->queue_max_bytes == 0)
		c->queue_max_bytes = 2 * c->max_message > WS_DEF_QUEUE_BYTES ?
		    2 * c->max_message : WS_DEF_QUEUE_BYTES;
	c->backoff_base_ms = ws_or(conf->backoff_base_ms, WS_DEF_BASE);
	c->backoff_cap_ms = ws_or(conf->backoff_cap_ms, WS_DEF_CAP);
	c->stable_ms = ws_or(conf->stable_ms, WS_DEF_STABLE);
	backoff_init(&c->l.bo, c->backoff_base_ms, c->backoff_cap_ms,
	    c->stable_ms);
	c->ev_redeliver = event_new(t->base, -1, 0, ws_client_redeliver_cb, c);
	if (c->ev_redeliver == NULL) {
		snprintf(err, errlen, "cannot create an event");
		goto fail;
	}
	c->st.state = WS_STATE_IDLE;
	return c;

fail:
	ws_client_destroy(c);
	return NULL;
}

void
ws_client_destroy(struct ws_client *c)
{
	struct ws_msg	*m;
	size_t		 i;

	TAILQ_REMOVE(&c->t->clients, c, entry);
	while ((m = TAILQ_FIRST(&c->held)) != NULL) {
		TAILQ_REMOVE(&c->held, m, entry);
		free(m);
	}
	if (c->ev_redeliver != NULL)
		event_free(c->ev_redeliver);
	ws_conn_cleanup(c);
	for (i = 0; i < c->nheaders; i++) {
		free(c->hdr_names[i]);
		free(c->hdr_values[i]);
	}
	free(c->hdr_names);
	free(c->hdr_values);
	free(c->name);
	free(c->host);
	free(c->host_header);
	free(c->path);
	free(c->subscribe);
	free(c->ack_type);
	free(c->reject_type);
	free(c->ca_file);
	free(c->cmd_token);
	free(c);
}

/* Tells the lws thread to stop or start reading, if that changes. */
static void
ws_client_flow(struct ws_client *c, bool paused)
{
	if (c->cmd_sent_paused == paused)
		return;
	c->cmd_sent_paused = paused;
	ws_thread_command(c, WS_CMD_FLOW, NULL, paused);
}

void
ws_client_start(struct ws_client *c, const char *token)
{
	if (!c->dying)
		ws_thread_command(c, WS_CMD_START, token, false);
}

void
ws_client_set_token(struct ws_client *c, const char *token)
{
	if (!c->dying && token != NULL)
		ws_thread_command(c, WS_CMD_TOKEN, token, false);
}

void
ws_client_stop(struct ws_client *c)
{
	if (!c->dying)
		ws_thread_command(c, WS_CMD_STOP, NULL, false);
}

void
ws_client_pause(struct ws_client *c)
{
	if (c->dying || c->paused)
		return;
	c->paused = c->st.paused = true;
	ws_client_flow(c, true);
}

void
ws_client_resume(struct ws_client *c)
{
	if (c->dying || !c->paused)
		return;
	c->paused = c->st.paused = false;
	if (!TAILQ_EMPTY(&c->held))
		event_active(c->ev_redeliver, 0, 0);
	else
		ws_client_flow(c, false);
}

void
ws_client_free(struct ws_client *c)
{
	struct ws_msg *m;

	if (c == NULL || c->dying)
		return;
	c->dying = true;
	while ((m = TAILQ_FIRST(&c->held)) != NULL) {
		TAILQ_REMOVE(&c->held, m, entry);
		ws_thread_release(c, m);
	}
	event_del(c->ev_redeliver);
	ws_thread_command(c, WS_CMD_FREE, NULL, false);
}

/* Logs a state change; every close shows its code and reason. */
static void
ws_client_log_state(struct ws_client *c, const struct ws_msg *m)
{
	const char *what = m->reason;

	switch (m->state) {
	case WS_STATE_CONNECTING:
		log_debug("stream %s: connecting to %s:%d", c->name, c->host,
		    c->port);
		break;
	case WS_STATE_SUBSCRIBING:
		log_debug("stream %s: upgraded, subscribing", c->name);
		break;
	case WS_STATE_SUBSCRIBED:
		log_info("stream %s: subscribed%s%.*s", c->name,
		    m->len > 0 ? ": " : "", (int)(m->len > 200 ? 200 : m->len),
		    m->data);
		break;
	case WS_STATE_BACKING_OFF:
		if (m->delay_ms == WS_DELAY_PAUSED)
			log_info("stream %s: %s; reconnecting once resumed",
			    c->name, what);
		else
			log_info("stream %s: %s; reconnecting in %" PRIu32
			    " ms", c->name, what, m->delay_ms);
		break;
	case WS_STATE_NEEDS_TOKEN:
		log_info("stream %s: %s; the token is refused, asking for a "
		    "new one", c->name, what);
		break;
	case WS_STATE_FAILED:
		log_warnx("stream %s: %s; not retried", c->name, what);
		break;
	case WS_STATE_IDLE:
		log_info("stream %s: stopped (%s)", c->name, what);
		break;
	}
}

/* Updates the status and logs, when an event arrives. */
static void
ws_client_note(struct ws_client *c, const struct ws_msg *m)
{
	c->st.frames = m->frames;
	c->st.reconnects = m->reconnects;
	switch (m->type) {
	case WS_MSG_STATE:
		c->st.state = m->state;
		if (m->close_code != 0)
			c->st.last_close_code = m->close_code;
		if (*m->reason != '\0' && m->delay_ms != WS_DELAY_PAUSED)
			snprintf(c->st.last_error, sizeof(c->st.last_error),
			    "%s", m->reason);
		ws_client_log_state(c, m);
		break;
	case WS_MSG_TOKEN:
		c->st.token_rejects++;
		break;
	case WS_MSG_DEAD_LETTER:
		log_debug("stream %s: dead letter: %s", c->name, m->reason);
		break;
	default:
		break;
	}
}

/* Calls the callback with one event; false when the caller held it. */
static bool
ws_client_deliver(struct ws_client *c, struct ws_msg *m)
{
	struct ws_event	ev;
	int		rc;

	memset(&ev, 0, sizeof(ev));
	switch (m->type) {
	case WS_MSG_MESSAGE:
		ev.type = WS_EVENT_MESSAGE;
		break;
	case WS_MSG_DEAD_LETTER:
		ev.type = WS_EVENT_DEAD_LETTER;
		break;
	case WS_MSG_TOKEN:
		ev.type = WS_EVENT_TOKEN_REJECTED;
		break;
	default:
		ev.type = WS_EVENT_STATE;
		break;
	}
	ev.state = m->type == WS_MSG_STATE ? m->state : c->st.state;
	ev.close_code = m->close_code;
	ev.reason = m->reason;
	ev.data = m->data;
	ev.len = m->len;
	ev.full_len = m->full_len;
	ev.delay_ms = m->delay_ms;
	rc = c->cb(c, &ev, c->arg);
	if (!c->dying && rc == WS_HOLD && (m->type == WS_MSG_MESSAGE ||
	    m->type == WS_MSG_DEAD_LETTER)) {
		TAILQ_INSERT_HEAD(&c->held, m, entry);
		ws_client_pause(c);
		return false;
	}
	if (m->type == WS_MSG_MESSAGE) {
		c->st.messages++;
		c->st.bytes += m->len;
	} else if (m->type == WS_MSG_DEAD_LETTER)
		c->st.dead_letters++;
	ws_thread_release(c, m);
	return true;
}

void
ws_client_dispatch(struct ws_client *c, struct ws_msg *m)
{
	if (m->type == WS_MSG_GONE) {
		free(m);
		ws_client_destroy(c);
		return;
	}
	if (c->dying) {
		ws_thread_release(c, m);
		return;
	}
	ws_client_note(c, m);
	if (c->paused || !TAILQ_EMPTY(&c->held)) {
		TAILQ_INSERT_TAIL(&c->held, m, entry);
		return;
	}
	(void)ws_client_deliver(c, m);
}

static void
ws_client_redeliver_cb(int fd, short what, void *arg)
{
	struct ws_client	*c = arg;
	struct ws_msg		*m;

	while (!c->dying && !c->paused &&
	    (m = TAILQ_FIRST(&c->held)) != NULL) {
		TAILQ_REMOVE(&c->held, m, entry);
		(void)ws_client_deliver(c, m);
	}
	if (!c->dying && !c->paused)
		ws_client_flow(c, false);
}

void
ws_client_status(const struct ws_client *c, struct ws_status *st)
{
	*st = c->st;
	pthread_mutex_lock(&c->t->mtx);
	st->queued = c->inflight;
	st->queued_bytes = c->inflight_bytes;
	pthread_mutex_unlock(&c->t->mtx);
}

/* Appends s as a JSON string. */
static void
ws_client_json_str(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			buf_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			buf_printf(b, "\\u%04x", ch);
		else
			buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

void
ws_client_stats(const struct ws_client *c, struct buf *b)
{
	struct ws_status st;

	ws_client_status(c, &st);
	buf_add_str(b, "{\"name\":");
	ws_client_json_str(b, c->name);
	buf_printf(b, ",\"state\":\"%s\",\"messages\":%" PRIu64 ",\"bytes\":%"
	    PRIu64 ",\"dead_letters\":%" PRIu64 ",\"frames\":%" PRIu64
	    ",\"reconnects\":%" PRIu64 ",\"token_rejects\":%" PRIu64
	    ",\"paused\":%s,\"queued\":%zu,\"last_close_code\":%d"
	    ",\"last_error\":", ws_state_name(st.state), st.messages, st.bytes,
	    st.dead_letters, st.frames, st.reconnects, st.token_rejects,
	    st.paused ? "true" : "false", st.queued, st.last_close_code);
	ws_client_json_str(b, st.last_error);
	buf_add_str(b, "}");
}
