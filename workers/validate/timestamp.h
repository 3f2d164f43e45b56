/*
 * timestamp.h: RFC 3339 date-times as instants (microseconds since the
 * epoch, UTC) and back as normalised text, "YYYY-MM-DDTHH:MM:SS.ffffffZ".
 * Pure arithmetic on the proleptic Gregorian calendar: no libc time zone,
 * no mktime, no TZ.
 */
#ifndef CXPIPE_TIMESTAMP_H
#define CXPIPE_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Room for the normalised text and its NUL. */
#define TIMESTAMP_LEN	28

/* The instants that normalised text can hold: years 0001 to 9999 in UTC. */
#define TIMESTAMP_MIN_US	(-62135596800LL * 1000000)	/* 0001-01-01T00:00:00Z */
#define TIMESTAMP_MAX_US	(253402300800LL * 1000000 - 1)	/* 9999-12-31T23:59:59.999999Z */

/*
 * Parses len bytes of RFC 3339 date-time (any offset, Z or z, T or t, a
 * fraction of any length, cut to microseconds; 23:59:60 UTC is the next
 * day's 00:00:00) into *us.  Returns 0, or -1 with why (one line of ASCII
 * that quotes the text) when it is not a date-time or lies outside years
 * 0001 to 9999 in UTC.
 */
int	 timestamp_parse(const char *s, size_t len, int64_t *us, char *why,
	    size_t whylen);

/* Writes us as normalised text into out (TIMESTAMP_LEN bytes); us must lie
 * within TIMESTAMP_MIN_US and TIMESTAMP_MAX_US. */
void	 timestamp_format(int64_t us, char *out);

/* Returns us cut down to the start of its UTC minute. */
int64_t	 timestamp_minute(int64_t us);

#endif
