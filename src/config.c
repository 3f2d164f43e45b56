#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "config_internal.h"
#include "config_keys.h"
#include "log.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE	(1024 * 1024)


/* inih reader over a string that counts lines, so errors can name them. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct parse_ctx	*ctx = stream;
	const char		*nl;
	size_t			 n;

	if (*ctx->next == '\0')
		return NULL;
	nl = strchr(ctx->next, '\n');
	n = nl != NULL ? (size_t)(nl - ctx->next) + 1 : strlen(ctx->next);
	if (n > (size_t)num - 1) {
		config_error(ctx, ctx->lineno + 1,
		    "line longer than %d characters", num - 2);
		return NULL;
	}
	memcpy(str, ctx->next, n);
	str[n] = '\0';
	ctx->next += n;
	if (n > 0 && str[n - 1] == '\n')
		ctx->lineno++;
	else if (*ctx->next == '\0')
		ctx->lineno++;
	return str;
}


int
config_error(struct parse_ctx *ctx, int lineno, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (ctx->failed)
		return 0;
	ctx->failed = 1;
	n = snprintf(ctx->err, ctx->errlen, "%s:%d: ", ctx->path, lineno);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

/* Returns the line of the [section] header that governs the line inih is
 * at: inih does not say when a section starts, nor which line it is on. */
static int
config_header_line(struct parse_ctx *ctx)
{
	const char	*p;

	while (ctx->scan_line < ctx->lineno && *ctx->scan != '\0') {
		ctx->scan_line++;
		for (p = ctx->scan; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '[')
			ctx->last_header = ctx->scan_line;
		if ((p = strchr(ctx->scan, '\n')) == NULL)
			p = ctx->scan + strlen(ctx->scan);
		else
			p++;
		ctx->scan = p;
	}
	return ctx->last_header;
}

/* Parses a number with an optional suffix scaled by the table; -1 on error. */
static int
config_parse_scaled(const char *v, const struct config_key *k, int64_t *out)
{
	char		*end;
	long double	 x;
	int64_t		 mult = 1;

	/* Digits with an optional fraction: no sign, hex, inf or nan. */
	if (!isdigit((unsigned char)v[0]))
		return -1;
	for (end = (char *)v; isdigit((unsigned char)*end) || *end == '.'; end++)
		;
	if (*end != '\0' && !isalpha((unsigned char)*end) && !isspace((unsigned char)*end))
		return -1;
	if (strncasecmp(end, "x", 1) == 0)
		return -1;
	errno = 0;
	x = strtold(v, &end);
	if (end == v || errno != 0 || x < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (k->type == KT_BYTES) {
		if (*end == '\0') mult = 1;
		else if (strcasecmp(end, "K") == 0 || strcasecmp(end, "KiB") == 0) mult = 1024;
		else if (strcasecmp(end, "M") == 0 || strcasecmp(end, "MiB") == 0) mult = 1024 * 1024;
		else if (strcasecmp(end, "G") == 0 || strcasecmp(end, "GiB") == 0) mult = 1024LL * 1024 * 1024;
		else return -1;
	} else if (k->type == KT_DURATION) {
		if (*end == '\0') mult = k->unit_ms;
		else if (strcmp(end, "ms") == 0) mult = 1;
		else if (strcmp(end, "s") == 0) mult = 1000;
		else if (strcmp(end, "m") == 0) mult = 60000;
		else if (strcmp(end, "h") == 0) mult = 3600000;
		else return -1;
	} else if (*end != '\0')
		return -1;
	x *= mult;
	if (x > (long double)INT64_MAX)
		return -1;
	if (k->type == KT_INT && x != (long double)(int64_t)x)
		return -1;
	*out = (int64_t)x;
	return 0;
}

/* True when v is one of the '|'-separated choices. */
static int
config_choice_ok(const char *choices, const char *v)
{
	size_t		 n = strlen(v);
	const char	*p = choices;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, v, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
		p = strchr(p, '|');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* Stores one value through the table into base (a config or a named section). */
int
config_set(struct parse_ctx *ctx, const struct config_key *k, void *base,
    const char *v)
{
	char	**sp;
	int64_t	 n;

	switch (k->type) {
	case KT_ENUM:
		if (!config_choice_ok(k->choices, v))
			return config_error(ctx, ctx->lineno,
			    "%s: \"%s\" is not one of %s", k->name, v, k->choices);
		/* FALLTHROUGH */
	case KT_STRING:
		sp = (char **)((char *)base + k->offset);
		free(*sp);
		*sp = xstrdup(v);
		return 1;
	case KT_INT:
	case KT_BYTES:
	case KT_DURATION:
		if (config_parse_scaled(v, k, &n) == -1)
			return config_error(ctx, ctx->lineno,
			    "%s: \"%s\" is not a valid %s", k->name, v,
			    k->type == KT_INT ? "integer" :
			    k->type == KT_BYTES ? "size (e.g. 512K, 64M, 1G)" :
			    "duration (e.g. 250ms, 5s, 2m)");
		if (k->max > 0 && (n < k->min || n > k->max))
			return config_error(ctx, ctx->lineno,
			    "%s: %s is out of range (%" PRId64 " to %" PRId64 "%s)",
			    k->name, v, k->type == KT_DURATION ? k->min : k->min,
			    k->max, k->type == KT_DURATION ? " ms" :
			    k->type == KT_BYTES ? " bytes" : "");
		*(int64_t *)((char *)base + k->offset) = n;
		return 1;
	}
	return 0;
}

/* Applies every default of the table to base for one section. */
void
config_set_defaults(struct parse_ctx *ctx, const char *section, void *base)
{
	size_t	 i;

	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, section) != 0 ||
		    config_keys[i].def == NULL)
			continue;
		config_set(ctx, &config_keys[i], base, config_keys[i].def);
	}
}

