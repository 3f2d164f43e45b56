/*
 * jdoc_parse.c: the JSON text of an event into a struct jdoc tree.
 *
 * One pass, no recursion: children of the open arrays and objects wait on
 * two stacks (items, members) and are copied into the arena as one run
 * when their container closes, so every value is copied once.  Strings
 * are checked (UTF-8, control characters, escapes) in the same scan that
 * finds their end; only strings with escapes are decoded, into the arena.
 * Duplicate keys are compared as members arrive while an object is small
 * and by sorting its keys when it closes otherwise, so no object costs
 * more than n log n.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc_internal.h"

#define JDOC_SMALL_OBJECT	16	/* members compared as they arrive */

/* One jdoc_parse() call. */
struct jparse {
	struct jdoc		*d;
	const unsigned char	*start, *p, *end;
	struct jdoc_error	*err;
	size_t			 depth;
	int			 max_depth;
};

/* Bytes a string may hold unchecked: printable ASCII but '"' and '\\'. */
static const unsigned char jparse_plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	P16, P16,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	P16, P16,
#undef P16
};

/* Exact powers of ten as doubles (all up to 1e22 are). */
static const double jparse_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Records a syntax error at byte at; returns NULL for the caller to return. */
static void *
jparse_fail(struct jparse *ps, const unsigned char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *
jparse_fail(struct jparse *ps, const unsigned char *at, const char *fmt, ...)
{
	va_list	 ap;

	ps->err->kind = JDOC_E_SYNTAX;
	ps->err->offset = (size_t)(at - ps->start);
	va_start(ap, fmt);
	vsnprintf(ps->err->text, sizeof(ps->err->text), fmt, ap);
	va_end(ap);
	return NULL;
}

/* Skips JSON whitespace. */
static inline void
jparse_ws(struct jparse *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
	    *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0. */
static size_t
jparse_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned	 c = p[0], lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* beyond U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The four hex digits at p as a number, or -1. */
static long
jparse_hex4(const unsigned char *p, const unsigned char *end)
{
	long	 v = 0;
	int	 i, c;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v * 16 + c;
	}
	return v;
}

/*
 * Checks the escape at p (the backslash) and returns what follows it, or
 * NULL with the error.  *cp gets the code point of a \u escape (a pair
 * combined), else -1.
 */
static const unsigned char *
jparse_escape(struct jparse *ps, const unsigned char *p, long *cp)
{
	long	 hi, lo;

	*cp = -1;
	if (p + 1 >= ps->end)
		return jparse_fail(ps, p, "premature end of input");
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		return p + 2;
	case 'u':
		break;
	default:
		return jparse_fail(ps, p, "invalid escape");
	}
	if ((hi = jparse_hex4(p + 2, ps->end)) < 0)
		return jparse_fail(ps, p, "invalid escape");
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return jparse_fail(ps, p, "invalid Unicode '\\u%04lX'", hi);
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return p + 6;
	}
	if (ps->end - (p + 6) < 2 || p[6] != '\\' || p[7] != 'u')
		return jparse_fail(ps, p, "invalid Unicode '\\u%04lX'", hi);
	if ((lo = jparse_hex4(p + 8, ps->end)) < 0)
		return jparse_fail(ps, p + 6, "invalid escape");
	if (lo < 0xdc00 || lo > 0xdfff)
		return jparse_fail(ps, p, "invalid Unicode '\\u%04lX\\u%04lX'",
		    hi, lo);
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return p + 12;
}

/* Writes code point c as UTF-8 at o; returns the end. */
static char *
jparse_put_utf8(char *o, long c)
{
	if (c < 0x80)
		*o++ = (char)c;
	else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | c >> 18);
		*o++ = (char)(0x80 | (c >> 12 & 0x3f));
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	return o;
}

/* Decodes the checked string body [p, end) with escapes into the arena. */
static const char *
jparse_unescape(struct jparse *ps, const unsigned char *p,
    const unsigned char *end, size_t *len)
{
	char	*out = jdoc_alloc(ps->d, (size_t)(end - p) + 1), *o = out;
	long	 cp;

	while (p < end) {
		if (*p != '\\') {
			*o++ = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			p = jparse_escape(ps, p, &cp);
			o = jparse_put_utf8(o, cp);
			continue;
		default: *o++ = (char)p[1]; break;
		}
		p += 2;
	}
	*len = (size_t)(o - out);
	return out;
}

