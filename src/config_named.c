/*
 * Named sections, which may appear many times: [source NAME] (NDJSON
 * replay) and [stream NAME] (CXone streams), whose names share one
 * namespace (each is a source of events with its own committed position),
 * and [rule NAME] and [webhook NAME] of the alert worker.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config_internal.h"
#include "xmalloc.h"

static const struct named_kind named_kinds[] = {
	{ "source", sizeof(struct source_conf), offsetof(struct config, sources),
	  offsetof(struct config, nsources), CONFIG_MAX_SOURCES,
	  offsetof(struct source_conf, name), offsetof(struct source_conf, lineno),
	  1, RELOAD_INGEST },
	{ "stream", sizeof(struct stream_conf), offsetof(struct config, streams),
	  offsetof(struct config, nstreams), CONFIG_MAX_STREAMS,
	  offsetof(struct stream_conf, name), offsetof(struct stream_conf, lineno),
	  1, RELOAD_INGEST },
	{ "rule", sizeof(struct rule_conf), offsetof(struct config, rules),
	  offsetof(struct config, nrules), CONFIG_MAX_RULES,
	  offsetof(struct rule_conf, name), offsetof(struct rule_conf, lineno),
	  0, RELOAD_LIVE },
	{ "webhook", sizeof(struct webhook_conf), offsetof(struct config, webhooks),
	  offsetof(struct config, nwebhooks), CONFIG_MAX_WEBHOOKS,
	  offsetof(struct webhook_conf, name), offsetof(struct webhook_conf, lineno),
	  0, RELOAD_LIVE },
};
#define NKINDS	(sizeof(named_kinds) / sizeof(named_kinds[0]))

/* Element i of a kind's array in c. */
static void *
named_elem(const struct config *c, const struct named_kind *k, int i)
{
	return (char *)c + k->array_off + (size_t)i * k->elem_size;
}

static int *
named_count(const struct config *c, const struct named_kind *k)
{
	return (int *)((char *)c + k->count_off);
}

static char *
named_name(void *elem, const struct named_kind *k)
{
	return *(char **)((char *)elem + k->name_off);
}

static int
named_lineno(void *elem, const struct named_kind *k)
{
	return *(int *)((char *)elem + k->lineno_off);
}

const struct named_kind *
config_named_kind(const char *section)
{
	size_t	 i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(named_kinds[i].section, section) == 0)
			return &named_kinds[i];
	return NULL;
}

const struct named_kind *
config_named_split(const char *header, const char **name)
{
	size_t	 i, n;

	for (i = 0; i < NKINDS; i++) {
		n = strlen(named_kinds[i].section);
		if (strncmp(header, named_kinds[i].section, n) != 0 ||
		    (header[n] != ' ' && header[n] != '\0'))
			continue;
		for (*name = header + n; **name == ' '; (*name)++)
			;
		return &named_kinds[i];
	}
	return NULL;
}

/* Finds a name among the kinds that share kind's namespace; returns its
 * element's line or 0. */
static int
named_find(const struct config *c, const struct named_kind *kind,
    const char *name)
{
	size_t	 k;
	int	 i;

	for (k = 0; k < NKINDS; k++) {
		if (&named_kinds[k] != kind &&
		    (!kind->sources || !named_kinds[k].sources))
			continue;
		for (i = 0; i < *named_count(c, &named_kinds[k]); i++) {
			void *e = named_elem(c, &named_kinds[k], i);
			if (strcmp(named_name(e, &named_kinds[k]), name) == 0)
				return named_lineno(e, &named_kinds[k]);
		}
	}
	return 0;
}

void *
config_named_begin(struct parse_ctx *ctx, const struct named_kind *k,
    const char *name)
{
	struct config	*c = ctx->conf;
	const char	*p;
	void		*e;
	int		 first, *n = named_count(c, k);

	if (*name == '\0') {
		config_error(ctx, ctx->cur_header, "[%s] needs a name: [%s NAME]",
		    k->section, k->section);
		return NULL;
	}
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
			config_error(ctx, ctx->cur_header, "[%s %s]: names may "
			    "hold letters, digits, _ and - only", k->section, name);
			return NULL;
		}
	if (strlen(name) > 60) {
		config_error(ctx, ctx->cur_header, "[%s %s]: names are at most "
		    "60 characters", k->section, name);
		return NULL;
	}
	if (k->sources && strcmp(name, "http") == 0) {
		config_error(ctx, ctx->cur_header, "[%s http]: the name \"http\" "
		    "is taken by the HTTP endpoint", k->section);
		return NULL;
	}
	if ((first = named_find(c, k, name)) != 0) {
		config_error(ctx, ctx->cur_header, "[%s %s]: the name is used "
		    "twice (first at line %d)", k->section, name, first);
		return NULL;
	}
	if (*n == k->max) {
		config_error(ctx, ctx->cur_header, "more than %d [%s] sections",
		    k->max, k->section);
		return NULL;
	}
	e = named_elem(c, k, (*n)++);
	*(char **)((char *)e + k->name_off) = xstrdup(name);
	*(int *)((char *)e + k->lineno_off) = ctx->cur_header;
	config_set_defaults(ctx, k->section, e);
	return e;
}

