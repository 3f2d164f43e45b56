/*
 * schema_format.c: the "format" assertions of the JSON Schema engine.
 *
 * date-time, date and time follow RFC 3339 section 5.6 strictly, duration
 * its appendix A; email is the RFC 5321 Mailbox (ASCII only); uuid is RFC
 * 4122's textual form.  Host names, addresses, URIs and JSON pointers are
 * in schema_format_net.c.  Formats not listed in format_table are not
 * asserted.
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

/* Parse n digits or more at s (up to len); return how many, 0 if none. */
static size_t
format_count_digits(const char *s, size_t len)
{
	size_t	 i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/*
 * Check an ISO 8601 duration as RFC 3339 appendix A has it: "P" then
 * weeks alone, or date parts (Y M D, in order, each optional) and a "T"
 * with time parts (H M S), at least one part after "P" and after "T".
 */
static int
format_check_duration(const char *s, size_t len)
{
	static const char date_units[] = "YMD", time_units[] = "HMS";
	const char	*units = date_units;
	size_t		 i = 1, n, next = 0, parts = 0;
	int		 in_time = 0;

	if (len < 3 || s[0] != 'P')
		return 0;
	if (s[len - 1] == 'W')
		return format_count_digits(s + 1, len - 1) == len - 2;
	while (i < len) {
		if (s[i] == 'T') {
			if (in_time || i + 1 >= len)
				return 0;
			in_time = 1;
			units = time_units;
			next = 0;
			parts = 0;
			i++;
			continue;
		}
		if ((n = format_count_digits(s + i, len - i)) == 0 || i + n >= len)
			return 0;
		i += n;
		/* A first unit may be any; the next ones follow in order. */
		while (parts == 0 && units[next] != '\0' &&
		    units[next] != s[i])
			next++;
		if (units[next] == '\0' || units[next] != s[i])
			return 0;
		next++;
		parts++;
		i++;
	}
	return parts > 0;
}

/* Check a "regex": an ECMA-262 regular expression the engine accepts. */
int
format_check_regex(const char *s, size_t len)
{
	return schema_regex_valid(s, len);
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
	{ "duration",	format_check_duration },
	{ "hostname",	format_check_hostname },
	{ "ipv4",	format_check_ipv4 },
	{ "ipv6",	format_check_ipv6 },
	{ "uri",	format_check_uri },
	{ "uri-reference", format_check_uri_reference },
	{ "json-pointer", format_check_json_pointer },
	{ "relative-json-pointer", format_check_relative_json_pointer },
	{ "regex",	format_check_regex },
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
