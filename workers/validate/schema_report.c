/*
 * schema_report.c: write a validation error into the caller's reason
 * buffer as "<instance JSON pointer>: <keyword>: <message> (schema
 * <keyword location>)", or hand it to an all-errors callback, with the
 * messages that need more than a format string: expected types and
 * numbers printed so that they read back the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* A bounded output buffer that truncates and stays NUL-terminated. */
struct check_out {
	char	*p;
	size_t	 len, cap;
	int	 truncated;
};

/* Append n bytes to o, dropping what does not fit (never half a character). */
static void
check_out_add(struct check_out *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->cap) {
		o->truncated |= n > 0;
		return;
	}
	if (n > o->cap - 1 - o->len) {
		n = schema_utf8_cut(s, o->cap - 1 - o->len);
		o->truncated = 1;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/*
 * Append the instance path as a JSON pointer, "(root)" when empty; control
 * bytes in keys become \xNN so a reason is always one printable line.
 */
static void
check_out_path(struct check_out *o, const struct check_ctx *ctx)
{
	char	 tmp[32];
	size_t	 i, j;

	if (ctx->depth == 0)
		check_out_add(o, "(root)", 6);
	for (i = 0; i < ctx->depth; i++) {
		const struct check_seg *seg = &ctx->path[i];

		check_out_add(o, "/", 1);
		if (seg->key == NULL) {
			snprintf(tmp, sizeof(tmp), "%zu", seg->n);
			check_out_add(o, tmp, strlen(tmp));
			continue;
		}
		for (j = 0; j < seg->n; j++) {
			unsigned char c = (unsigned char)seg->key[j];

			if (c == '~')
				check_out_add(o, "~0", 2);
			else if (c == '/')
				check_out_add(o, "~1", 2);
			else if (c < 0x20 || c == 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				check_out_add(o, tmp, 4);
			} else
				check_out_add(o, seg->key + j, 1);
		}
	}
}

/* Append the location of keyword of the node being checked. */
static void
check_out_location(struct check_out *o, const struct check_ctx *ctx,
    const char *keyword)
{
	const struct schema_node	*n = ctx->node;

	if (n == NULL || n->loc == NULL)
		return;
	check_out_add(o, n->loc, strlen(n->loc));
	if (n->kind != SCHEMA_NODE_FALSE) {
		check_out_add(o, "/", 1);
		check_out_add(o, keyword, strlen(keyword));
	} else if (n->loc[0] == '\0')
		check_out_add(o, "(root)", 6);
}

/* Hand one error, split into its parts, to the all-errors callback. */
static void
check_call(struct check_ctx *ctx, const char *keyword, const char *msg)
{
	struct schema_error	 e;
	struct check_out	 o;
	char			 inst[2048], loc[1024], text[4096];

	o.p = inst;
	o.len = 0;
	o.cap = sizeof(inst);
	o.truncated = 0;
	inst[0] = '\0';
	if (ctx->depth > 0)
		check_out_path(&o, ctx);
	o.p = loc;
	o.len = 0;
	o.cap = sizeof(loc);
	loc[0] = '\0';
	check_out_location(&o, ctx, keyword);
	snprintf(text, sizeof(text), "%s: %s: %s (schema %s)",
	    inst[0] ? inst : "(root)", keyword, msg, loc);
	e.instance = inst;
	e.keyword = keyword;
	e.message = msg;
	e.location = loc;
	e.text = text;
	ctx->fn(&e, ctx->arg);
}

/*
 * Rewrite s (a NUL-terminated string in a buffer of cap bytes) on one
 * line: each control byte becomes \xNN, as in keys; what no longer fits
 * is cut at a character boundary.  Schema text (a pattern, a name) quoted
 * in a message may hold such bytes.
 */
void
schema_oneline(char *s, size_t cap)
{
	char		 tmp[1024];
	size_t		 i, o = 0, n = strlen(s);
	unsigned char	 c;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			break;
	if (i == n) {
		s[schema_utf8_cut(s, n)] = '\0';
		return;
	}
	for (i = 0; i < n && o + 5 < sizeof(tmp); i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "\\x%02x", c);
		else
			tmp[o++] = (char)c;
	}
	if (o >= cap)
		o = cap - 1;
	o = schema_utf8_cut(tmp, o);
	memcpy(s, tmp, o);
	s[o] = '\0';
}

/*
 * Write "<pointer>: <keyword>: <message> (schema <location>)" into the
 * caller's reason buffer, or hand it to the all-errors callback.  A
 * pointer too long for the buffer is cut and ends in "..." so that the
 * keyword and message always show; the result is valid UTF-8.
 */
