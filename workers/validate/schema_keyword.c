/*
 * schema_keyword.c: the keywords of the JSON Schema engine, one handler a
 * keyword, and keyword_table, which maps each name to its handler, its
 * SCHEMA_K_* bit and the node member it fills.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

#define SCHEMA_DRAFT_URI	"https://json-schema.org/draft/2020-12/schema"
#define SCHEMA_TEXT_MAX		160	/* longest const/enum message text */

/* Return v as short compact JSON for messages; the caller frees it. */
static char *
compile_describe(const json_t *v)
{
	char	*text;
	size_t	 len;

	if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	if ((len = strlen(text)) > SCHEMA_TEXT_MAX) {
		len = SCHEMA_TEXT_MAX - 3;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
		memcpy(text + len, "...", 4);
	}
	return text;
}

/* Read a JSON number into *out, exactly when it holds an integer. */
static int
compile_get_num(struct compile_ctx *cc, json_t *v, struct schema_num *out)
{
	if (json_is_integer(v)) {
		out->is_int = 1;
		out->i = json_integer_value(v);
		out->d = (double)out->i;
		return 0;
	}
	if (!json_is_real(v))
		return compile_error(cc, "expected a number");
	out->d = json_real_value(v);
	out->is_int = schema_is_whole(out->d) && out->d >= -0x1p63 &&
	    out->d < 0x1p63;
	out->i = out->is_int ? (long long)out->d : 0;
	return 0;
}

/* Read a non-negative integer (1.0 counts) into *out, clamped to SIZE_MAX. */
static int
compile_get_count(struct compile_ctx *cc, json_t *v, size_t *out)
{
	struct schema_num	 num;

	if (!json_is_number(v) || compile_get_num(cc, v, &num) != 0 ||
	    !schema_is_whole(num.d) || num.d < 0)
		return compile_error(cc, "expected a non-negative integer");
	if (num.is_int && (unsigned long long)num.i <= SIZE_MAX)
		*out = (size_t)num.i;
	else
		*out = SIZE_MAX;
	return 0;
}

/* Compile the subschema v found at the current path into *out. */
static int
compile_subschema(struct compile_ctx *cc, json_t *v, struct schema_node **out)
{
	*out = compile_node(cc, v);
	return *out == NULL ? -1 : 0;
}

/* Compile a non-empty array of subschemas into a node list. */
static int
compile_schema_list(struct compile_ctx *cc, json_t *v,
    struct schema_node_list *list)
{
	size_t	 i, saved;
	int	 rc;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return compile_error(cc, "expected a non-empty array of schemas");
	list->v = compile_xcalloc(json_array_size(v), sizeof(*list->v));
	list->n = json_array_size(v);
	for (i = 0; i < list->n; i++) {
		saved = compile_path_push_index(cc, i);
		rc = compile_subschema(cc, json_array_get(v, i), &list->v[i]);
		compile_path_pop(cc, saved);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Return the SCHEMA_T_* bit named name, or 0. */
static unsigned
compile_type_bit(const char *name)
{
	static const struct { const char *name; unsigned bit; } types[] = {
		{ "null", SCHEMA_T_NULL }, { "boolean", SCHEMA_T_BOOLEAN },
		{ "object", SCHEMA_T_OBJECT }, { "array", SCHEMA_T_ARRAY },
		{ "number", SCHEMA_T_NUMBER }, { "string", SCHEMA_T_STRING },
		{ "integer", SCHEMA_T_INTEGER },
	};
	size_t	 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].bit;
	return 0;
}

/*
 * Keyword handlers: check the value v of one keyword of node n and store
 * it, field pointing at the node member named in keyword_table.
 */

/* A non-negative integer keyword (minLength, maxItems, ...). */
static int
kw_count(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)n;
	return compile_get_count(cc, v, field);
}

/* A number keyword (minimum, exclusiveMaximum, ...). */
static int
kw_number(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)n;
	return compile_get_num(cc, v, field);
}

/* A keyword whose value is one schema (not, additionalProperties, ...). */
static int
kw_subschema(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return compile_subschema(cc, v, field);
}

/* A keyword whose value is a non-empty array of schemas (allOf, ...). */
static int
kw_subschema_list(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return compile_schema_list(cc, v, field);
}

