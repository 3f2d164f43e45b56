/* Unit tests of timestamp.c: RFC 3339 in, UTC microseconds and normalised
 * text out, with reasons for what is refused. */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "timestamp.h"

/* Expects in to parse and normalise to want. */
static void
expect_norm(const char *in, const char *want)
{
	char	 why[256], out[TIMESTAMP_LEN];
	int64_t	 us;

	why[0] = '\0';
	if (timestamp_parse(in, strlen(in), &us, why, sizeof(why)) == -1) {
		fprintf(stderr, "  \"%s\" refused: %s\n", in, why);
		check_failures++;
		return;
	}
	timestamp_format(us, out);
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  \"%s\" gave %s, expected %s\n", in, out, want);
}

/* Expects in to be refused with a reason that contains part. */
static void
expect_refused(const char *in, size_t len, const char *part)
{
	char	 why[256];
	int64_t	 us;

	why[0] = '\0';
	CHECK(timestamp_parse(in, len, &us, why, sizeof(why)) == -1);
	if (strstr(why, part) == NULL) {
		fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n", why, part);
		check_failures++;
	}
}

static void
test_instants(void)
{
	char	 why[256];
	int64_t	 us;

	CHECK(timestamp_parse("1970-01-01T00:00:00Z", 20, &us, why, sizeof(why)) == 0 &&
	    us == 0);
	CHECK(timestamp_parse("2026-11-23T08:00:00Z", 20, &us, why, sizeof(why)) == 0 &&
	    us == 1795420800LL * 1000000);
	CHECK(timestamp_parse("1969-12-31T23:59:59.999999Z", 27, &us, why,
	    sizeof(why)) == 0 && us == -1);
	CHECK(timestamp_parse("0001-01-01T00:00:00Z", 20, &us, why, sizeof(why)) == 0 &&
	    us == TIMESTAMP_MIN_US);
	CHECK(timestamp_parse("9999-12-31T23:59:59.999999Z", 27, &us, why,
	    sizeof(why)) == 0 && us == TIMESTAMP_MAX_US);
	/* Only len bytes count: a prefix of a longer buffer. */
	CHECK(timestamp_parse("2026-11-23T08:00:00Zjunk", 20, &us, why,
	    sizeof(why)) == 0 && us == 1795420800LL * 1000000);
}

static void
test_normalise(void)
{
	expect_norm("2026-11-23T10:15:30Z", "2026-11-23T10:15:30.000000Z");
	expect_norm("2026-11-23T10:15:30.1Z", "2026-11-23T10:15:30.100000Z");
	expect_norm("2026-11-23T10:15:30.123Z", "2026-11-23T10:15:30.123000Z");
	expect_norm("2026-11-23T10:15:30.123456Z", "2026-11-23T10:15:30.123456Z");
	/* Digits past microseconds are cut, never rounded up. */
	expect_norm("2026-11-23T10:15:30.1234567891234Z", "2026-11-23T10:15:30.123456Z");
	expect_norm("2026-11-23T23:59:59.9999999Z", "2026-11-23T23:59:59.999999Z");
	expect_norm("2026-11-23t10:15:30z", "2026-11-23T10:15:30.000000Z");
	/* Offsets, across days, months, years and a leap day. */
	expect_norm("2026-11-23T10:15:30+01:00", "2026-11-23T09:15:30.000000Z");
	expect_norm("2026-11-23T10:15:30-05:30", "2026-11-23T15:45:30.000000Z");
	expect_norm("2026-11-23T10:15:30-00:00", "2026-11-23T10:15:30.000000Z");
	expect_norm("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z");
	expect_norm("2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00.000000Z");
	expect_norm("2024-03-01T01:00:00+02:00", "2024-02-29T23:00:00.000000Z");
	expect_norm("2100-03-01T01:00:00+02:00", "2100-02-28T23:00:00.000000Z");
	expect_norm("2000-02-29T12:00:00+14:00", "2000-02-28T22:00:00.000000Z");
	expect_norm("1969-12-31T23:59:59.5-00:01", "1970-01-01T00:00:59.500000Z");
	expect_norm("1900-01-01T00:00:00Z", "1900-01-01T00:00:00.000000Z");
	/* A leap second is the next day's first instant. */
	expect_norm("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000000Z");
	expect_norm("2016-12-31T23:59:60.25Z", "2017-01-01T00:00:00.250000Z");
	expect_norm("2017-01-01T00:59:60+01:00", "2017-01-01T00:00:00.000000Z");
	/* The edges of the range, reached through an offset. */
	expect_norm("0000-12-31T23:30:00-01:00", "0001-01-01T00:30:00.000000Z");
	expect_norm("9999-12-31T23:59:59+00:01", "9999-12-31T23:58:59.000000Z");
}

