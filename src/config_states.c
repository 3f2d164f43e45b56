/*
 * [states]: the agent-state transition matrix, one line per from-state,
 * "Available = Busy, Away, OnBreak, LoggedOut".  A file without the section
 * gets the default below (the CXone states and the changes they make).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

/* The default matrix, as the lines of a [states] section. */
static const struct {
	const char	*from;
	const char	*to;
} states_default[] = {
	{ "LoggedOut",	"Available" },
	{ "Available",	"Busy, Away, OnBreak, LoggedOut" },
	{ "Busy",	"Available, Away" },
	{ "Away",	"Available, OnBreak, LoggedOut" },
	{ "OnBreak",	"Available, LoggedOut" },
};
#define STATES_NDEFAULT	(sizeof(states_default) / sizeof(states_default[0]))

/* True when s (n bytes) is a state name: a letter, then letters, digits,
 * '_', '-' or '.'. */
static bool
states_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n >= CONFIG_STATE_LEN || !isalpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* Index of state name (n bytes) in m, or -1. */
static int
states_find(const struct state_matrix *m, const char *name, size_t n)
{
	int	 i;

	for (i = 0; i < m->n; i++)
		if (strlen(m->name[i]) == n && memcmp(m->name[i], name, n) == 0)
			return i;
	return -1;
}

/* Index of state name in m, added when new; -1 when the matrix is full. */
static int
states_intern(struct state_matrix *m, const char *name, size_t n)
{
	int	 i;

	if ((i = states_find(m, name, n)) != -1)
		return i;
	if (m->n == CONFIG_MAX_STATES)
		return -1;
	memcpy(m->name[m->n], name, n);
	m->name[m->n][n] = '\0';
	m->to[m->n] = 0;
	m->lineno[m->n] = 0;
	return m->n++;
}

/* Adds one line to m; 0, or -1 with why set. */
static int
states_add(struct state_matrix *m, const char *from, const char *list,
    int lineno, char *why, size_t whylen)
{
	const char	*p = list, *end;
	size_t		 n;
	int		 f, t;

	if (!states_name_ok(from, strlen(from))) {
		snprintf(why, whylen, "\"%s\" is not a state name (a letter, "
		    "then letters, digits, _ - or ., at most %d characters)",
		    from, CONFIG_STATE_LEN - 1);
		return -1;
	}
	if ((f = states_find(m, from, strlen(from))) != -1 && m->lineno[f] != 0) {
		snprintf(why, whylen, "%s is listed twice (first at line %d)",
		    from, m->lineno[f]);
		return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		snprintf(why, whylen, "%s: empty list; name the states it may "
		    "change to, separated by commas", from);
		return -1;
	}
	if ((f = states_intern(m, from, strlen(from))) == -1)
		goto full;
	m->lineno[f] = lineno > 0 ? lineno : -1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!states_name_ok(p, n)) {
			snprintf(why, whylen, "%s: \"%.*s\" is not a state name "
			    "(write FROM = STATE, STATE, ...)", from, (int)n, p);
			return -1;
		}
		if ((t = states_intern(m, p, n)) == -1)
			goto full;
		if (m->to[f] & (1u << t)) {
			snprintf(why, whylen, "%s: %s is listed twice", from,
			    m->name[t]);
			return -1;
		}
		m->to[f] |= 1u << t;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
full:
	snprintf(why, whylen, "more than %d states", CONFIG_MAX_STATES);
	return -1;
}

int
config_states_line(struct parse_ctx *ctx, const char *from, const char *list)
{
	char	 why[256];

	ctx->conf->states.configured = 1;
	if (states_add(&ctx->conf->states, from, list, ctx->lineno, why,
	    sizeof(why)) == -1)
		return config_error(ctx, ctx->lineno, "[states] %s", why);
	return 1;
}

void
config_states_finish(struct parse_ctx *ctx)
{
	struct state_matrix	*m = &ctx->conf->states;
	char			 why[256];
	size_t			 i;

	/* An empty [states] (as in the sample config) keeps the default,
	 * like any section whose keys are all left out. */
	if (m->configured)
		return;
	for (i = 0; i < STATES_NDEFAULT; i++)
		if (states_add(m, states_default[i].from, states_default[i].to,
		    0, why, sizeof(why)) == -1)
			config_error(ctx, 0, "default [states]: %s", why);
}

bool
config_states_allowed(const struct state_matrix *m, const char *from,
    const char *to)
{
	int	 f, t;

	if ((f = states_find(m, from, strlen(from))) == -1 ||
	    (t = states_find(m, to, strlen(to))) == -1)
		return false;
	return (m->to[f] & (1u << t)) != 0;
}

void
config_states_print_sample(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "\n[states]\n"
	    "# The agent-state transition matrix: one line per state, FROM = "
	    "the states an agent may change to from it.\n"
	    "# A change it does not list is stored with verdict \"rejected\" "
	    "and counted (validate's rejected_transitions).\n"
	    "# Without this section the matrix below applies; a section "
	    "replaces it whole.\n");
	for (i = 0; i < STATES_NDEFAULT; i++)
		fprintf(fp, "#%s = %s\n", states_default[i].from,
		    states_default[i].to);
}
