/*
 * schema_format_idn.c: IDNA A-labels ("xn--" host name labels) for the
 * hostname format: the Punycode (RFC 3492) is decoded and the U-label
 * checked against the rules of RFC 5891 and RFC 5892 that matter for host
 * names: no uppercase, no hyphens in positions 3 and 4, no leading
 * combining mark, and the contextual rules for the code points that have
 * one (MIDDLE DOT, KERAIA, GERESH, GERSHAYIM, KATAKANA MIDDLE DOT,
 * Arabic-Indic digits, ZERO WIDTH JOINER and NON-JOINER).
 */
#include <string.h>

#include "schema_internal.h"

#define IDN_MAX		64	/* code points of a label, at most */

/* Return the value of a Punycode digit, or -1. */
static int
idn_digit(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return -1;
}

/* Adapt the bias (RFC 3492 section 6.1). */
static unsigned
idn_adapt(unsigned delta, unsigned points, int first)
{
	unsigned	 k = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / points;
	while (delta > 455) {
		delta /= 35;
		k += 36;
	}
	return k + 36 * delta / (delta + 38);
}

/* Decode Punycode s into out (at most IDN_MAX); return the count or -1. */
static int
idn_decode(const char *s, size_t len, unsigned *out)
{
	size_t		 basic = 0, i, in;
	unsigned	 n = 128, bias = 72, idx = 0, oldi, w, k, t, count = 0;
	int		 d;

	for (i = 0; i < len; i++)
		if (s[i] == '-')
			basic = i;
	if (basic > 0 || (len > 0 && s[0] == '-')) {
		for (i = 0; i < basic; i++) {
			if (count >= IDN_MAX || (unsigned char)s[i] >= 0x80)
				return -1;
			out[count++] = (unsigned char)s[i];
		}
		in = basic + 1;
	} else
		in = 0;
	while (in < len) {
		oldi = idx;
		for (w = 1, k = 36;; k += 36) {
			if (in >= len || (d = idn_digit(s[in++])) < 0)
				return -1;
			if ((unsigned)d > (0x10ffffu - idx) / w)
				return -1;
			idx += (unsigned)d * w;
			t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
			if ((unsigned)d < t)
				break;
			w *= 36 - t;
		}
		bias = idn_adapt(idx - oldi, count + 1, oldi == 0);
		n += idx / (count + 1);
		idx %= count + 1;
		if (n > 0x10ffff || count >= IDN_MAX)
			return -1;
		memmove(out + idx + 1, out + idx, (count - idx) * sizeof(*out));
		out[idx++] = n;
		count++;
	}
	return (int)count;
}

/* Return 1 if c is a Greek letter. */
static int
idn_is_greek(unsigned c)
{
	return (c >= 0x370 && c <= 0x3ff && c != 0x375 && c != 0x37e) ||
	    (c >= 0x1f00 && c <= 0x1fff);
}

/* Return 1 if c is a Hebrew letter or mark. */
static int
idn_is_hebrew(unsigned c)
{
	return c >= 0x591 && c <= 0x5f4;
}

/* Return 1 if c is Hiragana, Katakana (not U+30FB) or Han. */
static int
idn_is_kana_han(unsigned c)
{
	return (c >= 0x3040 && c <= 0x30ff && c != 0x30fb) ||
	    (c >= 0x31f0 && c <= 0x31ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x20000 && c <= 0x2ffff);
}

/* Return 1 if c is a virama (Canonical_Combining_Class 9) of a common script. */
static int
idn_is_virama(unsigned c)
{
	static const unsigned viramas[] = {
		0x94d, 0x9cd, 0xa4d, 0xacd, 0xb4d, 0xbcd, 0xc4d, 0xccd,
		0xd3b, 0xd3c, 0xd4d, 0xdca, 0xe3a, 0xeba, 0xf84, 0x1039,
		0x103a, 0x1714, 0x1734, 0x17d2, 0x1a60, 0x1b44, 0x1baa,
		0x1bab, 0x1bf2, 0x1bf3, 0x2d7f, 0xa806, 0xa8c4, 0xa953,
		0xa9c0, 0xaaf6, 0xabed,
	};
	size_t	 i;

	for (i = 0; i < sizeof(viramas) / sizeof(viramas[0]); i++)
		if (viramas[i] == c)
			return 1;
	return 0;
}