/*
 * Reads the string at ps->p (its opening quote) into *s and *len: a slice
 * of the input, or a decoded copy when it has escapes.  -1 on error.
 */
static int
jparse_string(struct jparse *ps, const char **s, size_t *len)
{
	const unsigned char	*body = ps->p + 1, *q = body, *end = ps->end;
	long			 cp;
	size_t			 n;
	int			 escaped = 0;

	for (;;) {
		while (q < end && jparse_plain[*q])
			q++;
		if (q == end) {
			jparse_fail(ps, q, "premature end of input");
			return -1;
		}
		if (*q == '"')
			break;
		if (*q == '\\') {
			escaped = 1;
			if ((q = jparse_escape(ps, q, &cp)) == NULL)
				return -1;
		} else if (*q < 0x20) {
			jparse_fail(ps, q, "control character 0x%x", *q);
			return -1;
		} else if ((n = jparse_utf8(q, end)) == 0) {
			jparse_fail(ps, q, "unable to decode byte 0x%x", *q);
			return -1;
		} else
			q += n;
	}
	ps->p = q + 1;
	if (!escaped) {
		*s = (const char *)body;
		*len = (size_t)(q - body);
	} else
		*s = jparse_unescape(ps, body, q, len);
	return 0;
}

/*
 * Steps over one NUL byte right after a number or a word, as json_loadb()
 * does: its lexer puts back the byte that ends such a token, and a NUL
 * put back is lost.  The worker has always accepted "[1\0]"; so do we.
 */
static inline void
jparse_skip_lost_nul(struct jparse *ps)
{
	if (ps->p < ps->end && *ps->p == '\0')
		ps->p++;
}

/* Reports the number starting at s as an invalid token; returns -1. */
static int
jparse_bad_number(struct jparse *ps, const unsigned char *s)
{
	jparse_fail(ps, s, "invalid token");
	return -1;
}

/* Reads [s, e) with strtod; 0, or -1 (with the error) beyond double range. */
static int
jparse_strtod(struct jparse *ps, const unsigned char *s,
    const unsigned char *e, double *d)
{
	char	 small[64], *text = small;

	if ((size_t)(e - s) >= sizeof(small))
		text = jdoc_alloc(ps->d, (size_t)(e - s) + 1);
	memcpy(text, s, (size_t)(e - s));
	text[e - s] = '\0';
	errno = 0;
	*d = strtod(text, NULL);
	if ((*d == HUGE_VAL || *d == -HUGE_VAL) && errno == ERANGE) {
		jparse_fail(ps, s, "real number overflow");
		return -1;
	}
	return 0;
}

/*
 * Reads the number at ps->p into v: an integer when it has no fraction or
 * exponent and fits int64, else a double (exactly rounded: directly when
 * its digits and power of ten are exact doubles, else by strtod).
 */
static int
jparse_number(struct jparse *ps, struct jval *v)
{
	const unsigned char	*s = ps->p, *q = s, *end = ps->end;
	uint64_t		 m = 0;
	int			 neg = 0, sig = 0, frac = 0, real = 0;
	long			 exp = 0, e = 0;
	int			 eneg = 0;

	if (*q == '-') {
		neg = 1;
		q++;
	}
	if (q == end || *q < '0' || *q > '9')
		return jparse_bad_number(ps, s);
	if (*q == '0') {
		q++;
		if (q < end && *q >= '0' && *q <= '9')
			return jparse_bad_number(ps, s);
	} else {
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (sig < 19) {
				m = m * 10 + (uint64_t)(*q - '0');
				sig++;
			} else
				exp++;		/* digits not kept */
	}
	if (q < end && *q == '.') {
		real = 1;
		if (++q == end || *q < '0' || *q > '9')
			return jparse_bad_number(ps, s);
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (m == 0 && *q == '0')
				frac++;		/* leading zeros: not significant */
			else if (sig < 19) {
				m = m * 10 + (uint64_t)(*q - '0');
				sig++;
				frac++;
			} else
				sig = 20;	/* digits lost: strtod */
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		real = 1;
		if (++q < end && (*q == '+' || *q == '-'))
			eneg = *q++ == '-';
		if (q == end || *q < '0' || *q > '9')
			return jparse_bad_number(ps, s);
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (e < 100000)
				e = e * 10 + (*q - '0');
	}
	ps->p = q;
	v->n = 0;
	jparse_skip_lost_nul(ps);
	if (!real && exp == 0 && (m <= INT64_MAX || (neg &&
	    m == (uint64_t)INT64_MAX + 1))) {
		v->type = JT_INTEGER;
		v->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
		return 0;
	}
	v->type = JT_REAL;
	exp += (eneg ? -e : e) - frac;
	if (sig <= 19 && m <= (UINT64_C(1) << 53) && exp >= -22 && exp <= 22) {
		v->u.d = exp < 0 ? (double)m / jparse_pow10[-exp] :
		    (double)m * jparse_pow10[exp];
		if (neg)
			v->u.d = -v->u.d;
		return 0;
	}
	return jparse_strtod(ps, s, q, &v->u.d);
}

