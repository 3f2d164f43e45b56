/*
 * schema_validate.c: validate one JSON instance against a compiled schema.
 *
 * The walk visits the instance once, checks cheap keywords before costly
 * ones, stops at the first error and allocates nothing: the instance path
 * is a stack of borrowed keys and indexes, turned into a JSON pointer only
 * when an error is written.  Inside anyOf, oneOf and not, errors of the
 * branches are not written ("quiet"); only errors no branch may hide (max
 * depth, a regex engine failure) are "fatal" and end the walk.  Errors are
 * written by schema_report.c, patterns matched by schema_regex.c.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "schema_internal.h"

/* Deepest nesting of subschema evaluations (catches "$ref" cycles). */
#define CHECK_MAX_NEST	(4 * SCHEMA_MAX_DEPTH)

static int check_node(struct check_ctx *, const struct schema_node *,
    json_t *);

/* Return the SCHEMA_T_* bits an instance has (1.0 is an integer too). */
static unsigned
check_type_of(const json_t *v)
{
	double	 d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return SCHEMA_T_OBJECT;
	case JSON_ARRAY:
		return SCHEMA_T_ARRAY;
	case JSON_STRING:
		return SCHEMA_T_STRING;
	case JSON_INTEGER:
		return SCHEMA_T_NUMBER | SCHEMA_T_INTEGER;
	case JSON_REAL:
		d = json_real_value(v);
		return schema_is_whole(d) ? SCHEMA_T_NUMBER | SCHEMA_T_INTEGER :
		    SCHEMA_T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:
		return SCHEMA_T_BOOLEAN;
	default:
		return SCHEMA_T_NULL;
	}
}

