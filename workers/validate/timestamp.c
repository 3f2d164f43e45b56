/*
 * timestamp.c: RFC 3339 date-times (section 5.6) to instants and back,
 * with civil-date arithmetic of its own instead of libc's time zones.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timestamp.h"

#define USEC		1000000LL
#define DAY_US		(86400LL * USEC)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
timestamp_days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of day z after 1970-01-01 (the inverse of the above). */
static void
timestamp_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
timestamp_days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads n digits at s[*i]; false unless they are all there. */
static bool
timestamp_digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int	 v = 0;

	if (len - *i < (size_t)n)
		return false;
	for (; n > 0; n--, (*i)++) {
		if (s[*i] < '0' || s[*i] > '9')
			return false;
		v = v * 10 + (s[*i] - '0');
	}
	*out = v;
	return true;
}

/* True when s[*i] is c (either case of c when c is a letter); advances. */
static bool
timestamp_expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || (s[*i] != c && !(c >= 'A' && c <= 'Z' && s[*i] == c + 32)))
		return false;
	(*i)++;
	return true;
}

/* Writes at most 40 bytes of s into out, quoted, non-ASCII shown as '?'. */
static void
timestamp_quote(const char *s, size_t len, char *out, size_t outlen)
{
	char	 q[48];
	size_t	 i, n = len > 40 ? 40 : len;

	for (i = 0; i < n; i++)
		q[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	q[n] = '\0';
	snprintf(out, outlen, "\"%s\"%s", q, len > n ? "..." : "");
}

int
timestamp_parse(const char *s, size_t len, int64_t *us, char *why,
    size_t whylen)
{
	char	 text[64];
	const char *bad = NULL;
	size_t	 i = 0;
	int64_t	 days, t, frac = 0, scale = 100000;
	int	 year, month, day, hour, minute, second, oh = 0, om = 0, sign = 0;

	timestamp_quote(s, len, text, sizeof(text));
	if (!timestamp_digits(s, len, &i, 4, &year) ||
	    !timestamp_expect(s, len, &i, '-') ||
	    !timestamp_digits(s, len, &i, 2, &month) ||
	    !timestamp_expect(s, len, &i, '-') ||
	    !timestamp_digits(s, len, &i, 2, &day) ||
	    !timestamp_expect(s, len, &i, 'T') ||
	    !timestamp_digits(s, len, &i, 2, &hour) ||
	    !timestamp_expect(s, len, &i, ':') ||
	    !timestamp_digits(s, len, &i, 2, &minute) ||
	    !timestamp_expect(s, len, &i, ':') ||
	    !timestamp_digits(s, len, &i, 2, &second))
		goto syntax;
	if (i < len && s[i] == '.') {
		if (++i >= len || s[i] < '0' || s[i] > '9')
			goto syntax;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;	/* digits past the sixth add 0 */
			scale /= 10;
		}
	}
	if (timestamp_expect(s, len, &i, 'Z'))
		;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i++] == '+' ? 1 : -1;
		if (!timestamp_digits(s, len, &i, 2, &oh) ||
		    !timestamp_expect(s, len, &i, ':') ||
		    !timestamp_digits(s, len, &i, 2, &om))
			goto syntax;
	} else
		goto syntax;
	if (i != len)
		goto syntax;

	if (month < 1 || month > 12)
		bad = "no such month";
	else if (day < 1 || day > timestamp_days_in_month(year, month))
		bad = "no such day in that month";
	else if (hour > 23)
		bad = "hour above 23";
	else if (minute > 59)
		bad = "minute above 59";
	else if (second > 60)
		bad = "second above 60";
	else if (oh > 23 || om > 59)
		bad = "offset out of range";
	if (bad != NULL) {
		snprintf(why, whylen, "%s is not a valid RFC 3339 date-time (%s)",
		    text, bad);
		return -1;
	}
	days = timestamp_days_from_civil(year, month, day);
	t = days * 86400 + hour * 3600 + minute * 60 + second -
	    (int64_t)sign * (oh * 3600 + om * 60);
	if (second == 60 && ((t - 60) % 86400 + 86400) % 86400 != 86340) {
		snprintf(why, whylen, "%s is not a valid RFC 3339 date-time "
		    "(a leap second is 23:59:60 in UTC)", text);
		return -1;
	}
	t = t * USEC + frac;
	if (t < TIMESTAMP_MIN_US || t > TIMESTAMP_MAX_US) {
		snprintf(why, whylen, "%s is out of range: in UTC it lies %s",
		    text, t < TIMESTAMP_MIN_US ?
		    "before 0001-01-01T00:00:00Z" :
		    "after 9999-12-31T23:59:59.999999Z");
		return -1;
	}
	*us = t;
	return 0;
syntax:
	snprintf(why, whylen, "%s is not an RFC 3339 date-time "
	    "(YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM))", text);
	return -1;
}

void
timestamp_format(int64_t us, char *out)
{
	int64_t	 days, rem, year;
	int	 month, day;
	char	 text[64];	/* what a compiler can prove is enough */

	days = us / DAY_US;
	rem = us % DAY_US;
	if (rem < 0) {
		rem += DAY_US;
		days--;
	}
	timestamp_civil_from_days(days, &year, &month, &day);
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    (int)year, month, day, (int)(rem / (3600 * USEC)),
	    (int)(rem / (60 * USEC) % 60), (int)(rem / USEC % 60),
	    (int)(rem % USEC));
	memcpy(out, text, TIMESTAMP_LEN - 1);
	out[TIMESTAMP_LEN - 1] = '\0';
}

int64_t
timestamp_minute(int64_t us)
{
	int64_t	 r = us % (60 * USEC);

	return us - (r < 0 ? r + 60 * USEC : r);
}