/* True when the table has keys for a section. */
int
config_section_known(const char *section)
{
	size_t	 i;

	if (strcmp(section, "states") == 0)
		return 1;	/* its keys are state names (config_states.c) */
	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return 1;
	return 0;
}

/* inih callback: one key = value, or a section start when name is NULL. */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_ctx	*ctx = user;
	const struct config_key	*k;
	const struct named_kind	*kind;
	char			 sect[128];
	const char		*sub = "";
	void			*base = ctx->conf;

	if (ctx->failed)
		return 0;
	snprintf(sect, sizeof(sect), "%s", section);
	if ((kind = config_named_split(sect, &sub)) != NULL)
		sect[strlen(kind->section)] = '\0';
	if (config_header_line(ctx) != ctx->cur_header) {
		ctx->cur_header = ctx->last_header;
		snprintf(ctx->cur_section, sizeof(ctx->cur_section), "%s", section);
		ctx->cur_named = NULL;
		if (kind != NULL &&
		    (ctx->cur_named = config_named_begin(ctx, kind, sub)) == NULL)
			return 0;
		if (kind == NULL && !config_section_known(section))
			return config_error(ctx, ctx->cur_header,
			    "unknown section [%s]", section);
	}
	if (name == NULL)
		return 1;
	if (kind != NULL)
		base = ctx->cur_named;
	if (kind == NULL && strcmp(sect, "states") == 0)
		return config_states_line(ctx, name, value);
	if ((k = config_key_find(sect, name)) == NULL)
		return config_error(ctx, ctx->lineno, "unknown key \"%s\" in [%s]",
		    name, section);
	return config_set(ctx, k, base, value);
}

/* Finds the line of "[section" in text, for errors found after parsing. */
static int
config_section_line(const char *text, const char *section)
{
	const char	*p = text;
	int		 line = 1;
	size_t		 n = strlen(section);

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[' && strncmp(p + 1, section, n) == 0)
			return line;
		if ((p = strchr(p, '\n')) == NULL)
			return 1;
		p++;
		line++;
	}
}

/* Checks every [section] header, including those without keys, which
 * inih never reports, and refuses indented lines. */
