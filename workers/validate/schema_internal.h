/*
 * schema_internal.h: what the files of the JSON Schema engine
 * (workers/validate/schema_*.c) share; nothing else includes it.
 *
 * schema_compile.c	compile walk, its error and path plumbing, schema_free
 * schema_keyword.c	keyword table, validation-vocabulary handlers
 * schema_applicator.c	handlers of keywords holding subschemas
 * schema_index.c	documents, resources ($id), anchors, JSON pointers
 * schema_ref.c		"$ref"/"$dynamicRef" resolution, dialects
 * schema_uri.c		RFC 3986 reference resolution, %-decoding
 * schema_registry.c	struct schema_registry: documents by URI
 * schema_meta.c	the draft 2020-12 meta-schemas, built in
 * schema_validate.c	validation walk: node, strings, numbers, arrays
 * schema_object.c	validation of objects
 * schema_apply.c	validation of in-place applicators, unevaluated*
 * schema_value.c	number comparison, multipleOf, JSON equality
 * schema_report.c	error text: instance paths, types, numbers
 * schema_format.c	"format" checkers: dates, times, email, uuid
 * schema_format_net.c	"format" checkers: hosts, IPs, URIs, pointers
 * schema_format_idn.c	IDNA A-labels: Punycode and RFC 5892 rules
 * schema_regex.c	ECMA-262 patterns: translation, PCRE2 compile and match
 */
#ifndef CXPIPE_SCHEMA_INTERNAL_H
#define CXPIPE_SCHEMA_INTERNAL_H

#include "jdoc.h"
#include "schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define SCHEMA_DRAFT_URI	"https://json-schema.org/draft/2020-12/schema"

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

/* Vocabularies a dialect enables; keywords of others are ignored. */
enum schema_vocab_bit {
	SCHEMA_V_CORE =		1u << 0,
	SCHEMA_V_APPLICATOR =	1u << 1,
	SCHEMA_V_UNEVALUATED =	1u << 2,
	SCHEMA_V_VALIDATION =	1u << 3,
	SCHEMA_V_FORMAT =	1u << 4,	/* format-annotation */
	SCHEMA_V_FORMAT_ASSERT = 1u << 5,	/* format-assertion */
	SCHEMA_V_META_DATA =	1u << 6,
	SCHEMA_V_CONTENT =	1u << 7,
};
#define SCHEMA_V_DEFAULT	(SCHEMA_V_CORE | SCHEMA_V_APPLICATOR | \
	SCHEMA_V_UNEVALUATED | SCHEMA_V_VALIDATION | SCHEMA_V_FORMAT | \
	SCHEMA_V_META_DATA | SCHEMA_V_CONTENT)

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
	SCHEMA_K_UNIQUE_ITEMS =		UINT64_C(1) << 27,
	SCHEMA_K_CONTAINS =		UINT64_C(1) << 28,
	SCHEMA_K_MIN_CONTAINS =		UINT64_C(1) << 29,
	SCHEMA_K_MAX_CONTAINS =		UINT64_C(1) << 30,
	SCHEMA_K_DEPENDENT_REQUIRED =	UINT64_C(1) << 31,
	SCHEMA_K_DEPENDENT_SCHEMAS =	UINT64_C(1) << 32,
	SCHEMA_K_PROPERTY_NAMES =	UINT64_C(1) << 33,
	SCHEMA_K_IF =			UINT64_C(1) << 34,
	SCHEMA_K_THEN =			UINT64_C(1) << 35,
	SCHEMA_K_ELSE =			UINT64_C(1) << 36,
	SCHEMA_K_DYNAMIC_REF =		UINT64_C(1) << 37,
	SCHEMA_K_UNEVALUATED_ITEMS =	UINT64_C(1) << 38,
	SCHEMA_K_UNEVALUATED_PROPERTIES = UINT64_C(1) << 39,
};

/* Keywords checked only when the instance has the matching type. */
#define SCHEMA_K_STRING_MASK	(SCHEMA_K_MIN_LENGTH | SCHEMA_K_MAX_LENGTH | \
	SCHEMA_K_PATTERN | SCHEMA_K_FORMAT)
#define SCHEMA_K_NUMBER_MASK	(SCHEMA_K_MINIMUM | SCHEMA_K_MAXIMUM | \
	SCHEMA_K_EXCLUSIVE_MINIMUM | SCHEMA_K_EXCLUSIVE_MAXIMUM | \
	SCHEMA_K_MULTIPLE_OF)
#define SCHEMA_K_ARRAY_MASK	(SCHEMA_K_MIN_ITEMS | SCHEMA_K_MAX_ITEMS | \
	SCHEMA_K_PREFIX_ITEMS | SCHEMA_K_ITEMS | SCHEMA_K_UNIQUE_ITEMS | \
	SCHEMA_K_CONTAINS)
