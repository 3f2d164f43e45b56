/*
 * serve_ws.c: the WebSocket event streams of "cxpipe-sim serve".
 *
 * GET /ws/FAMILY upgrades only with a live token (Authorization: Bearer T
 * or ?access_token=T); otherwise the reply is HTTP 401 (404 for another
 * path or a family not served).  The client sends a JSON object with
 * "type":"subscribe"; the server answers {"type":"subscribe.ack",
 * "subscriptionId":"..."} and streams the family's events as text frames,
 * one event per frame, taking them from the family's feed: the --count
 * events are shared by every connection, so one that reconnects resumes
 * with those not yet sent.  Other messages are ignored.  After every
 * --disconnect-every events the connection is dropped without a close
 * frame; when the token expires it is closed with 4001 "token expired";
 * with --reject-subscribe the answer is {"type":"subscribe.reject",...} and
 * a close with 1008; with --ignore-subscribe there is no answer at all (and
 * no events); with --ping-interval pings go out on schedule.
 *
 * Faults for the client's checks: after every --oversized-every events a
 * text message of --oversized-bytes ({"type":"cxpipe-sim.oversized",...},
 * padded), after every --binary-every events a binary frame; both are
 * counted in the manifest ("oversized", "binary", "garbage") since the
 * client must turn each into a dead letter.  After --stall-after events a
 * connection hangs: the server stops reading it (so the client's pings go
 * unanswered) and writes nothing more, without closing it.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "families.h"
#include "log.h"
#include "serve.h"
#include "serve_feed.h"

#define SERVE_WS_MAX_MESSAGE	(64 * 1024)
#define SERVE_WS_TOKEN_EXPIRED	4001
#define SERVE_WS_PAD_CHUNK	4096

/* Finds the family of a /ws/FAMILY request; false for another path. */
static bool
serve_ws_family(struct serve *s, struct lws *wsi, enum family_id *family)
{
	char path[128];

	if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 ||
	    strncmp(path, "/ws/", 4) != 0)
		return false;
	return family_lookup(path + 4, family) && s->feeds[*family] != NULL;
}

/* Decides on an upgrade; 0 lets it go on, 1 after replying with a refusal. */
static int
serve_ws_confirm(struct serve *s, struct lws *wsi, const char *protocol)
{
	enum family_id family;
	int64_t expires;
	int rc;

	if (strcmp(protocol, "websocket") != 0)
		rc = serve_http_send_error(s, wsi, 400, "unsupported upgrade");
	else if (!serve_ws_family(s, wsi, &family))
		rc = serve_http_send_error(s, wsi, 404,
		    "no stream here: use /ws/FAMILY of a family served");
	else if (!serve_http_authorized(s, wsi, serve_now_us(), &expires)) {
		log_info("serve: ws /ws/%s: upgrade refused: missing, unknown "
		    "or expired token", family_name(family));
		rc = serve_http_send_unauthorized(s, wsi);
	} else
		return 0;
	return rc == 0 ? 1 : -1;
}

/* Sets up a new stream; its token was checked a moment ago. */
static void
serve_ws_established(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	int64_t now = serve_now_us();

	memset(pss, 0, sizeof(*pss));
	pss->kind = SK_WS;
	if (!serve_ws_family(s, wsi, &pss->family) ||
	    !serve_http_authorized(s, wsi, now, &pss->expires_us))
		pss->expires_us = now;	/* expired in between: close at once */
	if (s->opt.ping_interval > 0)
		pss->ping_due_us = now + (int64_t)s->opt.ping_interval *
		    SERVE_USEC;
	log_info("serve: ws %s: connected", family_name(pss->family));
	lws_callback_on_writable(wsi);
}

/* Takes in a complete message: a subscribe asks for an ack (or a reject). */
static void
serve_ws_message(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	json_t *o, *type;
	bool subscribe;

	o = json_loadb(pss->rx.data, pss->rx.len, 0, NULL);
	type = json_object_get(o, "type");
	subscribe = json_is_string(type) &&
	    strcmp(json_string_value(type), "subscribe") == 0;
	json_decref(o);
	if (!subscribe) {
		log_debug("serve: ws %s: ignored a message that is no "
		    "subscribe", family_name(pss->family));
		return;
	}
	if (s->opt.ignore_subscribe) {
		log_info("serve: ws %s: subscribe left unanswered "
		    "(--ignore-subscribe)", family_name(pss->family));
		return;
	}
	if (s->opt.reject_subscribe)
		pss->reject_due = true;
	else if (!pss->subscribed) {
		pss->subscribed = true;
		pss->ack_due = true;
		serve_random_hex(pss->sub_id, 20);
	}
	lws_callback_on_writable(wsi);
}

