/*
 * The HTTP ingest endpoint (libevent evhttp): POST /v1/events[/FAMILY] with
 * a bearer token; the body is one JSON value or NDJSON.  202 only once every
 * event of the body is in the spool; a body with a line that is not JSON is
 * refused whole.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "xmalloc.h"

#define RETRY_AFTER_S	"1"

struct http {
	struct ingest			*in;
	struct evhttp			*srv;
	struct evhttp_bound_socket	*sock;
	char				*token;		/* secret: wiped when freed */
	size_t				 token_len;
};

/* Compares without an early exit, so timing says nothing about the token. */
static int
http_token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char	 diff = (unsigned char)(alen != blen);
	size_t		 i;

	for (i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
	return diff == 0 && blen > 0;
}

/* Sends a small JSON answer. */
static void
http_reply(struct http *h, struct evhttp_request *req, int code,
    const char *reason, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
http_reply(struct http *h, struct evhttp_request *req, int code,
    const char *reason, const char *fmt, ...)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);
	va_list		 ap;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\n", 1);
	if (code >= 400)
		h->in->n.http_rejected++;
	evhttp_send_reply(req, code, reason, NULL);
}

/* Writes s as a JSON string body (without quotes) into a bounded buffer. */
static void
http_json_escape(const char *s, char *out, size_t len)
{
	json_t	*j = json_string(s);
	char	*t = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	snprintf(out, len, "%s", t != NULL ? t : "\"\"");
	free(t);
	json_decref(j);
}

/* Finds the family from the path: /v1/events or /v1/events/FAMILY. */
static int
http_family(const char *path)
{
	const char	*prefix = "/v1/events";
	size_t		 n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return -2;
	if (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0'))
		return FAMILY_INTERACTION;
	if (path[n] != '/')
		return -2;
	return family_parse(path + n + 1);
}

/* Checks the body is one JSON value (*single set) or that every non-blank
 * line is; returns the count of events, or -1 with the 1-based line that is
 * not JSON and why. */
static int
http_check_body(const char *body, size_t len, int *single, size_t *bad_line,
    char *why, size_t whylen)
{
	json_error_t	 jerr;
	json_t		*v;
	const char	*p = body, *end = body + len, *nl;
	size_t		 line = 0;
	int		 count = 0;

	*single = 0;
	if ((v = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)) != NULL) {
		json_decref(v);
		*single = 1;
		return 1;
	}
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		size_t k;
		for (k = 0; k < l && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k < l) {
			if ((v = json_loadb(p, l, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)) == NULL) {
				*bad_line = line;
				snprintf(why, whylen, "%s", jerr.text);
				return -1;
			}
			json_decref(v);
			count++;
		}
		p = nl ? nl + 1 : end;
	}
	return count;
}