#define SCHEMA_K_OBJECT_MASK	(SCHEMA_K_MIN_PROPERTIES | \
	SCHEMA_K_MAX_PROPERTIES | SCHEMA_K_REQUIRED | SCHEMA_K_PROPERTIES | \
	SCHEMA_K_PATTERN_PROPERTIES | SCHEMA_K_ADDITIONAL_PROPERTIES | \
	SCHEMA_K_DEPENDENT_REQUIRED | SCHEMA_K_DEPENDENT_SCHEMAS | \
	SCHEMA_K_PROPERTY_NAMES)
#define SCHEMA_K_APPLICATOR_MASK (SCHEMA_K_REF | SCHEMA_K_ALL_OF | \
	SCHEMA_K_ANY_OF | SCHEMA_K_ONE_OF | SCHEMA_K_NOT | SCHEMA_K_IF | \
	SCHEMA_K_DYNAMIC_REF)
#define SCHEMA_K_UNEVALUATED_MASK (SCHEMA_K_UNEVALUATED_ITEMS | \
	SCHEMA_K_UNEVALUATED_PROPERTIES)

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

/* One entry of "properties" (or "dependentSchemas"), sorted by name. */
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

/* One entry of "dependentRequired": if name is present, so are names. */
struct schema_dependent {
	struct schema_name	 name;
	struct schema_name	*names;
	size_t			 n_names;
};

/* A "$dynamicAnchor" of a resource and the node it names. */
struct schema_dyn_anchor {
	char			*name;
	struct schema_node	*node;
};

/* A schema resource (a document or a subschema with "$id"). */
struct schema_resource {
	char			*uri;		/* absolute, no fragment */
	struct schema_dyn_anchor *dyn;
	size_t			 n_dyn;
};

/* A compiled subschema: one field (or group) per keyword. */
struct schema_node {
	enum schema_node_kind	 kind;
	uint64_t		 kw;		/* SCHEMA_K_* present */
	char			*loc;		/* where it is, for errors */
	const struct schema_resource *resource;

	unsigned		 types;		/* type: SCHEMA_T_* */
	json_t			*const_value;	/* own reference */
	json_t			*enum_values;	/* own reference */
	const struct jval	*const_jv;	/* const_value, in schema values */
	const struct jval	*enum_jv;	/* enum_values, in schema values */
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
	struct schema_node	*contains;
	size_t			 min_contains, max_contains;
	int			 unique_items;

	size_t			 min_properties, max_properties;
	struct schema_name	*required;
	size_t			 n_required;
	uint64_t		 required_mask;	/* all required are properties */
	struct schema_prop	*properties;
	size_t			 n_properties;
	struct schema_pattern_prop *pattern_properties;
	size_t			 n_pattern_properties;
	struct schema_node	*additional_properties;
	struct schema_node	*property_names;
	struct schema_dependent	*dependent_required;
	size_t			 n_dependent_required;
	struct schema_prop	*dependent_schemas;
	size_t			 n_dependent_schemas;

	struct schema_node	*ref;
	struct schema_node	*dynamic_ref;	/* static target */
	char			*dynamic_name;	/* anchor looked up, or NULL */
	struct schema_node_list	 all_of, any_of, one_of;
	struct schema_node	*not_schema;
	struct schema_node	*if_schema, *then_schema, *else_schema;
	struct schema_node	*unevaluated_items;
	struct schema_node	*unevaluated_properties;
};

