/*
 * serve_http.c: the HTTP side of "cxpipe-sim serve": routes each request
 * (token endpoint, REST polling, long polling, health), gathers POST
 * bodies, checks bearer tokens and writes the replies, all JSON.
 *
 *   GET  /healthz                            200 {"status":"ok"}
 *   POST /oauth/token                        serve_oauth.c
 *   GET  /poll/FAMILY                        serve_rest.c
 *   POST /longpoll/sessions                  serve_rest.c
 *   GET  /longpoll/sessions/ID/next          serve_rest.c
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "families.h"
#include "log.h"
#include "serve.h"

#define SERVE_MAX_BODY	(64 * 1024)

/* Empties b, keeping the room lws_write needs in front of what comes. */
void
serve_buf_reset(struct gen_buf *b)
{
	static const char pad[LWS_PRE];

	b->len = 0;
	gen_buf_put(b, pad, sizeof(pad));
}

/* Writes status, headers and body (NULL or LWS_PRE ahead); 0, or -1 if the write failed. */
int
serve_http_send(struct lws *wsi, unsigned status, const char *hname,
    const char *hvalue, struct gen_buf *body)
{
	unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start;
	unsigned char *end = head + sizeof(head) - 1;
	size_t blen = body != NULL ? body->len - LWS_PRE : 0;

	if (lws_add_http_common_headers(wsi, status,
	    body != NULL ? "application/json" : NULL, blen, &p, end) ||
	    lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"Cache-Control:",
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hvalue,
	    (int)strlen(hvalue), &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (blen > 0 && lws_write(wsi, (unsigned char *)body->data + LWS_PRE,
	    blen, LWS_WRITE_HTTP_FINAL) != (int)blen)
		return -1;
	return 0;
}

/* Sends body (whose reference it takes) as a JSON reply. */
int
serve_http_send_json(struct serve *s, struct lws *wsi, unsigned status,
    const char *hname, const char *hvalue, json_t *body)
{
	serve_buf_reset(&s->out);
	family_put_json(&s->out, body);
	json_decref(body);
	return serve_http_send(wsi, status, hname, hvalue, &s->out);
}

/* Sends {"error": error}. */
int
serve_http_send_error(struct serve *s, struct lws *wsi, unsigned status,
    const char *error)
{
	return serve_http_send_json(s, wsi, status, NULL, NULL,
	    json_pack("{s:s}", "error", error));
}

/* Ends the transaction after a send that returned rc; the callback's result. */
int
serve_http_finish(struct lws *wsi, int rc)
{
	if (rc != 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Copies the decoded value of query argument name into out; false if absent. */
bool
serve_http_arg(struct lws *wsi, const char *name, char *out, size_t size)
{
	char key[64], arg[1024];
	const char *v;

	snprintf(key, sizeof(key), "%s=", name);
	if ((v = lws_get_urlarg_by_name(wsi, key, arg, sizeof(arg))) == NULL ||
	    strlen(v) >= size)
		return false;
	memcpy(out, v, strlen(v) + 1);
	return true;
}

/* Copies the bearer token (Authorization header, else ?access_token=) into out. */
static bool
serve_http_bearer(struct lws *wsi, char *out, size_t size)
{
	char h[SERVE_TOKEN_LEN + 64];
	const char *t;
	int n;

	n = lws_hdr_copy(wsi, h, sizeof(h), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && strncasecmp(h, "Bearer ", 7) == 0) {
		for (t = h + 7; *t == ' '; t++)
			;
		if (*t == '\0' || strlen(t) >= size)
			return false;
		memcpy(out, t, strlen(t) + 1);
		return true;
	}
	return serve_http_arg(wsi, "access_token", out, size) &&
	    out[0] != '\0';
}

/* Tells whether the request carries a token that is known and not expired. */
bool
serve_http_authorized(struct serve *s, struct lws *wsi, int64_t now_us,
    int64_t *expires_us)
{
	char token[SERVE_TOKEN_LEN + 8];

	return serve_http_bearer(wsi, token, sizeof(token)) &&
	    serve_token_check(s, token, now_us, expires_us);
}

/* Sends 401 with a Bearer challenge. */
int
serve_http_send_unauthorized(struct serve *s, struct lws *wsi)
{
	return serve_http_send_json(s, wsi, 401, "WWW-Authenticate:",
	    "Bearer error=\"invalid_token\"",
	    json_pack("{s:s}", "error", "invalid_token"));
}

/* Frees what a request kept; safe to call twice. */
static void
serve_http_release(struct serve_pss *pss)
{
	free(pss->body.data);
	pss->body.data = NULL;
	pss->body.len = pss->body.cap = 0;
}

/* Finds the route of path for the request's method; a reply status if none. */
static unsigned
serve_http_route(struct lws *wsi, const char *path, struct serve_pss *pss,
    const char **rest)
{
	bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	bool post = !get && lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	const char *p, *slash;

	*rest = NULL;
	if (strcmp(path, "/healthz") == 0)
		pss->route = SR_HEALTHZ;
	else if (strcmp(path, "/oauth/token") == 0)
		pss->route = SR_TOKEN;
	else if (strncmp(path, "/poll/", 6) == 0) {
		pss->route = SR_POLL;
		*rest = path + 6;
	} else if (strcmp(path, "/longpoll/sessions") == 0)
		pss->route = SR_SESSIONS;
	else if (strncmp(path, "/longpoll/sessions/", 19) == 0) {
		p = path + 19;
		if ((slash = strchr(p, '/')) == NULL ||
		    strcmp(slash, "/next") != 0 || slash == p)
			return 404;
		pss->route = SR_NEXT;
		*rest = p;
	} else
		return 404;
	if (pss->route == SR_TOKEN || pss->route == SR_SESSIONS)
		return post ? 0 : 405;
	return get ? 0 : 405;
}

/* Answers a whole request (body gathered, if any); the callback's result. */
static int
serve_http_dispatch(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    const char *rest)
{
	const char *body = pss->body.data != NULL ? pss->body.data : "";
	size_t len = pss->body.len > 0 ? pss->body.len - 1 : 0;
	enum family_id family;
	int64_t expires;
	char id[SERVE_TOKEN_LEN + 8];

	if (pss->body_too_big)
		return serve_http_finish(wsi, serve_http_send_error(s, wsi,
		    413, "request body too large"));
	switch (pss->route) {
	case SR_HEALTHZ:
		return serve_http_finish(wsi, serve_http_send_json(s, wsi,
		    200, NULL, NULL, json_pack("{s:s}", "status", "ok")));
	case SR_TOKEN:
		return serve_oauth_token(s, wsi, body, len);
	case SR_POLL:
		if (!serve_http_authorized(s, wsi, serve_now_us(), &expires))
			return serve_http_finish(wsi,
			    serve_http_send_unauthorized(s, wsi));
		if (!family_lookup(rest, &family) ||
		    s->feeds[family] == NULL)
			return serve_http_finish(wsi, serve_http_send_error(s,
			    wsi, 404, "unknown or unserved family"));
		return serve_rest_poll(s, wsi, family);
	case SR_SESSIONS:
		return serve_rest_session_new(s, wsi, body, len);
	case SR_NEXT:
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(rest, "/"), rest);
		return serve_rest_next(s, wsi, pss, id);
	case SR_NONE:
		break;
	}
	return -1;
}

/* The HTTP callbacks of the protocol; the rest go to lws's default handler. */
int
serve_http_cb(struct serve *s, struct lws *wsi,
    enum lws_callback_reasons reason, struct serve_pss *pss, void *in,
    size_t len)
{
	const char *rest;
	char path[256];
	unsigned status;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		serve_http_release(pss);
		memset(pss, 0, sizeof(*pss));
		pss->kind = SK_HTTP;
		snprintf(path, sizeof(path), "%s", (const char *)in);
		log_debug("serve: HTTP %s", path);
		if ((status = serve_http_route(wsi, path, pss, &rest)) != 0) {
			if (status == 405)
				return serve_http_finish(wsi,
				    serve_http_send_error(s, wsi, 405,
				    "method not allowed"));
			return serve_http_finish(wsi, serve_http_send_error(s,
			    wsi, 404, "not found"));
		}
		/* a POST with a length gets its body through the calls below */
		if ((pss->route == SR_TOKEN || pss->route == SR_SESSIONS) &&
		    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			return 0;
		return serve_http_dispatch(s, wsi, pss, rest);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss->kind != SK_HTTP || pss->body_too_big)
			return 0;
		if (pss->body.len + len > SERVE_MAX_BODY)
			pss->body_too_big = true;
		else
			gen_buf_put(&pss->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->kind != SK_HTTP)
			return -1;
		gen_buf_put(&pss->body, "", 1);
		return serve_http_dispatch(s, wsi, pss, NULL);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss->kind == SK_HTTP && pss->waiting)
			return serve_rest_writeable(s, wsi, pss);
		return 0;
	case LWS_CALLBACK_TIMER:
		if (pss->kind == SK_HTTP && pss->waiting)
			return serve_rest_timer(s, wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL)
			serve_http_release(pss);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, pss, in, len);
}