static void
check_vreport(struct check_ctx *ctx, const char *keyword,
    const char *fmt, va_list ap)
{
	struct check_out	 o = { ctx->reason, 0, ctx->reasonlen, 0 };
	struct check_out	 t;
	char			 msg[512], tailbuf[1024];
	size_t			 tail;

	ctx->n_errors++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	schema_oneline(msg, sizeof(msg));
	if (ctx->fn != NULL) {
		check_call(ctx, keyword, msg);
		return;
	}
	if (ctx->reason == NULL || ctx->reasonlen == 0)
		return;
	ctx->reason[0] = '\0';
	t.p = tailbuf;
	t.len = 0;
	t.cap = sizeof(tailbuf);
	t.truncated = 0;
	tailbuf[0] = '\0';
	check_out_add(&t, ": ", 2);
	check_out_add(&t, keyword, strlen(keyword));
	check_out_add(&t, ": ", 2);
	check_out_add(&t, msg, strlen(msg));
	check_out_add(&t, " (schema ", 9);
	check_out_location(&t, ctx, keyword);
	check_out_add(&t, ")", 1);
	tail = t.len;
	if (tail + 16 < o.cap)
		o.cap -= tail;
	check_out_path(&o, ctx);
	if (o.truncated) {
		o.len = schema_utf8_cut(o.p, o.len > 3 ? o.len - 3 : 0);
		o.truncated = 0;
		check_out_add(&o, "...", 3);
	}
	o.cap = ctx->reasonlen;
	check_out_add(&o, tailbuf, tail);
}

/* Report a failed keyword unless a branch is being tried; return 0. */
int __attribute__((format(printf, 3, 4)))
check_fail(struct check_ctx *ctx, const char *keyword,
    const char *fmt, ...)
{
	va_list	 ap;

	if (ctx->quiet || ctx->fatal)
		return 0;
	va_start(ap, fmt);
	check_vreport(ctx, keyword, fmt, ap);
	va_end(ap);
	return 0;
}

/* Report an error that ends the walk, even inside a branch; return 0. */
int __attribute__((format(printf, 3, 4)))
check_fatal(struct check_ctx *ctx, const char *keyword,
    const char *fmt, ...)
{
	va_list	 ap;

	if (ctx->fatal)
		return 0;	/* the first fatal error is the one to show */
	ctx->fatal = 1;
	va_start(ap, fmt);
	check_vreport(ctx, keyword, fmt, ap);
	va_end(ap);
	return 0;
}

/* Return the name of an instance's JSON type for messages. */
static const char *
check_type_name(const struct jval *v)
{
	switch (v->type) {
	case JT_OBJECT:
		return "object";
	case JT_ARRAY:
		return "array";
	case JT_STRING:
		return "string";
	case JT_INTEGER:
		return "integer";
	case JT_REAL:
		return "number";
	case JT_TRUE:
	case JT_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* Report a "type" failure as "expected a, b or c, got d". */
int __attribute__((noinline))
check_fail_type(struct check_ctx *ctx, unsigned types,
    const struct jval *v)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ SCHEMA_T_OBJECT, "object" }, { SCHEMA_T_ARRAY, "array" },
		{ SCHEMA_T_STRING, "string" }, { SCHEMA_T_NUMBER, "number" },
		{ SCHEMA_T_INTEGER, "integer" }, { SCHEMA_T_BOOLEAN, "boolean" },
		{ SCHEMA_T_NULL, "null" },
	};
	struct check_out	 o;
	char			 expected[96];
	size_t			 i, left = 0;

	if (ctx->quiet)
		return 0;
	o.p = expected;
	o.len = 0;
	o.cap = sizeof(expected);
	o.truncated = 0;
	expected[0] = '\0';
	for (i = 0; i < 7; i++)
		left += (types & names[i].bit) != 0;
	for (i = 0; i < 7; i++) {
		if (!(types & names[i].bit))
			continue;
		check_out_add(&o, names[i].name, strlen(names[i].name));
		if (--left > 1)
			check_out_add(&o, ", ", 2);
		else if (left == 1)
			check_out_add(&o, " or ", 4);
	}
	return check_fail(ctx, "type", "expected %s, got %s",
	    types ? expected : "nothing", check_type_name(v));
}

/* Print d (i when is_int) in the shortest form that reads back the same. */
static void
check_print_num(char *buf, size_t len, int is_int, long long i, double d)
{
	if (is_int) {
		snprintf(buf, len, "%lld", i);
		return;
	}
	snprintf(buf, len, "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, len, "%.17g", d);
}

/* Report a failed number keyword as "must be OP LIMIT, got VALUE". */
int __attribute__((noinline))
check_fail_number(struct check_ctx *ctx, const char *keyword,
    const char *op, const struct schema_num *limit, const struct jval *v)
{
	char	 want[40], got[40];

	if (ctx->quiet)
		return 0;
	check_print_num(want, sizeof(want), limit->is_int, limit->i,
	    limit->d);
	check_print_num(got, sizeof(got), v->type == JT_INTEGER,
	    v->type == JT_INTEGER ? v->u.i : 0,
	    v->type == JT_INTEGER ? (double)v->u.i : v->u.d);
	return check_fail(ctx, keyword, "must be %s %s, got %s", op, want,
	    got);
}