static void
test_refused(void)
{
	expect_refused("yesterday at noon", 17, "is not an RFC 3339 date-time");
	expect_refused("", 0, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23", 10, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23 10:15", 16, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30", 19, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30.Z", 21, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30+01", 22, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30+0100", 24, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30ZZ", 21, "is not an RFC 3339 date-time");
	expect_refused("+2026-11-23T10:15:30Z", 21, "is not an RFC 3339 date-time");
	expect_refused("2026-11-23T10:15:30Z\0", 21, "is not an RFC 3339 date-time");
	expect_refused("2026-13-01T10:00:00Z", 20, "(no such month)");
	expect_refused("2026-00-01T10:00:00Z", 20, "(no such month)");
	expect_refused("2026-02-29T10:00:00Z", 20, "(no such day in that month)");
	expect_refused("2026-02-30T10:00:00Z", 20, "(no such day in that month)");
	expect_refused("2100-02-29T10:00:00Z", 20, "(no such day in that month)");
	expect_refused("2026-11-31T10:00:00Z", 20, "(no such day in that month)");
	expect_refused("2026-11-00T10:00:00Z", 20, "(no such day in that month)");
	expect_refused("2026-11-23T25:00:00Z", 20, "(hour above 23)");
	expect_refused("2026-11-23T10:61:00Z", 20, "(minute above 59)");
	expect_refused("2026-11-23T10:00:61Z", 20, "(second above 60)");
	expect_refused("2026-11-23T10:00:00+24:00", 25, "(offset out of range)");
	expect_refused("2026-11-23T10:00:00+01:60", 25, "(offset out of range)");
	expect_refused("2016-12-31T22:59:60Z", 20, "a leap second is 23:59:60 in UTC");
	/* Outside years 0001 to 9999 in UTC. */
	expect_refused("0000-01-01T00:00:00Z", 20, "is out of range: in UTC it lies before 0001-01-01T00:00:00Z");
	expect_refused("0001-01-01T00:30:00+01:00", 25, "lies before 0001-01-01");
	expect_refused("9999-12-31T23:30:00-01:00", 25, "lies after 9999-12-31T23:59:59.999999Z");
	/* The reason quotes the text, cut and ASCII only. */
	expect_refused("2026-11-23T10:15:30\xc3\xa9", 21, "\"2026-11-23T10:15:30??\"");
	expect_refused("2026-11-23T10:15:30.000000000000000000000000000000000000000000000000Z",
	    70, "\"...");
}

/* Every instant of a wide range survives format and parse. */
static void
test_round_trip(void)
{
	char	 text[TIMESTAMP_LEN], why[256];
	int64_t	 us, back;
	int	 i, bad = 0;

	for (i = 0; i < 200000; i++) {
		us = TIMESTAMP_MIN_US + (int64_t)(((uint64_t)i * 0x9e3779b97f4a7c15ULL) %
		    (uint64_t)(TIMESTAMP_MAX_US - TIMESTAMP_MIN_US));
		timestamp_format(us, text);
		if (strlen(text) != TIMESTAMP_LEN - 1 ||
		    timestamp_parse(text, strlen(text), &back, why, sizeof(why)) == -1 ||
		    back != us)
			bad++;
	}
	CHECK(bad == 0);
	timestamp_format(TIMESTAMP_MIN_US, text);
	CHECK(strcmp(text, "0001-01-01T00:00:00.000000Z") == 0);
	timestamp_format(TIMESTAMP_MAX_US, text);
	CHECK(strcmp(text, "9999-12-31T23:59:59.999999Z") == 0);
}

static void
test_minute(void)
{
	char	 text[TIMESTAMP_LEN], why[256];
	int64_t	 us;

	CHECK(timestamp_parse("2026-11-23T10:15:59.999999+02:00", 32, &us, why,
	    sizeof(why)) == 0);
	timestamp_format(timestamp_minute(us), text);
	CHECK(strcmp(text, "2026-11-23T08:15:00.000000Z") == 0);
	CHECK(timestamp_parse("1969-12-31T23:59:30.5Z", 22, &us, why, sizeof(why)) == 0);
	timestamp_format(timestamp_minute(us), text);
	CHECK(strcmp(text, "1969-12-31T23:59:00.000000Z") == 0);
	CHECK(timestamp_minute(0) == 0);
	CHECK(timestamp_minute(60000000) == 60000000);
}

int
main(void)
{
	test_instants();
	test_normalise();
	test_refused();
	test_round_trip();
	test_minute();
	return CHECK_DONE();
}
