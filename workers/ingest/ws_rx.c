/*
 * What travels on an open stream, on the lws thread: the upgrade headers
 * (token, configured headers), the frames we send (subscribe, ping, close)
 * and the messages we read, reassembled from fragments, sorted into
 * events, dead letters and the subscription's ack or reject.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xmalloc.h"
#include "ws_thread.h"

#define WS_DL_PREFIX	4096	/* bytes of an oversized message kept */

/* Percent-encodes s for a query string; the caller frees the result. */
static char *
rx_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *p = out;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~') {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return out;
}

/* The upgrade's path, with the token when it goes in the query. */
char *
ws_rx_path(struct ws_client *c)
{
	char *enc, *path;

	if (c->token_in != WS_TOKEN_IN_QUERY || c->l.token == NULL)
		return xstrdup(c->path);
	enc = rx_urlencode(c->l.token);
	path = xasprintf("%s%caccess_token=%s", c->path,
	    strchr(c->path, '?') != NULL ? '&' : '?', enc);
	free(enc);
	return path;
}

/* Sends what is pending: a close, the subscribe message or a ping. */
int
ws_rx_writeable(struct ws_client *c, struct lws *wsi)
{
	struct ws_conn	*l = &c->l;
	unsigned char	*b, ping[LWS_PRE + 8];
	size_t		 n;
	int		 rc;

	if (l->want_close) {
		lws_close_reason(wsi, (enum lws_close_status)l->want_code,
		    (unsigned char *)l->want_reason, strlen(l->want_reason));
		return -1;
	}
	if (c->subscribe != NULL && !l->subscribe_sent) {
		n = strlen(c->subscribe);
		b = xmalloc(LWS_PRE + n);
		memcpy(b + LWS_PRE, c->subscribe, n);
		rc = lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_TEXT);
		free(b);
		if (rc < (int)n)
			return -1;
		l->subscribe_sent = true;
		if (c->ack_type == NULL)
			ws_conn_subscribed(c, NULL, 0);
		if (l->ping_due)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (l->ping_due) {
		l->ping_due = false;
		memcpy(ping + LWS_PRE, "cxpipe", 6);
		if (lws_write(wsi, ping + LWS_PRE, 6, LWS_WRITE_PING) < 6)
			return -1;
	}
	return 0;
}

/* Sorts a message seen while subscribing: 1 ack, 2 reject (reason set),
 * 0 anything else. */
static int
rx_control(const struct ws_client *c, const char *data, size_t len,
    char *reason, size_t reasonlen)
{
	static const char *const keys[] = { "reason", "message", "error" };
	json_t		*j, *v;
	const char	*type;
	size_t		 i;
	int		 kind = 0;

	j = json_loadb(data, len, 0, NULL);
	if (j == NULL)
		return 0;
	type = json_string_value(json_object_get(j, "type"));
	if (type != NULL && strcmp(type, c->ack_type) == 0)
		kind = 1;
	else if (type != NULL && strcmp(type, c->reject_type) == 0) {
		kind = 2;
		snprintf(reason, reasonlen, "%.*s", (int)(len > 200 ? 200 : len),
		    data);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			v = json_object_get(j, keys[i]);
			if (json_is_string(v)) {
				snprintf(reason, reasonlen, "%s",
				    json_string_value(v));
				break;
			}
		}
	}
	json_decref(j);
	return kind;
}

/* A whole message: an event, a dead letter, or the ack/reject. */
static void
rx_message(struct ws_client *c)
{
	struct ws_conn	*l = &c->l;
	struct ws_msg	*m;
	char		 why[256];
	const char	*data = (const char *)l->rx.data;
	size_t		 len = l->rx.len;

	if (data == NULL)
		data = "";
	if (l->rx_binary || l->rx_too_big) {
		if (l->rx_too_big)
			snprintf(why, sizeof(why), "message of %zu bytes is "
			    "larger than max_message_bytes (%zu)", l->rx_total,
			    c->max_message);
		else
			snprintf(why, sizeof(why), "binary message of %zu bytes",
			    l->rx_total);
		m = ws_msg_new(WS_MSG_DEAD_LETTER, data, len, why);
		m->full_len = l->rx_total;
	} else if (l->state == WS_STATE_SUBSCRIBING && c->ack_type != NULL) {
		switch (rx_control(c, data, len, why, sizeof(why))) {
		case 1:
			ws_conn_subscribed(c, data, len);
			return;
		case 2:
			ws_conn_rejected(c, why);
			return;
		default:
			m = ws_msg_new(WS_MSG_MESSAGE, data, len, NULL);
			break;
		}
	} else
		m = ws_msg_new(WS_MSG_MESSAGE, data, len, NULL);
	if (ws_conn_push(c, m)) {
		l->queue_paused = true;
		ws_conn_flow(c, false);
	}
}

/* A chunk of a data frame: reassembles up to max_message_bytes. */
void
ws_rx_receive(struct ws_client *c, struct lws *wsi, const void *in, size_t len)
{
	struct ws_conn *l = &c->l;
	size_t room;

	if (!l->rx_active) {
		l->rx_active = true;
		l->rx_binary = lws_frame_is_binary(wsi) != 0;
		l->rx_too_big = false;
		l->rx_total = 0;
		buf_reset(&l->rx);
	}
	l->rx_total += len;
	if (!l->rx_too_big && l->rx_total > c->max_message) {
		l->rx_too_big = true;
		if (l->rx.len > WS_DL_PREFIX)
			l->rx.len = WS_DL_PREFIX;
	}
	if (!l->rx_too_big)
		buf_add(&l->rx, in, len);
	else if (l->rx.len < WS_DL_PREFIX) {
		room = WS_DL_PREFIX - l->rx.len;
		buf_add(&l->rx, in, len < room ? len : room);
	}
	if (lws_remaining_packet_payload(wsi) == 0)
		l->frames++;
	if (!lws_is_final_fragment(wsi))
		return;
	l->rx_active = false;
	rx_message(c);
	if (l->rx.cap > WS_RX_KEEP)
		buf_free(&l->rx);
}

/* Adds the token and the configured headers to the upgrade request. */
int
ws_rx_headers(struct ws_client *c, struct lws *wsi, void *in, size_t len)
{
	unsigned char	**p = in, *end = *p + len;
	char		 *v;
	size_t		  i;
	int		  rc = 0;

	if (c->token_in == WS_TOKEN_IN_HEADER && c->l.token != NULL) {
		v = xasprintf("Bearer %s", c->l.token);
		rc = lws_add_http_header_by_name(wsi,
		    (const unsigned char *)"Authorization:",
		    (const unsigned char *)v, (int)strlen(v), p, end);
		free(v);
	}
	for (i = 0; rc == 0 && i < c->nheaders; i++)
		rc = lws_add_http_header_by_name(wsi,
		    (const unsigned char *)c->hdr_names[i],
		    (const unsigned char *)c->hdr_values[i],
		    (int)strlen(c->hdr_values[i]), p, end);
	return rc == 0 ? 0 : -1;
}