/* Return the Arabic joining type of c: 'D', 'L', 'R', 'T' or 'U'. */
static char
idn_joining_type(unsigned c)
{
	if (c == 0x200d || (c >= 0x64b && c <= 0x65f) || c == 0x670)
		return 'T';
	if (c == 0x622 || c == 0x623 || c == 0x624 || c == 0x625 ||
	    c == 0x627 || c == 0x629 || (c >= 0x62f && c <= 0x632) ||
	    c == 0x648 || (c >= 0x671 && c <= 0x673) ||
	    (c >= 0x675 && c <= 0x677) || (c >= 0x688 && c <= 0x699) ||
	    c == 0x6c0 || (c >= 0x6c3 && c <= 0x6cb) || c == 0x6cd ||
	    c == 0x6cf || c == 0x6d2 || c == 0x6d3 || c == 0x6d5)
		return 'R';
	if (c == 0x626 || c == 0x628 || (c >= 0x62a && c <= 0x62e) ||
	    (c >= 0x633 && c <= 0x63f) || (c >= 0x641 && c <= 0x647) ||
	    (c >= 0x649 && c <= 0x64a) || (c >= 0x66e && c <= 0x66f) ||
	    (c >= 0x678 && c <= 0x687) || (c >= 0x69a && c <= 0x6bf) ||
	    (c >= 0x6c1 && c <= 0x6c2) || c == 0x6cc || c == 0x6ce ||
	    (c >= 0x6d0 && c <= 0x6d1) || (c >= 0x6fa && c <= 0x6fc) ||
	    c == 0x6ff)
		return 'D';
	return 'U';
}

/* Check ZERO WIDTH NON-JOINER at i by its joining-type context. */
static int
idn_check_zwnj(const unsigned *u, int n, int i)
{
	int	 j;
	char	 t;

	if (i > 0 && idn_is_virama(u[i - 1]))
		return 1;
	for (j = i - 1; j >= 0 && (t = idn_joining_type(u[j])) == 'T'; j--)
		;
	if (j < 0 || (t != 'L' && t != 'D'))
		return 0;
	for (j = i + 1; j < n && (t = idn_joining_type(u[j])) == 'T'; j++)
		;
	return j < n && (t == 'R' || t == 'D');
}

/* Check the contextual rules of RFC 5892 appendix A on a U-label. */
static int
idn_check_context(const unsigned *u, int n)
{
	int	 i, arabic = 0, extended = 0, kana = 0, has_dot = 0;

	for (i = 0; i < n; i++) {
		switch (u[i]) {
		case 0xb7:		/* MIDDLE DOT: only in "l·l" */
			if (i == 0 || i == n - 1 || u[i - 1] != 'l' ||
			    u[i + 1] != 'l')
				return 0;
			break;
		case 0x375:		/* KERAIA: before a Greek letter */
			if (i == n - 1 || !idn_is_greek(u[i + 1]))
				return 0;
			break;
		case 0x5f3:		/* GERESH, GERSHAYIM: after Hebrew */
		case 0x5f4:
			if (i == 0 || !idn_is_hebrew(u[i - 1]))
				return 0;
			break;
		case 0x30fb:		/* KATAKANA MIDDLE DOT */
			has_dot = 1;
			break;
		case 0x200d:		/* ZERO WIDTH JOINER: after a virama */
			if (i == 0 || !idn_is_virama(u[i - 1]))
				return 0;
			break;
		case 0x200c:
			if (!idn_check_zwnj(u, n, i))
				return 0;
			break;
		default:
			break;
		}
		arabic |= u[i] >= 0x660 && u[i] <= 0x669;
		extended |= u[i] >= 0x6f0 && u[i] <= 0x6f9;
		kana |= idn_is_kana_han(u[i]);
	}
	if (arabic && extended)
		return 0;
	return !has_dot || kana;
}

/* Return 1 if c is PVALID enough for a host name (a rough RFC 5892 cut). */
static int
idn_is_allowed(unsigned c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-';
	if ((c >= 0x300 && c <= 0x36f) && 0)
		return 0;
	return !(c == 0x302e || c == 0x302f || c == 0x3031 || c == 0x3032 ||
	    c == 0x3033 || c == 0x3034 || c == 0x3035 || c == 0x303b ||
	    c == 0x640 || c == 0x7fa || (c >= 0x2000 && c <= 0x200b) ||
	    (c >= 0x200e && c <= 0x206f) || (c >= 0xfff0 && c <= 0xffff) ||
	    (c >= 0xd800 && c <= 0xdfff) || (c >= 0x2150 && c <= 0x218f) ||
	    (c >= 0xff00 && c <= 0xffef) || c == 0x3000 || c == 0x3002);
}

/* Return 1 if c is a combining mark, which may not start a label. */
static int
idn_is_mark(unsigned c)
{
	return (c >= 0x300 && c <= 0x36f) || (c >= 0x483 && c <= 0x489) ||
	    (c >= 0x591 && c <= 0x5bd) || (c >= 0x610 && c <= 0x61a) ||
	    (c >= 0x64b && c <= 0x65f) || (c >= 0x900 && c <= 0x903) ||
	    (c >= 0x93a && c <= 0x94f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe20 && c <= 0xfe2f);
}

/* Check the Punycode part of an A-label (after "xn--"). */
int
schema_idn_check_alabel(const char *s, size_t len)
{
	unsigned	 u[IDN_MAX];
	int		 n, i;

	for (i = 0; (size_t)i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 0;
	if ((n = idn_decode(s, len, u)) <= 0)
		return 0;
	if (idn_is_mark(u[0]) || u[0] == '-' || u[n - 1] == '-')
		return 0;
	if (n >= 4 && u[2] == '-' && u[3] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!idn_is_allowed(u[i]) && u[i] != 0x200c && u[i] != 0x200d)
			return 0;
	return idn_check_context(u, n);
}
