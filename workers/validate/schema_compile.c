/*
 * schema_compile.c: compile a JSON Schema (draft 2020-12) document into a
 * tree of struct schema_node.
 *
 * The document is first indexed (schema_index.c: its resources, anchors
 * and the location of every subschema), then compile_node walks it; each
 * keyword has a handler in keyword_table (schema_keyword.c) that checks
 * the keyword's value and fills its field of the node; adding a keyword
 * is adding a handler, a field and a check in schema_validate.c.  "$ref"s
 * are recorded while compiling and resolved at the end (schema_ref.c), so
 * they may point forwards, backwards, into themselves or into other
 * documents of the registry.  Also here: the allocation, buffer, error,
 * path and map helpers every compile file uses, and schema_free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* Allocate zeroed memory or abort: out of memory is not recoverable. */
void *
compile_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	return p;
}

/* Return v (or its new place) with room for n + 1 elements of size bytes. */
void *
compile_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t	 ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 8;
	if ((v = realloc(v, ncap * size)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	*cap = ncap;
	return v;
}

/* Return a NUL-terminated copy of len bytes at s; the caller frees it. */
char *
compile_xstrndup(const char *s, size_t len)
{
	char	*p;

	p = compile_xcalloc(len + 1, 1);
	memcpy(p, s, len);
	return p;
}

/* Append len bytes to a buffer, keeping it NUL-terminated. */
void
compile_buf_add(struct compile_buf *b, const char *s, size_t len)
{
	while (b->len + len + 1 > b->cap)
		b->p = compile_grow(b->p, &b->cap, b->cap, 1);
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/* Return a copy of the NUL-terminated s; the caller frees it. */
char *
compile_xstrdup(const char *s)
{
	return compile_xstrndup(s, strlen(s));
}

/* Append a NUL-terminated string to a buffer. */
void
compile_buf_adds(struct compile_buf *b, const char *s)
{
	compile_buf_add(b, s, strlen(s));
}

/*
 * Write "pointer: why" into the error buffer once; return -1 to pass on.
 * A pointer too long for the buffer is cut with "..." so "why" shows.
 */
int __attribute__((format(printf, 2, 3)))
compile_error(struct compile_ctx *cc, const char *fmt, ...)
{
	va_list		 ap;
	const char	*path = cc->path.len ? cc->path.p : "(root)";
	char		 why[384];
	size_t		 keep;
	int		 n;

	if (cc->failed++ || cc->err == NULL || cc->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	schema_oneline(why, sizeof(why));
	keep = strlen(path);
	if (keep + 2 + strlen(why) >= cc->errlen &&
	    strlen(why) + 16 < cc->errlen) {
		keep = schema_utf8_cut(path, cc->errlen - strlen(why) - 6);
		n = snprintf(cc->err, cc->errlen, "%.*s...: %s", (int)keep,
		    path, why);
	} else
		n = snprintf(cc->err, cc->errlen, "%s: %s", path, why);
	if (n >= 0 && (size_t)n >= cc->errlen)
		cc->err[schema_utf8_cut(cc->err, cc->errlen - 1)] = '\0';
	return -1;
}

/* Append "/token" (escaped as a JSON pointer token) to the schema path. */
size_t
compile_path_push(struct compile_ctx *cc, const char *key, size_t len)
{
	size_t	 saved = cc->path.len, i;

	compile_buf_add(&cc->path, "/", 1);
	for (i = 0; i < len; i++) {
		if (key[i] == '~')
			compile_buf_add(&cc->path, "~0", 2);
		else if (key[i] == '/')
			compile_buf_add(&cc->path, "~1", 2);
		else
			compile_buf_add(&cc->path, key + i, 1);
	}
	return saved;
}

/* Append "/index" to the schema path. */
size_t
compile_path_push_index(struct compile_ctx *cc, size_t index)
{
	char	 tmp[32];

	snprintf(tmp, sizeof(tmp), "%zu", index);
	return compile_path_push(cc, tmp, strlen(tmp));
}

/* Cut the schema path back to what compile_path_push returned. */
void
compile_path_pop(struct compile_ctx *cc, size_t saved)
{
	cc->path.len = saved;
	if (cc->path.p != NULL)
		cc->path.p[saved] = '\0';
}

/* Replace the location being compiled with path. */
void
compile_path_set(struct compile_ctx *cc, const char *path)
{
	compile_path_pop(cc, 0);
	compile_buf_adds(&cc->path, path);
}

/* Return the slot of key in a map (its own or the empty one to fill). */
static size_t
compile_map_slot(const struct compile_map *m, const void *key)
{
	size_t	 i;

	i = ((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ull & (m->cap - 1);
	while (m->keys[i] != NULL && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Return the value of key in a map, or NULL. */
void *
compile_map_get(const struct compile_map *m, const void *key)
{
	size_t	 i;

	if (m->cap == 0)
		return NULL;
	i = compile_map_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : NULL;
}

/* Set the value of key in a map, growing it at half full. */
void
compile_map_put(struct compile_map *m, const void *key, void *val)
{
	struct compile_map	 old = *m;
	size_t			 i;

	if (2 * (m->n + 1) > m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->keys = compile_xcalloc(m->cap, sizeof(*m->keys));
		m->vals = compile_xcalloc(m->cap, sizeof(*m->vals));
		m->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.keys[i] != NULL)
				compile_map_put(m, old.keys[i], old.vals[i]);
		free(old.keys);
		free(old.vals);
	}
	i = compile_map_slot(m, key);
	if (m->keys[i] == NULL)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

/* Free a map's arrays (not what its values point to). */
void
compile_map_free(struct compile_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Return a new node of kind owned by the schema, at the current location. */
static struct schema_node *
compile_new_node(struct compile_ctx *cc, enum schema_node_kind kind)
{
	struct schema		*s = cc->s;
	struct schema_node	*n;

	n = compile_xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->loc = compile_xstrndup(cc->path.p, cc->path.len);
	n->resource = cc->cur != NULL ? cc->cur->rt : NULL;
	s->nodes = compile_grow(s->nodes, &s->cap_nodes, s->n_nodes,
	    sizeof(*s->nodes));
	s->nodes[s->n_nodes++] = n;
	return n;
}

/* Compile the keywords of the object schema v into n; -1 on error. */
static int
compile_keywords(struct compile_ctx *cc, struct schema_node *n, json_t *v)
{
	const struct compile_keyword *k;
	const char		*key;
	size_t			 len, saved;
	json_t			*value;
	unsigned		 vocabs = cc->cur->doc->vocabs;
	int			 rc;

	json_object_keylen_foreach(v, key, len, value) {
		if ((k = compile_find_keyword(key, len)) == NULL ||
		    !(k->vocab & vocabs))
			continue;
		saved = compile_path_push(cc, key, len);
		rc = k->compile(cc, n, value, (char *)n + k->field);
		compile_path_pop(cc, saved);
		if (rc != 0)
			return -1;
		n->kw |= k->bit;
	}
	if (n->format == NULL)
		n->kw &= ~(uint64_t)SCHEMA_K_FORMAT;
	if (!(n->kw & SCHEMA_K_MIN_CONTAINS))
		n->min_contains = 1;
	if (!(n->kw & SCHEMA_K_MAX_CONTAINS))
		n->max_contains = SIZE_MAX;
	if (!(n->kw & SCHEMA_K_CONTAINS))
		n->kw &= ~(uint64_t)(SCHEMA_K_MIN_CONTAINS |
		    SCHEMA_K_MAX_CONTAINS);
	if (!n->unique_items)
		n->kw &= ~(uint64_t)SCHEMA_K_UNIQUE_ITEMS;
	if (!(n->kw & SCHEMA_K_IF))
		n->kw &= ~(uint64_t)(SCHEMA_K_THEN | SCHEMA_K_ELSE);
	compile_index_required(n);
	return 0;
}

/*
 * Compile the schema v found at the current location; NULL on error.  An
 * object schema is compiled once, whoever reaches it first ("$ref"s share
 * its node); a boolean schema gets a node per place, for its location.
 */
struct schema_node *
compile_node(struct compile_ctx *cc, json_t *v)
{
	struct compile_resource	*saved_cur = cc->cur;
	struct compile_place	*place;
	struct schema_node	*n;
	int			 rc;

	if (json_is_boolean(v))
		return compile_new_node(cc, json_is_true(v) ?
		    SCHEMA_NODE_TRUE : SCHEMA_NODE_FALSE);
	if (!json_is_object(v)) {
		compile_error(cc, "a schema must be an object or a boolean");
		return NULL;
	}
	if ((n = compile_map_get(&cc->seen, v)) != NULL)
		return n;
	if (cc->depth >= SCHEMA_MAX_DEPTH) {
		compile_error(cc, "max depth exceeded");
		return NULL;
	}
	if ((place = compile_map_get(&cc->places, v)) != NULL)
		cc->cur = place->res;
	n = compile_new_node(cc, SCHEMA_NODE_OBJECT);
	compile_map_put(&cc->seen, v, n);
	cc->depth++;
	rc = compile_keywords(cc, n, v);
	cc->depth--;
	cc->cur = saved_cur;
	return rc == 0 ? n : NULL;
}

/* Free what one compile call gathered (not the schema). */
static void
compile_ctx_free(struct compile_ctx *cc)
{
	struct compile_resource	*r;
	struct compile_place	*p;
	size_t			 i, j;

	for (i = 0; i < cc->n_refs; i++) {
		free(cc->refs[i].uri);
		free(cc->refs[i].ref);
		free(cc->refs[i].path);
	}
	free(cc->refs);
	for (i = 0; i < cc->places.cap; i++) {
		if ((p = cc->places.vals[i]) == NULL)
			continue;
		free(p->path);
		free(p);
	}
	compile_map_free(&cc->places);
	compile_map_free(&cc->seen);
	for (i = 0; i < cc->n_res; i++) {
		r = cc->res[i];
		for (j = 0; j < r->n_anchors; j++)
			free(r->anchors[j].name);
		free(r->anchors);
		free(r->path);
		free(r);
	}
	free(cc->res);
	for (i = 0; i < cc->n_docs; i++) {
		json_decref(cc->docs[i]->json);
		free(cc->docs[i]->uri);
		free(cc->docs[i]);
	}
	free(cc->docs);
	json_decref(cc->meta);
	free(cc->path.p);
}

/* Compile doc, retrieved as base, into a new schema; NULL on error. */
static struct schema *
compile_doc_as(json_t *doc, const char *base, const struct schema_options *o,
    char *err, size_t errlen)
{
	static const struct schema_options none;
	struct compile_ctx	 cc;
	struct compile_doc	*d;
	struct compile_place	*place;
	struct schema		*s;
	json_t			*id;
	int			 ok;

	memset(&cc, 0, sizeof(cc));
	s = cc.s = compile_xcalloc(1, sizeof(*s));
	cc.opts = o != NULL ? o : &none;
	cc.err = err;
	cc.errlen = errlen;
	compile_buf_add(&cc.path, "", 0);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (doc == NULL)
		compile_error(&cc, "no schema document");
	else if ((d = compile_add_doc(&cc, doc, base, 1)) != NULL) {
		place = compile_map_get(&cc.places, doc);
		cc.cur = place != NULL ? place->res : cc.res[0];
		compile_path_set(&cc, "");
		if ((s->root = compile_node(&cc, doc)) != NULL)
			compile_resolve_refs(&cc);
		if ((id = json_object_get(doc, "$id")) != NULL &&
		    json_is_string(id))
			s->id = compile_xstrndup(json_string_value(id),
			    json_string_length(id));
	}
	ok = !cc.failed;
	compile_ctx_free(&cc);
	if (!ok) {
		schema_free(s);
		return NULL;
	}
	return s;
}

/* Compile doc (borrowed) with options; NULL with "pointer: why" in err. */
struct schema *
schema_compile_with(json_t *doc, const struct schema_options *o, char *err,
    size_t errlen)
{
	return compile_doc_as(doc, "", o, err, errlen);
}

/* Compile doc (borrowed) into a new schema; NULL with "pointer: why" in err. */
struct schema *
schema_compile(json_t *doc, char *err, size_t errlen)
{
	return compile_doc_as(doc, "", NULL, err, errlen);
}

/* Compile the schema file at path with options; NULL with "FILE: ..." in err. */
struct schema *
schema_compile_file_with(const char *path, const struct schema_options *o,
    char *err, size_t errlen)
{
	struct schema	*s;
	json_error_t	 jerr;
	json_t		*doc;
	char		 why[SCHEMA_REASON_LEN], *abs, *uri;

	doc = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &jerr);
	if (doc == NULL) {
		if (jerr.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
			    jerr.column, jerr.text);
		else
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		return NULL;
	}
	/* Without "$id" the file's own URI is the base of relative refs. */
	uri = NULL;
	if ((abs = realpath(path, NULL)) != NULL) {
		uri = compile_xcalloc(strlen(abs) + 8, 1);
		snprintf(uri, strlen(abs) + 8, "file://%s", abs);
		free(abs);
	}
	if ((s = compile_doc_as(doc, uri != NULL ? uri : "", o, why,
	    sizeof(why))) == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	free(uri);
	json_decref(doc);
	return s;
}

/* Compile the schema file at path; NULL with "FILE: ..." in err. */
struct schema *
schema_compile_file(const char *path, char *err, size_t errlen)
{
	return schema_compile_file_with(path, NULL, err, errlen);
}

/* Free what a node owns (not its subschemas: the schema owns every node). */
static void
schema_free_node(struct schema_node *n)
{
	size_t	 i;

	json_decref(n->const_value);
	json_decref(n->enum_values);
	free(n->loc);
	free(n->const_text);
	free(n->enum_text);
	pcre2_code_free(n->pattern.code);
	free(n->pattern.source);
	free(n->format_name);
	free(n->prefix_items.v);
	for (i = 0; i < n->n_required; i++)
		free(n->required[i].name);
	free(n->required);
	for (i = 0; i < n->n_properties; i++)
		free(n->properties[i].name);
	free(n->properties);
	for (i = 0; i < n->n_pattern_properties; i++) {
		pcre2_code_free(n->pattern_properties[i].re.code);
		free(n->pattern_properties[i].re.source);
	}
	free(n->pattern_properties);
	for (i = 0; i < n->n_dependent_required; i++) {
		struct schema_dependent *d = &n->dependent_required[i];
		size_t j;

		free(d->name.name);
		for (j = 0; j < d->n_names; j++)
			free(d->names[j].name);
		free(d->names);
	}
	free(n->dependent_required);
	for (i = 0; i < n->n_dependent_schemas; i++)
		free(n->dependent_schemas[i].name);
	free(n->dependent_schemas);
	free(n->dynamic_name);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n);
}

/* Free a compiled schema and every node of it; NULL is fine. */
void
schema_free(struct schema *s)
{
	size_t	 i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_nodes; i++)
		schema_free_node(s->nodes[i]);
	free(s->nodes);
	for (i = 0; i < s->n_resources; i++) {
		for (j = 0; j < s->resources[i]->n_dyn; j++)
			free(s->resources[i]->dyn[j].name);
		free(s->resources[i]->dyn);
		free(s->resources[i]->uri);
		free(s->resources[i]);
	}
	free(s->resources);
	free(s->id);
	jdoc_free(s->values);
	pcre2_match_data_free(s->match_data);
	pcre2_match_context_free(s->match_context);
	if (s->jit_stack != NULL)
		pcre2_jit_stack_free(s->jit_stack);
	free(s);
}

/* Return the root "$id" of the schema, or "". */
const char *
schema_id(const struct schema *s)
{
	return s->id != NULL ? s->id : "";
}