/* "type": a type name or an array of distinct type names. */
static int
kw_type(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	json_t		*t;
	size_t		 i;
	unsigned	 bit;

	(void)field;
	if (json_is_string(v)) {
		if ((bit = compile_type_bit(json_string_value(v))) == 0)
			return compile_error(cc, "unknown type \"%s\"",
			    json_string_value(v));
		n->types = bit;
		return 0;
	}
	if (!json_is_array(v))
		return compile_error(cc,
		    "expected a type name or an array of them");
	json_array_foreach(v, i, t) {
		if (!json_is_string(t) ||
		    (bit = compile_type_bit(json_string_value(t))) == 0)
			return compile_error(cc,
			    "element %zu is not a type name", i);
		if (n->types & bit)
			return compile_error(cc, "type \"%s\" is listed twice",
			    json_string_value(t));
		n->types |= bit;
	}
	return 0;
}

/* "const": any value, kept by reference. */
static int
kw_const(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)cc;
	(void)field;
	n->const_value = json_incref(v);
	n->const_text = compile_describe(v);
	return 0;
}

/* "enum": an array of values, kept by reference. */
static int
kw_enum(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_array(v))
		return compile_error(cc, "expected an array");
	n->enum_values = json_incref(v);
	n->enum_text = compile_describe(v);
	return 0;
}

/* "pattern": an ECMA-262 regular expression. */
static int
kw_pattern(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	return compile_regex(cc, field, json_string_value(v),
	    json_string_length(v));
}

/* "format": asserted when known, else ignored (compile_node clears its bit). */
static int
kw_format(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	if ((n->format = schema_format_lookup(json_string_value(v))) != NULL)
		n->format_name = compile_xstrndup(json_string_value(v),
		    json_string_length(v));
	return 0;
}

/* "multipleOf": a number greater than 0. */
static int
kw_multiple_of(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	if (compile_get_num(cc, v, &n->multiple_of) != 0)
		return -1;
	if (!(n->multiple_of.d > 0))
		return compile_error(cc, "expected a number greater than 0");
	return 0;
}

/* "items": one schema for the items after "prefixItems". */
static int
kw_items(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (json_is_array(v))
		return compile_error(cc, "expected a schema (in draft 2020-12 "
		    "an array of schemas is \"prefixItems\")");
	return compile_subschema(cc, v, &n->items);
}

/* "required": an array of distinct property names. */
static int
kw_required(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	json_t	*name;
	size_t	 i, j;

	(void)field;
	if (!json_is_array(v))
		return compile_error(cc, "expected an array of strings");
	n->required = compile_xcalloc(json_array_size(v), sizeof(*n->required));
	json_array_foreach(v, i, name) {
		if (!json_is_string(name))
			return compile_error(cc, "element %zu is not a string", i);
		for (j = 0; j < i; j++)
			if (json_equal(name, json_array_get(v, j)))
				return compile_error(cc, "\"%s\" is listed twice",
				    json_string_value(name));
		n->required[i].len = json_string_length(name);
		n->required[i].name = compile_xstrndup(json_string_value(name),
		    n->required[i].len);
		n->n_required++;
	}
	return 0;
}

/* Order properties by name (bytes, then length) for binary search. */
static int
compile_prop_cmp(const void *a, const void *b)
{
	const struct schema_prop	*pa = a, *pb = b;
	int				 c;

	c = memcmp(pa->name, pb->name, pa->len < pb->len ? pa->len : pb->len);
	if (c != 0)
		return c;
	return (pa->len > pb->len) - (pa->len < pb->len);
}

