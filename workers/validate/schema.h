/*
 * schema.h: JSON Schema (draft 2020-12) engine of the validate worker.
 *
 * A schema document is compiled once into a tree of nodes (one per
 * subschema, keyword values parsed, regular expressions compiled) and then
 * used to validate many instances.  Validation walks the instance once,
 * stops at the first error and allocates nothing.
 *
 * Threads: a compiled schema is immutable except for its PCRE2 match data
 * and JIT stack, which every schema_validate() call on it reuses.  Use one
 * struct schema from one thread at a time (the validate worker is one
 * thread per process); compile a second copy for a second thread.
 */
#ifndef CXPIPE_SCHEMA_H
#define CXPIPE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Deepest instance nesting (and schema nesting) accepted. */
#define SCHEMA_MAX_DEPTH	512

/*
 * A good size for err and reason buffers.  Messages are one line of valid
 * UTF-8 (control bytes in keys are written \xNN); a JSON pointer too long
 * for the buffer is cut and ends in "..." so the keyword and why still show.
 */
#define SCHEMA_REASON_LEN	512

struct schema;

/*
 * Compile doc (borrowed; enum and const values are kept by reference, so
 * do not modify doc afterwards).  On error returns NULL and writes
 * "JSON-pointer: why" into err, the pointer naming the place in the schema.
 */
struct schema	*schema_compile(json_t *doc, char *err, size_t errlen);

/* Compile a file; err gets "FILE: pointer: why" or "FILE:LINE:COL: why". */
struct schema	*schema_compile_file(const char *path, char *err,
		    size_t errlen);

/* Free a compiled schema; NULL is fine. */
void		 schema_free(struct schema *);

/* Return the root "$id" of the schema, or "" when it has none. */
const char	*schema_id(const struct schema *);

/*
 * Return 1 if instance is valid, 0 if not; on 0 write the first error into
 * reason as "<instance JSON pointer>: <keyword>: <message>", the root being
 * printed as "(root)".  Strings in instance must be valid UTF-8 (jansson
 * guarantees it unless a *_nocheck constructor made them).
 */
int		 schema_validate(const struct schema *, json_t *instance,
		    char *reason, size_t reasonlen);

#ifdef SCHEMA_INTERNAL
/* Internals shared by workers/validate/schema_*.c only. */

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

/* Return the checker of format name, or NULL if that format is not asserted. */
schema_format_fn schema_format_lookup(const char *name);

#endif /* SCHEMA_INTERNAL */

#endif /* CXPIPE_SCHEMA_H */