static void
config_check_sections(struct parse_ctx *ctx, const char *text)
{
	const struct named_kind	*kind;
	const char	*p = text, *end, *sub;
	char		 name[128];
	int		 line = 1;
	size_t		 n;

	for (; *p != '\0'; line++) {
		if ((*p == ' ' || *p == '\t') && p[strspn(p, " \t")] != '\n' &&
		    p[strspn(p, " \t")] != '\0' && p[strspn(p, " \t")] != '#' &&
		    p[strspn(p, " \t")] != ';' && p[strspn(p, " \t")] != '\r') {
			/* inih would take it as the continuation of the key above. */
			config_error(ctx, line, "indented line: start keys and "
			    "sections at the beginning of the line");
			return;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[' && (end = strchr(p, ']')) != NULL &&
		    (strchr(p, '\n') == NULL || end < strchr(p, '\n'))) {
			n = (size_t)(end - p - 1);
			snprintf(name, sizeof(name), "%.*s", (int)n, p + 1);
			kind = config_named_split(name, &sub);
			if (kind != NULL && *sub == '\0') {
				config_error(ctx, line, "[%s] needs a name: [%s NAME]",
				    kind->section, kind->section);
				return;
			} else if (kind == NULL && !config_section_known(name)) {
				config_error(ctx, line, "unknown section [%s]", name);
				return;
			}
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
}

/* Cross-key checks once the whole file is read. */
static void
config_check(struct parse_ctx *ctx, const char *text)
{
	struct config	*c = ctx->conf;
	const char	*colon;
	char		*end;
	long		 port;

	c->log_level_num = log_level_parse(c->log_level);
	c->spool_sync_mode = strcmp(c->spool_sync, "always") == 0 ? SPOOL_SYNC_ALWAYS :
	    strcmp(c->spool_sync, "never") == 0 ? SPOOL_SYNC_NEVER : SPOOL_SYNC_INTERVAL;
	c->storm_action = strcmp(c->on_restart_storm, "exit") == 0 ? STORM_EXIT : STORM_RETRY;

	if (c->spool_dir[0] != '/')
		config_error(ctx, config_section_line(text, "cxpipe"),
		    "spool_dir must be an absolute path, not \"%s\"", c->spool_dir);
	if (c->control_socket[0] != '/')
		config_error(ctx, config_section_line(text, "cxpipe"),
		    "control_socket must be an absolute path");
	if (strlen(c->control_socket) >= 100)
		config_error(ctx, config_section_line(text, "cxpipe"),
		    "control_socket path is longer than a Unix socket allows");
	if (c->http_listen != NULL) {
		colon = strrchr(c->http_listen, ':');
		port = colon != NULL ? strtol(colon + 1, &end, 10) : -1;
		if (colon == NULL || colon == c->http_listen || *end != '\0' ||
		    port < 1 || port > 65535)
			config_error(ctx, config_section_line(text, "http"),
			    "listen: \"%s\" is not ADDRESS:PORT", c->http_listen);
		if (c->http_token_file == NULL)
			config_error(ctx, config_section_line(text, "http"),
			    "[http] listen needs token_file (the bearer token clients present)");
	}
	config_named_check(ctx);
	config_states_finish(ctx);
}

struct config *
config_parse_text(const char *text, const char *path, char *err, size_t errlen)
{
	struct parse_ctx	 ctx;
	struct config		*c;
	int			 r;

	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = c;
	ctx.path = path;
	ctx.next = text;
	ctx.text = ctx.scan = text;
	ctx.cur_header = -1;
	ctx.err = err;
	ctx.errlen = errlen;
	config_set_defaults(&ctx, "cxpipe", c);
	config_set_defaults(&ctx, "postgres", c);
	config_set_defaults(&ctx, "http", c);
	config_set_defaults(&ctx, "validate", c);
	config_set_defaults(&ctx, "alert", c);
	r = ini_parse_stream(config_reader, &ctx, config_handler, &ctx);
	if (r > 0 && !ctx.failed)
		config_error(&ctx, r, "syntax error (expected [section] or key = value)");
	if (!ctx.failed)
		config_check_sections(&ctx, text);
	if (!ctx.failed)
		config_check(&ctx, text);
	if (ctx.failed) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_load(const char *path, char **textp, char *err, size_t errlen)
{
	struct config	*c;
	struct stat	 st;
	char		*text;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	*textp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes",
		    path, CONFIG_MAX_FILE);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	text[got] = '\0';
	if (strlen(text) != got) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return NULL;
	}
	if ((c = config_parse_text(text, path, err, errlen)) == NULL) {
		free(text);
		return NULL;
	}
	*textp = text;
	return c;
}

/* Frees every string field the table names in base for one section. */
void
config_free_strings(const char *section, void *base)
{
	size_t	 i;

	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    (config_keys[i].type == KT_STRING || config_keys[i].type == KT_ENUM))
			free(*(char **)((char *)base + config_keys[i].offset));
}