/* A compiled schema document. */
struct schema {
	struct schema_node	*root;
	struct schema_node	**nodes;	/* every node, to free */
	size_t			 n_nodes, cap_nodes;
	struct schema_resource	**resources;
	size_t			 n_resources, cap_resources;
	char			*id;
	struct jdoc		*values;	/* const and enum, as instances */
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

/* A growing byte string. */
struct compile_buf {
	char			*p;
	size_t			 len, cap;
};

/* A hash map from pointers to pointers (open addressing). */
struct compile_map {
	const void		**keys;
	void			**vals;
	size_t			 n, cap;
};

/* An "$anchor" or "$dynamicAnchor" of a resource, while compiling. */
struct compile_anchor {
	char			*name;
	json_t			*json;
	int			 dynamic;
};

/* A resource while compiling: where it is and its anchors. */
struct compile_resource {
	struct schema_resource	*rt;		/* what validation sees */
	json_t			*json;
	struct compile_doc	*doc;
	char			*path;		/* its location */
	struct compile_anchor	*anchors;
	size_t			 n_anchors, cap_anchors;
};

/* A document taking part in a compile, and its dialect. */
struct compile_doc {
	json_t			*json;		/* own reference */
	char			*uri;		/* retrieved as */
	unsigned		 vocabs;	/* SCHEMA_V_* */
	int			 is_root;
};

/* Where an indexed schema object is: its resource and location. */
struct compile_place {
	struct compile_resource	*res;
	char			*path;
};

/* A "$ref" or "$dynamicRef" waiting for its target. */
struct compile_ref {
	struct schema_node	*node;
	char			*uri;		/* absolute */
	char			*ref;		/* as written */
	char			*path;		/* where the keyword is */
	int			 dynamic;
};

/* State of one schema_compile() call. */
struct compile_ctx {
	struct schema		*s;
	const struct schema_options *opts;
	char			*err;
	size_t			 errlen;
	int			 failed;
	int			 depth;
	struct compile_buf	 path;	/* location being compiled */
	struct compile_resource	*cur;	/* resource being compiled */
	struct compile_ref	*refs;
	size_t			 n_refs, cap_refs;
	struct compile_map	 seen;	/* json object -> node */
	struct compile_map	 places; /* json object -> compile_place */
	struct compile_doc	**docs;
	size_t			 n_docs, cap_docs;
	struct compile_resource	**res;
	size_t			 n_res, cap_res;
	json_t			*meta;	/* built-in meta-schemas, when needed */
};

/* Where a subschema sits in its parent, for walks over documents. */
typedef void (*schema_sub_fn)(json_t *sub, const char *kw, const char *key,
    size_t keylen, size_t index, void *arg);

/* One step of the instance path: a key, or an index when key is NULL. */
struct check_seg {
	const char	*key;
	size_t		 n;
};

/* Deepest nesting of subschema evaluations (catches "$ref" cycles). */
#define CHECK_MAX_NEST	(4 * SCHEMA_MAX_DEPTH)

/* State of one validation. */
struct check_ctx {
	const struct schema	*s;
	const struct schema_node *node;	/* whose keyword is checked */
	char			*reason;
	size_t			 reasonlen;
	schema_error_fn		 fn;	/* all-errors mode when set */
	void			*arg;
	size_t			 n_errors;
	int			 all;
	int			 quiet;
	int			 fatal;
	int			 nest;
	size_t			 depth;
	size_t			 n_scope;
	struct check_seg	 path[SCHEMA_MAX_DEPTH];
	const struct schema_resource *scope[CHECK_MAX_NEST + 1];
};

/* Members of an object or array already evaluated, for unevaluated*. */
struct check_seen {
	uint64_t	*bits;
	size_t		 n;
	int		 all;
};

/* One keyword_table entry: a keyword, its bit, vocabulary and handler. */
struct compile_keyword {
	const char	*name;
	uint64_t	 bit;
	unsigned	 vocab;
	int		(*compile)(struct compile_ctx *, struct schema_node *,
			    json_t *, void *);
	size_t		 field;		/* offset of the node member it fills */
};

/* A failed keyword: note it; stop unless all errors are wanted. */
#define CHECK_FAILED(ctx, ok) do {					\
	(ok) = 0;							\
	if (!(ctx)->all || (ctx)->quiet || (ctx)->fatal)		\
		return 0;						\
} while (0)

