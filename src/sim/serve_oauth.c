/*
 * serve_oauth.c: the OAuth2 token endpoint of "cxpipe-sim serve" and the
 * tokens it gave out.  POST /oauth/token takes a form:
 *
 *   grant_type=client_credentials  client_id + client_secret in the form or
 *                                  as HTTP Basic
 *   grant_type=password            username + password (CXone access key id
 *                                  and secret); client credentials checked
 *                                  when given; also returns a refresh token
 *   grant_type=refresh_token       refresh_token from a password grant
 *
 * Wrong credentials get 401 invalid_client, an unknown refresh token 400
 * invalid_grant, another grant 400 unsupported_grant_type, and the first
 * --rate-limit-first requests 429 with Retry-After.  Tokens are random and
 * remembered with their expiry; expired ones are dropped when room is short.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/random.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "log.h"
#include "serve.h"
#include "xmalloc.h"

#define SERVE_MAX_TOKENS	65536
#define SERVE_REFRESH_LIFE_US	(24 * 3600 * SERVE_USEC)
#define SERVE_DEFAULT_SCOPE	"realtime:read analytics:read agent:read " \
				"data-actions:read events:subscribe"

struct serve_token {
	char	text[SERVE_TOKEN_LEN + 1];
	bool	refresh;
	int64_t	expires_us;
};

struct serve_tokens {
	struct serve_token	*v;		/* oldest first */
	size_t			 n;
	size_t			 cap;
};

/* The members of a token request, decoded; NULL when absent. */
struct serve_form {
	char	*grant_type;
	char	*client_id;
	char	*client_secret;
	char	*username;
	char	*password;
	char	*refresh_token;
	char	*scope;
};

struct serve_tokens *
serve_tokens_new(void)
{
	return xcalloc(1, sizeof(struct serve_tokens));
}

