/*
 * schema_format_net.c: the "format" checkers for names and addresses:
 * hostname (RFC 1123, A-labels decoded and checked as RFC 5891/5892 ask,
 * see schema_format_idn.c), ipv4 (dotted quad, no leading zeros), ipv6
 * (RFC 4291 text), uri and uri-reference (RFC 3986 grammar, ASCII only),
 * json-pointer (RFC 6901) and relative-json-pointer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "schema_internal.h"

/* Return 1 if c is an ASCII letter or digit. */
static int
net_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Check one DNS label of len bytes: letters, digits, inner hyphens. */
static int
net_check_label(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!net_is_alnum(s[i]) && s[i] != '-')
			return 0;
	if (len >= 4 && s[2] == '-' && s[3] == '-') {
		if ((s[0] != 'x' && s[0] != 'X') || (s[1] != 'n' && s[1] != 'N'))
			return 0;	/* reserved for IDNA */
		return schema_idn_check_alabel(s + 4, len - 4);
	}
	return 1;
}

/* Check a DNS host name: dot-separated labels of letters, digits, hyphens. */
int
format_check_hostname(const char *s, size_t len)
{
	size_t	 start = 0, i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!net_check_label(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* Check a dotted-quad IPv4 address: four decimal octets, no leading zeros. */
int
format_check_ipv4(const char *s, size_t len)
{
	size_t	 i = 0, digits;
	int	 part, value;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
		for (digits = 0, value = 0; i < len && s[i] >= '0' &&
		    s[i] <= '9' && digits < 4; digits++, i++)
			value = value * 10 + (s[i] - '0');
		if (digits == 0 || digits > 3 || value > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return 0;
	}
	return i == len;
}

/* Check an IPv6 address in RFC 4291 text form (no zone, no brackets). */
int
format_check_ipv6(const char *s, size_t len)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	char		 buf[64];
	size_t		 i;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	for (i = 0; i < len; i++)
		if (!(net_is_alnum(s[i]) || s[i] == ':' || s[i] == '.'))
			return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* Return 1 if c may appear unescaped in a URI path, query or fragment. */
static int
net_is_pchar(char c, const char *extra)
{
	return net_is_alnum(c) || (c != '\0' && strchr("-._~!$&'()*+,;=:@",
	    c) != NULL) || (c != '\0' && strchr(extra, c) != NULL);
}

/* Check that s holds only pchars, extra and %HH escapes. */
static int
net_check_chars(const char *s, size_t len, const char *extra)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (compile_count_hex(s + i + 1, len - i - 1, 2) != 2)
				return 0;
			i += 2;
		} else if (!net_is_pchar(s[i], extra))
			return 0;
	}
	return 1;
}

/* Check an RFC 3986 authority: [userinfo "@"] host [":" port]. */
static int
net_check_authority(const char *s, size_t len)
{
	const char	*at, *host;
	size_t		 i, hlen;

	at = memchr(s, '@', len);
	if (at != NULL) {
		if (!net_check_chars(s, (size_t)(at - s), "") ||
		    memchr(s, '@', (size_t)(at - s)) != NULL)
			return 0;
		len -= (size_t)(at - s) + 1;
		s = at + 1;
	}
	host = s;
	if (len > 0 && s[0] == '[') {
		for (hlen = 1; hlen < len && s[hlen] != ']'; hlen++)
			;
		if (hlen >= len || !format_check_ipv6(s + 1, hlen - 1))
			return 0;
		hlen++;
	} else {
		for (hlen = 0; hlen < len && s[hlen] != ':'; hlen++)
			if (s[hlen] == '@' || s[hlen] == '[' || s[hlen] == ']' ||
			    (s[hlen] != '%' && !net_is_pchar(s[hlen], "")))
				return 0;
		if (!net_check_chars(host, hlen, ""))
			return 0;
	}
	if (hlen < len) {
		if (s[hlen] != ':')
			return 0;
		for (i = hlen + 1; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	return 1;
}

/* Check an RFC 3986 URI (scheme required) or relative reference. */
static int
net_check_uri(const char *s, size_t len, int need_scheme)
{
	size_t	 i, end, path_end;

	i = 0;
	end = strcspn(s, ":/?#");
	if (end < len && s[end] == ':' && end > 0 &&
	    ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
		for (i = 1; i < end; i++)
			if (!net_is_alnum(s[i]) && s[i] != '+' && s[i] != '-' &&
			    s[i] != '.')
				return 0;
		i = end + 1;
	} else if (need_scheme)
		return 0;
	if (len - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		for (end = i; end < len && s[end] != '/' && s[end] != '?' &&
		    s[end] != '#'; end++)
			;
		if (!net_check_authority(s + i, end - i))
			return 0;
		i = end;
	}
	for (path_end = i; path_end < len && s[path_end] != '?' &&
	    s[path_end] != '#'; path_end++)
		;
	if (!net_check_chars(s + i, path_end - i, "/"))
		return 0;
	if (i == 0 && path_end > 0 && s[0] != '/' &&
	    memchr(s, ':', strcspn(s, "/?#")) != NULL)
		return 0;	/* a first segment with ":" needs a scheme */
	i = path_end;
	if (i < len && s[i] == '?') {
		for (end = ++i; end < len && s[end] != '#'; end++)
			;
		if (!net_check_chars(s + i, end - i, "/?"))
			return 0;
		i = end;
	}
	if (i < len && s[i] == '#')
		return net_check_chars(s + i + 1, len - i - 1, "/?");
	return i == len;
}

/* Check an RFC 3986 URI. */
int
format_check_uri(const char *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && net_check_uri(s, len, 1);
}

/* Check an RFC 3986 URI reference (a URI or a relative reference). */
int
format_check_uri_reference(const char *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && net_check_uri(s, len, 0);
}

/* Check an RFC 6901 JSON pointer: "" or "/"-led tokens, "~" only as ~0 ~1. */
int
format_check_json_pointer(const char *s, size_t len)
{
	size_t	 i;

	if (len > 0 && s[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '~' && (i + 1 >= len ||
		    (s[i + 1] != '0' && s[i + 1] != '1')))
			return 0;
	return 1;
}

/* Check a relative JSON pointer: a count, then "#" or a JSON pointer. */
int
format_check_relative_json_pointer(const char *s, size_t len)
{
	size_t	 i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || (i > 1 && s[0] == '0'))
		return 0;
	if (i < len && s[i] == '#')
		return i + 1 == len;
	return format_check_json_pointer(s + i, len - i);
}
