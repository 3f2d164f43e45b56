/*
 * schema_keyword.c: the keywords of the JSON Schema engine: keyword_table,
 * which maps each name to its handler, its SCHEMA_K_* bit, its vocabulary
 * and the node member it fills, and the handlers of the keywords that hold
 * values rather than subschemas (those are in schema_applicator.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

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
int
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

/* A keyword's value as instances are validated: in the schema's jdoc. */
static const struct jval *
compile_value(struct compile_ctx *cc, json_t *v)
{
	if (cc->s->values == NULL)
		cc->s->values = jdoc_new();
	return jdoc_from_json(cc->s->values, v);
}

/* "const": any value, kept by reference. */
static int
kw_const(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	n->const_value = json_incref(v);
	n->const_jv = compile_value(cc, v);
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
	n->enum_jv = compile_value(cc, v);
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

/*
 * "format": asserted when the dialect asks for it and the format is
 * known, else an annotation (compile_keywords clears its bit).
 */
static int
kw_format(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	if (!(cc->cur->doc->vocabs & SCHEMA_V_FORMAT_ASSERT))
		return 0;
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

/* Read an array of distinct strings into *names (*n of them). */
int
compile_name_list(struct compile_ctx *cc, json_t *v, struct schema_name **names,
    size_t *n)
{
	json_t	*name;
	size_t	 i, j;

	if (!json_is_array(v))
		return compile_error(cc, "expected an array of strings");
	*names = compile_xcalloc(json_array_size(v), sizeof(**names));
	json_array_foreach(v, i, name) {
		if (!json_is_string(name))
			return compile_error(cc, "element %zu is not a string", i);
		for (j = 0; j < i; j++)
			if (json_equal(name, json_array_get(v, j)))
				return compile_error(cc, "\"%s\" is listed twice",
				    json_string_value(name));
		(*names)[i].len = json_string_length(name);
		(*names)[i].name = compile_xstrndup(json_string_value(name),
		    (*names)[i].len);
		(*n)++;
	}
	return 0;
}

/* "required": an array of distinct property names. */
static int
kw_required(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	return compile_name_list(cc, v, &n->required, &n->n_required);
}

/* "dependentRequired": an object of arrays of distinct property names. */
static int
kw_dependent_required(struct compile_ctx *cc, struct schema_node *n,
    json_t *v, void *field)
{
	struct schema_dependent	*d;
	const char		*key;
	size_t			 len, saved;
	json_t			*names;

	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of arrays");
	n->dependent_required = compile_xcalloc(json_object_size(v),
	    sizeof(*n->dependent_required));
	json_object_keylen_foreach(v, key, len, names) {
		d = &n->dependent_required[n->n_dependent_required++];
		d->name.name = compile_xstrndup(key, len);
		d->name.len = len;
		saved = compile_path_push(cc, key, len);
		if (compile_name_list(cc, names, &d->names, &d->n_names) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	return 0;
}

/* "uniqueItems": a boolean (its bit is cleared again when false). */
static int
kw_unique_items(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	if (!json_is_boolean(v))
		return compile_error(cc, "expected a boolean");
	*(int *)field = json_is_true(v);
	return 0;
}

/* A core keyword whose value is a string ($id, $anchor, $comment, ...). */
static int
kw_string(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	return 0;
}

/* "$vocabulary": read from meta-schemas by schema_ref.c, else ignored. */
static int
kw_vocabulary(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object");
	return 0;
}

/* Order properties by name (bytes, then length) for binary search. */
int
compile_prop_cmp(const void *a, const void *b)
{
	const struct schema_prop	*pa = a, *pb = b;
	int				 c;

	c = memcmp(pa->name, pb->name, pa->len < pb->len ? pa->len : pb->len);
	if (c != 0)
		return c;
	return (pa->len > pb->len) - (pa->len < pb->len);
}

#define NODE_FIELD(f)	offsetof(struct schema_node, f)
#define V_CORE		SCHEMA_V_CORE
#define V_APPL		SCHEMA_V_APPLICATOR
#define V_UNEV		SCHEMA_V_UNEVALUATED
#define V_VALID		SCHEMA_V_VALIDATION
#define V_FORMAT	(SCHEMA_V_FORMAT | SCHEMA_V_FORMAT_ASSERT)

/*
 * Every keyword acted on, with its SCHEMA_K_* bit, its vocabulary and the
 * node member its handler fills.  Other keywords (title, default,
 * definitions, ...) are annotations or unknown and are ignored.
 */
static const struct compile_keyword keyword_table[] = {
	{ "type", SCHEMA_K_TYPE, V_VALID, kw_type, 0 },
	{ "const", SCHEMA_K_CONST, V_VALID, kw_const, 0 },
	{ "enum", SCHEMA_K_ENUM, V_VALID, kw_enum, 0 },
	{ "minLength", SCHEMA_K_MIN_LENGTH, V_VALID, kw_count,
	    NODE_FIELD(min_length) },
	{ "maxLength", SCHEMA_K_MAX_LENGTH, V_VALID, kw_count,
	    NODE_FIELD(max_length) },
	{ "pattern", SCHEMA_K_PATTERN, V_VALID, kw_pattern,
	    NODE_FIELD(pattern) },
	{ "format", SCHEMA_K_FORMAT, V_FORMAT, kw_format, 0 },
	{ "minimum", SCHEMA_K_MINIMUM, V_VALID, kw_number,
	    NODE_FIELD(minimum) },
	{ "maximum", SCHEMA_K_MAXIMUM, V_VALID, kw_number,
	    NODE_FIELD(maximum) },
	{ "exclusiveMinimum", SCHEMA_K_EXCLUSIVE_MINIMUM, V_VALID, kw_number,
	    NODE_FIELD(exclusive_minimum) },
	{ "exclusiveMaximum", SCHEMA_K_EXCLUSIVE_MAXIMUM, V_VALID, kw_number,
	    NODE_FIELD(exclusive_maximum) },
	{ "multipleOf", SCHEMA_K_MULTIPLE_OF, V_VALID, kw_multiple_of, 0 },
	{ "minItems", SCHEMA_K_MIN_ITEMS, V_VALID, kw_count,
	    NODE_FIELD(min_items) },
	{ "maxItems", SCHEMA_K_MAX_ITEMS, V_VALID, kw_count,
	    NODE_FIELD(max_items) },
	{ "uniqueItems", SCHEMA_K_UNIQUE_ITEMS, V_VALID, kw_unique_items,
	    NODE_FIELD(unique_items) },
	{ "minContains", SCHEMA_K_MIN_CONTAINS, V_VALID, kw_count,
	    NODE_FIELD(min_contains) },
	{ "maxContains", SCHEMA_K_MAX_CONTAINS, V_VALID, kw_count,
	    NODE_FIELD(max_contains) },
	{ "minProperties", SCHEMA_K_MIN_PROPERTIES, V_VALID, kw_count,
	    NODE_FIELD(min_properties) },
	{ "maxProperties", SCHEMA_K_MAX_PROPERTIES, V_VALID, kw_count,
	    NODE_FIELD(max_properties) },
	{ "required", SCHEMA_K_REQUIRED, V_VALID, kw_required, 0 },
	{ "dependentRequired", SCHEMA_K_DEPENDENT_REQUIRED, V_VALID,
	    kw_dependent_required, 0 },
	{ "properties", SCHEMA_K_PROPERTIES, V_APPL, kw_properties, 0 },
	{ "patternProperties", SCHEMA_K_PATTERN_PROPERTIES, V_APPL,
	    kw_pattern_properties, 0 },
	{ "additionalProperties", SCHEMA_K_ADDITIONAL_PROPERTIES, V_APPL,
	    kw_subschema, NODE_FIELD(additional_properties) },
	{ "propertyNames", SCHEMA_K_PROPERTY_NAMES, V_APPL, kw_subschema,
	    NODE_FIELD(property_names) },
	{ "dependentSchemas", SCHEMA_K_DEPENDENT_SCHEMAS, V_APPL,
	    kw_dependent_schemas, 0 },
	{ "prefixItems", SCHEMA_K_PREFIX_ITEMS, V_APPL, kw_subschema_list,
	    NODE_FIELD(prefix_items) },
	{ "items", SCHEMA_K_ITEMS, V_APPL, kw_items, 0 },
	{ "contains", SCHEMA_K_CONTAINS, V_APPL, kw_subschema,
	    NODE_FIELD(contains) },
	{ "allOf", SCHEMA_K_ALL_OF, V_APPL, kw_subschema_list,
	    NODE_FIELD(all_of) },
	{ "anyOf", SCHEMA_K_ANY_OF, V_APPL, kw_subschema_list,
	    NODE_FIELD(any_of) },
	{ "oneOf", SCHEMA_K_ONE_OF, V_APPL, kw_subschema_list,
	    NODE_FIELD(one_of) },
	{ "not", SCHEMA_K_NOT, V_APPL, kw_subschema, NODE_FIELD(not_schema) },
	{ "if", SCHEMA_K_IF, V_APPL, kw_subschema, NODE_FIELD(if_schema) },
	{ "then", SCHEMA_K_THEN, V_APPL, kw_subschema,
	    NODE_FIELD(then_schema) },
	{ "else", SCHEMA_K_ELSE, V_APPL, kw_subschema,
	    NODE_FIELD(else_schema) },
	{ "unevaluatedItems", SCHEMA_K_UNEVALUATED_ITEMS, V_UNEV, kw_subschema,
	    NODE_FIELD(unevaluated_items) },
	{ "unevaluatedProperties", SCHEMA_K_UNEVALUATED_PROPERTIES, V_UNEV,
	    kw_subschema, NODE_FIELD(unevaluated_properties) },
	{ "$ref", SCHEMA_K_REF, V_CORE, kw_ref, 0 },
	{ "$dynamicRef", SCHEMA_K_DYNAMIC_REF, V_CORE, kw_dynamic_ref, 0 },
	{ "$defs", 0, V_CORE, kw_defs, 0 },
	{ "$schema", 0, V_CORE, kw_string, 0 },
	{ "$id", 0, V_CORE, kw_string, 0 },
	{ "$anchor", 0, V_CORE, kw_string, 0 },
	{ "$dynamicAnchor", 0, V_CORE, kw_string, 0 },
	{ "$comment", 0, V_CORE, kw_string, 0 },
	{ "$vocabulary", 0, V_CORE, kw_vocabulary, 0 },
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