void
serve_tokens_free(struct serve_tokens *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

/* Writes digits random hex digits and a NUL into out. */
void
serve_random_hex(char *out, size_t digits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[64];
	size_t i, n = (digits + 1) / 2;

	if (n > sizeof(bytes))
		fatalx("serve_random_hex: %zu digits", digits);
	while (getrandom(bytes, n, 0) != (ssize_t)n)
		if (errno != EINTR)
			fatal("getrandom");
	for (i = 0; i < digits; i++)
		out[i] = hex[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[digits] = '\0';
}

/* Drops expired tokens, and the oldest ones if still full. */
static void
serve_tokens_prune(struct serve_tokens *t, int64_t now_us)
{
	size_t i, kept = 0;

	for (i = 0; i < t->n; i++)
		if (t->v[i].expires_us > now_us)
			t->v[kept++] = t->v[i];
	t->n = kept;
	if (t->n == SERVE_MAX_TOKENS) {
		memmove(t->v, t->v + SERVE_MAX_TOKENS / 4, (t->n -
		    SERVE_MAX_TOKENS / 4) * sizeof(*t->v));
		t->n -= SERVE_MAX_TOKENS / 4;
	}
}

/* Makes and remembers a token; returns its text, valid until the next call. */
static const char *
serve_tokens_add(struct serve_tokens *t, bool refresh, int64_t now_us,
    int64_t life_us)
{
	struct serve_token *tok;

	if (t->n == t->cap) {
		serve_tokens_prune(t, now_us);
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
		}
	}
	tok = &t->v[t->n++];
	serve_random_hex(tok->text, SERVE_TOKEN_LEN);
	tok->refresh = refresh;
	tok->expires_us = now_us + life_us;
	return tok->text;
}

/* Finds a live token of the given kind; NULL if unknown or expired. */
static const struct serve_token *
serve_tokens_find(const struct serve_tokens *t, const char *text,
    bool refresh, int64_t now_us)
{
	size_t i;

	for (i = t->n; i > 0; i--) {
		const struct serve_token *tok = &t->v[i - 1];

		if (tok->refresh == refresh && strcmp(tok->text, text) == 0)
			return tok->expires_us > now_us ? tok : NULL;
	}
	return NULL;
}

bool
serve_token_check(struct serve *s, const char *token, int64_t now_us,
    int64_t *expires_us)
{
	const struct serve_token *tok;

	if ((tok = serve_tokens_find(s->tokens, token, false, now_us)) == NULL)
		return false;
	*expires_us = tok->expires_us;
	return true;
}

/* Decodes %XX and + of form text in place. */
static void
serve_form_decode(char *s)
{
	char *out = s, hex[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*out++ = ' ';
		else if (*s == '%' && s[1] != '\0' && s[2] != '\0' &&
		    strchr("0123456789abcdefABCDEF", s[1]) != NULL &&
		    strchr("0123456789abcdefABCDEF", s[2]) != NULL) {
			hex[0] = s[1];
			hex[1] = s[2];
			*out++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/* Splits the form text (modified in place) into f. */
static void
serve_form_parse(char *text, struct serve_form *f)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} names[] = {
		{ "grant_type", offsetof(struct serve_form, grant_type) },
		{ "client_id", offsetof(struct serve_form, client_id) },
		{ "client_secret", offsetof(struct serve_form, client_secret) },
		{ "username", offsetof(struct serve_form, username) },
		{ "password", offsetof(struct serve_form, password) },
		{ "refresh_token", offsetof(struct serve_form, refresh_token) },
		{ "scope", offsetof(struct serve_form, scope) },
	};
	char *pair, *value, *save = NULL;
	size_t i;

	memset(f, 0, sizeof(*f));
	for (pair = strtok_r(text, "&", &save); pair != NULL;
	    pair = strtok_r(NULL, "&", &save)) {
		if ((value = strchr(pair, '=')) == NULL)
			continue;
		*value++ = '\0';
		serve_form_decode(pair);
		serve_form_decode(value);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(pair, names[i].name) == 0)
				*(char **)((char *)f + names[i].offset) = value;
	}
}

/* Fills the client credentials from HTTP Basic when the form lacks them. */
static void
serve_form_basic(struct lws *wsi, struct serve_form *f, char *decoded,
    size_t size)
{
	char header[512], *colon;
	int n;

	if (f->client_id != NULL)
		return;
	n = lws_hdr_copy(wsi, header, sizeof(header),
	    WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 6 || strncasecmp(header, "Basic ", 6) != 0)
		return;
	n = lws_b64_decode_string(header + 6, decoded, (int)size - 1);
	if (n <= 0)
		return;
	decoded[n] = '\0';
	if ((colon = strchr(decoded, ':')) == NULL)
		return;
	*colon = '\0';
	f->client_id = decoded;
	f->client_secret = colon + 1;
}

/* Tells whether a given value is the expected one (NULL never matches). */
static bool
serve_form_match(const char *given, const char *expected)
{
	return given != NULL && strcmp(given, expected) == 0;
}

/* Sends the token reply for a granted request; the callback's result. */
static int
serve_oauth_grant(struct serve *s, struct lws *wsi, const struct serve_form *f,
    bool with_refresh)
{
	int64_t now = serve_now_us();
	json_t *reply;

	reply = json_pack("{s:s,s:s,s:I,s:s,s:s}", "access_token",
	    serve_tokens_add(s->tokens, false, now,
	    (int64_t)s->opt.expires_in * SERVE_USEC),
	    "token_type", "Bearer", "expires_in",
	    (json_int_t)s->opt.expires_in, "scope",
	    f->scope != NULL ? f->scope : SERVE_DEFAULT_SCOPE,
	    "resource_server_base_uri", s->base_uri);
	if (with_refresh)
		json_object_set_new(reply, "refresh_token", json_string(
		    serve_tokens_add(s->tokens, true, now,
		    SERVE_REFRESH_LIFE_US + (int64_t)s->opt.expires_in *
		    SERVE_USEC)));
	log_debug("serve: token granted (%s)", f->grant_type);
	return serve_http_finish(wsi, serve_http_send_json(s, wsi, 200, NULL,
	    NULL, reply));
}

/* Refuses a token request with status and an OAuth error code. */
static int
serve_oauth_refuse(struct serve *s, struct lws *wsi, unsigned status,
    const char *error, const char *why)
{
	log_info("serve: token request refused: %s", why);
	return serve_http_finish(wsi, serve_http_send_json(s, wsi, status,
	    NULL, NULL, json_pack("{s:s,s:s}", "error", error,
	    "error_description", why)));
}

/* Answers POST /oauth/token with the form in body; the callback's result. */
int
serve_oauth_token(struct serve *s, struct lws *wsi, const char *body,
    size_t len)
{
	const struct serve_options *o = &s->opt;
	struct serve_form f;
	char basic[512], retry[24], *text;
	bool client_ok, have_client;
	int rc;

	if (++s->token_requests <= o->rate_limit_first) {
		snprintf(retry, sizeof(retry), "%llu",
		    (unsigned long long)o->retry_after);
		log_info("serve: token request %llu rate-limited",
		    (unsigned long long)s->token_requests);
		return serve_http_finish(wsi, serve_http_send_json(s, wsi, 429,
		    "Retry-After:", retry, json_pack("{s:s,s:s}", "error",
		    "too_many_requests", "error_description",
		    "rate limited by --rate-limit-first")));
	}
	text = xmalloc(len + 1);
	memcpy(text, body, len);
	text[len] = '\0';
	serve_form_parse(text, &f);
	serve_form_basic(wsi, &f, basic, sizeof(basic));
	have_client = f.client_id != NULL || f.client_secret != NULL;
	client_ok = serve_form_match(f.client_id, o->client_id) &&
	    serve_form_match(f.client_secret, o->client_secret);
	if (f.grant_type == NULL)
		rc = serve_oauth_refuse(s, wsi, 400, "invalid_request",
		    "grant_type is missing");
	else if (strcmp(f.grant_type, "client_credentials") == 0)
		rc = client_ok ? serve_oauth_grant(s, wsi, &f, false) :
		    serve_oauth_refuse(s, wsi, 401, "invalid_client",
		    "wrong or missing client credentials");
	else if (strcmp(f.grant_type, "password") == 0) {
		if ((have_client && !client_ok) ||
		    !serve_form_match(f.username, o->username) ||
		    !serve_form_match(f.password, o->password))
			rc = serve_oauth_refuse(s, wsi, 401, "invalid_client",
			    "wrong or missing access key or client credentials");
		else
			rc = serve_oauth_grant(s, wsi, &f, true);
	} else if (strcmp(f.grant_type, "refresh_token") == 0) {
		if (have_client && !client_ok)
			rc = serve_oauth_refuse(s, wsi, 401, "invalid_client",
			    "wrong client credentials");
		else if (f.refresh_token == NULL ||
		    serve_tokens_find(s->tokens, f.refresh_token, true,
		    serve_now_us()) == NULL)
			rc = serve_oauth_refuse(s, wsi, 400, "invalid_grant",
			    "unknown or expired refresh_token");
		else
			rc = serve_oauth_grant(s, wsi, &f, true);
	} else
		rc = serve_oauth_refuse(s, wsi, 400, "unsupported_grant_type",
		    "grant_type is none of client_credentials, password, "
		    "refresh_token");
	free(text);
	return rc;
}
