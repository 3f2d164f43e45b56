/*
 * jdoc_internal.h: what jdoc.c (arena, lookups) and jdoc_parse.c (the
 * parser) share; nothing else includes it.
 */
#ifndef CXPIPE_JDOC_INTERNAL_H
#define CXPIPE_JDOC_INTERNAL_H

#include "jdoc.h"

/* A block of the arena; the bytes follow the header. */
struct jdoc_block {
	struct jdoc_block	*next;
	size_t			 size, used;
};

/* An array or object being parsed: where its children start on a stack. */
struct jdoc_frame {
	int		 object;
	size_t		 start;
};

struct jdoc {
	struct jdoc_block	*blocks;	/* newest first */
	struct jval		*vals;		/* items of open arrays */
	size_t			 nvals, capvals;
	struct jmember		*mems;		/* members of open objects */
	size_t			 nmems, capmems;
	struct jdoc_frame	*frames;	/* open arrays and objects */
	size_t			 capframes;
	const struct jmember	**sort;		/* duplicate-key check */
	size_t			 capsort;
};

/* Where empty arrays and objects point (never NULL: no NULL + 0). */
extern const struct jval	jdoc_no_items[1];
extern const struct jmember	jdoc_no_members[1];

/* Grows *v (of *cap elements of size) to hold at least need; aborts when out of memory. */
void	*jdoc_grow(void *v, size_t *cap, size_t need, size_t size);

#endif /* CXPIPE_JDOC_INTERNAL_H */
