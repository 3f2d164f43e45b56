/*
 * schema_index.c: the documents taking part in a compile.  Adding a
 * document walks every subschema in it once, before anything is compiled,
 * and records its schema resources (the document and each subschema with
 * "$id", by absolute URI), their "$anchor"s and "$dynamicAnchor"s, and
 * where every subschema is (its resource and its location), so that a
 * "$ref" may name any of them whatever order they are compiled in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* State of the walk over one document. */
struct index_walk {
	struct compile_ctx	*cc;
	struct compile_doc	*doc;
	struct compile_resource	*res;
	struct compile_buf	 path;
	int			 depth;
};

static void index_schema(struct index_walk *, json_t *);

/* Add a resource named uri rooted at json. */
static struct compile_resource *
index_new_resource(struct index_walk *w, const char *uri, json_t *json)
{
	struct compile_ctx	*cc = w->cc;
	struct compile_resource	*r;
	struct schema		*s = cc->s;

	r = compile_xcalloc(1, sizeof(*r));
	r->rt = compile_xcalloc(1, sizeof(*r->rt));
	r->rt->uri = compile_xstrdup(uri);
	r->json = json;
	r->doc = w->doc;
	r->path = compile_xstrndup(w->path.p, w->path.len);
	s->resources = compile_grow(s->resources, &s->cap_resources,
	    s->n_resources, sizeof(*s->resources));
	s->resources[s->n_resources++] = r->rt;
	cc->res = compile_grow(cc->res, &cc->cap_res, cc->n_res,
	    sizeof(*cc->res));
	cc->res[cc->n_res++] = r;
	return r;
}

/* Record an "$anchor" (or "$dynamicAnchor") of the current resource. */
static void
index_anchor(struct index_walk *w, json_t *json, const char *kw, int dynamic)
{
	struct compile_resource	*r = w->res;
	json_t			*name;

	if ((name = json_object_get(json, kw)) == NULL || !json_is_string(name))
		return;
	r->anchors = compile_grow(r->anchors, &r->cap_anchors, r->n_anchors,
	    sizeof(*r->anchors));
	r->anchors[r->n_anchors].name = compile_xstrdup(json_string_value(name));
	r->anchors[r->n_anchors].json = json;
	r->anchors[r->n_anchors++].dynamic = dynamic;
}

/* Walk one subschema of the object being indexed. */
static void
index_sub_cb(json_t *sub, const char *kw, const char *key, size_t keylen,
    size_t index, void *arg)
{
	struct index_walk	*w = arg;
	size_t			 saved = w->path.len, i;
	char			 tmp[32];

	compile_buf_add(&w->path, "/", 1);
	compile_buf_adds(&w->path, kw);
	if (key != NULL) {
		compile_buf_add(&w->path, "/", 1);
		for (i = 0; i < keylen; i++) {
			if (key[i] == '~')
				compile_buf_add(&w->path, "~0", 2);
			else if (key[i] == '/')
				compile_buf_add(&w->path, "~1", 2);
			else
				compile_buf_add(&w->path, key + i, 1);
		}
	} else if (index != SIZE_MAX) {
		snprintf(tmp, sizeof(tmp), "/%zu", index);
		compile_buf_adds(&w->path, tmp);
	}
	index_schema(w, sub);
	w->path.len = saved;
	w->path.p[saved] = '\0';
}

/* Index the schema json: its resource, anchors and place, then its subschemas. */
static void
index_schema(struct index_walk *w, json_t *json)
{
	struct compile_resource	*saved = w->res;
	struct compile_place	*place;
	json_t			*id;
	char			*uri, *abs;

	/* Too deep: compile_node reports it when it gets there. */
	if (!json_is_object(json) || compile_map_get(&w->cc->places, json) ||
	    w->depth > SCHEMA_MAX_DEPTH)
		return;
	id = json_object_get(json, "$id");
	if (id != NULL && json_is_string(id) &&
	    (w->doc->vocabs & SCHEMA_V_CORE)) {
		uri = schema_uri_resolve(saved != NULL ? saved->rt->uri :
		    w->doc->uri, json_string_value(id));
		abs = schema_uri_strip_fragment(uri);
		if (saved == NULL && strcmp(abs, w->doc->uri) != 0)
			index_new_resource(w, w->doc->uri, json);	/* alias */
		w->res = index_new_resource(w, abs, json);
		free(uri);
		free(abs);
	} else if (saved == NULL)
		w->res = index_new_resource(w, w->doc->uri, json);
	place = compile_xcalloc(1, sizeof(*place));
	place->res = w->res;
	place->path = compile_xstrndup(w->path.p, w->path.len);
	compile_map_put(&w->cc->places, json, place);
	index_anchor(w, json, "$anchor", 0);
	index_anchor(w, json, "$dynamicAnchor", 1);
	w->depth++;
	schema_for_each_subschema(json, index_sub_cb, w);
	w->depth--;
	w->res = saved;
}