/* Reads the literal word (true, false, null) at ps->p into v. */
static int
jparse_literal(struct jparse *ps, struct jval *v)
{
	static const struct {
		const char	*word;
		size_t		 len;
		enum jtype	 type;
	} words[] = {
		{ "true", 4, JT_TRUE }, { "false", 5, JT_FALSE },
		{ "null", 4, JT_NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((size_t)(ps->end - ps->p) >= words[i].len &&
		    memcmp(ps->p, words[i].word, words[i].len) == 0) {
			v->type = words[i].type;
			v->n = 0;
			ps->p += words[i].len;
			jparse_skip_lost_nul(ps);
			return 0;
		}
	jparse_fail(ps, ps->p, "invalid token");
	return -1;
}

/* Writes up to 40 bytes of key into buf, control bytes as \u00XX, cut on a character. */
static void
jparse_show_key(char *buf, size_t cap, const char *key, size_t len)
{
	size_t	 i = 0, o = 0, n;

	while (i < len && o + 8 < cap && i < 40) {
		if ((unsigned char)key[i] < 0x20) {
			o += (size_t)snprintf(buf + o, cap - o, "\\u%04x",
			    (unsigned char)key[i]);
			i++;
			continue;
		}
		n = (unsigned char)key[i] < 0x80 ? 1 :
		    (unsigned char)key[i] < 0xe0 ? 2 :
		    (unsigned char)key[i] < 0xf0 ? 3 : 4;
		if (i + n > len || o + n + 8 >= cap)
			break;
		memcpy(buf + o, key + i, n);
		o += n;
		i += n;
	}
	buf[o] = '\0';
}

/* Reports member m's key as a duplicate. */
static int
jparse_duplicate(struct jparse *ps, const struct jmember *m,
    const unsigned char *at)
{
	char	 shown[64];

	jparse_show_key(shown, sizeof(shown), m->key, m->keylen);
	if ((const unsigned char *)m->key > ps->start &&
	    (const unsigned char *)m->key < ps->end)
		at = (const unsigned char *)m->key - 1;
	jparse_fail(ps, at, "duplicate object key \"%s\"", shown);
	return -1;
}

/* Orders members by key (length first), then by place. */
static int
jparse_key_cmp(const void *a, const void *b)
{
	const struct jmember	*x = *(const struct jmember *const *)a;
	const struct jmember	*y = *(const struct jmember *const *)b;
	int			 c;

	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	if ((c = memcmp(x->key, y->key, x->keylen)) != 0)
		return c;
	return (x > y) - (x < y);
}

/* Checks the n members at m for a duplicate key by sorting; at: the '}'. */
static int
jparse_check_keys(struct jparse *ps, const struct jmember *m, size_t n,
    const unsigned char *at)
{
	struct jdoc		*d = ps->d;
	const struct jmember	*dup = NULL;
	size_t			 i;

	if (n > d->capsort)
		d->sort = jdoc_grow(d->sort, &d->capsort, n, sizeof(*d->sort));
	for (i = 0; i < n; i++)
		d->sort[i] = &m[i];
	qsort(d->sort, n, sizeof(*d->sort), jparse_key_cmp);
	/* jansson stops at the first member whose key came before. */
	for (i = 1; i < n; i++)
		if (d->sort[i]->keylen == d->sort[i - 1]->keylen &&
		    memcmp(d->sort[i]->key, d->sort[i - 1]->key,
		    d->sort[i]->keylen) == 0 && (dup == NULL || d->sort[i] < dup))
			dup = d->sort[i];
	return dup != NULL ? jparse_duplicate(ps, dup, at) : 0;
}

/* Where the value being parsed goes: the root, an item or a member's value. */
static inline struct jval *
jparse_slot(struct jparse *ps, struct jval *root)
{
	struct jdoc	*d = ps->d;

	if (ps->depth == 0)
		return root;
	if (d->frames[ps->depth - 1].object)
		return &d->mems[d->nmems - 1].val;
	return &d->vals[d->nvals - 1];
}

/* Pushes a new item slot of the innermost array. */
static inline void
jparse_push_item(struct jdoc *d)
{
	if (d->nvals == d->capvals)
		d->vals = jdoc_grow(d->vals, &d->capvals, d->nvals + 1,
		    sizeof(*d->vals));
	d->nvals++;
}

/* Reads a key and its ':' and pushes the member slot; -1 on error. */
static int
jparse_key(struct jparse *ps)
{
	struct jdoc		*d = ps->d;
	const struct jdoc_frame	*f = &d->frames[ps->depth - 1];
	const struct jmember	*m;
	const char		*key;
	size_t			 len;

	if (ps->p == ps->end || *ps->p != '"') {
		jparse_fail(ps, ps->p, "string or '}' expected");
		return -1;
	}
	if (jparse_string(ps, &key, &len) == -1)
		return -1;
	if ((const unsigned char *)key != ps->p - len - 1 &&
	    memchr(key, '\0', len) != NULL) {
		/* Decoded from \u0000: jansson's objects cannot hold it. */
		jparse_fail(ps, ps->p - 1, "NUL byte in object key not supported");
		return -1;
	}
	if (d->nmems > f->start && d->nmems - f->start < JDOC_SMALL_OBJECT)
		for (m = &d->mems[f->start]; m < d->mems + d->nmems; m++)
			if (m->keylen == len && memcmp(m->key, key, len) == 0) {
				struct jmember	 dup = { key, len, { JT_NULL, 0,
				    { 0 } } };

				return jparse_duplicate(ps, &dup, ps->p);
			}
	jparse_ws(ps);
	if (ps->p == ps->end || *ps->p != ':') {
		jparse_fail(ps, ps->p, "':' expected");
		return -1;
	}
	ps->p++;
	if (d->nmems == d->capmems)
		d->mems = jdoc_grow(d->mems, &d->capmems, d->nmems + 1,
		    sizeof(*d->mems));
	d->mems[d->nmems].key = key;
	d->mems[d->nmems].keylen = len;
	d->nmems++;
	return 0;
}

/* Opens an array or object at ps->p; -1 when too deep. */
static int
jparse_open(struct jparse *ps, int object)
{
	struct jdoc	*d = ps->d;

	if (ps->depth >= (size_t)ps->max_depth) {
		ps->err->kind = JDOC_E_DEPTH;
		ps->err->offset = (size_t)(ps->p - ps->start);
		snprintf(ps->err->text, sizeof(ps->err->text), "nested deeper "
		    "than %d levels", ps->max_depth);
		return -1;
	}
	if (ps->depth == d->capframes)
		d->frames = jdoc_grow(d->frames, &d->capframes, ps->depth + 1,
		    sizeof(*d->frames));
	d->frames[ps->depth].object = object;
	d->frames[ps->depth].start = object ? d->nmems : d->nvals;
	ps->depth++;
	ps->p++;
	return 0;
}

/* Closes the innermost array or object into its slot; -1 on error. */
static int
jparse_close(struct jparse *ps, struct jval *root)
{
	struct jdoc		*d = ps->d;
	const struct jdoc_frame	*f = &d->frames[ps->depth - 1];
	struct jval		 v;
	size_t			 n;
	void			*run;

	if (f->object) {
		n = d->nmems - f->start;
		if (n > JDOC_SMALL_OBJECT && jparse_check_keys(ps,
		    &d->mems[f->start], n, ps->p) == -1)
			return -1;
		run = (void *)jdoc_no_members;
		if (n > 0) {
			run = jdoc_alloc(d, n * sizeof(struct jmember));
			memcpy(run, &d->mems[f->start], n * sizeof(struct jmember));
		}
		d->nmems = f->start;
		v.type = JT_OBJECT;
		v.u.members = run;
	} else {
		n = d->nvals - f->start;
		run = (void *)jdoc_no_items;
		if (n > 0) {
			run = jdoc_alloc(d, n * sizeof(struct jval));
			memcpy(run, &d->vals[f->start], n * sizeof(struct jval));
		}
		d->nvals = f->start;
		v.type = JT_ARRAY;
		v.u.items = run;
	}
	v.n = n;
	ps->depth--;
	ps->p++;
	*jparse_slot(ps, root) = v;
	return 0;
}

/*
 * Parses one value and everything nested in it, iteratively: a value is
 * read into the current slot, then the punctuation after it decides
 * whether the next is an item, a member or the end of a container.
 */
static int
jparse_text(struct jparse *ps, struct jval *root)
{
	struct jdoc	*d = ps->d;
	struct jval	*v;
	int		 object;

value:
	jparse_ws(ps);
	if (ps->p == ps->end) {
		jparse_fail(ps, ps->p, "premature end of input");
		return -1;
	}
	switch (*ps->p) {
	case '{':
		if (jparse_open(ps, 1) == -1)
			return -1;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == '}') {
			if (jparse_close(ps, root) == -1)
				return -1;
			break;
		}
		if (jparse_key(ps) == -1)
			return -1;
		goto value;
	case '[':
		if (jparse_open(ps, 0) == -1)
			return -1;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == ']') {
			if (jparse_close(ps, root) == -1)
				return -1;
			break;
		}
		jparse_push_item(d);
		goto value;
	case '"':
		v = jparse_slot(ps, root);
		v->type = JT_STRING;
		if (jparse_string(ps, &v->u.s, &v->n) == -1)
			return -1;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (jparse_number(ps, jparse_slot(ps, root)) == -1)
			return -1;
		break;
	default:
		if (jparse_literal(ps, jparse_slot(ps, root)) == -1)
			return -1;
		break;
	}
	/* After a value: the next one, a close, or the end. */
	while (ps->depth > 0) {
		object = d->frames[ps->depth - 1].object;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			if (!object) {
				jparse_push_item(d);
				goto value;
			}
			jparse_ws(ps);
			if (jparse_key(ps) == -1)
				return -1;
			goto value;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			if (jparse_close(ps, root) == -1)
				return -1;
			continue;
		}
		jparse_fail(ps, ps->p, object ? "',' or '}' expected" :
		    "',' or ']' expected");
		return -1;
	}
	jparse_ws(ps);
	if (ps->p != ps->end) {
		jparse_fail(ps, ps->p, "end of file expected");
		return -1;
	}
	return 0;
}

