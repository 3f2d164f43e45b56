/*
 * schema_validate.c: validate one JSON instance against a compiled schema.
 *
 * The walk visits the instance once, checks cheap keywords before costly
 * ones, stops at the first error (unless all errors are asked for) and
 * allocates nothing in the common case: the instance path is a stack of
 * borrowed keys and indexes, turned into a JSON pointer only when an
 * error is written, and the dynamic scope a stack of resources.  Inside
 * anyOf, oneOf, not, if and contains, errors of the branches are not
 * written ("quiet"); only errors no branch may hide (max depth, a regex
 * engine failure) are "fatal" and end the walk.  Objects are checked in
 * schema_object.c, applicators and unevaluated* in schema_apply.c, errors
 * written by schema_report.c.
 */
#include <string.h>

#include "schema_internal.h"

/* Return the SCHEMA_T_* bits an instance has (1.0 is an integer too). */
unsigned
check_type_of(const struct jval *v)
{
	switch (v->type) {
	case JT_OBJECT:
		return SCHEMA_T_OBJECT;
	case JT_ARRAY:
		return SCHEMA_T_ARRAY;
	case JT_STRING:
		return SCHEMA_T_STRING;
	case JT_INTEGER:
		return SCHEMA_T_NUMBER | SCHEMA_T_INTEGER;
	case JT_REAL:
		return schema_is_whole(v->u.d) ? SCHEMA_T_NUMBER |
		    SCHEMA_T_INTEGER : SCHEMA_T_NUMBER;
	case JT_TRUE:
	case JT_FALSE:
		return SCHEMA_T_BOOLEAN;
	default:
		return SCHEMA_T_NULL;
	}
}

/* Return 1 if v equals one of the values of an enum array. */
static int
check_in_enum(const struct jval *values, const struct jval *v)
{
	size_t	 i;

	for (i = 0; i < values->n; i++)
		if (check_equal(v, &values->u.items[i]))
			return 1;
	return 0;
}

/* Return the number of code points in len bytes of valid UTF-8. */
static size_t
check_utf8_length(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Check the string keywords: minLength, maxLength, pattern, format. */
static int
check_string(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const char	*s = v->u.s;
	size_t		 len = v->n, chars = SIZE_MAX;
	int		 rc, ok = 1;

	/* len bytes hold between ceil(len / 4) and len code points. */
	if ((n->kw & SCHEMA_K_MIN_LENGTH) && n->min_length > (len + 3) / 4 &&
	    (chars = check_utf8_length(s, len)) < n->min_length) {
		check_fail(ctx, "minLength", "string is too short "
		    "(length %zu, minimum %zu)", chars, n->min_length);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_MAX_LENGTH) && len > n->max_length) {
		if (chars == SIZE_MAX)
			chars = check_utf8_length(s, len);
		if (chars > n->max_length) {
			check_fail(ctx, "maxLength", "string is too long "
			    "(length %zu, maximum %zu)", chars, n->max_length);
			CHECK_FAILED(ctx, ok);
		}
	}
	if (n->kw & SCHEMA_K_PATTERN) {
		if ((rc = check_match(ctx, "pattern", &n->pattern, s,
		    len)) <= 0) {
			if (rc == 0)
				check_fail(ctx, "pattern", "string does not "
				    "match \"%s\"", n->pattern.source);
			CHECK_FAILED(ctx, ok);
		}
	}
	if ((n->kw & SCHEMA_K_FORMAT) && !n->format(s, len)) {
		check_fail(ctx, "format", "not a valid %s", n->format_name);
		CHECK_FAILED(ctx, ok);
	}
	return ok;
}

/* Check the number keywords: minimum, maximum (also exclusive), multipleOf. */
static int
check_number(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	int	 ok = 1;

	if ((n->kw & SCHEMA_K_MINIMUM) && check_num_cmp(v, &n->minimum) < 0) {
		check_fail_number(ctx, "minimum", ">=", &n->minimum, v);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_MAXIMUM) && check_num_cmp(v, &n->maximum) > 0) {
		check_fail_number(ctx, "maximum", "<=", &n->maximum, v);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_EXCLUSIVE_MINIMUM) &&
	    check_num_cmp(v, &n->exclusive_minimum) <= 0) {
		check_fail_number(ctx, "exclusiveMinimum", ">",
		    &n->exclusive_minimum, v);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_EXCLUSIVE_MAXIMUM) &&
	    check_num_cmp(v, &n->exclusive_maximum) >= 0) {
		check_fail_number(ctx, "exclusiveMaximum", "<",
		    &n->exclusive_maximum, v);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_MULTIPLE_OF) &&
	    !check_is_multiple(v, &n->multiple_of)) {
		check_fail_number(ctx, "multipleOf", "a multiple of",
		    &n->multiple_of, v);
		CHECK_FAILED(ctx, ok);
	}
	return ok;
}