/* A URL cxpipe can use: http(s)/ws(s) absolute, or a path resolved against
 * the token response's resource_server_base_uri. */
static int
url_ok(const char *u, int ws)
{
	if (u[0] == '/')
		return 1;
	if (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0)
		return !ws;
	if (strncmp(u, "wss://", 6) == 0 || strncmp(u, "ws://", 5) == 0)
		return ws;
	return 0;
}

/* The checks of one [stream]: what its transport and grant need. */
static void
named_check_stream(struct parse_ctx *ctx, const struct stream_conf *s)
{
	json_error_t	 jerr;
	json_t		*j;
	int		 line = s->lineno;

	if (s->family == NULL)
		config_error(ctx, line, "[stream %s] needs family = interaction, "
		    "analytics, agent_state or data_action", s->name);
	else if (s->token_url == NULL || !url_ok(s->token_url, 0) ||
	    s->token_url[0] == '/')
		config_error(ctx, line, "[stream %s] needs token_url = "
		    "https://... (the OAuth2 token endpoint)", s->name);
	else if (s->client_id == NULL)
		config_error(ctx, line, "[stream %s] needs client_id", s->name);
	else if ((s->client_secret_file == NULL) == (s->client_secret_env == NULL))
		config_error(ctx, line, "[stream %s] needs exactly one of "
		    "client_secret_file and client_secret_env", s->name);
	else if (strcmp(s->grant, "password") == 0 &&
	    (s->access_key_id == NULL || s->access_key_secret_file == NULL))
		config_error(ctx, line, "[stream %s] grant = password needs "
		    "access_key_id and access_key_secret_file", s->name);
	else if (strcmp(s->transport, "websocket") == 0 &&
	    (s->ws_url == NULL || !url_ok(s->ws_url, 1)))
		config_error(ctx, line, "[stream %s] transport = websocket needs "
		    "ws_url = wss://... or /path", s->name);
	else if (strcmp(s->transport, "poll") == 0 &&
	    (s->poll_url == NULL || !url_ok(s->poll_url, 0)))
		config_error(ctx, line, "[stream %s] transport = poll needs "
		    "poll_url = https://... or /path", s->name);
	else if (strcmp(s->transport, "longpoll") == 0 &&
	    (s->longpoll_session_url == NULL || s->longpoll_next_url == NULL ||
	    !url_ok(s->longpoll_session_url, 0) || !url_ok(s->longpoll_next_url, 0)))
		config_error(ctx, line, "[stream %s] transport = longpoll needs "
		    "longpoll_session_url and longpoll_next_url", s->name);
	else if (s->register_url != NULL && !url_ok(s->register_url, 0))
		config_error(ctx, line, "[stream %s] register_url must be "
		    "https://... or /path", s->name);
	else if (s->subscribe != NULL &&
	    ((j = json_loads(s->subscribe, 0, &jerr)) == NULL || !json_is_object(j) ||
	    (json_decref(j), 0)))
		config_error(ctx, line, "[stream %s] subscribe is not a JSON "
		    "object%s%s", s->name, j == NULL ? ": " : "",
		    j == NULL ? jerr.text : "");
	else if (s->backoff_cap_ms < s->backoff_base_ms)
		config_error(ctx, line, "[stream %s] backoff_cap is below "
		    "backoff_base", s->name);
	else if (s->items_pointer[0] != '/' || s->timestamp_pointer[0] != '/' ||
	    s->cursor_pointer[0] != '/')
		config_error(ctx, line, "[stream %s] items_pointer, timestamp_pointer "
		    "and cursor_pointer are JSON pointers (/...)", s->name);
}

