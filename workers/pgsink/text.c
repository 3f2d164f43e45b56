#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"

/* Largest microsecond timestamp formatted (9999-12-31T23:59:59.999999Z). */
#define RECEIVED_US_MAX	253402300799999999LL

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0 if it is not one;
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t
text_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0], lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1 || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need + 1;
}

/* Decodes a valid UTF-8 sequence of k bytes. */
static unsigned
text_utf8_decode(const unsigned char *p, size_t k)
{
	unsigned	 cp;
	size_t		 i;

	cp = k == 2 ? p[0] & 0x1f : k == 3 ? p[0] & 0x0f : p[0] & 0x07;
	for (i = 1; i < k; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* Writes \uXXXX (doubling the backslash inside an array literal). */
static void
text_put_u(struct buf *out, unsigned u, int flags)
{
	if (flags & TEXT_LIT)
		buf_add(out, "\\", 1);
	buf_printf(out, "\\u%04x", u);
}

/* Writes the one byte or character at p[0..k) that needs care. */
static void
text_put_special(struct buf *out, const unsigned char *p, size_t k, int flags)
{
	unsigned	 cp;

	if (k == 0) {				/* invalid byte */
		if (flags & TEXT_ASCII)
			text_put_u(out, 0xfffd, flags);
		else
			buf_add(out, "\xef\xbf\xbd", 3);
	} else if (k > 1) {			/* non-ASCII, in ASCII mode */
		cp = text_utf8_decode(p, k);
		if (cp > 0xffff) {
			text_put_u(out, 0xd800 + ((cp - 0x10000) >> 10), flags);
			text_put_u(out, 0xdc00 + ((cp - 0x10000) & 0x3ff), flags);
		} else
			text_put_u(out, cp, flags);
	} else if (p[0] == '"' || p[0] == '\\') {
		buf_add(out, "\\", 1);
		buf_add(out, p, 1);
	} else if ((flags & TEXT_JSON) && p[0] == '\n')
		buf_add(out, "\\n", 2);
	else if ((flags & TEXT_JSON) && p[0] == '\t')
		buf_add(out, "\\t", 2);
	else if ((flags & TEXT_JSON) && p[0] == '\r')
		buf_add(out, "\\r", 2);
	else
		text_put_u(out, p[0], flags);	/* NUL, or a JSON control */
}

/* Runs that need nothing are copied in one go. */
void
text_add(struct buf *out, const char *s, size_t n, int flags)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, run = 0, k;
	bool			 clean = flags & (TEXT_CLEAN | TEXT_ASCII | TEXT_JSON);
	bool			 quote = flags & (TEXT_LIT | TEXT_JSON);

	while (i < n) {
		k = 1;
		if (p[i] >= 0x80) {
			k = text_utf8_len(p + i, n - i);
			if ((k > 0 && !(flags & TEXT_ASCII)) || (k == 0 && !clean)) {
				i += k > 0 ? k : 1;
				continue;
			}
		} else if (p[i] == '"' || p[i] == '\\') {
			if (!quote) {
				i++;
				continue;
			}
		} else if (p[i] == 0) {
			if (!clean) {
				i++;
				continue;
			}
		} else if (p[i] >= 0x20 || !(flags & TEXT_JSON)) {
			i++;
			continue;
		}
		buf_add(out, p + run, i - run);
		text_put_special(out, p + i, k, flags);
		i += k > 0 ? k : 1;
		run = i;
	}
	buf_add(out, p + run, i - run);
}

bool
text_is_clean(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k;

	while (i < n) {
		if (p[i] == 0 || (k = text_utf8_len(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

void
text_add_json_fields(struct buf *out, const struct tuple *t,
    const char *const *names)
{
	int	 i;

	buf_add(out, names != NULL ? "{" : "[", 1);
	for (i = 0; i < t->n; i++) {
		if (i > 0)
			buf_add(out, ",", 1);
		if (names != NULL)
			buf_printf(out, "\"%s\":", names[i]);
		if (t->val[i] == NULL) {
			buf_add(out, "null", 4);
			continue;
		}
		buf_add(out, "\"", 1);
		text_add(out, t->val[i], t->len[i], TEXT_JSON);
		buf_add(out, "\"", 1);
	}
	buf_add(out, names != NULL ? "}" : "]", 1);
}

void
text_add_element(struct buf *a, const char *s, size_t n, int flags)
{
	if (a->len > 1)
		buf_add(a, ",", 1);
	if (s == NULL) {
		buf_add(a, "NULL", 4);
		return;
	}
	buf_add(a, "\"", 1);
	text_add(a, s, n, flags | TEXT_LIT);
	buf_add(a, "\"", 1);
}

void
text_add_element_u64(struct buf *a, uint64_t v)
{
	char	 tmp[24];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s%" PRIu64, a->len > 1 ? "," : "", v);
	buf_add(a, tmp, (size_t)n);
}

void
text_add_element_us(struct buf *a, const char *s)
{
	char		 tmp[64], *end;
	long long	 us;
	time_t		 secs;
	struct tm	 tm;

	us = s != NULL ? strtoll(s, &end, 10) : -1;
	if (s == NULL || end == s || *end != '\0' || us < 0 || us > RECEIVED_US_MAX) {
		text_add_element(a, NULL, 0, 0);
		return;
	}
	secs = (time_t)(us / 1000000);
	gmtime_r(&secs, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, us % 1000000);
	text_add_element(a, tmp, strlen(tmp), 0);
}