/* Report a false schema met as keyword's subschema; return 0. */
static int
check_false(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, const char *msg)
{
	const struct schema_node	*saved = ctx->node;

	ctx->node = node;
	check_fail(ctx, keyword, "%s", msg);
	ctx->node = saved;
	return 0;
}

/* Evaluate a subschema against v at the same instance location. */
int
check_child(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, const struct jval *v)
{
	int	 ok;

	if (node->kind == SCHEMA_NODE_TRUE)
		return 1;
	if (node->kind == SCHEMA_NODE_FALSE)
		return check_false(ctx, keyword, node,
		    "no value is allowed here");
	if (ctx->nest >= CHECK_MAX_NEST)
		return check_fatal(ctx, keyword, "max depth exceeded");
	ctx->nest++;
	ok = check_node(ctx, node, v);
	ctx->nest--;
	return ok;
}

/* Evaluate a subschema against member v: key (len i), or index i if key is NULL. */
int
check_member(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, const struct jval *v, const char *key,
    size_t i)
{
	int	 ok;

	if (node->kind == SCHEMA_NODE_TRUE)
		return 1;
	if (ctx->depth >= SCHEMA_MAX_DEPTH)
		return check_fatal(ctx, keyword, "max depth exceeded");
	ctx->path[ctx->depth].key = key;
	ctx->path[ctx->depth].n = i;
	ctx->depth++;
	if (node->kind == SCHEMA_NODE_FALSE)
		ok = check_false(ctx, keyword, node, key != NULL ?
		    "property not allowed" : "item not allowed");
	else
		ok = check_child(ctx, keyword, node, v);
	ctx->depth--;
	return ok;
}

/* Evaluate a branch of anyOf/oneOf/not/if without writing its errors. */
int
check_quietly(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, const struct jval *v)
{
	int	 ok;

	ctx->quiet++;
	ok = check_child(ctx, keyword, node, v);
	ctx->quiet--;
	return ok;
}

/* Check uniqueItems: no two items are equal JSON values. */
static int
check_unique(struct check_ctx *ctx, const struct jval *v)
{
	size_t	 size = v->n, i, j;

	for (i = 0; i < size; i++)
		for (j = i + 1; j < size; j++)
			if (check_equal(&v->u.items[i], &v->u.items[j]))
				return check_fail(ctx, "uniqueItems", "items "
				    "%zu and %zu are equal", i, j);
	return 1;
}

/* Check contains with minContains and maxContains. */
static int
check_contains(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	size_t	 size = v->n, i, count = 0;
	int	 ok;

	for (i = 0; i < size; i++) {
		ctx->quiet++;
		ok = check_member(ctx, "contains", n->contains,
		    &v->u.items[i], NULL, i);
		ctx->quiet--;
		if (ctx->fatal)
			return 0;
		count += ok;
	}
	if (count < n->min_contains) {
		if (!(n->kw & SCHEMA_K_MIN_CONTAINS))
			return check_fail(ctx, "contains", "no item matches");
		return check_fail(ctx, "minContains", "too few items match "
		    "\"contains\" (%zu, minimum %zu)", count, n->min_contains);
	}
	if (count > n->max_contains)
		return check_fail(ctx, "maxContains", "too many items match "
		    "\"contains\" (%zu, maximum %zu)", count, n->max_contains);
	return 1;
}