/* Gathers message fragments; -1 closes a connection whose message is too big. */
static int
serve_ws_receive(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    const void *in, size_t len)
{
	if (pss->stalled)
		return 0;		/* read before the stall: dropped */
	if (lws_is_first_fragment(wsi)) {
		pss->rx.len = 0;
		pss->rx_too_big = false;
	}
	if (pss->rx.len + len > SERVE_WS_MAX_MESSAGE)
		pss->rx_too_big = true;
	else
		gen_buf_put(&pss->rx, in, len);
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (pss->rx_too_big) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"message too big", 15);
		return -1;
	}
	if (!lws_frame_is_binary(wsi))
		serve_ws_message(s, wsi, pss);
	pss->rx.len = 0;
	return 0;
}

/* Writes one frame of text; 0, or -1 if the connection is gone. */
static int
serve_ws_write(struct serve *s, struct lws *wsi, const char *text, size_t len,
    enum lws_write_protocol type)
{
	serve_buf_reset(&s->out);
	gen_buf_put(&s->out, text, len);
	return lws_write(wsi, (unsigned char *)s->out.data + LWS_PRE, len,
	    type) < (int)len ? -1 : 0;
}

/* Writes a JSON message (whose reference it takes) as a text frame. */
static int
serve_ws_write_json(struct serve *s, struct lws *wsi, json_t *message)
{
	struct gen_buf b = { NULL, 0, 0 };
	int rc;

	family_put_json(&b, message);
	json_decref(message);
	rc = serve_ws_write(s, wsi, b.data, b.len, LWS_WRITE_TEXT);
	free(b.data);
	return rc;
}

/* Writes the --oversized-bytes text message: JSON padded to the size. */
static int
serve_ws_write_oversized(struct serve *s, struct lws *wsi,
    struct serve_pss *pss)
{
	size_t size = (size_t)s->opt.oversized_bytes, left;
	char head[128], pad[SERVE_WS_PAD_CHUNK];
	int n;

	memset(pad, 'x', sizeof(pad));
	n = snprintf(head, sizeof(head), "{\"type\":\"cxpipe-sim.oversized\","
	    "\"after\":%llu,\"padding\":\"", (unsigned long long)pss->sent);
	serve_buf_reset(&s->out);
	gen_buf_put(&s->out, head, (size_t)n);
	for (left = size - (size_t)n - 2; left > 0; left -= n) {
		n = left > sizeof(pad) ? (int)sizeof(pad) : (int)left;
		gen_buf_put(&s->out, pad, (size_t)n);
	}
	gen_buf_put(&s->out, "\"}", 2);
	return lws_write(wsi, (unsigned char *)s->out.data + LWS_PRE, size,
	    LWS_WRITE_TEXT) < (int)size ? -1 : 0;
}

/* Writes a short binary frame, NUL and bytes that are no UTF-8 included. */
static int
serve_ws_write_binary(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	char frame[32] = "\0\x01\xfe\xff" "cxpipe-sim binary ";
	size_t len = 22;

	frame[len++] = (char)('0' + pss->sent % 10);
	frame[len++] = '\x80';
	return serve_ws_write(s, wsi, frame, len, LWS_WRITE_BINARY);
}

/* Hangs the connection (--stall-after): reads nothing, so pings go
 * unanswered, and writes nothing; the socket stays open. */
static void
serve_ws_stall(struct lws *wsi, struct serve_pss *pss)
{
	pss->stalled = true;
	lws_rx_flow_control(wsi, 0);
	lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
	log_info("serve: ws %s: stalled after %llu events (--stall-after): "
	    "no more reads, writes or pongs", family_name(pss->family),
	    (unsigned long long)pss->sent);
}

/* Sets the timer for the soonest of: next event, next ping, token expiry. */
static void
serve_ws_arm(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    int64_t now_us)
{
	int64_t next = pss->expires_us;

	if (pss->ping_due_us > 0 && pss->ping_due_us < next)
		next = pss->ping_due_us;
	if (pss->subscribed && feed_next_release(s->feeds[pss->family]) < next)
		next = feed_next_release(s->feeds[pss->family]);
	lws_set_timer_usecs(wsi, next - now_us > 1000 ? next - now_us : 1000);
}

