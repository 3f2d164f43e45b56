/*
 * One stream's state machine, run on the lws thread: connect, wait for the
 * upgrade and the subscription's ack, ping and watch for silence, and after
 * every close decide from its code whether to reconnect now, back off, ask
 * for a token or give up (ws_rx.c handles the frames themselves).  Nothing
 * here logs: events carry the facts to the libevent thread, which logs
 * them.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_thread.h"

#define WS_CLOSE_WAIT	5		/* s for a close we started to finish */
#define WS_REJECT_WAIT_US (1000 * LWS_US_PER_MS)	/* for the server's close */
#define WS_TICK_MIN_US	(10 * LWS_US_PER_MS)
#define WS_TICK_MAX_US	(1000 * LWS_US_PER_MS)

static void	conn_connect(struct ws_client *);
static void	conn_retry_cb(lws_sorted_usec_list_t *);

static uint64_t
conn_now_ms(void)
{
	return (uint64_t)(lws_now_usecs() / LWS_US_PER_MS);
}

/* True while the stream must not read: paused by the caller, or its
 * events wait for the libevent side. */
static bool
conn_rx_blocked(const struct ws_client *c)
{
	return c->l.user_paused || c->l.queue_paused;
}

/* Queues an event for the libevent side, unless the client is being freed. */
bool
ws_conn_push(struct ws_client *c, struct ws_msg *m)
{
	if (c->l.freeing) {
		free(m);
		return false;
	}
	return ws_thread_push(c, m);
}

/* Changes the state and tells the libevent side. */
static void
conn_state(struct ws_client *c, enum ws_state s, int code, const char *reason,
    uint32_t delay_ms, const char *data, size_t len)
{
	struct ws_msg *m;

	c->l.state = s;
	m = ws_msg_new(WS_MSG_STATE, data, len, reason == NULL ? "" : reason);
	m->state = s;
	m->close_code = code;
	m->delay_ms = delay_ms;
	(void)ws_conn_push(c, m);
}

/* Starts or stops reading the socket as the pause flags say. */
void
ws_conn_flow(struct ws_client *c, bool now)
{
	int flags;

	if (c->l.wsi == NULL || !c->l.upgraded)
		return;
	flags = LWS_RXFLOW_REASON_APPLIES | LWS_RXFLOW_REASON_USER_BOOL;
	if (!conn_rx_blocked(c))
		flags |= LWS_RXFLOW_REASON_APPLIES_ENABLE_BIT;
	if (now)
		flags |= LWS_RXFLOW_REASON_FLAG_PROCESS_NOW;
	lws_rx_flow_control(c->l.wsi, flags);
}

/* Closes the connection with a close frame; lws kills it if the close
 * cannot finish in time. */
static void
conn_close(struct ws_client *c, uint16_t code, const char *reason)
{
	struct ws_conn *l = &c->l;

	if (l->wsi == NULL || l->want_close)
		return;
	if (!l->upgraded) {
		/* No WebSocket yet: nothing to say goodbye on. */
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		return;
	}
	l->want_close = true;
	l->want_code = code;
	snprintf(l->want_reason, sizeof(l->want_reason), "%s", reason);
	lws_callback_on_writable(l->wsi);
	lws_set_timeout(l->wsi, PENDING_TIMEOUT_CLOSE_SEND, WS_CLOSE_WAIT);
}