/* Check the array keywords: sizes, uniqueItems, prefixItems, items, contains. */
static int
check_array(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const struct schema_node	*item;
	const char			*keyword;
	size_t				 size = v->n, i;
	int				 ok = 1;

	if ((n->kw & SCHEMA_K_MIN_ITEMS) && size < n->min_items) {
		check_fail(ctx, "minItems", "array has too few items (%zu, "
		    "minimum %zu)", size, n->min_items);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_MAX_ITEMS) && size > n->max_items) {
		check_fail(ctx, "maxItems", "array has too many items (%zu, "
		    "maximum %zu)", size, n->max_items);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_UNIQUE_ITEMS) && !check_unique(ctx, v))
		CHECK_FAILED(ctx, ok);
	if (n->kw & (SCHEMA_K_PREFIX_ITEMS | SCHEMA_K_ITEMS)) {
		for (i = 0; i < size; i++) {
			if (i < n->prefix_items.n) {
				item = n->prefix_items.v[i];
				keyword = "prefixItems";
			} else if ((item = n->items) != NULL)
				keyword = "items";
			else
				break;
			if (!check_member(ctx, keyword, item,
			    &v->u.items[i], NULL, i))
				CHECK_FAILED(ctx, ok);
		}
	}
	if ((n->kw & SCHEMA_K_CONTAINS) && !check_contains(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	return ok;
}

/* Check every keyword of an object node against v, cheapest first. */
static int
check_keywords(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	uint64_t	 kw = n->kw;
	int		 ok = 1;

	if ((kw & SCHEMA_K_TYPE) && !(n->types & check_type_of(v))) {
		check_fail_type(ctx, n->types, v);
		CHECK_FAILED(ctx, ok);
	}
	if ((kw & SCHEMA_K_CONST) && !check_equal(v, n->const_jv)) {
		check_fail(ctx, "const", "expected %s", n->const_text);
		CHECK_FAILED(ctx, ok);
	}
	if ((kw & SCHEMA_K_ENUM) && !check_in_enum(n->enum_jv, v)) {
		check_fail(ctx, "enum", "expected one of %s", n->enum_text);
		CHECK_FAILED(ctx, ok);
	}
	switch (v->type) {
	case JT_STRING:
		if ((kw & SCHEMA_K_STRING_MASK) && !check_string(ctx, n, v))
			CHECK_FAILED(ctx, ok);
		break;
	case JT_INTEGER:
	case JT_REAL:
		if ((kw & SCHEMA_K_NUMBER_MASK) && !check_number(ctx, n, v))
			CHECK_FAILED(ctx, ok);
		break;
	case JT_ARRAY:
		if ((kw & SCHEMA_K_ARRAY_MASK) && !check_array(ctx, n, v))
			CHECK_FAILED(ctx, ok);
		break;
	case JT_OBJECT:
		if ((kw & SCHEMA_K_OBJECT_MASK) && !check_object(ctx, n, v))
			CHECK_FAILED(ctx, ok);
		break;
	default:
		break;
	}
	if ((kw & SCHEMA_K_APPLICATOR_MASK) && !check_applicators(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	if ((kw & SCHEMA_K_UNEVALUATED_MASK) && !check_unevaluated(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	return ok;
}

/*
 * Check an object node against v, entering its resource into the dynamic
 * scope when evaluation crosses into it.
 */
int
check_node(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const struct schema_node	*saved = ctx->node;
	size_t				 scope = ctx->n_scope;
	int				 ok;

	if (scope == 0 || ctx->scope[scope - 1] != n->resource)
		ctx->scope[ctx->n_scope++] = n->resource;
	ctx->node = n;
	ok = check_keywords(ctx, n, v);
	ctx->node = saved;
	ctx->n_scope = scope;
	return ok;
}

/* Start a validation of instance against s. */
static int
check_start(struct check_ctx *ctx, const struct schema *s,
    const struct jval *instance)
{
	ctx->s = s;
	ctx->node = s != NULL ? s->root : NULL;
	ctx->n_errors = 0;
	ctx->quiet = ctx->fatal = ctx->nest = 0;
	ctx->depth = ctx->n_scope = 0;
	if (s == NULL || instance == NULL)
		return check_fatal(ctx, "schema", "no schema or no instance");
	return check_child(ctx, "false", s->root, instance);
}

/* Validate instance against s; 0 with the first error in reason if invalid. */
int
schema_validate_doc(const struct schema *s, const struct jval *instance,
    char *reason, size_t reasonlen)
{
	struct check_ctx	 ctx;

	ctx.reason = reason;
	ctx.reasonlen = reasonlen;
	ctx.fn = NULL;
	ctx.all = 0;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	return check_start(&ctx, s, instance);
}

/* Validate instance against s, calling fn for every error; return their count. */
size_t
schema_validate_doc_all(const struct schema *s, const struct jval *instance,
    schema_error_fn fn, void *arg)
{
	struct check_ctx	 ctx;
	int			 ok;

	ctx.reason = NULL;
	ctx.reasonlen = 0;
	ctx.fn = fn;
	ctx.arg = arg;
	ctx.all = 1;
	ok = check_start(&ctx, s, instance);
	return ok ? 0 : ctx.n_errors > 0 ? ctx.n_errors : 1;
}

/* schema_validate_doc() on a jansson value, read into a jdoc of its own. */
int
schema_validate(const struct schema *s, json_t *instance, char *reason,
    size_t reasonlen)
{
	struct jdoc	*d = jdoc_new();
	int		 ok;

	ok = schema_validate_doc(s, jdoc_from_json(d, instance), reason,
	    reasonlen);
	jdoc_free(d);
	return ok;
}

/* schema_validate_doc_all() on a jansson value. */
size_t
schema_validate_all(const struct schema *s, json_t *instance,
    schema_error_fn fn, void *arg)
{
	struct jdoc	*d = jdoc_new();
	size_t		 n;

	n = schema_validate_doc_all(s, jdoc_from_json(d, instance), fn, arg);
	jdoc_free(d);
	return n;
}
