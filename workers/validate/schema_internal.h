/*
 * schema_internal.h: what the files of the JSON Schema engine
 * (workers/validate/schema_*.c) share; nothing else includes it.
 *
 * schema_compile.c	compile walk, its error and path plumbing, schema_free
 * schema_keyword.c	keyword table and one handler per keyword
 * schema_regex.c	ECMA-262 patterns: translation, PCRE2 compile and match
 * schema_ref.c		"$ref" resolution by JSON pointer
 * schema_validate.c	validation walk
 * schema_report.c	error text: instance paths, types, numbers
 * schema_format.c	"format" checkers
 */
#ifndef CXPIPE_SCHEMA_INTERNAL_H
#define CXPIPE_SCHEMA_INTERNAL_H

#include "schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Bits of the "type" keyword and of an instance's type. */
enum schema_type_bit {
	SCHEMA_T_NULL =		1u << 0,
	SCHEMA_T_BOOLEAN =	1u << 1,
	SCHEMA_T_OBJECT =	1u << 2,
	SCHEMA_T_ARRAY =	1u << 3,
	SCHEMA_T_NUMBER =	1u << 4,
	SCHEMA_T_STRING =	1u << 5,
	SCHEMA_T_INTEGER =	1u << 6,
};

/* Bits saying which keywords a node has; one per implemented keyword. */
enum schema_keyword_bit {
	SCHEMA_K_TYPE =			UINT64_C(1) << 0,
	SCHEMA_K_CONST =		UINT64_C(1) << 1,
	SCHEMA_K_ENUM =			UINT64_C(1) << 2,
	SCHEMA_K_MIN_LENGTH =		UINT64_C(1) << 3,
	SCHEMA_K_MAX_LENGTH =		UINT64_C(1) << 4,
	SCHEMA_K_PATTERN =		UINT64_C(1) << 5,
	SCHEMA_K_FORMAT =		UINT64_C(1) << 6,
	SCHEMA_K_MINIMUM =		UINT64_C(1) << 7,
	SCHEMA_K_MAXIMUM =		UINT64_C(1) << 8,
	SCHEMA_K_EXCLUSIVE_MINIMUM =	UINT64_C(1) << 9,
	SCHEMA_K_EXCLUSIVE_MAXIMUM =	UINT64_C(1) << 10,
	SCHEMA_K_MULTIPLE_OF =		UINT64_C(1) << 11,
	SCHEMA_K_MIN_ITEMS =		UINT64_C(1) << 12,
	SCHEMA_K_MAX_ITEMS =		UINT64_C(1) << 13,
	SCHEMA_K_PREFIX_ITEMS =		UINT64_C(1) << 14,
	SCHEMA_K_ITEMS =		UINT64_C(1) << 15,
	SCHEMA_K_MIN_PROPERTIES =	UINT64_C(1) << 16,
	SCHEMA_K_MAX_PROPERTIES =	UINT64_C(1) << 17,
	SCHEMA_K_REQUIRED =		UINT64_C(1) << 18,
	SCHEMA_K_PROPERTIES =		UINT64_C(1) << 19,
	SCHEMA_K_PATTERN_PROPERTIES =	UINT64_C(1) << 20,
	SCHEMA_K_ADDITIONAL_PROPERTIES = UINT64_C(1) << 21,
	SCHEMA_K_REF =			UINT64_C(1) << 22,
	SCHEMA_K_ALL_OF =		UINT64_C(1) << 23,
	SCHEMA_K_ANY_OF =		UINT64_C(1) << 24,
	SCHEMA_K_ONE_OF =		UINT64_C(1) << 25,
	SCHEMA_K_NOT =			UINT64_C(1) << 26,
};

/* Keywords checked only when the instance has the matching type. */
#define SCHEMA_K_STRING_MASK	(SCHEMA_K_MIN_LENGTH | SCHEMA_K_MAX_LENGTH | \
	SCHEMA_K_PATTERN | SCHEMA_K_FORMAT)
#define SCHEMA_K_NUMBER_MASK	(SCHEMA_K_MINIMUM | SCHEMA_K_MAXIMUM | \
	SCHEMA_K_EXCLUSIVE_MINIMUM | SCHEMA_K_EXCLUSIVE_MAXIMUM | \
	SCHEMA_K_MULTIPLE_OF)