/* "properties": an object of schemas, sorted by name. */
static int
kw_properties(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	struct schema_prop	*p;
	const char		*key;
	size_t			 len, saved;
	json_t			*sub;

	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	n->properties = compile_xcalloc(json_object_size(v),
	    sizeof(*n->properties));
	json_object_keylen_foreach(v, key, len, sub) {
		p = &n->properties[n->n_properties++];
		p->name = compile_xstrndup(key, len);
		p->len = len;
		saved = compile_path_push(cc, key, len);
		if (compile_subschema(cc, sub, &p->node) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	qsort(n->properties, n->n_properties, sizeof(*n->properties),
	    compile_prop_cmp);
	return 0;
}

/* "patternProperties": an object of regular expression to schema. */
static int
kw_pattern_properties(struct compile_ctx *cc, struct schema_node *n,
    json_t *v, void *field)
{
	struct schema_pattern_prop	*p;
	const char			*key;
	size_t				 len, saved;
	json_t				*sub;

	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	n->pattern_properties = compile_xcalloc(json_object_size(v),
	    sizeof(*n->pattern_properties));
	json_object_keylen_foreach(v, key, len, sub) {
		p = &n->pattern_properties[n->n_pattern_properties++];
		saved = compile_path_push(cc, key, len);
		if (compile_regex(cc, &p->re, key, len) != 0 ||
		    compile_subschema(cc, sub, &p->node) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	return 0;
}

/* "$ref": recorded now, resolved when the whole document is compiled. */
static int
kw_ref(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	struct compile_ref	*r;

	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	cc->refs = compile_grow(cc->refs, &cc->cap_refs, cc->n_refs,
	    sizeof(*cc->refs));
	r = &cc->refs[cc->n_refs++];
	r->node = n;
	r->ref = compile_xstrndup(json_string_value(v), json_string_length(v));
	r->path = compile_xstrndup(cc->path.p, cc->path.len);
	return 0;
}

/* "$defs": an object of schemas, compiled for their errors and "$ref"s. */
static int
kw_defs(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	struct schema_node	*def;
	const char		*key;
	size_t			 len, saved;
	json_t			*sub;

	(void)n;
	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	json_object_keylen_foreach(v, key, len, sub) {
		saved = compile_path_push(cc, key, len);
		if (compile_subschema(cc, sub, &def) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	return 0;
}

/* "$schema": a string; at the root it must name draft 2020-12. */
static int
kw_schema(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	const char	*uri = json_string_value(v);

	(void)field;
	if (uri == NULL)
		return compile_error(cc, "expected a string");
	if (n == cc->s->root && strcmp(uri, SCHEMA_DRAFT_URI) != 0 &&
	    strcmp(uri, SCHEMA_DRAFT_URI "#") != 0)
		return compile_error(cc, "unsupported dialect \"%s\" (only \""
		    SCHEMA_DRAFT_URI "\" is)", uri);
	return 0;
}

/* "$id": the root's base URI; embedded resources are not supported yet. */
static int
kw_id(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	if (n != cc->s->root)
		return compile_error(cc, "\"$id\" below the root is not "
		    "supported yet");
	cc->s->id = compile_xstrndup(json_string_value(v),
	    json_string_length(v));
	return 0;
}

/* A draft 2020-12 keyword not implemented yet: refuse rather than ignore it. */
static int
kw_unsupported(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	(void)v;
	(void)field;
	return compile_error(cc, "keyword not supported yet");
}

#define NODE_FIELD(f)	offsetof(struct schema_node, f)

/*
 * Every keyword acted on, with its SCHEMA_K_* bit and the node member its
 * handler fills.  Other keywords (title, default, definitions, ...) are
 * annotations or unknown and are ignored.
 */
static const struct compile_keyword keyword_table[] = {
	{ "type", SCHEMA_K_TYPE, kw_type, 0 },
	{ "const", SCHEMA_K_CONST, kw_const, 0 },
	{ "enum", SCHEMA_K_ENUM, kw_enum, 0 },
	{ "minLength", SCHEMA_K_MIN_LENGTH, kw_count, NODE_FIELD(min_length) },
	{ "maxLength", SCHEMA_K_MAX_LENGTH, kw_count, NODE_FIELD(max_length) },
	{ "pattern", SCHEMA_K_PATTERN, kw_pattern, NODE_FIELD(pattern) },
	{ "format", SCHEMA_K_FORMAT, kw_format, 0 },
	{ "minimum", SCHEMA_K_MINIMUM, kw_number, NODE_FIELD(minimum) },
	{ "maximum", SCHEMA_K_MAXIMUM, kw_number, NODE_FIELD(maximum) },
	{ "exclusiveMinimum", SCHEMA_K_EXCLUSIVE_MINIMUM, kw_number,
	    NODE_FIELD(exclusive_minimum) },
	{ "exclusiveMaximum", SCHEMA_K_EXCLUSIVE_MAXIMUM, kw_number,
	    NODE_FIELD(exclusive_maximum) },
	{ "multipleOf", SCHEMA_K_MULTIPLE_OF, kw_multiple_of, 0 },
	{ "minItems", SCHEMA_K_MIN_ITEMS, kw_count, NODE_FIELD(min_items) },
	{ "maxItems", SCHEMA_K_MAX_ITEMS, kw_count, NODE_FIELD(max_items) },
	{ "prefixItems", SCHEMA_K_PREFIX_ITEMS, kw_subschema_list,
	    NODE_FIELD(prefix_items) },
	{ "items", SCHEMA_K_ITEMS, kw_items, 0 },
	{ "minProperties", SCHEMA_K_MIN_PROPERTIES, kw_count,
	    NODE_FIELD(min_properties) },
	{ "maxProperties", SCHEMA_K_MAX_PROPERTIES, kw_count,
	    NODE_FIELD(max_properties) },
	{ "required", SCHEMA_K_REQUIRED, kw_required, 0 },
	{ "properties", SCHEMA_K_PROPERTIES, kw_properties, 0 },
	{ "patternProperties", SCHEMA_K_PATTERN_PROPERTIES,
	    kw_pattern_properties, 0 },
	{ "additionalProperties", SCHEMA_K_ADDITIONAL_PROPERTIES, kw_subschema,
	    NODE_FIELD(additional_properties) },
	{ "$ref", SCHEMA_K_REF, kw_ref, 0 },
	{ "allOf", SCHEMA_K_ALL_OF, kw_subschema_list, NODE_FIELD(all_of) },
	{ "anyOf", SCHEMA_K_ANY_OF, kw_subschema_list, NODE_FIELD(any_of) },
	{ "oneOf", SCHEMA_K_ONE_OF, kw_subschema_list, NODE_FIELD(one_of) },
	{ "not", SCHEMA_K_NOT, kw_subschema, NODE_FIELD(not_schema) },
	{ "$defs", 0, kw_defs, 0 },
	{ "$schema", 0, kw_schema, 0 },
	{ "$id", 0, kw_id, 0 },
	{ "$dynamicRef", 0, kw_unsupported, 0 },
	{ "contains", 0, kw_unsupported, 0 },
	{ "minContains", 0, kw_unsupported, 0 },
	{ "maxContains", 0, kw_unsupported, 0 },
	{ "uniqueItems", 0, kw_unsupported, 0 },
	{ "dependentRequired", 0, kw_unsupported, 0 },
	{ "dependentSchemas", 0, kw_unsupported, 0 },
	{ "propertyNames", 0, kw_unsupported, 0 },
	{ "if", 0, kw_unsupported, 0 },
	{ "then", 0, kw_unsupported, 0 },
	{ "else", 0, kw_unsupported, 0 },
	{ "unevaluatedItems", 0, kw_unsupported, 0 },
	{ "unevaluatedProperties", 0, kw_unsupported, 0 },
};

/*
 * When every "required" name is also in "properties" (and there are at
 * most 64), give each such property a bit so that a walk over the members
 * can tell that all required ones were seen without hash lookups.
 */
void
compile_index_required(struct schema_node *n)
{
	struct schema_prop	 key, *p;
	size_t			 i;

	if (n->n_required == 0 || n->n_required > 64 || n->n_properties == 0)
		return;
	for (i = 0; i < n->n_required; i++) {
		key.name = n->required[i].name;
		key.len = n->required[i].len;
		p = bsearch(&key, n->properties, n->n_properties,
		    sizeof(*n->properties), compile_prop_cmp);
		if (p == NULL)
			break;
		p->required_bit = UINT64_C(1) << i;
		n->required_mask |= p->required_bit;
	}
	if (i < n->n_required) {
		for (i = 0; i < n->n_properties; i++)
			n->properties[i].required_bit = 0;
		n->required_mask = 0;
	}
}

/* Return the keyword_table entry for key (len bytes), or NULL. */
const struct compile_keyword *
compile_find_keyword(const char *key, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(keyword_table) / sizeof(keyword_table[0]); i++)
		if (strlen(keyword_table[i].name) == len &&
		    memcmp(keyword_table[i].name, key, len) == 0)
			return &keyword_table[i];
	return NULL;
}