/* True when a close reason speaks of a rate limit. */
static bool
conn_is_rate_limit(const char *reason)
{
	static const char *const words[] = { "rate limit", "rate-limit",
	    "ratelimit", "rate_limit", "too many", "throttl" };
	char	 low[256];
	size_t	 i;

	for (i = 0; i + 1 < sizeof(low) && reason[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)reason[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

/* What a close code asks for when nothing was decided before the close. */
static enum ws_next
conn_classify(int code, const char *reason, bool stable)
{
	switch (code) {
	case 1000:
	case 1001:
		return stable ? WS_NEXT_NOW : WS_NEXT_BACKOFF;
	case 4001:
		return WS_NEXT_TOKEN;
	case 1008:
		return conn_is_rate_limit(reason) ? WS_NEXT_SLOW : WS_NEXT_FAIL;
	default:
		/* 1006, 1011, 1012, 1013 (1002 from lws 4.1), the rest */
		return WS_NEXT_BACKOFF;
	}
}

/* Backing off: the retry timer fires after delay_ms. */
static void
conn_retry_in(struct ws_client *c, uint32_t delay_ms, int code,
    const char *why)
{
	conn_state(c, WS_STATE_BACKING_OFF, code, why, delay_ms, NULL, 0);
	lws_sul_schedule(c->t->ctx, 0, &c->l.sul_retry, conn_retry_cb,
	    (lws_usec_t)delay_ms * LWS_US_PER_MS);
}

/* The connection is over (code: its close code, 0 if it never opened;
 * how: what happened, for the log): decide what comes next. */
static void
conn_ended(struct ws_client *c, int code, const char *how)
{
	struct ws_conn	*l = &c->l;
	enum ws_next	 next;
	char		 why[512];
	bool		 stable;

	/* lws may still call back for this wsi (WSI_DESTROY): not for us,
	 * since the client may be freed once WS_MSG_GONE is queued. */
	if (l->wsi != NULL)
		lws_set_opaque_user_data(l->wsi, NULL);
	l->wsi = NULL;
	lws_sul_cancel(&l->sul_ack);
	lws_sul_cancel(&l->sul_idle);
	l->rx_active = false;
	if (l->rx.cap > WS_RX_KEEP)
		buf_free(&l->rx);
	stable = backoff_down(&l->bo, conn_now_ms());

	if (l->stopping) {
		lws_sul_cancel(&l->sul_retry);
		if (l->freeing) {
			(void)ws_thread_push(c, ws_msg_new(WS_MSG_GONE, NULL, 0,
			    NULL));
			return;
		}
		l->stopping = false;
		l->started = false;
		conn_state(c, WS_STATE_IDLE, code, how, 0, NULL, 0);
		if (l->restart) {
			/* ws_client_start() came while the close went on; the
			 * timer connects, outside this close's callback. */
			l->restart = false;
			l->started = true;
			lws_sul_schedule(c->t->ctx, 0, &l->sul_retry,
			    conn_retry_cb, 0);
		}
		return;
	}
	if (l->decided != WS_NEXT_NONE) {
		next = l->decided;
		snprintf(why, sizeof(why), "%s%s%s", l->decided_reason,
		    *how != '\0' ? "; " : "", how);
	} else {
		next = conn_classify(code, l->got_close ? l->close_reason : "",
		    stable);
		snprintf(why, sizeof(why), "%s", how);
	}
	switch (next) {
	case WS_NEXT_TOKEN:
		l->token_rejects++;
		conn_state(c, WS_STATE_NEEDS_TOKEN, code, why, 0, NULL, 0);
		(void)ws_conn_push(c, ws_msg_new(WS_MSG_TOKEN, NULL, 0, why));
		break;
	case WS_NEXT_FAIL:
		conn_state(c, WS_STATE_FAILED, code, why, 0, NULL, 0);
		break;
	case WS_NEXT_NOW:
		conn_retry_in(c, 0, code, why);
		break;
	case WS_NEXT_SLOW:
		conn_retry_in(c, backoff_slow(&l->bo, &c->t->rng), code, why);
		break;
	default:
		conn_retry_in(c, backoff_next(&l->bo, &c->t->rng), code, why);
		break;
	}
}

/* The retry timer: connect, unless reading is paused. */
static void
conn_retry_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_client *c = lws_container_of(sul, struct ws_client,
	    l.sul_retry);

	conn_connect(c);
}

/* No ack in time: an error with its reason, then backoff; after a
 * reject, the server did not close in time. */
static void
conn_ack_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_client *c = lws_container_of(sul, struct ws_client,
	    l.sul_ack);
	struct ws_conn *l = &c->l;

	if (l->wsi == NULL || l->state != WS_STATE_SUBSCRIBING)
		return;
	if (l->rejected) {
		conn_close(c, 1000, "subscribe rejected");
		return;
	}
	snprintf(l->decided_reason, sizeof(l->decided_reason),
	    "subscribe not acknowledged: no %s within %u ms", c->ack_type,
	    c->ack_timeout_ms);
	l->decided = WS_NEXT_BACKOFF;
	conn_close(c, 1000, "subscribe ack timeout");
}

/* subscribe.reject: final, or retried slowly when it speaks of a rate limit. */
void
ws_conn_rejected(struct ws_client *c, const char *reason)
{
	struct ws_conn *l = &c->l;

	snprintf(l->decided_reason, sizeof(l->decided_reason),
	    "subscribe rejected: %.200s", reason);
	l->decided = conn_is_rate_limit(reason) ? WS_NEXT_SLOW : WS_NEXT_FAIL;
	/* The server closes (1008) after a reject; close ourselves only if
	 * it does not. */
	l->rejected = true;
	lws_sul_schedule(c->t->ctx, 0, &l->sul_ack, conn_ack_cb,
	    WS_REJECT_WAIT_US);
}

/* The heartbeat: pings after ping_interval of silence, drops the
 * connection after idle_timeout of silence. */
static void
conn_idle_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_client *c = lws_container_of(sul, struct ws_client,
	    l.sul_idle);
	struct ws_conn	*l = &c->l;
	lws_usec_t	 now = lws_now_usecs(), tick, idle;
	lws_usec_t	 ping = (lws_usec_t)c->ping_interval_ms * LWS_US_PER_MS;
	lws_usec_t	 dead = (lws_usec_t)c->idle_timeout_ms * LWS_US_PER_MS;

	if (l->wsi == NULL || !l->upgraded)
		return;
	tick = (ping < dead ? ping : dead) / 4;
	if (tick < WS_TICK_MIN_US)
		tick = WS_TICK_MIN_US;
	if (tick > WS_TICK_MAX_US)
		tick = WS_TICK_MAX_US;
	if (conn_rx_blocked(c))
		l->last_rx = now;	/* our silence, not the peer's */
	idle = now - l->last_rx;
	if (idle >= dead) {
		snprintf(l->decided_reason, sizeof(l->decided_reason),
		    "no traffic for %u ms", c->idle_timeout_ms);
		l->decided = WS_NEXT_BACKOFF;
		l->killed = true;
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		return;
	}
	if (idle >= ping && now - l->last_ping >= ping) {
		l->ping_due = true;
		l->last_ping = now;
		lws_callback_on_writable(l->wsi);
	}
	lws_sul_schedule(c->t->ctx, 0, &l->sul_idle, conn_idle_cb, tick);
}