#define SCHEMA_K_ARRAY_MASK	(SCHEMA_K_MIN_ITEMS | SCHEMA_K_MAX_ITEMS | \
	SCHEMA_K_PREFIX_ITEMS | SCHEMA_K_ITEMS)
#define SCHEMA_K_OBJECT_MASK	(SCHEMA_K_MIN_PROPERTIES | \
	SCHEMA_K_MAX_PROPERTIES | SCHEMA_K_REQUIRED | SCHEMA_K_PROPERTIES | \
	SCHEMA_K_PATTERN_PROPERTIES | SCHEMA_K_ADDITIONAL_PROPERTIES)
#define SCHEMA_K_APPLICATOR_MASK (SCHEMA_K_REF | SCHEMA_K_ALL_OF | \
	SCHEMA_K_ANY_OF | SCHEMA_K_ONE_OF | SCHEMA_K_NOT)

enum schema_node_kind {
	SCHEMA_NODE_TRUE,		/* boolean schema true */
	SCHEMA_NODE_FALSE,		/* boolean schema false */
	SCHEMA_NODE_OBJECT,		/* object schema with keywords */
};

/* A number from a schema, kept exactly when it was a JSON integer. */
struct schema_num {
	int		 is_int;
	long long	 i;
	double		 d;
};

/* A compiled ECMA-262 regular expression. */
struct schema_regex {
	pcre2_code	*code;
	char		*source;	/* as written in the schema */
};

/* Checks that s (len bytes of UTF-8) has a format; 1 if it does. */
typedef int (*schema_format_fn)(const char *s, size_t len);

struct schema_node;

struct schema_node_list {
	struct schema_node	**v;
	size_t			  n;
};

/* One entry of "properties", sorted by name for binary search. */
struct schema_prop {
	char			*name;
	size_t			 len;
	struct schema_node	*node;
	uint64_t		 required_bit;	/* its bit in required_mask */
};

/* One entry of "patternProperties". */
struct schema_pattern_prop {
	struct schema_regex	 re;
	struct schema_node	*node;
};

/* One name of "required". */
struct schema_name {
	char			*name;
	size_t			 len;
};

/* A compiled subschema: one field (or group) per keyword. */
struct schema_node {
	enum schema_node_kind	 kind;
	uint64_t		 kw;		/* SCHEMA_K_* present */

	unsigned		 types;		/* type: SCHEMA_T_* */
	json_t			*const_value;	/* own reference */
	json_t			*enum_values;	/* own reference */
	char			*const_text;	/* for messages */
	char			*enum_text;

	size_t			 min_length, max_length;
	struct schema_regex	 pattern;
	schema_format_fn	 format;
	char			*format_name;

	struct schema_num	 minimum, maximum;
	struct schema_num	 exclusive_minimum, exclusive_maximum;
	struct schema_num	 multiple_of;

	size_t			 min_items, max_items;
	struct schema_node_list	 prefix_items;
	struct schema_node	*items;

	size_t			 min_properties, max_properties;
	struct schema_name	*required;
	size_t			 n_required;
	uint64_t		 required_mask;	/* all required are properties */
	struct schema_prop	*properties;
	size_t			 n_properties;
	struct schema_pattern_prop *pattern_properties;
	size_t			 n_pattern_properties;
	struct schema_node	*additional_properties;

	struct schema_node	*ref;
	struct schema_node_list	 all_of, any_of, one_of;
	struct schema_node	*not_schema;
};

/* A compiled schema document. */
struct schema {
	struct schema_node	*root;
	struct schema_node	 node_true, node_false;
	struct schema_node	**nodes;	/* every object node, to free */
	size_t			 n_nodes, cap_nodes;
	char			*id;
	pcre2_match_data	*match_data;	/* shared by all regexes */
	pcre2_match_context	*match_context;
	pcre2_jit_stack		*jit_stack;
};

/* Return 1 if the finite number d has no fractional part (without libm). */
static inline int
schema_is_whole(double d)
{
	if (d >= 0x1p53 || d <= -0x1p53)
		return 1;	/* every double this large is whole */
	return d == (double)(long long)d;
}