/* schema_compile.c: allocation (out of memory aborts), buffers, errors. */
void		*compile_xcalloc(size_t, size_t);
void		*compile_grow(void *, size_t *, size_t, size_t);
char		*compile_xstrndup(const char *, size_t);
char		*compile_xstrdup(const char *);
void		 compile_buf_add(struct compile_buf *, const char *, size_t);
void		 compile_buf_adds(struct compile_buf *, const char *);
int		 compile_error(struct compile_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
size_t		 compile_path_push(struct compile_ctx *, const char *, size_t);
size_t		 compile_path_push_index(struct compile_ctx *, size_t);
void		 compile_path_pop(struct compile_ctx *, size_t);
void		 compile_path_set(struct compile_ctx *, const char *);
struct schema_node *compile_node(struct compile_ctx *, json_t *);
void		*compile_map_get(const struct compile_map *, const void *);
void		 compile_map_put(struct compile_map *, const void *, void *);
void		 compile_map_free(struct compile_map *);

/* schema_keyword.c */
const struct compile_keyword *compile_find_keyword(const char *, size_t);
void		 compile_index_required(struct schema_node *);
int		 compile_get_num(struct compile_ctx *, json_t *,
		    struct schema_num *);
int		 compile_name_list(struct compile_ctx *, json_t *,
		    struct schema_name **, size_t *);
int		 compile_prop_cmp(const void *, const void *);

/* schema_applicator.c: handlers of keywords that hold subschemas. */
int		 kw_subschema(struct compile_ctx *, struct schema_node *,
		    json_t *, void *);
int		 kw_subschema_list(struct compile_ctx *, struct schema_node *,
		    json_t *, void *);
int		 kw_items(struct compile_ctx *, struct schema_node *, json_t *,
		    void *);
int		 kw_properties(struct compile_ctx *, struct schema_node *,
		    json_t *, void *);
int		 kw_pattern_properties(struct compile_ctx *,
		    struct schema_node *, json_t *, void *);
int		 kw_dependent_schemas(struct compile_ctx *,
		    struct schema_node *, json_t *, void *);
int		 kw_defs(struct compile_ctx *, struct schema_node *, json_t *,
		    void *);
int		 kw_ref(struct compile_ctx *, struct schema_node *, json_t *,
		    void *);
int		 kw_dynamic_ref(struct compile_ctx *, struct schema_node *,
		    json_t *, void *);
int		 kw_schema_list(struct compile_ctx *, json_t *,
		    struct schema_node_list *);
void		 schema_for_each_subschema(json_t *, schema_sub_fn, void *);

/* schema_index.c */
struct compile_doc *compile_add_doc(struct compile_ctx *, json_t *,
		    const char *uri, int is_root);
struct compile_resource *compile_find_resource(struct compile_ctx *,
		    const char *uri);
json_t		*compile_pointer_walk(struct compile_ctx *, json_t *,
		    const char *ptr, struct compile_resource **);

/* schema_ref.c */
int		 compile_resolve_refs(struct compile_ctx *);
int		 compile_dialect(struct compile_ctx *, struct compile_doc *);

/* schema_uri.c: the callers free what is returned. */
char		*schema_uri_resolve(const char *base, const char *ref);
char		*schema_uri_strip_fragment(const char *uri);
char		*schema_percent_decode(const char *s, size_t *len);

/* schema_registry.c */
json_t		*schema_registry_lookup(const struct schema_registry *,
		    const char *uri, const char **retrieved);

/* schema_meta.c: the built-in meta-schema documents (one reference). */
json_t		*schema_meta_load(void);

/* schema_regex.c */
int		 compile_regex(struct compile_ctx *, struct schema_regex *,
		    const char *, size_t);
int		 check_match(struct check_ctx *, const char *,
		    const struct schema_regex *, const char *, size_t);
int		 schema_regex_valid(const char *, size_t);

/* schema_validate.c */
int		 check_node(struct check_ctx *, const struct schema_node *,
		    const struct jval *);
int		 check_child(struct check_ctx *, const char *,
		    const struct schema_node *, const struct jval *);
int		 check_member(struct check_ctx *, const char *,
		    const struct schema_node *, const struct jval *,
		    const char *, size_t);
int		 check_quietly(struct check_ctx *, const char *,
		    const struct schema_node *, const struct jval *);
unsigned	 check_type_of(const struct jval *);

/* schema_object.c */
int		 check_object(struct check_ctx *, const struct schema_node *,
		    const struct jval *);
const struct schema_prop *check_find_prop(const struct schema_prop *,
		    size_t, const char *, size_t);

/* schema_apply.c */
int		 check_applicators(struct check_ctx *,
		    const struct schema_node *, const struct jval *);
int		 check_unevaluated(struct check_ctx *,
		    const struct schema_node *, const struct jval *);
const struct schema_node *check_dynamic_target(const struct check_ctx *,
		    const struct schema_node *);

/* schema_value.c */
int		 check_num_cmp(const struct jval *, const struct schema_num *);
int		 check_is_multiple(const struct jval *,
		    const struct schema_num *);
int		 check_equal(const struct jval *, const struct jval *);

/* schema_report.c: s on one line (control bytes as \xNN), cut to cap. */
void		 schema_oneline(char *s, size_t cap);

/*
 * schema_report.c: write an error into the reason and return 0; all but
 * check_fatal write nothing inside a branch being tried (ctx->quiet).
 */
int		 check_fail(struct check_ctx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 check_fatal(struct check_ctx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 check_fail_type(struct check_ctx *, unsigned,
		    const struct jval *);
int		 check_fail_number(struct check_ctx *, const char *, const char *,
		    const struct schema_num *, const struct jval *);

/* schema_format.c: the checker of format name, or NULL if not asserted. */
schema_format_fn schema_format_lookup(const char *name);

/* schema_format_net.c */
int		 format_check_hostname(const char *, size_t);
int		 format_check_ipv4(const char *, size_t);
int		 format_check_ipv6(const char *, size_t);
int		 format_check_uri(const char *, size_t);
int		 format_check_uri_reference(const char *, size_t);
int		 format_check_json_pointer(const char *, size_t);
int		 format_check_relative_json_pointer(const char *, size_t);
int		 format_check_regex(const char *, size_t);

/* schema_format_idn.c: an A-label's part after "xn--". */
int		 schema_idn_check_alabel(const char *, size_t);

#endif /* CXPIPE_SCHEMA_INTERNAL_H */
