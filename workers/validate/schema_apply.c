/*
 * schema_apply.c: validation of the in-place applicators ($ref,
 * $dynamicRef, allOf, anyOf, oneOf, not, if/then/else) and of
 * unevaluatedItems and unevaluatedProperties.
 *
 * unevaluated* need to know which members the node's other keywords and
 * the subschemas that succeeded there evaluated.  Rather than carry those
 * annotations through every validation (and pay for them when no schema
 * asks), check_collect computes them when a node with unevaluated* has
 * passed everything else, re-trying conditional branches as it goes.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* Return the target of a "$dynamicRef" in the current dynamic scope. */
const struct schema_node *
check_dynamic_target(const struct check_ctx *ctx, const struct schema_node *n)
{
	const struct schema_resource	*r;
	size_t				 i, j;

	if (n->dynamic_name == NULL)
		return n->dynamic_ref;
	for (i = 0; i < ctx->n_scope; i++) {
		r = ctx->scope[i];
		for (j = 0; r != NULL && j < r->n_dyn; j++)
			if (strcmp(r->dyn[j].name, n->dynamic_name) == 0)
				return r->dyn[j].node;
	}
	return n->dynamic_ref;
}

/* Check anyOf: at least one branch holds. */
static int
check_any_of(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
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
    const struct jval *v)
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

/* Check if/then/else. */
static int
check_if(struct check_ctx *ctx, const struct schema_node *n, const struct jval *v)
{
	if (check_quietly(ctx, "if", n->if_schema, v))
		return n->then_schema == NULL ||
		    check_child(ctx, "then", n->then_schema, v);
	if (ctx->fatal)
		return 0;
	return n->else_schema == NULL ||
	    check_child(ctx, "else", n->else_schema, v);
}

