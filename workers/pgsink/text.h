/*
 * Text as pgsink hands it to PostgreSQL: UTF-8 checking and cleaning, and
 * escaping for array literal elements and JSON strings.
 */
#ifndef CXPIPE_TEXT_H
#define CXPIPE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

/* How text_add writes text (see batch.h for why). */
#define TEXT_LIT	0x1	/* escape " and \ for an array literal element */
#define TEXT_CLEAN	0x2	/* invalid UTF-8 -> U+FFFD, NUL -> \u0000 */
#define TEXT_ASCII	0x4	/* CLEAN, and other non-ASCII -> \uXXXX */
#define TEXT_JSON	0x8	/* a JSON string body: CLEAN plus JSON escapes */

/* Appends n bytes of s to out, written as flags say. */
void	text_add(struct buf *out, const char *s, size_t n, int flags);
/* True when s is valid UTF-8 without NUL bytes. */
bool	text_is_clean(const char *s, size_t n);
/* Appends the tuple's fields as a JSON object (names given) or array. */
void	text_add_json_fields(struct buf *, const struct tuple *,
	    const char *const *names);

/* Array literal elements, appended after a ',' unless the array (its "{")
 * is empty: text quoted and escaped (s NULL: NULL), an integer, and a time
 * in microseconds since the epoch as a timestamp (NULL when it is missing
 * or absurd). */
void	text_add_element(struct buf *, const char *s, size_t n, int flags);
void	text_add_element_u64(struct buf *, uint64_t);
void	text_add_element_us(struct buf *, const char *us);

#endif
