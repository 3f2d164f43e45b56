/*
 * schema_applicator.c: the handlers of the keywords whose values are
 * subschemas (properties, allOf, items, ...) or references to them ($ref,
 * $dynamicRef), and schema_for_each_subschema, the one list of where
 * subschemas sit that the indexing and registry walks share.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* Keywords whose value is one schema, an array of them or an object of them. */
static const char *const sub_single[] = {
	"additionalProperties", "propertyNames", "not", "if", "then", "else",
	"items", "contains", "unevaluatedItems", "unevaluatedProperties",
};
static const char *const sub_array[] = {
	"allOf", "anyOf", "oneOf", "prefixItems",
};
static const char *const sub_object[] = {
	"properties", "patternProperties", "$defs", "dependentSchemas",
};

/* Call fn for every direct subschema of the object schema json. */
void
schema_for_each_subschema(json_t *json, schema_sub_fn fn, void *arg)
{
	const char	*key;
	size_t		 i, j, len;
	json_t		*v, *sub;

	for (i = 0; i < sizeof(sub_single) / sizeof(sub_single[0]); i++)
		if ((v = json_object_get(json, sub_single[i])) != NULL &&
		    !json_is_array(v))
			fn(v, sub_single[i], NULL, 0, SIZE_MAX, arg);
	for (i = 0; i < sizeof(sub_array) / sizeof(sub_array[0]); i++)
		if ((v = json_object_get(json, sub_array[i])) != NULL)
			json_array_foreach(v, j, sub)
				fn(sub, sub_array[i], NULL, 0, j, arg);
	for (i = 0; i < sizeof(sub_object) / sizeof(sub_object[0]); i++)
		if ((v = json_object_get(json, sub_object[i])) != NULL &&
		    json_is_object(v))
			json_object_keylen_foreach(v, key, len, sub)
				fn(sub, sub_object[i], key, len, 0, arg);
}

/* Compile the subschema v found at the current path into *out. */
static int
compile_subschema(struct compile_ctx *cc, json_t *v, struct schema_node **out)
{
	*out = compile_node(cc, v);
	return *out == NULL ? -1 : 0;
}

/* Compile a non-empty array of subschemas into a node list. */
int
kw_schema_list(struct compile_ctx *cc, json_t *v, struct schema_node_list *list)
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

/* A keyword whose value is one schema (not, additionalProperties, ...). */
int
kw_subschema(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return compile_subschema(cc, v, field);
}

/* A keyword whose value is a non-empty array of schemas (allOf, ...). */
int
kw_subschema_list(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return kw_schema_list(cc, v, field);
}

/* "items": one schema for the items after "prefixItems". */
int
kw_items(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (json_is_array(v))
		return compile_error(cc, "expected a schema (in draft 2020-12 "
		    "an array of schemas is \"prefixItems\")");
	return compile_subschema(cc, v, &n->items);
}

/* Compile an object of name to schema into *props, sorted by name. */
static int
compile_named_schemas(struct compile_ctx *cc, json_t *v,
    struct schema_prop **props, size_t *n)
{
	struct schema_prop	*p;
	const char		*key;
	size_t			 len, saved;
	json_t			*sub;

	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	*props = compile_xcalloc(json_object_size(v), sizeof(**props));
	json_object_keylen_foreach(v, key, len, sub) {
		p = &(*props)[(*n)++];
		p->name = compile_xstrndup(key, len);
		p->len = len;
		saved = compile_path_push(cc, key, len);
		if (compile_subschema(cc, sub, &p->node) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	qsort(*props, *n, sizeof(**props), compile_prop_cmp);
	return 0;
}

/* "properties": an object of schemas, sorted by name. */
int
kw_properties(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	return compile_named_schemas(cc, v, &n->properties, &n->n_properties);
}

/* "dependentSchemas": an object of schemas, applied when a name is present. */
int
kw_dependent_schemas(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	return compile_named_schemas(cc, v, &n->dependent_schemas,
	    &n->n_dependent_schemas);
}

/* "patternProperties": an object of regular expression to schema. */
int
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

/* "$defs": an object of schemas, compiled for their errors and "$ref"s. */
int
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

/* Record a reference of node n, resolved against its base URI. */
static int
compile_record_ref(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    int dynamic)
{
	struct compile_ref	*r;

	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	cc->refs = compile_grow(cc->refs, &cc->cap_refs, cc->n_refs,
	    sizeof(*cc->refs));
	r = &cc->refs[cc->n_refs++];
	r->node = n;
	r->ref = compile_xstrndup(json_string_value(v), json_string_length(v));
	r->uri = schema_uri_resolve(cc->cur->rt->uri, r->ref);
	r->path = compile_xstrndup(cc->path.p, cc->path.len);
	r->dynamic = dynamic;
	return 0;
}

/* "$ref": recorded now, resolved when the whole document is compiled. */
int
kw_ref(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	return compile_record_ref(cc, n, v, 0);
}

/* "$dynamicRef": like "$ref", and maybe rebound by the dynamic scope. */
int
kw_dynamic_ref(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	return compile_record_ref(cc, n, v, 1);
}