/* Appends each event of a checked body to the spool. */
static int
http_spool_body(struct http *h, enum family fam, const char *body, size_t len,
    int single)
{
	const char	*p = body, *end = body + len, *nl;
	size_t		 l, k;

	if (single)
		return ingest_accept(h->in, "http", fam, 0, body, len);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		for (k = 0; k < l && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k < l && ingest_accept(h->in, "http", fam, 0, p, l) == -1)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;
	struct evbuffer	*inbuf;
	const char	*auth, *path, *body;
	char		 why[256], esc[320];
	size_t		 len, bad_line = 0;
	int		 fam, n, single;

	h->in->n.http_requests++;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || (fam = http_family(path)) == -2) {
		http_reply(h, req, HTTP_NOTFOUND, "Not Found",
		    "{\"error\":\"no such endpoint; POST /v1/events[/FAMILY]\"}");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		http_reply(h, req, 405, "Method Not Allowed", "{\"error\":\"use POST\"}");
		return;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	    !http_token_equal(auth + 7, strlen(auth + 7), h->token, h->token_len)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		http_reply(h, req, 401, "Unauthorized",
		    "{\"error\":\"missing or wrong bearer token\"}");
		return;
	}
	if (fam < 0) {
		http_reply(h, req, HTTP_NOTFOUND, "Not Found",
		    "{\"error\":\"unknown event family\"}");
		return;
	}
	if (!ingest_can_accept(h->in)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", RETRY_AFTER_S);
		http_reply(h, req, 503, "Service Unavailable",
		    "{\"error\":\"%s\"}", h->in->stopping ? "stopping" :
		    !h->in->positioned ? "waiting for PostgreSQL's committed position" :
		    "spool full");
		return;
	}
	inbuf = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(inbuf);
	body = (const char *)evbuffer_pullup(inbuf, -1);
	if (len == 0) {
		http_reply(h, req, HTTP_BADREQUEST, "Bad Request",
		    "{\"error\":\"empty body\"}");
		return;
	}
	n = http_check_body(body, len, &single, &bad_line, why, sizeof(why));
	if (n < 0) {
		http_json_escape(why, esc, sizeof(esc));
		http_reply(h, req, HTTP_BADREQUEST, "Bad Request",
		    "{\"error\":\"line %zu is not JSON\",\"line\":%zu,\"reason\":%s,"
		    "\"accepted\":0}", bad_line, bad_line, esc);
		return;
	}
	if (n == 0) {
		http_reply(h, req, HTTP_BADREQUEST, "Bad Request",
		    "{\"error\":\"no events in the body\"}");
		return;
	}
	if (http_spool_body(h, (enum family)fam, body, len, single) == -1 ||
	    ingest_commit(h->in) == -1) {
		log_warn("http: spooling %d events", n);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", RETRY_AFTER_S);
		http_reply(h, req, 503, "Service Unavailable",
		    "{\"error\":\"spool write failed\"}");
		return;
	}
	http_reply(h, req, 202, "Accepted", "{\"accepted\":%d}", n);
}

/* Reads the bearer token; the old one stays when the file is unusable. */
static int
http_load_token(struct http *h, const struct config *c, char *err, size_t errlen)
{
	char	*t;

	if ((t = config_read_secret_file(c->http_token_file, err, errlen)) == NULL)
		return -1;
	if (h->token != NULL) {
		explicit_bzero(h->token, h->token_len);
		free(h->token);
	}
	h->token = t;
	h->token_len = strlen(t);
	return 0;
}

struct http *
http_start(struct ingest *in, const struct config *c, char *err, size_t errlen)
{
	struct http	*h;
	char		*host, *colon;
	int		 port;

	h = xcalloc(1, sizeof(*h));
	h->in = in;
	if (http_load_token(h, c, err, errlen) == -1) {
		free(h);
		return NULL;
	}
	host = xstrdup(c->http_listen);
	colon = strrchr(host, ':');
	*colon = '\0';
	port = atoi(colon + 1);
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	h->srv = evhttp_new(in->base);
	evhttp_set_max_body_size(h->srv, (ev_ssize_t)c->http_max_body);
	evhttp_set_allowed_methods(h->srv, EVHTTP_REQ_POST | EVHTTP_REQ_GET |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(h->srv, 60);
	evhttp_set_gencb(h->srv, http_request_cb, h);
	if ((h->sock = evhttp_bind_socket_with_handle(h->srv, host, (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "[http] listen %s: cannot bind: %s",
		    c->http_listen, strerror(errno));
		free(host);
		http_stop(h);
		return NULL;
	}
	log_info("http: listening on %s", c->http_listen);
	free(host);
	return h;
}

int
http_reconfigure(struct http *h, const struct config *c, char *err, size_t errlen)
{
	if (http_load_token(h, c, err, errlen) == -1)
		return -1;
	evhttp_set_max_body_size(h->srv, (ev_ssize_t)c->http_max_body);
	return 0;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->srv != NULL)
		evhttp_free(h->srv);
	if (h->token != NULL) {
		explicit_bzero(h->token, h->token_len);
		free(h->token);
	}
	free(h);
}