/* Writes what is due, one frame per call; -1 closes the connection. */
static int
serve_ws_writeable(struct serve *s, struct lws *wsi, struct serve_pss *pss)
{
	const struct serve_options *o = &s->opt;
	const char *name = family_name(pss->family);
	int64_t now = serve_now_us();
	struct feed_item item;
	int rc;

	if (pss->stalled)
		return 0;
	if (pss->reject_due) {
		log_info("serve: ws %s: subscribe rejected", name);
		serve_ws_write_json(s, wsi, json_pack("{s:s,s:s}", "type",
		    "subscribe.reject", "reason",
		    "subscriptions are refused (--reject-subscribe)"));
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    (unsigned char *)"subscription rejected", 21);
		return -1;
	}
	if (now >= pss->expires_us) {
		log_info("serve: ws %s: token expired after %llu events", name,
		    (unsigned long long)pss->sent);
		lws_close_reason(wsi, SERVE_WS_TOKEN_EXPIRED,
		    (unsigned char *)"token expired", 13);
		return -1;
	}
	if (pss->ack_due) {
		pss->ack_due = false;
		lws_callback_on_writable(wsi);
		return serve_ws_write_json(s, wsi, json_pack("{s:s,s:s}",
		    "type", "subscribe.ack", "subscriptionId", pss->sub_id));
	}
	if (o->disconnect_every > 0 && pss->sent >= o->disconnect_every) {
		log_info("serve: ws %s: dropping the connection after %llu "
		    "events (--disconnect-every)", name,
		    (unsigned long long)pss->sent);
		return -1;		/* no close reason: no close frame */
	}
	if (pss->oversized_due) {
		pss->oversized_due = false;
		lws_callback_on_writable(wsi);
		if ((rc = serve_ws_write_oversized(s, wsi, pss)) == 0)
			feed_count_extra(s->feeds[pss->family],
			    FEED_EXTRA_OVERSIZED);
		return rc;
	}
	if (pss->binary_due) {
		pss->binary_due = false;
		lws_callback_on_writable(wsi);
		if ((rc = serve_ws_write_binary(s, wsi, pss)) == 0)
			feed_count_extra(s->feeds[pss->family],
			    FEED_EXTRA_BINARY);
		return rc;
	}
	if (o->stall_after > 0 && pss->sent >= o->stall_after) {
		serve_ws_stall(wsi, pss);
		return 0;
	}
	if (pss->ping_due_us > 0 && now >= pss->ping_due_us) {
		pss->ping_due_us = now + (int64_t)o->ping_interval * SERVE_USEC;
		pss->pings++;
		lws_callback_on_writable(wsi);
		return serve_ws_write(s, wsi, "cxpipe-sim", 10, LWS_WRITE_PING);
	}
	if (pss->subscribed && feed_take(s->feeds[pss->family], now, &item)) {
		pss->sent++;
		pss->oversized_due = o->oversized_every > 0 &&
		    pss->sent % o->oversized_every == 0;
		pss->binary_due = o->binary_every > 0 &&
		    pss->sent % o->binary_every == 0;
		lws_callback_on_writable(wsi);
		return serve_ws_write(s, wsi, item.text, item.len,
		    LWS_WRITE_TEXT);
	}
	serve_ws_arm(s, wsi, pss, now);
	return 0;
}

/* The WebSocket callbacks of the protocol. */
int
serve_ws_cb(struct serve *s, struct lws *wsi, enum lws_callback_reasons reason,
    struct serve_pss *pss, void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return serve_ws_confirm(s, wsi, in);
	case LWS_CALLBACK_ESTABLISHED:
		serve_ws_established(s, wsi, pss);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return pss->kind == SK_WS ?
		    serve_ws_receive(s, wsi, pss, in, len) : -1;
	case LWS_CALLBACK_RECEIVE_PONG:
		pss->pongs++;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->kind == SK_WS ? serve_ws_writeable(s, wsi, pss) : 0;
	case LWS_CALLBACK_TIMER:
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL:
		/* whichever comes first ends the stream */
		if (pss == NULL || pss->kind != SK_WS)
			return 0;
		log_info("serve: ws %s: closed after %llu events (%llu pings, "
		    "%llu pongs)", family_name(pss->family),
		    (unsigned long long)pss->sent,
		    (unsigned long long)pss->pings,
		    (unsigned long long)pss->pongs);
		free(pss->rx.data);
		memset(&pss->rx, 0, sizeof(pss->rx));
		pss->kind = SK_NONE;
		return 0;
	default:
		return 0;
	}
}