/* Starts one connection attempt. */
static void
conn_connect(struct ws_client *c)
{
	struct ws_conn			*l = &c->l;
	struct lws_client_connect_info	 i;
	struct lws_vhost		*vh;
	uint64_t			 attempt;

	if (l->stopping || l->wsi != NULL)
		return;
	if (conn_rx_blocked(c)) {
		l->retry_deferred = true;
		conn_state(c, WS_STATE_BACKING_OFF, 0, "reading is paused",
		    WS_DELAY_PAUSED, NULL, 0);
		return;
	}
	l->retry_deferred = false;
	vh = ws_thread_vhost(c->t, c->ca_file);
	if (vh == NULL) {
		conn_state(c, WS_STATE_FAILED, 0, "cannot load ca_file", 0,
		    NULL, 0);
		return;
	}
	free(l->path);
	l->path = ws_rx_path(c);
	l->upgraded = l->subscribe_sent = l->ping_due = false;
	l->want_close = l->got_close = l->rx_active = l->rejected = false;
	l->killed = false;
	l->close_code = 0;
	l->close_reason[0] = '\0';
	l->decided = WS_NEXT_NONE;
	l->decided_reason[0] = '\0';
	attempt = ++l->attempts;
	conn_state(c, WS_STATE_CONNECTING, 0, "", 0, NULL, 0);

	memset(&i, 0, sizeof(i));
	i.context = c->t->ctx;
	i.vhost = vh;
	i.address = c->host;
	i.port = c->port;
	i.path = l->path;
	i.host = c->host_header;
	i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
	i.local_protocol_name = c->t->protocols[0].name;
	i.opaque_user_data = c;
	i.pwsi = &l->wsi;
	if (lws_client_connect_via_info(&i) == NULL) {
		/* A failure inside the call may already have been reported
		 * through CLIENT_CONNECTION_ERROR, which ends the attempt. */
		l->wsi = NULL;
		if (l->attempts == attempt && l->state == WS_STATE_CONNECTING)
			conn_ended(c, 0, "connect failed: cannot start the "
			    "connection");
	}
}

