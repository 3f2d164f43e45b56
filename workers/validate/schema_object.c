/*
 * schema_object.c: validation of objects: sizes, required and
 * dependentRequired, the members against properties, patternProperties,
 * additionalProperties and propertyNames, and dependentSchemas.
 */
#include <string.h>

#include "schema_internal.h"

/* Return the entry named key (len bytes) of a sorted array, or NULL. */
const struct schema_prop *
check_find_prop(const struct schema_prop *props, size_t n, const char *key,
    size_t len)
{
	const struct schema_prop	*p;
	size_t				 lo = 0, hi = n, mid;
	int				 c;

	if (n == 0)
		return NULL;	/* props may be NULL: no arithmetic on it */
	if (hi <= 8) {
		/* A few names: compare lengths and first bytes first. */
		for (p = props; p < props + hi; p++)
			if (p->len == len && (len == 0 || (p->name[0] == key[0] &&
			    memcmp(p->name, key, len) == 0)))
				return p;
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = &props[mid];
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
check_required(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	size_t	 i;
	int	 ok = 1;

	for (i = 0; i < n->n_required; i++)
		if (jval_getn(v, n->required[i].name,
		    n->required[i].len) == NULL) {
			check_fail(ctx, "required", "missing property \"%s\"",
			    n->required[i].name);
			CHECK_FAILED(ctx, ok);
		}
	return ok;
}

/* Check "dependentRequired": a present name brings its companions. */
static int
check_dependent_required(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const struct schema_dependent	*d;
	size_t				 i, j;
	int				 ok = 1;

	for (i = 0; i < n->n_dependent_required; i++) {
		d = &n->dependent_required[i];
		if (jval_getn(v, d->name.name, d->name.len) == NULL)
			continue;
		for (j = 0; j < d->n_names; j++)
			if (jval_getn(v, d->names[j].name,
			    d->names[j].len) == NULL) {
				check_fail(ctx, "dependentRequired", "property "
				    "\"%s\" requires property \"%s\"",
				    d->name.name, d->names[j].name);
				CHECK_FAILED(ctx, ok);
			}
	}
	return ok;
}

/* Check one property name against propertyNames. */
static int
check_property_name(struct check_ctx *ctx, const struct schema_node *n,
    const char *key, size_t len)
{
	struct jval	 name;

	if (n->property_names->kind == SCHEMA_NODE_TRUE)
		return 1;
	name.type = JT_STRING;
	name.u.s = key;
	name.n = len;
	return check_member(ctx, "propertyNames", n->property_names, &name,
	    key, len);
}

/*
 * Check each member of v: properties, patternProperties,
 * additionalProperties, propertyNames.  Required properties seen on the
 * way are counted in a bit mask (see compile_index_required), so
 * "required" costs no lookups when every member is valid.
 */
static int
check_object_members(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v, int check_req)
{
	const struct schema_prop	*p;
	const struct schema_pattern_prop *pp;
	const struct jmember		*m;
	const struct jval		*child;
	const char			*key;
	size_t				 len, i;
	uint64_t			 seen = 0;
	int				 matched, rc, ok = 1;

	for (m = v->u.members; m < v->u.members + v->n; m++) {
		key = m->key;
		len = m->keylen;
		child = &m->val;
		matched = 0;
		if ((n->kw & SCHEMA_K_PROPERTY_NAMES) &&
		    !check_property_name(ctx, n, key, len))
			CHECK_FAILED(ctx, ok);
		if ((p = check_find_prop(n->properties, n->n_properties, key,
		    len)) != NULL) {
			matched = 1;
			seen |= p->required_bit;
			if (!check_member(ctx, "properties", p->node, child,
			    key, len))
				CHECK_FAILED(ctx, ok);
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
				CHECK_FAILED(ctx, ok);
		}
		if (!matched && n->additional_properties != NULL &&
		    !check_member(ctx, "additionalProperties",
		    n->additional_properties, child, key, len))
			CHECK_FAILED(ctx, ok);
	}
	if (check_req && seen != n->required_mask && !check_required(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	return ok;
}

/* Check dependentSchemas: a present name applies its schema to v. */
static int
check_dependent_schemas(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const struct schema_prop	*d;
	size_t				 i;
	int				 ok = 1;

	for (i = 0; i < n->n_dependent_schemas; i++) {
		d = &n->dependent_schemas[i];
		if (jval_getn(v, d->name, d->len) != NULL &&
		    !check_child(ctx, "dependentSchemas", d->node, v))
			CHECK_FAILED(ctx, ok);
	}
	return ok;
}

/*
 * Check the object keywords: sizes, required, then the members.  When
 * the members are walked and required_mask is set, a missing required
 * property is reported after the members' own errors.
 */
int
check_object(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	const struct schema_prop	*p;
	const struct jval		*child;
	size_t				 size = v->n, i;
	int				 walk, required_done = 0, ok = 1;

	if ((n->kw & SCHEMA_K_MIN_PROPERTIES) && size < n->min_properties) {
		check_fail(ctx, "minProperties", "object has too few "
		    "properties (%zu, minimum %zu)", size, n->min_properties);
		CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_MAX_PROPERTIES) && size > n->max_properties) {
		check_fail(ctx, "maxProperties", "object has too many "
		    "properties (%zu, maximum %zu)", size, n->max_properties);
		CHECK_FAILED(ctx, ok);
	}
	walk = (n->kw & (SCHEMA_K_PATTERN_PROPERTIES |
	    SCHEMA_K_ADDITIONAL_PROPERTIES | SCHEMA_K_PROPERTY_NAMES)) != 0;
	if (size < n->n_required || !(walk && n->required_mask != 0)) {
		required_done = 1;
		if (!check_required(ctx, n, v))
			CHECK_FAILED(ctx, ok);
	}
	if ((n->kw & SCHEMA_K_DEPENDENT_REQUIRED) &&
	    !check_dependent_required(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	if (walk) {
		if (!check_object_members(ctx, n, v, !required_done))
			CHECK_FAILED(ctx, ok);
	} else {
		/* Only "properties": look its names up rather than walk v. */
		for (i = 0; i < n->n_properties; i++) {
			p = &n->properties[i];
			if ((child = jval_getn(v, p->name,
			    p->len)) != NULL && !check_member(ctx, "properties",
			    p->node, child, p->name, p->len))
				CHECK_FAILED(ctx, ok);
		}
	}
	if ((n->kw & SCHEMA_K_DEPENDENT_SCHEMAS) &&
	    !check_dependent_schemas(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	return ok;
}

