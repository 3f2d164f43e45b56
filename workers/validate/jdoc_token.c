/*
 * jdoc_token.c: the tokens of jdoc_parse.c: strings (checked for UTF-8,
 * control characters and escapes in the scan that finds their end, and
 * decoded into the arena only when they have escapes), numbers (exact:
 * int64, or doubles rounded directly when their digits and power of ten
 * are exact, else by strtod) and the words true, false and null.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc_internal.h"

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
int
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
int
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
int
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