/* The subscription is confirmed (or needs no ack). */
void
ws_conn_subscribed(struct ws_client *c, const char *ack, size_t len)
{
	struct ws_conn *l = &c->l;

	lws_sul_cancel(&l->sul_ack);
	l->token_rejects = 0;
	backoff_up(&l->bo, conn_now_ms());
	conn_state(c, WS_STATE_SUBSCRIBED, 0, "", 0, ack, len);
}

/* The upgrade succeeded: subscribe, arm the ack and heartbeat timers. */
static void
conn_established(struct ws_client *c)
{
	struct ws_conn *l = &c->l;

	l->upgraded = true;
	l->last_rx = l->last_ping = lws_now_usecs();
	ws_conn_flow(c, false);
	lws_sul_schedule(c->t->ctx, 0, &l->sul_idle, conn_idle_cb,
	    WS_TICK_MIN_US);
	if (c->subscribe == NULL) {
		ws_conn_subscribed(c, NULL, 0);
		return;
	}
	conn_state(c, WS_STATE_SUBSCRIBING, 0, "", 0, NULL, 0);
	lws_callback_on_writable(l->wsi);
	if (c->ack_type != NULL && !conn_rx_blocked(c))
		lws_sul_schedule(c->t->ctx, 0, &l->sul_ack, conn_ack_cb,
		    (lws_usec_t)c->ack_timeout_ms * LWS_US_PER_MS);
}

/* A failed connect or upgrade; a 401 asks for a new token. */
static void
conn_connect_error(struct ws_client *c, struct lws *wsi, const char *text)
{
	struct ws_conn	*l = &c->l;
	unsigned	 status = lws_http_client_http_response(wsi);
	char		 why[256];

	if (status == 401 || strstr(text, "unauthorized") != NULL) {
		l->decided = WS_NEXT_TOKEN;
		snprintf(l->decided_reason, sizeof(l->decided_reason),
		    "upgrade refused: HTTP 401");
		conn_ended(c, 0, "");
		return;
	}
	if (status != 0)
		snprintf(why, sizeof(why), "upgrade refused: HTTP %u (%s)",
		    status, text);
	else
		snprintf(why, sizeof(why), "connect failed: %s", text);
	conn_ended(c, 0, why);
}

/* Keeps the close code and a printable copy of the reason. */
static void
conn_peer_close(struct ws_client *c, const unsigned char *in, size_t len)
{
	struct ws_conn	*l = &c->l;
	size_t		 i, n = 0;

	l->got_close = true;
	l->close_code = len >= 2 ? (in[0] << 8 | in[1]) : 1005;
	for (i = 2; i < len && n + 1 < sizeof(l->close_reason); i++)
		l->close_reason[n++] = isprint(in[i]) ? (char)in[i] : '?';
	l->close_reason[n] = '\0';
}

/* An open connection closed: says who closed it, with code and reason. */
static void
conn_closed(struct ws_client *c)
{
	struct ws_conn	*l = &c->l;
	char		 how[256];

	if (l->got_close) {
		snprintf(how, sizeof(how), "server closed with %d%s%s",
		    l->close_code, *l->close_reason ? ": " : " (no reason)",
		    l->close_reason);
		conn_ended(c, l->close_code, how);
	} else if (l->want_close) {
		snprintf(how, sizeof(how), "closed by cxpipe with %u (%s)",
		    l->want_code, l->want_reason);
		conn_ended(c, l->want_code, how);
	} else if (l->killed)
		conn_ended(c, 1006, "dropped by cxpipe (1006)");
	else
		conn_ended(c, 1006, "connection lost without a close frame "
		    "(1006)");
}