/*
 * Add the document json, retrieved as uri, to the compile: choose its
 * dialect and index it.  NULL (with the error written) if its dialect is
 * not supported.
 */
struct compile_doc *
compile_add_doc(struct compile_ctx *cc, json_t *json, const char *uri,
    int is_root)
{
	struct compile_doc	*doc;
	struct index_walk	 w;

	doc = compile_xcalloc(1, sizeof(*doc));
	doc->json = json_incref(json);
	doc->uri = schema_uri_strip_fragment(uri);
	doc->is_root = is_root;
	cc->docs = compile_grow(cc->docs, &cc->cap_docs, cc->n_docs,
	    sizeof(*cc->docs));
	cc->docs[cc->n_docs++] = doc;
	if (compile_dialect(cc, doc) != 0)
		return NULL;
	memset(&w, 0, sizeof(w));
	w.cc = cc;
	w.doc = doc;
	compile_buf_add(&w.path, "", 0);
	if (!is_root) {
		compile_buf_adds(&w.path, doc->uri);
		compile_buf_add(&w.path, "#", 1);
	}
	if (!json_is_object(json))	/* a boolean document */
		index_new_resource(&w, doc->uri, json);
	else
		index_schema(&w, json);
	free(w.path.p);
	return doc;
}

/* Return the resource named uri among those indexed, or NULL. */
static struct compile_resource *
compile_lookup_resource(struct compile_ctx *cc, const char *uri)
{
	size_t	 i;

	for (i = 0; i < cc->n_res; i++)
		if (strcmp(cc->res[i]->rt->uri, uri) == 0)
			return cc->res[i];
	return NULL;
}

/* Return the built-in meta-schema document whose "$id" is uri, or NULL. */
static json_t *
compile_builtin(struct compile_ctx *cc, const char *uri)
{
	json_t	*doc, *id;
	size_t	 i, len;

	if (strncmp(uri, "https://json-schema.org/", 24) != 0)
		return NULL;
	if (cc->meta == NULL)
		cc->meta = schema_meta_load();
	len = strlen(uri);
	json_array_foreach(cc->meta, i, doc) {
		id = json_object_get(doc, "$id");
		if (json_string_length(id) == len &&
		    memcmp(json_string_value(id), uri, len) == 0)
			return doc;
	}
	return NULL;
}

/*
 * Return the resource named uri (absolute, no fragment), adding the
 * document that holds it from the registry or the built-in meta-schemas
 * when it is not in the compile yet; NULL if none has it.
 */
struct compile_resource *
compile_find_resource(struct compile_ctx *cc, const char *uri)
{
	struct compile_resource	*r;
	const char		*retrieved = uri;
	json_t			*doc = NULL;

	if ((r = compile_lookup_resource(cc, uri)) != NULL)
		return r;
	if (cc->opts->registry != NULL)
		doc = schema_registry_lookup(cc->opts->registry, uri,
		    &retrieved);
	if (doc == NULL && (doc = compile_builtin(cc, uri)) == NULL)
		return NULL;
	if (compile_add_doc(cc, doc, retrieved, 0) == NULL)
		return NULL;
	return compile_lookup_resource(cc, uri);
}

/* Return the child of v named by one unescaped JSON pointer token, or NULL. */
static json_t *
compile_pointer_step(json_t *v, const char *tok, size_t len)
{
	size_t	 i, index = 0;

	if (json_is_object(v))
		return json_object_getn(v, tok, len);
	if (!json_is_array(v) || len == 0 || (len > 1 && tok[0] == '0'))
		return NULL;
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9' || index > SIZE_MAX / 10 - 1)
			return NULL;
		index = index * 10 + (size_t)(tok[i] - '0');
	}
	return json_array_get(v, index);
}

/*
 * Return what the JSON pointer ptr (unescaped, "" or starting with "/")
 * names below v, or NULL; *res becomes the resource of the deepest
 * indexed schema on the way.
 */
json_t *
compile_pointer_walk(struct compile_ctx *cc, json_t *v, const char *ptr,
    struct compile_resource **res)
{
	struct compile_place	*place;
	char			*tok;
	size_t			 i = 0, n, len = strlen(ptr);

	if (len > 0 && ptr[0] != '/')
		return NULL;
	tok = compile_xcalloc(len + 1, 1);
	while (v != NULL && i < len) {
		for (i++, n = 0; i < len && ptr[i] != '/'; i++) {
			if (ptr[i] == '~' && i + 1 < len &&
			    (ptr[i + 1] == '0' || ptr[i + 1] == '1'))
				tok[n++] = ptr[++i] == '0' ? '~' : '/';
			else if (ptr[i] == '~') {
				v = NULL;
				break;
			} else
				tok[n++] = ptr[i];
		}
		if (v == NULL || (v = compile_pointer_step(v, tok, n)) == NULL)
			break;
		if ((place = compile_map_get(&cc->places, v)) != NULL)
			*res = place->res;
	}
	free(tok);
	return v;
}