/* Return len, shortened so that s[0..len) does not end inside a UTF-8 sequence. */
static inline size_t
schema_utf8_cut(const char *s, size_t len)
{
	size_t	 i = len, need;

	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return len;
	need = ((unsigned char)s[i - 1] & 0xe0) == 0xc0 ? 2 :
	    ((unsigned char)s[i - 1] & 0xf0) == 0xe0 ? 3 : 4;
	return len - (i - 1) >= need ? len : i - 1;
}

/* Return how many hexadecimal digits start s (at most max, within len). */
static inline size_t
compile_count_hex(const char *s, size_t len, size_t max)
{
	size_t	 n = 0;

	while (n < len && n < max && ((s[n] >= '0' && s[n] <= '9') ||
	    (s[n] >= 'a' && s[n] <= 'f') || (s[n] >= 'A' && s[n] <= 'F')))
		n++;
	return n;
}

/* A "$ref" waiting for the whole document to be compiled. */
struct compile_ref {
	struct schema_node	*node;
	char			*ref;
	char			*path;		/* where the "$ref" is */
};

/* An object in the document already compiled, for "$ref" targets. */
struct compile_seen {
	const json_t		*json;
	struct schema_node	*node;
};

/* A growing byte string. */
struct compile_buf {
	char			*p;
	size_t			 len, cap;
};

/* State of one schema_compile() call. */
struct compile_ctx {
	struct schema		*s;
	json_t			*doc;
	char			*err;
	size_t			 errlen;
	int			 failed;
	int			 depth;
	struct compile_buf	 path;	/* JSON pointer being compiled */
	struct compile_ref	*refs;
	size_t			 n_refs, cap_refs;
	struct compile_seen	*seen;
	size_t			 n_seen, cap_seen;
};

/* One step of the instance path: a key, or an index when key is NULL. */
struct check_seg {
	const char	*key;
	size_t		 n;
};

/* State of one schema_validate() call. */
struct check_ctx {
	const struct schema	*s;
	char			*reason;
	size_t			 reasonlen;
	int			 quiet;
	int			 fatal;
	int			 nest;
	size_t			 depth;
	struct check_seg	 path[SCHEMA_MAX_DEPTH];
};

/* One keyword_table entry: a keyword, its SCHEMA_K_* bit, its handler. */
struct compile_keyword {
	const char	*name;
	uint64_t	 bit;
	int		(*compile)(struct compile_ctx *, struct schema_node *,
			    json_t *, void *);
	size_t		 field;		/* offset of the node member it fills */
};

/* schema_compile.c: allocation (out of memory aborts), buffers, errors. */
void		*compile_xcalloc(size_t, size_t);
void		*compile_grow(void *, size_t *, size_t, size_t);
char		*compile_xstrndup(const char *, size_t);
void		 compile_buf_add(struct compile_buf *, const char *, size_t);
void		 compile_buf_adds(struct compile_buf *, const char *);
int		 compile_error(struct compile_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
size_t		 compile_path_push(struct compile_ctx *, const char *, size_t);
size_t		 compile_path_push_index(struct compile_ctx *, size_t);
void		 compile_path_pop(struct compile_ctx *, size_t);
struct schema_node *compile_node(struct compile_ctx *, json_t *);

/* schema_keyword.c */
const struct compile_keyword *compile_find_keyword(const char *, size_t);
void		 compile_index_required(struct schema_node *);

/* schema_regex.c */
int		 compile_regex(struct compile_ctx *, struct schema_regex *,
		    const char *, size_t);
int		 check_match(struct check_ctx *, const char *,
		    const struct schema_regex *, const char *, size_t);

/* schema_ref.c */
int		 compile_resolve_refs(struct compile_ctx *);

/*
 * schema_report.c: write an error into the reason and return 0; all but
 * check_fatal write nothing inside a branch being tried (ctx->quiet).
 */
int		 check_fail(struct check_ctx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 check_fatal(struct check_ctx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 check_fail_type(struct check_ctx *, unsigned, const json_t *);
int		 check_fail_number(struct check_ctx *, const char *, const char *,
		    const struct schema_num *, const json_t *);

/* schema_format.c: the checker of format name, or NULL if not asserted. */
schema_format_fn schema_format_lookup(const char *name);

#endif /* CXPIPE_SCHEMA_INTERNAL_H */
