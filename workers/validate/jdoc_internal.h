/*
 * jdoc_internal.h: what jdoc.c (arena, lookups), jdoc_parse.c (the
 * parser), jdoc_token.c (its tokens) and jdoc_json.c share; nothing else
 * includes it.
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

/* One jdoc_parse() call. */
struct jparse {
	struct jdoc		*d;
	const unsigned char	*start, *p, *end;
	struct jdoc_error	*err;
	size_t			 depth;
	int			 max_depth;
};

/* jdoc_parse.c: records a syntax error at byte at; returns NULL. */
void	*jparse_fail(struct jparse *, const unsigned char *at,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* jdoc_token.c: each reads its token at ps->p; 0, or -1 with the error. */
int	 jparse_string(struct jparse *, const char **s, size_t *len);
int	 jparse_number(struct jparse *, struct jval *);
int	 jparse_literal(struct jparse *, struct jval *);

/* Where empty arrays and objects point (never NULL: no NULL + 0). */
extern const struct jval	jdoc_no_items[1];
extern const struct jmember	jdoc_no_members[1];

/* Grows *v (of *cap elements of size) to hold at least need; aborts when out of memory. */
void	*jdoc_grow(void *v, size_t *cap, size_t need, size_t size);

#endif /* CXPIPE_JDOC_INTERNAL_H */
