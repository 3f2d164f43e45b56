/*
 * schema_format.c: the "format" assertions of the JSON Schema engine.
 *
 * date-time, date and time follow RFC 3339 section 5.6 strictly; email is
 * the RFC 5321 Mailbox (ASCII only); uuid is RFC 4122's textual form.
 * Formats not listed in format_table are not asserted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "schema_internal.h"

/* Parse exactly n ASCII digits at s into *out; 0 if any is not a digit. */
static int
format_parse_digits(const char *s, size_t n, int *out)
{
	int	 v = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* Return the number of days in month (1-12) of year. */
static int
format_days_in_month(int year, int month)
{
	static const int days[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 leap;

	leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	if (month == 2 && leap)
		return 29;
	return days[month - 1];
}

/* Parse an RFC 3339 full-date at s; return its length (10) or 0. */
static size_t
format_parse_date(const char *s, size_t len)
{
	int	 year, month, day;

	if (len < 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if (!format_parse_digits(s, 4, &year) ||
	    !format_parse_digits(s + 5, 2, &month) ||
	    !format_parse_digits(s + 8, 2, &day))
		return 0;
	if (month < 1 || month > 12 || day < 1 ||
	    day > format_days_in_month(year, month))
		return 0;
	return 10;
}

/* Parse an RFC 3339 full-time at s; return its length or 0. */
static size_t
format_parse_time(const char *s, size_t len)
{
	int	 hour, minute, second, off_hour = 0, off_minute = 0, sign = 0;
	int	 utc;
	size_t	 i;

	if (len < 9 || s[2] != ':' || s[5] != ':')
		return 0;
	if (!format_parse_digits(s, 2, &hour) ||
	    !format_parse_digits(s + 3, 2, &minute) ||
	    !format_parse_digits(s + 6, 2, &second))
		return 0;
	if (hour > 23 || minute > 59 || second > 60)
		return 0;
	i = 8;
	if (s[i] == '.') {
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i >= len)
		return 0;
	if (s[i] == 'Z' || s[i] == 'z')
		i++;
	else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i < 6 || s[i + 3] != ':' ||
		    !format_parse_digits(s + i + 1, 2, &off_hour) ||
		    !format_parse_digits(s + i + 4, 2, &off_minute) ||
		    off_hour > 23 || off_minute > 59)
			return 0;
		i += 6;
	} else
		return 0;
	if (second == 60) {
		/* A leap second is 23:59:60 in UTC, whatever the offset. */
		utc = hour * 60 + minute - sign * (off_hour * 60 + off_minute);
		utc = ((utc % 1440) + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return 0;
	}
	return i;
}

/* Check an RFC 3339 date-time: full-date "T" full-time. */
static int
format_check_date_time(const char *s, size_t len)
{
	if (format_parse_date(s, len) != 10 || len < 11 ||
	    (s[10] != 'T' && s[10] != 't'))
		return 0;
	return format_parse_time(s + 11, len - 11) == len - 11;
}

/* Check an RFC 3339 full-date. */
static int
format_check_date(const char *s, size_t len)
{
	return len == 10 && format_parse_date(s, len) == 10;
}

/* Check an RFC 3339 full-time (the offset is required). */
static int
format_check_time(const char *s, size_t len)
{
	return len > 0 && format_parse_time(s, len) == len;
}

/* Return 1 if c may appear in an RFC 5322 dot-atom. */
static int
format_is_atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Parse the local part of a mailbox at s; return its length or 0. */
static size_t
format_parse_local_part(const char *s, size_t len)
{
	size_t	 i = 0;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\') {
				if (++i >= len || s[i] < 32 || s[i] > 126)
					return 0;
			} else if (s[i] < 32 || s[i] > 126)
				return 0;
		}
		return i < len ? i + 1 : 0;
	}
	while (i < len && s[i] != '@') {
		if (!format_is_atext(s[i]) &&
		    !(s[i] == '.' && i > 0 && s[i - 1] != '.'))
			return 0;
		i++;
	}
	if (i == 0 || s[i - 1] == '.')
		return 0;
	return i;
}

/* Check a DNS host name: dot-separated labels of letters, digits, hyphens. */
static int
format_check_hostname(const char *s, size_t len)
{
	size_t	 i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

/* Check an address literal "[1.2.3.4]" or "[IPv6:...]" of a mailbox. */
static int
format_check_address_literal(const char *s, size_t len)
{
	char		 buf[64];
	unsigned char	 addr[sizeof(struct in6_addr)];
	int		 family = AF_INET;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	s++;
	len -= 2;
	if (len > 5 && strncmp(s, "IPv6:", 5) == 0) {
		family = AF_INET6;
		s += 5;
		len -= 5;
	}
	if (len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(family, buf, addr) == 1;
}

/* Check an RFC 5321 Mailbox: local-part "@" (domain / address literal). */
static int
format_check_email(const char *s, size_t len)
{
	size_t	 local;

	local = format_parse_local_part(s, len);
	if (local == 0 || local > 64 || local >= len || s[local] != '@')
		return 0;
	s += local + 1;
	len -= local + 1;
	if (len > 0 && s[0] == '[')
		return format_check_address_literal(s, len);
	return format_check_hostname(s, len);
}

/* Check an RFC 4122 UUID: 8-4-4-4-12 hexadecimal digits, any case. */
static int
format_check_uuid(const char *s, size_t len)
{
	size_t	 i;

	if (len != 36)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

static const struct format_entry {
	const char		*name;
	schema_format_fn	 check;
} format_table[] = {
	{ "date-time",	format_check_date_time },
	{ "date",	format_check_date },
	{ "time",	format_check_time },
	{ "email",	format_check_email },
	{ "uuid",	format_check_uuid },
};

/* Return the checker of format name, or NULL if that format is not asserted. */
schema_format_fn
schema_format_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(format_table) / sizeof(format_table[0]); i++)
		if (strcmp(format_table[i].name, name) == 0)
			return format_table[i].check;
	return NULL;
}
