/*
 * jdoc.h: the validate worker's JSON parser, into a per-event arena.
 *
 * jansson builds a value per malloc and an object per hash table; for
 * events parsed once, validated and dropped, that is most of the cost.
 * struct jdoc instead parses a buffer into an immutable tree held in one
 * arena that is reset (not freed) for the next event: arrays and objects
 * are contiguous runs of children, strings without escapes are slices of
 * the input (which must outlive the tree) and are not NUL-terminated.
 *
 * It accepts what json_loadb() accepts with JSON_DECODE_ANY |
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, except that an integer beyond
 * int64 becomes a double (jansson refuses it; the worker read the event
 * again as doubles) and that arrays and objects nested deeper than a
 * limit are refused (see jdoc_parse).  Schema documents, configuration
 * and CLI output stay jansson (jdoc_json.c converts between the two).
 */
#ifndef CXPIPE_JDOC_H
#define CXPIPE_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum jtype {
	JT_NULL,
	JT_FALSE,
	JT_TRUE,
	JT_INTEGER,
	JT_REAL,
	JT_STRING,
	JT_ARRAY,
	JT_OBJECT,
};

struct jmember;

/* One value.  n: bytes of a string, items of an array, members of an object. */
struct jval {
	enum jtype	 type;
	size_t		 n;
	union {
		int64_t			 i;
		double			 d;
		const char		*s;
		const struct jval	*items;
		const struct jmember	*members;
	} u;
};

/* One member of an object, in document order. */
struct jmember {
	const char	*key;		/* not NUL-terminated */
	size_t		 keylen;
	struct jval	 val;
};

/* Why jdoc_parse() refused a text. */
enum jdoc_error_kind {
	JDOC_E_SYNTAX,		/* not JSON: text, line, column, offset */
	JDOC_E_DEPTH,		/* nested deeper than the limit at offset */
};

struct jdoc_error {
	enum jdoc_error_kind	 kind;
	size_t			 offset;	/* byte of the error, from 0 */
	int			 line, column;	/* from 1; column in characters */
	char			 text[160];
};

struct jdoc;

/* A parser with an empty arena; never NULL. */
struct jdoc	*jdoc_new(void);
void		 jdoc_free(struct jdoc *);

/* Forget the last tree, keeping (a bounded amount of) its memory. */
void		 jdoc_reset(struct jdoc *);

/*
 * Reset doc and parse len bytes of p; the root, or NULL with err filled.
 * Arrays and objects nested deeper than max_depth levels are refused as
 * JDOC_E_DEPTH with the offset of the first bracket too deep, even when
 * the text is not JSON before that point (as a scan of the brackets
 * outside strings finds it).  The tree lives until the next reset.
 */
const struct jval *jdoc_parse(struct jdoc *, const char *p, size_t len,
		    int max_depth, struct jdoc_error *err);

/* Bytes of the arena, n at a time (for the tree's own extras: copies). */
void		*jdoc_alloc(struct jdoc *, size_t n);

/* Member key (len bytes) of object obj, or NULL (obj may be NULL or not an object). */
const struct jval *jval_getn(const struct jval *obj, const char *key,
		    size_t len);
/* Member key (a C string) of object obj, or NULL. */
const struct jval *jval_get(const struct jval *obj, const char *key);

/* 1 if v is a string equal to the C string s. */
int		 jval_str_eq(const struct jval *v, const char *s);

/* v's string as a C string in doc's arena (cut at a NUL), or NULL if no string. */
const char	*jval_cstr(struct jdoc *, const struct jval *v);

/* jdoc_json.c: v built from a jansson value (strings point into j). */
const struct jval *jdoc_from_json(struct jdoc *, json_t *j);
/* jdoc_json.c: a new jansson value equal to v (a reference to free). */
json_t		*jdoc_to_json(const struct jval *v);
/*
 * jdoc_json.c: 1 if v and j are the same value: members in any order,
 * numbers of the same type and bits, or equal by value when loose (for
 * a text jansson read with JSON_DECODE_INT_AS_REAL).
 */
int		 jdoc_json_same(const struct jval *v, json_t *j, int loose);

#endif /* CXPIPE_JDOC_H */