void
config_free(struct config *c)
{

	if (c == NULL)
		return;
	config_free_strings("cxpipe", c);
	config_free_strings("postgres", c);
	config_free_strings("http", c);
	config_free_strings("validate", c);
	config_free_strings("alert", c);
	config_named_free(c);
	free(c->path);
	free(c);
}

/* True when a setting differs between two bases. */
int
config_key_differs(const struct config_key *k, const void *a, const void *b)
{
	const char	*sa, *sb;

	if (k->type == KT_STRING || k->type == KT_ENUM) {
		sa = *(char *const *)((const char *)a + k->offset);
		sb = *(char *const *)((const char *)b + k->offset);
		if (sa == NULL || sb == NULL)
			return sa != sb;
		return strcmp(sa, sb) != 0;
	}
	return *(const int64_t *)((const char *)a + k->offset) !=
	    *(const int64_t *)((const char *)b + k->offset);
}

int
config_diff(const struct config *a, const struct config *b, char *why, size_t whylen)
{
	size_t	 i, off = 0;
	int	 mask = 0;

	if (whylen > 0)
		why[0] = '\0';
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_named_kind(k->section) != NULL)
			continue;
		if (!config_key_differs(k, a, b))
			continue;
		mask |= k->reload;
		if ((k->reload & RELOAD_DAEMON) && off < whylen) {
			int n = snprintf(why + off, whylen - off, "%s%s.%s",
			    off ? ", " : "", k->section, k->name);
			if (n > 0)
				off += (size_t)n;
		}
	}
	mask |= config_named_diff(a, b);
	return mask;
}

void
config_print_sample(FILE *fp)
{
	const char	*last = "";
	size_t		 i;

	fprintf(fp, "# cxpipe.conf: configuration of cxpiped(8), see cxpipe.conf(5).\n"
	    "# Every setting is shown with its default; uncomment to change.\n"
	    "# Generated by `cxpiped --print-sample-config`.\n");
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		if (strcmp(k->section, last) != 0) {
			if (strcmp(last, "validate") == 0)
				config_states_print_sample(fp);
			if (config_named_kind(k->section) != NULL)
				fprintf(fp, "\n# [%s NAME]   (any number of them)\n",
				    k->section);
			else
				fprintf(fp, "\n[%s]\n", k->section);
			last = k->section;
		}
		fprintf(fp, "# %s%s\n", k->doc,
		    k->reload & RELOAD_DAEMON ? " (needs a daemon restart)" : "");
		if (k->def != NULL)
			fprintf(fp, "#%s = %s\n", k->name, k->def);
		else
			fprintf(fp, "#%s =\n", k->name);
	}
}

char *
config_read_secret_file(const char *path, char *err, size_t errlen)
{
	char	 buf[4096];
	ssize_t	 n;
	size_t	 len;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "%s: the first line is empty", path);
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	{
		char *s = xstrdup(buf);
		explicit_bzero(buf, sizeof(buf));
		return s;
	}
}