/* The lws callbacks of one stream's current connection. */
int
ws_conn_callback(struct ws_client *c, struct lws *wsi,
    enum lws_callback_reasons reason, void *in, size_t len)
{
	struct ws_conn *l = &c->l;

	if (wsi != l->wsi)
		return 0;	/* an attempt that already ended */
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return ws_rx_headers(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		conn_connect_error(c, wsi, in != NULL ? (const char *)in :
		    "connection failed");
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		conn_established(c);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		l->last_rx = lws_now_usecs();
		ws_rx_receive(c, wsi, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		l->last_rx = lws_now_usecs();
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return ws_rx_writeable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		conn_peer_close(c, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		conn_closed(c);
		return 0;
	default:
		return 0;
	}
}

/* Acts on the commands the libevent thread queued for the stream. */
void
ws_conn_command(struct ws_client *c, unsigned cmd, char *token, bool paused)
{
	struct ws_conn *l = &c->l;

	if (token != NULL) {
		free(l->token);
		l->token = token;
	}
	if (cmd & WS_CMD_FREE) {
		l->freeing = true;
		cmd |= WS_CMD_STOP;
	}
	if ((cmd & WS_CMD_START) && !l->freeing &&
	    ((cmd & WS_CMD_STOP) || l->stopping)) {
		l->restart = true;
		cmd &= ~(unsigned)WS_CMD_START;
	}
	if (cmd & WS_CMD_STOP) {
		if (l->freeing)
			l->restart = false;
		l->stopping = true;
		lws_sul_cancel(&l->sul_retry);
		if (l->wsi != NULL) {
			/* Read again so the close handshake can finish. */
			l->user_paused = l->queue_paused = false;
			ws_conn_flow(c, true);
			conn_close(c, 1000, "client stopping");
		} else
			conn_ended(c, 0, "stopped");
		return;
	}
	if (cmd & WS_CMD_FLOW)
		l->user_paused = paused;
	if (cmd & WS_CMD_UNTHROTTLE)
		l->queue_paused = false;
	if (cmd & (WS_CMD_FLOW | WS_CMD_UNTHROTTLE)) {
		ws_conn_flow(c, true);
		if (conn_rx_blocked(c))
			lws_sul_cancel(&l->sul_ack);
		else {
			l->last_rx = lws_now_usecs();
			if (l->wsi != NULL && l->state == WS_STATE_SUBSCRIBING &&
			    c->ack_type != NULL)
				lws_sul_schedule(c->t->ctx, 0, &l->sul_ack,
				    conn_ack_cb, (lws_usec_t)c->ack_timeout_ms *
				    LWS_US_PER_MS);
			if (l->retry_deferred)
				conn_connect(c);
		}
	}
	if ((cmd & WS_CMD_START) && (!l->started ||
	    l->state == WS_STATE_FAILED)) {
		l->started = true;
		backoff_init(&l->bo, c->backoff_base_ms, c->backoff_cap_ms,
		    c->stable_ms);
		l->token_rejects = 0;
		conn_connect(c);
	} else if ((cmd & WS_CMD_TOKEN) && l->state == WS_STATE_NEEDS_TOKEN) {
		/* A token refused twice in a row is not retried at once. */
		if (l->token_rejects > 1)
			conn_retry_in(c, backoff_next(&l->bo, &c->t->rng), 0,
			    "new token after repeated rejections");
		else
			conn_connect(c);
	}
}

/* Frees what the lws side of the stream owns. */
void
ws_conn_cleanup(struct ws_client *c)
{
	free(c->l.token);
	c->l.token = NULL;
	free(c->l.path);
	c->l.path = NULL;
	buf_free(&c->l.rx);
}
