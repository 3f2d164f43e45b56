/*
 * schema_ref.c: resolve the "$ref"s and "$dynamicRef"s recorded while
 * compiling, once the whole document is compiled, and choose the dialect
 * (the vocabularies) of each document from its "$schema".
 *
 * A reference is resolved against its base URI when it is recorded; here
 * its document part names a resource (loaded from the registry or the
 * built-in meta-schemas if need be) and its fragment is a %-encoded JSON
 * pointer or an anchor of that resource.  A target no keyword compiled
 * (say under "definitions") is compiled then.  "$dynamicAnchor"s of every
 * resource are compiled too: a "$dynamicRef" may jump to any of them.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* The vocabularies of draft 2020-12 by URI. */
static const struct {
	const char	*uri;
	unsigned	 bit;
} vocab_table[] = {
	{ "https://json-schema.org/draft/2020-12/vocab/core", SCHEMA_V_CORE },
	{ "https://json-schema.org/draft/2020-12/vocab/applicator",
	    SCHEMA_V_APPLICATOR },
	{ "https://json-schema.org/draft/2020-12/vocab/unevaluated",
	    SCHEMA_V_UNEVALUATED },
	{ "https://json-schema.org/draft/2020-12/vocab/validation",
	    SCHEMA_V_VALIDATION },
	{ "https://json-schema.org/draft/2020-12/vocab/meta-data",
	    SCHEMA_V_META_DATA },
	{ "https://json-schema.org/draft/2020-12/vocab/format-annotation",
	    SCHEMA_V_FORMAT },
	{ "https://json-schema.org/draft/2020-12/vocab/format-assertion",
	    SCHEMA_V_FORMAT_ASSERT },
	{ "https://json-schema.org/draft/2020-12/vocab/content",
	    SCHEMA_V_CONTENT },
};

/* Return the vocabularies a meta-schema's "$vocabulary" names; ~0u if bad. */
static unsigned
compile_vocabularies(struct compile_ctx *cc, json_t *vocabulary)
{
	const char	*uri;
	json_t		*required;
	unsigned	 vocabs = SCHEMA_V_CORE;
	size_t		 i;

	json_object_foreach(vocabulary, uri, required) {
		for (i = 0; i < sizeof(vocab_table) / sizeof(vocab_table[0]); i++)
			if (strcmp(vocab_table[i].uri, uri) == 0)
				break;
		if (i < sizeof(vocab_table) / sizeof(vocab_table[0]))
			vocabs |= vocab_table[i].bit;
		else if (json_is_true(required)) {
			compile_error(cc, "unsupported vocabulary \"%s\" is "
			    "required", uri);
			return ~0u;
		}
	}
	return vocabs;
}

/*
 * Set doc->vocabs from its "$schema": draft 2020-12 itself, or a
 * meta-schema of the registry whose "$vocabulary" says.  Any other dialect
 * is refused for the root document and ignored for referenced ones.
 */
int
compile_dialect(struct compile_ctx *cc, struct compile_doc *doc)
{
	struct compile_resource	*meta;
	const char		*uri;
	json_t			*v;
	char			*abs;
	unsigned		 vocabs;

	doc->vocabs = SCHEMA_V_DEFAULT;
	if (!cc->opts->format_annotation)
		doc->vocabs |= SCHEMA_V_FORMAT_ASSERT;
	if ((v = json_object_get(doc->json, "$schema")) == NULL ||
	    (uri = json_string_value(v)) == NULL)
		return 0;
	abs = schema_uri_strip_fragment(uri);
	if (strcmp(abs, SCHEMA_DRAFT_URI) == 0) {
		free(abs);
		return 0;
	}
	compile_path_set(cc, doc->is_root ? "" : doc->uri);
	if (!doc->is_root)
		compile_buf_add(&cc->path, "#", 1);
	compile_buf_adds(&cc->path, "/$schema");
	meta = compile_find_resource(cc, abs);
	free(abs);
	if (meta == NULL || !json_is_object(v = json_object_get(meta->json,
	    "$vocabulary"))) {
		if (meta != NULL || !doc->is_root)
			return 0;
		return compile_error(cc, "unsupported dialect \"%s\" (only \""
		    SCHEMA_DRAFT_URI "\" is)", uri);
	}
	if ((vocabs = compile_vocabularies(cc, v)) == ~0u)
		return -1;
	if ((vocabs & SCHEMA_V_FORMAT) && !cc->opts->format_annotation)
		vocabs |= SCHEMA_V_FORMAT_ASSERT;
	doc->vocabs = vocabs;
	return 0;
}