/* Check the applicators: $ref, $dynamicRef, allOf, anyOf, oneOf, not, if. */
int
check_applicators(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	size_t	 i;
	int	 ok = 1;

	if ((n->kw & SCHEMA_K_REF) && !check_child(ctx, "$ref", n->ref, v))
		CHECK_FAILED(ctx, ok);
	if ((n->kw & SCHEMA_K_DYNAMIC_REF) && !check_child(ctx, "$dynamicRef",
	    check_dynamic_target(ctx, n), v))
		CHECK_FAILED(ctx, ok);
	for (i = 0; i < n->all_of.n; i++)
		if (!check_child(ctx, "allOf", n->all_of.v[i], v))
			CHECK_FAILED(ctx, ok);
	if ((n->kw & SCHEMA_K_ANY_OF) && !check_any_of(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	if ((n->kw & SCHEMA_K_ONE_OF) && !check_one_of(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	if (n->kw & SCHEMA_K_NOT) {
		if (check_quietly(ctx, "not", n->not_schema, v)) {
			check_fail(ctx, "not", "value matches a schema it must "
			    "not match");
			CHECK_FAILED(ctx, ok);
		}
		if (ctx->fatal)
			return 0;
	}
	if ((n->kw & SCHEMA_K_IF) && !check_if(ctx, n, v))
		CHECK_FAILED(ctx, ok);
	return ok;
}

/* Mark member i evaluated. */
static void
check_seen_set(struct check_seen *seen, size_t i)
{
	if (i < seen->n)
		seen->bits[i / 64] |= UINT64_C(1) << (i % 64);
}

/* Return 1 if member i was evaluated. */
static int
check_seen_get(const struct check_seen *seen, size_t i)
{
	return seen->all || (seen->bits[i / 64] >> (i % 64) & 1);
}

static void check_collect(struct check_ctx *, const struct schema_node *,
    const struct jval *, struct check_seen *, int);

/* Mark the members of object v that n's own keywords evaluated. */
static void
check_collect_object(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v, struct check_seen *seen, int self)
{
	const char	*key;
	size_t		 len, i, j;

	if (n->additional_properties != NULL ||
	    (!self && n->unevaluated_properties != NULL)) {
		seen->all = 1;
		return;
	}
	for (i = 0; i < v->n; i++) {
		key = v->u.members[i].key;
		len = v->u.members[i].keylen;
		if (check_find_prop(n->properties, n->n_properties, key,
		    len) != NULL)
			check_seen_set(seen, i);
		for (j = 0; j < n->n_pattern_properties; j++)
			if (check_match(ctx, "patternProperties",
			    &n->pattern_properties[j].re, key, len) > 0)
				check_seen_set(seen, i);
	}
	for (j = 0; j < n->n_dependent_schemas; j++)
		if (jval_getn(v, n->dependent_schemas[j].name,
		    n->dependent_schemas[j].len) != NULL)
			check_collect(ctx, n->dependent_schemas[j].node, v,
			    seen, 0);
}

/* Mark the items of array v that n's own keywords evaluated. */
static void
check_collect_array(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v, struct check_seen *seen, int self)
{
	size_t	 i, size = v->n;
	int	 ok;

	if (n->items != NULL || (!self && n->unevaluated_items != NULL)) {
		seen->all = 1;
		return;
	}
	for (i = 0; i < n->prefix_items.n && i < size; i++)
		check_seen_set(seen, i);
	if (n->contains == NULL)
		return;
	for (i = 0; i < size; i++) {
		ctx->quiet++;
		ok = check_member(ctx, "contains", n->contains,
		    &v->u.items[i], NULL, i);
		ctx->quiet--;
		if (ok)
			check_seen_set(seen, i);
	}
}

/*
 * Mark the members of v that n, known to be valid for v, evaluated: its
 * own keywords (not its unevaluated* when self) and its in-place
 * applicators, conditional ones only where they succeed.
 */
static void
check_collect(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v, struct check_seen *seen, int self)
{
	const struct schema_node	*target;
	size_t				 i, scope = ctx->n_scope;

	if (n->kind != SCHEMA_NODE_OBJECT || seen->all ||
	    ctx->nest >= CHECK_MAX_NEST)
		return;
	ctx->nest++;
	if (scope == 0 || ctx->scope[scope - 1] != n->resource)
		ctx->scope[ctx->n_scope++] = n->resource;
	if (v->type == JT_OBJECT)
		check_collect_object(ctx, n, v, seen, self);
	else
		check_collect_array(ctx, n, v, seen, self);
	if (n->ref != NULL)
		check_collect(ctx, n->ref, v, seen, 0);
	if ((n->kw & SCHEMA_K_DYNAMIC_REF) &&
	    (target = check_dynamic_target(ctx, n)) != NULL)
		check_collect(ctx, target, v, seen, 0);
	for (i = 0; i < n->all_of.n; i++)
		check_collect(ctx, n->all_of.v[i], v, seen, 0);
	for (i = 0; i < n->any_of.n; i++)
		if (check_quietly(ctx, "anyOf", n->any_of.v[i], v))
			check_collect(ctx, n->any_of.v[i], v, seen, 0);
	for (i = 0; i < n->one_of.n; i++)
		if (check_quietly(ctx, "oneOf", n->one_of.v[i], v))
			check_collect(ctx, n->one_of.v[i], v, seen, 0);
	if (n->kw & SCHEMA_K_IF) {
		if (check_quietly(ctx, "if", n->if_schema, v)) {
			check_collect(ctx, n->if_schema, v, seen, 0);
			if (n->then_schema != NULL)
				check_collect(ctx, n->then_schema, v, seen, 0);
		} else if (n->else_schema != NULL)
			check_collect(ctx, n->else_schema, v, seen, 0);
	}
	ctx->n_scope = scope;
	ctx->nest--;
}

/* Check the members of v nothing else evaluated against keyword's schema. */
static int
check_unevaluated_members(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v, const char *keyword,
    const struct schema_node *sub)
{
	struct check_seen	 seen;
	uint64_t		 local[4];
	const struct jmember	*m;
	size_t			 size, i;
	int			 ok = 1;

	size = v->n;
	seen.n = size;
	seen.all = 0;
	if (size <= 64 * sizeof(local) / sizeof(local[0])) {
		memset(local, 0, sizeof(local));
		seen.bits = local;
	} else
		seen.bits = compile_xcalloc((size + 63) / 64, sizeof(uint64_t));
	check_collect(ctx, n, v, &seen, 1);
	if (ctx->fatal)
		ok = 0;
	else if (!seen.all && v->type == JT_OBJECT) {
		for (i = 0; i < size; i++) {
			m = &v->u.members[i];
			if (!check_seen_get(&seen, i) && !check_member(ctx,
			    keyword, sub, &m->val, m->key, m->keylen)) {
				ok = 0;
				if (!ctx->all || ctx->quiet || ctx->fatal)
					break;
			}
		}
	} else if (!seen.all) {
		for (i = 0; i < size; i++)
			if (!check_seen_get(&seen, i) && !check_member(ctx,
			    keyword, sub, &v->u.items[i], NULL, i)) {
				ok = 0;
				if (!ctx->all || ctx->quiet || ctx->fatal)
					break;
			}
	}
	if (seen.bits != local)
		free(seen.bits);
	return ok;
}

/* Check unevaluatedItems and unevaluatedProperties, after everything else. */
int
check_unevaluated(struct check_ctx *ctx, const struct schema_node *n,
    const struct jval *v)
{
	if (v->type == JT_OBJECT && n->unevaluated_properties != NULL &&
	    n->unevaluated_properties->kind != SCHEMA_NODE_TRUE)
		return check_unevaluated_members(ctx, n, v,
		    "unevaluatedProperties", n->unevaluated_properties);
	if (v->type == JT_ARRAY && n->unevaluated_items != NULL &&
	    n->unevaluated_items->kind != SCHEMA_NODE_TRUE)
		return check_unevaluated_members(ctx, n, v, "unevaluatedItems",
		    n->unevaluated_items);
	return 1;
}