/* Compare integer a with double d exactly: <0, 0 or >0. */
static int
check_cmp_int_double(long long a, double d)
{
	long long	 t;
	double		 frac;

	if (d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	t = (long long)d;
	if (a != t)
		return a < t ? -1 : 1;
	frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Compare instance number v with schema number b: <0, 0 or >0. */
static int
check_num_cmp(const json_t *v, const struct schema_num *b)
{
	double	 a;

	if (json_is_integer(v)) {
		if (b->is_int)
			return (json_integer_value(v) > b->i) -
			    (json_integer_value(v) < b->i);
		return check_cmp_int_double(json_integer_value(v), b->d);
	}
	a = json_real_value(v);
	if (b->is_int)
		return -check_cmp_int_double(b->i, a);
	return (a > b->d) - (a < b->d);
}

/* Return 1 if number v is a multiple of m (reals: within a few ulps). */
static int
check_is_multiple(const json_t *v, const struct schema_num *m)
{
	double	 q, whole;

	if (json_is_integer(v) && m->is_int)
		return json_integer_value(v) % m->i == 0;
	q = json_number_value(v) / m->d;
	if (!isfinite(q))	/* huge v: whole, so a multiple of any 1/k */
		return schema_is_whole(json_number_value(v)) &&
		    schema_is_whole(1 / m->d);
	if (q < 0)
		q = -q;
	if (q >= 0x1p53)
		return 1;
	/* q is a multiple when it is within a few ulps of an integer. */
	whole = (double)(long long)(q + 0.5);
	return (q > whole ? q - whole : whole - q) <= q * 4 * DBL_EPSILON;
}

/* Return 1 if a and b are equal numbers (1 == 1.0). */
static int
check_num_equal(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	if (json_is_integer(a))
		return check_cmp_int_double(json_integer_value(a),
		    json_real_value(b)) == 0;
	return check_cmp_int_double(json_integer_value(b),
	    json_real_value(a)) == 0;
}

/*
 * Return 1 if a and b are equal JSON values, numbers by value.  The
 * recursion stops at the shallower of the two, and one of them is a
 * const/enum value from the schema, so it is bounded by the schema.
 */
static int
check_equal(json_t *a, json_t *b)
{
	const char	*key;
	size_t		 i, len;
	json_t		*x;

	if (json_is_number(a) && json_is_number(b))
		return check_num_equal(a, b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, x)
			if (!check_equal(x, json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach(a, key, len, x) {
			json_t *y = json_object_getn(b, key, len);

			if (y == NULL || !check_equal(x, y))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/* Return 1 if v equals one of the values of an enum array. */
static int
check_in_enum(json_t *values, json_t *v)
{
	size_t	 i;
	json_t	*e;

	json_array_foreach(values, i, e)
		if (check_equal(v, e))
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
    json_t *v)
{
	const char	*s = json_string_value(v);
	size_t		 len = json_string_length(v), chars = SIZE_MAX;
	int		 rc;

	/* len bytes hold between ceil(len / 4) and len code points. */
	if ((n->kw & SCHEMA_K_MIN_LENGTH) && n->min_length > (len + 3) / 4 &&
	    (chars = check_utf8_length(s, len)) < n->min_length)
		return check_fail(ctx, "minLength", "string is too short "
		    "(length %zu, minimum %zu)", chars, n->min_length);
	if ((n->kw & SCHEMA_K_MAX_LENGTH) && len > n->max_length) {
		if (chars == SIZE_MAX)
			chars = check_utf8_length(s, len);
		if (chars > n->max_length)
			return check_fail(ctx, "maxLength", "string is too "
			    "long (length %zu, maximum %zu)", chars,
			    n->max_length);
	}
	if (n->kw & SCHEMA_K_PATTERN) {
		if ((rc = check_match(ctx, "pattern", &n->pattern, s,
		    len)) <= 0)
			return rc < 0 ? 0 : check_fail(ctx, "pattern",
			    "string does not match \"%s\"", n->pattern.source);
	}
	if ((n->kw & SCHEMA_K_FORMAT) && !n->format(s, len))
		return check_fail(ctx, "format", "not a valid %s",
		    n->format_name);
	return 1;
}

/* Check the number keywords: minimum, maximum (also exclusive), multipleOf. */
static int
check_number(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	if ((n->kw & SCHEMA_K_MINIMUM) && check_num_cmp(v, &n->minimum) < 0)
		return check_fail_number(ctx, "minimum", ">=", &n->minimum,
		    v);
	if ((n->kw & SCHEMA_K_MAXIMUM) && check_num_cmp(v, &n->maximum) > 0)
		return check_fail_number(ctx, "maximum", "<=", &n->maximum,
		    v);
	if ((n->kw & SCHEMA_K_EXCLUSIVE_MINIMUM) &&
	    check_num_cmp(v, &n->exclusive_minimum) <= 0)
		return check_fail_number(ctx, "exclusiveMinimum", ">",
		    &n->exclusive_minimum, v);
	if ((n->kw & SCHEMA_K_EXCLUSIVE_MAXIMUM) &&
	    check_num_cmp(v, &n->exclusive_maximum) >= 0)
		return check_fail_number(ctx, "exclusiveMaximum", "<",
		    &n->exclusive_maximum, v);
	if ((n->kw & SCHEMA_K_MULTIPLE_OF) &&
	    !check_is_multiple(v, &n->multiple_of))
		return check_fail_number(ctx, "multipleOf",
		    "a multiple of", &n->multiple_of, v);
	return 1;
}

/* Evaluate a subschema against v at the same instance location. */
static int
check_child(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, json_t *v)
{
	int	 ok;

	if (node->kind == SCHEMA_NODE_TRUE)
		return 1;
	if (node->kind == SCHEMA_NODE_FALSE)
		return check_fail(ctx, keyword, "no value is allowed here");
	if (ctx->nest >= CHECK_MAX_NEST)
		return check_fatal(ctx, keyword, "max depth exceeded");
	ctx->nest++;
	ok = check_node(ctx, node, v);
	ctx->nest--;
	return ok;
}

/* Evaluate a subschema against member v: key (len i), or index i if key is NULL. */
static int
check_member(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, json_t *v, const char *key, size_t i)
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
		ok = check_fail(ctx, keyword, key != NULL ?
		    "property not allowed" : "item not allowed");
	else
		ok = check_child(ctx, keyword, node, v);
	ctx->depth--;
	return ok;
}

/* Check the array keywords: minItems, maxItems, prefixItems, items. */
static int
check_array(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	const struct schema_node	*item;
	const char			*keyword;
	size_t				 size = json_array_size(v), i;

	if ((n->kw & SCHEMA_K_MIN_ITEMS) && size < n->min_items)
		return check_fail(ctx, "minItems", "array has too few "
		    "items (%zu, minimum %zu)", size, n->min_items);
	if ((n->kw & SCHEMA_K_MAX_ITEMS) && size > n->max_items)
		return check_fail(ctx, "maxItems", "array has too many "
		    "items (%zu, maximum %zu)", size, n->max_items);
	if (!(n->kw & (SCHEMA_K_PREFIX_ITEMS | SCHEMA_K_ITEMS)))
		return 1;
	for (i = 0; i < size; i++) {
		if (i < n->prefix_items.n) {
			item = n->prefix_items.v[i];
			keyword = "prefixItems";
		} else if ((item = n->items) != NULL)
			keyword = "items";
		else
			break;
		if (!check_member(ctx, keyword, item, json_array_get(v, i),
		    NULL, i))
			return 0;
	}
	return 1;
}

/* Return the "properties" entry named key (len bytes), or NULL. */
static const struct schema_prop *
check_find_property(const struct schema_node *n, const char *key,
    size_t len)
{
	const struct schema_prop	*p;
	size_t				 lo = 0, hi = n->n_properties, mid;
	int				 c;

	if (hi <= 8) {
		/* A few names: compare lengths and first bytes first. */
		for (p = n->properties; p < n->properties + hi; p++)
			if (p->len == len && (len == 0 || (p->name[0] == key[0] &&
			    memcmp(p->name, key, len) == 0)))
				return p;
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = &n->properties[mid];
		c = memcmp(key, p->name, len < p->len ? len : p->len);
		if (c == 0)
			c = (len > p->len) - (len < p->len);
		if (c == 0)
			return p;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Check "required" by looking each name up. */
static int
check_required(struct check_ctx *ctx, const struct schema_node *n, json_t *v)
{
	size_t	 i;

	for (i = 0; i < n->n_required; i++)
		if (json_object_getn(v, n->required[i].name,
		    n->required[i].len) == NULL)
			return check_fail(ctx, "required", "missing property "
			    "\"%s\"", n->required[i].name);
	return 1;
}

/*
 * Check each member of v: properties, patternProperties,
 * additionalProperties.  Required properties seen on the way are counted
 * in a bit mask (see compile_index_required), so "required" costs no
 * lookups when every member is valid.
 */
static int
check_object_members(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	const struct schema_prop	*p;
	const struct schema_pattern_prop *pp;
	const char			*key;
	size_t				 len, i;
	uint64_t			 seen = 0;
	json_t				*child;
	int				 matched, rc;

	json_object_keylen_foreach(v, key, len, child) {
		matched = 0;
		if ((p = check_find_property(n, key, len)) != NULL) {
			matched = 1;
			seen |= p->required_bit;
			if (!check_member(ctx, "properties", p->node, child,
			    key, len))
				return 0;
		}
		for (i = 0; i < n->n_pattern_properties; i++) {
			pp = &n->pattern_properties[i];
			if ((rc = check_match(ctx, "patternProperties",
			    &pp->re, key, len)) < 0)
				return 0;
			if (rc == 0)
				continue;
			matched = 1;
			if (!check_member(ctx, "patternProperties", pp->node,
			    child, key, len))
				return 0;
		}
		if (!matched && n->additional_properties != NULL &&
		    !check_member(ctx, "additionalProperties",
		    n->additional_properties, child, key, len))
			return 0;
	}
	return seen == n->required_mask ? 1 : check_required(ctx, n, v);
}

/*
 * Check the object keywords: sizes, required, then the members.  When
 * the members are walked and required_mask is set, a missing required
 * property is reported after the members' own errors.
 */
static int
check_object(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	const struct schema_prop	*p;
	size_t				 size = json_object_size(v), i;
	json_t				*child;
	int				 walk;

	if ((n->kw & SCHEMA_K_MIN_PROPERTIES) && size < n->min_properties)
		return check_fail(ctx, "minProperties", "object has too "
		    "few properties (%zu, minimum %zu)", size,
		    n->min_properties);
	if ((n->kw & SCHEMA_K_MAX_PROPERTIES) && size > n->max_properties)
		return check_fail(ctx, "maxProperties", "object has too "
		    "many properties (%zu, maximum %zu)", size,
		    n->max_properties);
	walk = (n->kw & (SCHEMA_K_PATTERN_PROPERTIES |
	    SCHEMA_K_ADDITIONAL_PROPERTIES)) != 0;
	if (size < n->n_required || !(walk && n->required_mask != 0)) {
		if (!check_required(ctx, n, v))
			return 0;
	}
	if (walk)
		return check_object_members(ctx, n, v);
	/* Only "properties": look its names up rather than walk v. */
	for (i = 0; i < n->n_properties; i++) {
		p = &n->properties[i];
		if ((child = json_object_getn(v, p->name, p->len)) != NULL &&
		    !check_member(ctx, "properties", p->node, child, p->name,
		    p->len))
			return 0;
	}
	return 1;
}

/* Evaluate a branch of anyOf/oneOf/not without writing its errors. */
static int
check_quietly(struct check_ctx *ctx, const char *keyword,
    const struct schema_node *node, json_t *v)
{
	int	 ok;

	ctx->quiet++;
	ok = check_child(ctx, keyword, node, v);
	ctx->quiet--;
	return ok;
}

/* Check anyOf: at least one branch holds. */
static int
check_any_of(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	size_t	 i;

	for (i = 0; i < n->any_of.n; i++) {
		if (check_quietly(ctx, "anyOf", n->any_of.v[i], v))
			return 1;
		if (ctx->fatal)
			return 0;
	}
	return check_fail(ctx, "anyOf", "value matches none of the %zu "
	    "alternatives", n->any_of.n);
}

/* Check oneOf: exactly one branch holds. */
static int
check_one_of(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	size_t	 i, first = SIZE_MAX;

	for (i = 0; i < n->one_of.n; i++) {
		if (check_quietly(ctx, "oneOf", n->one_of.v[i], v)) {
			if (first != SIZE_MAX)
				return check_fail(ctx, "oneOf", "value matches "
				    "alternatives %zu and %zu, expected exactly "
				    "one", first, i);
			first = i;
		} else if (ctx->fatal)
			return 0;
	}
	if (first == SIZE_MAX)
		return check_fail(ctx, "oneOf", "value matches none of the "
		    "%zu alternatives", n->one_of.n);
	return 1;
}

/* Check the applicators: $ref, allOf, anyOf, oneOf, not. */
static int
check_applicators(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	size_t	 i;

	if ((n->kw & SCHEMA_K_REF) && !check_child(ctx, "$ref", n->ref, v))
		return 0;
	for (i = 0; i < n->all_of.n; i++)
		if (!check_child(ctx, "allOf", n->all_of.v[i], v))
			return 0;
	if ((n->kw & SCHEMA_K_ANY_OF) && !check_any_of(ctx, n, v))
		return 0;
	if ((n->kw & SCHEMA_K_ONE_OF) && !check_one_of(ctx, n, v))
		return 0;
	if (n->kw & SCHEMA_K_NOT) {
		if (check_quietly(ctx, "not", n->not_schema, v))
			return check_fail(ctx, "not", "value matches a schema "
			    "it must not match");
		if (ctx->fatal)
			return 0;
	}
	return 1;
}

/* Check every keyword of an object node against v, cheapest first. */
static int
check_node(struct check_ctx *ctx, const struct schema_node *n,
    json_t *v)
{
	uint64_t	 kw = n->kw;

	if ((kw & SCHEMA_K_TYPE) && !(n->types & check_type_of(v)))
		return check_fail_type(ctx, n->types, v);
	if ((kw & SCHEMA_K_CONST) && !check_equal(v, n->const_value))
		return check_fail(ctx, "const", "expected %s", n->const_text);
	if ((kw & SCHEMA_K_ENUM) && !check_in_enum(n->enum_values, v))
		return check_fail(ctx, "enum", "expected one of %s",
		    n->enum_text);
	switch (json_typeof(v)) {
	case JSON_STRING:
		if ((kw & SCHEMA_K_STRING_MASK) && !check_string(ctx, n, v))
			return 0;
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if ((kw & SCHEMA_K_NUMBER_MASK) && !check_number(ctx, n, v))
			return 0;
		break;
	case JSON_ARRAY:
		if ((kw & SCHEMA_K_ARRAY_MASK) && !check_array(ctx, n, v))
			return 0;
		break;
	case JSON_OBJECT:
		if ((kw & SCHEMA_K_OBJECT_MASK) && !check_object(ctx, n, v))
			return 0;
		break;
	default:
		break;
	}
	if (kw & SCHEMA_K_APPLICATOR_MASK)
		return check_applicators(ctx, n, v);
	return 1;
}

/* Validate instance against s; 0 with the first error in reason if invalid. */
int
schema_validate(const struct schema *s, json_t *instance, char *reason,
    size_t reasonlen)
{
	struct check_ctx	 ctx;

	ctx.s = s;
	ctx.reason = reason;
	ctx.reasonlen = reasonlen;
	ctx.quiet = ctx.fatal = ctx.nest = 0;
	ctx.depth = 0;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (s == NULL || instance == NULL)
		return check_fail(&ctx, "schema", "no schema or no instance");
	return check_child(&ctx, "false", s->root, instance);
}