/* Return the anchor name of resource r, or NULL. */
static struct compile_anchor *
compile_find_anchor(struct compile_resource *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->n_anchors; i++)
		if (strcmp(r->anchors[i].name, name) == 0)
			return &r->anchors[i];
	return NULL;
}

/* Compile json, found in resource r at location path, as a ref target. */
static struct schema_node *
compile_target(struct compile_ctx *cc, struct compile_resource *r,
    json_t *json, const char *path)
{
	struct compile_resource	*saved = cc->cur;
	struct compile_place	*place;
	struct schema_node	*n;

	if ((place = compile_map_get(&cc->places, json)) != NULL) {
		r = place->res;
		path = place->path;
	}
	cc->cur = r;
	compile_path_set(cc, path);
	n = compile_node(cc, json);
	cc->cur = saved;
	return n;
}

/* Resolve one recorded reference to its node. */
static int
compile_resolve_ref(struct compile_ctx *cc, struct compile_ref *ref)
{
	struct compile_resource	*r, *found;
	struct compile_anchor	*anchor = NULL;
	struct compile_buf	 path = { NULL, 0, 0 };
	struct schema_node	*n;
	const char		*hash;
	char			*base, *frag;
	size_t			 len;
	json_t			*target;

	base = schema_uri_strip_fragment(ref->uri);
	r = compile_find_resource(cc, base);
	free(base);
	if (cc->failed)
		return -1;
	compile_path_set(cc, ref->path);
	if (r == NULL)
		return compile_error(cc, "cannot resolve \"%s\": no document "
		    "has that URI", ref->ref);
	hash = strchr(ref->uri, '#');
	if ((frag = schema_percent_decode(hash != NULL ? hash + 1 : "",
	    &len)) == NULL)
		return compile_error(cc, "bad %%-escape in \"%s\"", ref->ref);
	found = r;
	if (frag[0] == '\0' || frag[0] == '/') {
		target = compile_pointer_walk(cc, r->json, frag, &found);
		compile_buf_adds(&path, r->path);
		compile_buf_adds(&path, frag);
	} else if ((anchor = compile_find_anchor(r, frag)) != NULL) {
		target = anchor->json;
		compile_buf_adds(&path, r->path);
	} else
		target = NULL;
	if (target == NULL) {
		free(frag);
		free(path.p);
		return compile_error(cc, "cannot resolve \"%s\"", ref->ref);
	}
	n = compile_target(cc, found, target, path.p);
	free(path.p);
	if (n == NULL) {
		free(frag);
		return -1;
	}
	if (!ref->dynamic)
		ref->node->ref = n;
	else {
		ref->node->dynamic_ref = n;
		if (anchor != NULL && anchor->dynamic) {
			ref->node->dynamic_name = frag;
			frag = NULL;
		}
	}
	free(frag);
	return 0;
}

/* Compile the "$dynamicAnchor"s of resource r into its runtime table. */
static int
compile_dynamic_anchors(struct compile_ctx *cc, struct compile_resource *r)
{
	struct compile_anchor	*a;
	struct schema_node	*n;
	size_t			 i;

	for (i = 0; i < r->n_anchors; i++) {
		a = &r->anchors[i];
		if (!a->dynamic)
			continue;
		if ((n = compile_target(cc, r, a->json, r->path)) == NULL)
			return -1;
		r->rt->dyn = compile_grow(r->rt->dyn, &(size_t){ r->rt->n_dyn },
		    r->rt->n_dyn, sizeof(*r->rt->dyn));
		r->rt->dyn[r->rt->n_dyn].name = compile_xstrdup(a->name);
		r->rt->dyn[r->rt->n_dyn++].node = n;
	}
	return 0;
}

/*
 * Resolve every recorded reference and compile every dynamic anchor,
 * including those of targets and documents added meanwhile.
 */
int
compile_resolve_refs(struct compile_ctx *cc)
{
	struct compile_ref	 r;
	size_t			 i = 0, j = 0;

	while (i < cc->n_refs || j < cc->n_res) {
		for (; i < cc->n_refs; i++) {
			r = cc->refs[i];	/* cc->refs may move meanwhile */
			if (compile_resolve_ref(cc, &r) != 0)
				return -1;
		}
		for (; j < cc->n_res; j++)
			if (compile_dynamic_anchors(cc, cc->res[j]) != 0)
				return -1;
	}
	return 0;
}