/*
 * Returns the offset of the bracket that nests len bytes deeper than max
 * arrays and objects, or -1: brackets outside strings are counted, valid
 * JSON or not (what the worker checked before any parse).
 */
static long
jparse_too_deep(const unsigned char *p, size_t len, int max)
{
	size_t	 i;
	int	 depth = 0, in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = 0;
		} else if (p[i] == '"')
			in_string = 1;
		else if (p[i] == '[' || p[i] == '{') {
			if (++depth > max)
				return (long)i;
		} else if (p[i] == ']' || p[i] == '}')
			depth--;
	}
	return -1;
}

/* Fills err's line and column (characters, from 1) from its offset. */
static void
jparse_locate(const unsigned char *p, size_t len, struct jdoc_error *err)
{
	size_t	 i, end = err->offset < len ? err->offset + 1 : len;

	err->line = 1;
	err->column = err->offset >= len ? 1 : 0;
	for (i = 0; i < end; i++) {
		if (p[i] == '\n' && i < err->offset) {
			err->line++;
			err->column = 0;
		} else if ((p[i] & 0xc0) != 0x80)
			err->column++;
	}
}

const struct jval *
jdoc_parse(struct jdoc *d, const char *text, size_t len, int max_depth,
    struct jdoc_error *err)
{
	struct jparse	 ps;
	struct jval	*root;
	long		 at;

	jdoc_reset(d);
	root = jdoc_alloc(d, sizeof(*root));
	ps.d = d;
	ps.start = ps.p = (const unsigned char *)text;
	ps.end = ps.start + len;
	ps.err = err;
	ps.depth = 0;
	ps.max_depth = max_depth;
	if (jparse_text(&ps, root) == 0)
		return root;
	if (err->kind == JDOC_E_SYNTAX &&
	    (at = jparse_too_deep(ps.start, len, max_depth)) != -1) {
		err->kind = JDOC_E_DEPTH;
		err->offset = (size_t)at;
		snprintf(err->text, sizeof(err->text), "nested deeper than %d "
		    "levels", max_depth);
	}
	jparse_locate(ps.start, len, err);
	return NULL;
}
