/*
 * fuzz_check.h: what both libFuzzer targets of the JSON Schema engine
 * (fuzz_validate.c, fuzz_schema.c) check about every answer it gives.
 * A broken promise aborts, so libFuzzer saves the input as a crash.
 */
#ifndef CXPIPE_FUZZ_CHECK_H
#define CXPIPE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "schema.h"

/* The flags the validate worker parses an event with (validate.c). */
#define FUZZ_EVENT_FLAGS \
	(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* The flags schema_compile_file parses a schema document with. */
#define FUZZ_SCHEMA_FLAGS	(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* Prints what broke, with the offending text, and aborts. */
static inline void
fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz: %s: \"%s\"\n", what, text);
	abort();
}

/* Returns 1 if s[0..len) is well-formed UTF-8 (no overlong, no surrogate). */
static inline int
fuzz_utf8_valid(const unsigned char *s, size_t len)
{
	size_t		 i = 0, n, k;
	unsigned	 c, min;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Checks a message the engine wrote into a buffer of buflen bytes: ends
 * inside the buffer, valid UTF-8, not empty when the buffer has room for a
 * character, and with oneline free of control bytes (schema.h promises that
 * of validation reasons only; compile errors quote the schema as it is).
 */
static inline void
fuzz_check_message(const char *what, const char *msg, size_t buflen,
    int oneline)
{
	size_t	 len, i;

	len = strnlen(msg, buflen);
	if (len == buflen)
		fuzz_fail(what, "message not NUL-terminated in its buffer");
	if (len == 0 && buflen > 1)
		fuzz_fail(what, "empty message");
	for (i = 0; oneline && i < len; i++)
		if ((unsigned char)msg[i] < 0x20)
			fuzz_fail(what, msg);	/* a control byte: not one line */
	if (!fuzz_utf8_valid((const unsigned char *)msg, len))
		fuzz_fail(what, msg);
}

/*
 * Validates instance against s twice, with a full and a short reason
 * buffer (each malloc'ed to its exact size, so AddressSanitizer sees an
 * overrun), and checks both answers; oneline as for fuzz_check_message
 * (reasons quote schema text, such as a pattern, as it is).  Returns the
 * verdict.
 */
static inline int
fuzz_validate_doc_checked(const struct schema *s,
    const struct jval *instance, size_t shortlen, int oneline)
{
	char	*reason, *small;
	int	 r, r2;

	reason = malloc(SCHEMA_REASON_LEN);
	small = malloc(shortlen);
	if (reason == NULL || small == NULL)
		abort();
	r = schema_validate_doc(s, instance, reason, SCHEMA_REASON_LEN);
	if (r != 0 && r != 1)
		fuzz_fail("schema_validate returned neither 0 nor 1", "");
	if (r == 0)
		fuzz_check_message("invalid UTF-8 or control byte in reason",
		    reason, SCHEMA_REASON_LEN, oneline);
	r2 = schema_validate_doc(s, instance, small, shortlen);
	if (r2 != r)
		fuzz_fail("verdict changed on a second validation", reason);
	if (r2 == 0)
		fuzz_check_message("bad reason in a short buffer", small,
		    shortlen, oneline);
	free(reason);
	free(small);
	return r;
}

/* fuzz_validate_doc_checked() on a jansson value, as a jdoc of its own. */
static inline int
fuzz_validate_checked(const struct schema *s, json_t *instance,
    size_t shortlen, int oneline)
{
	struct jdoc	*d = jdoc_new();
	int		 r;

	r = fuzz_validate_doc_checked(s, jdoc_from_json(d, instance),
	    shortlen, oneline);
	jdoc_free(d);
	return r;
}

#endif /* CXPIPE_FUZZ_CHECK_H */