/* Parses a threshold; returns 0 or -1. */
static int
named_number(const char *s, double *out)
{
	char	*end;

	errno = 0;
	*out = strtod(s, &end);
	return end == s || *end != '\0' || errno != 0 || !isfinite(*out) ? -1 : 0;
}

/* The checks of one [rule]: metric and thresholds, derived values. */
static void
named_check_rule(struct parse_ctx *ctx, struct rule_conf *r)
{
	if (r->metric == NULL)
		config_error(ctx, r->lineno, "[rule %s] needs metric", r->name);
	else if (r->warning == NULL || named_number(r->warning, &r->warning_v) == -1)
		config_error(ctx, r->lineno, "[rule %s] needs warning = NUMBER",
		    r->name);
	else if (r->critical != NULL &&
	    named_number(r->critical, &r->critical_v) == -1)
		config_error(ctx, r->lineno, "[rule %s] critical is not a number",
		    r->name);
	else if (strcmp(r->metric, "active_agents") == 0 &&
	    strcmp(r->scope, "global") != 0)
		config_error(ctx, r->lineno, "[rule %s] active_agents is counted "
		    "for scope = global only", r->name);
	else if (r->critical == NULL)
		r->critical_v = r->warning_v * 1.5;
}

/* The checks of one [webhook]: a URL, rules that exist. */
static void
named_check_webhook(struct parse_ctx *ctx, const struct webhook_conf *w)
{
	const struct config	*c = ctx->conf;
	const char		*p, *q;
	int			 i;

	if (w->url == NULL || !url_ok(w->url, 0) || w->url[0] == '/') {
		config_error(ctx, w->lineno, "[webhook %s] needs url = "
		    "http(s)://...", w->name);
		return;
	}
	for (p = w->rules; p != NULL && *p != '\0'; p = q) {
		while (*p == ' ' || *p == ',')
			p++;
		for (q = p; *q != '\0' && *q != ',' && *q != ' '; q++)
			;
		if (q == p)
			break;
		for (i = 0; i < c->nrules; i++)
			if (strlen(c->rules[i].name) == (size_t)(q - p) &&
			    strncmp(c->rules[i].name, p, (size_t)(q - p)) == 0)
				break;
		if (i == c->nrules) {
			config_error(ctx, w->lineno, "[webhook %s] rules: no "
			    "[rule %.*s]", w->name, (int)(q - p), p);
			return;
		}
	}
}

void
config_named_check(struct parse_ctx *ctx)
{
	struct config	*c = ctx->conf;
	int		 i;

	for (i = 0; i < c->nsources; i++) {
		if (c->sources[i].type == NULL)
			config_error(ctx, c->sources[i].lineno,
			    "[source %s] needs type = ndjson", c->sources[i].name);
		else if (c->sources[i].path == NULL)
			config_error(ctx, c->sources[i].lineno,
			    "[source %s] needs path = FILE or -", c->sources[i].name);
	}
	for (i = 0; i < c->nstreams; i++)
		named_check_stream(ctx, &c->streams[i]);
	for (i = 0; i < c->nrules; i++)
		named_check_rule(ctx, &c->rules[i]);
	for (i = 0; i < c->nwebhooks; i++)
		named_check_webhook(ctx, &c->webhooks[i]);
}

void
config_named_free(struct config *c)
{
	size_t	 k;
	int	 i;

	for (k = 0; k < NKINDS; k++)
		for (i = 0; i < *named_count(c, &named_kinds[k]); i++) {
			void *e = named_elem(c, &named_kinds[k], i);
			config_free_strings(named_kinds[k].section, e);
			free(named_name(e, &named_kinds[k]));
		}
}

int
config_named_diff(const struct config *a, const struct config *b)
{
	const struct named_kind	*k;
	size_t			 ki, i;
	int			 mask = 0, j;

	for (ki = 0; ki < NKINDS; ki++) {
		k = &named_kinds[ki];
		if (*named_count(a, k) != *named_count(b, k)) {
			mask |= k->count_reload;
			continue;
		}
		for (j = 0; j < *named_count(a, k); j++) {
			void *ea = named_elem(a, k, j), *eb = named_elem(b, k, j);
			if (strcmp(named_name(ea, k), named_name(eb, k)) != 0)
				mask |= k->count_reload;
			for (i = 0; i < config_nkeys; i++)
				if (strcmp(config_keys[i].section, k->section) == 0 &&
				    config_key_differs(&config_keys[i], ea, eb))
					mask |= config_keys[i].reload;
		}
	}
	return mask;
}
