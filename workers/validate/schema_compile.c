/*
 * schema_compile.c: compile a JSON Schema (draft 2020-12) document into a
 * tree of struct schema_node.
 *
 * compile_node walks the document; each keyword has a handler in
 * keyword_table (schema_keyword.c) that checks the keyword's value and
 * fills its field of the node; adding a keyword is adding a handler, a
 * field and a check in schema_validate.c.  "$ref"s are recorded while
 * compiling and resolved at the end (schema_ref.c), so they may point
 * forwards, backwards or into themselves.  Also here: the allocation,
 * buffer, error and path helpers every compile file uses, and schema_free.
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
	why[schema_utf8_cut(why, strlen(why))] = '\0';
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

/* Return a new object node owned by the schema, remembered as json's. */
static struct schema_node *
compile_new_node(struct compile_ctx *cc, json_t *json)
{
	struct schema		*s = cc->s;
	struct schema_node	*n;

	n = compile_xcalloc(1, sizeof(*n));
	n->kind = SCHEMA_NODE_OBJECT;
	s->nodes = compile_grow(s->nodes, &s->cap_nodes, s->n_nodes,
	    sizeof(*s->nodes));
	s->nodes[s->n_nodes++] = n;
	cc->seen = compile_grow(cc->seen, &cc->cap_seen, cc->n_seen,
	    sizeof(*cc->seen));
	cc->seen[cc->n_seen].json = json;
	cc->seen[cc->n_seen++].node = n;
	if (s->root == NULL)
		s->root = n;
	return n;
}

/* Compile the schema v found at the current path; NULL on error. */
struct schema_node *
compile_node(struct compile_ctx *cc, json_t *v)
{
	const struct compile_keyword *k;
	struct schema_node	*n;
	const char		*key;
	size_t			 len, saved;
	json_t			*value;
	int			 rc = 0;

	if (json_is_true(v))
		return &cc->s->node_true;
	if (json_is_false(v))
		return &cc->s->node_false;
	if (!json_is_object(v)) {
		compile_error(cc, "a schema must be an object or a boolean");
		return NULL;
	}
	if (cc->depth >= SCHEMA_MAX_DEPTH) {
		compile_error(cc, "max depth exceeded");
		return NULL;
	}
	n = compile_new_node(cc, v);
	cc->depth++;
	json_object_keylen_foreach(v, key, len, value) {
		if ((k = compile_find_keyword(key, len)) == NULL)
			continue;
		saved = compile_path_push(cc, key, len);
		rc = k->compile(cc, n, value, (char *)n + k->field);
		compile_path_pop(cc, saved);
		if (rc != 0)
			break;
		n->kw |= k->bit;
	}
	cc->depth--;
	if (rc != 0)
		return NULL;
	if (n->format == NULL)
		n->kw &= ~(uint64_t)SCHEMA_K_FORMAT;
	compile_index_required(n);
	return n;
}

/* Compile doc (borrowed) into a new schema; NULL with "pointer: why" in err. */
struct schema *
schema_compile(json_t *doc, char *err, size_t errlen)
{
	struct compile_ctx	 cc;
	struct schema		*s;
	size_t			 i;
	int			 ok;

	memset(&cc, 0, sizeof(cc));
	s = cc.s = compile_xcalloc(1, sizeof(*s));
	s->node_true.kind = SCHEMA_NODE_TRUE;
	s->node_false.kind = SCHEMA_NODE_FALSE;
	cc.doc = doc;
	cc.err = err;
	cc.errlen = errlen;
	compile_buf_add(&cc.path, "", 0);
	if (doc == NULL)
		compile_error(&cc, "no schema document");
	else if ((s->root = compile_node(&cc, doc)) != NULL)
		compile_resolve_refs(&cc);
	ok = !cc.failed;
	for (i = 0; i < cc.n_refs; i++) {
		free(cc.refs[i].ref);
		free(cc.refs[i].path);
	}
	free(cc.refs);
	free(cc.seen);
	free(cc.path.p);
	if (!ok) {
		schema_free(s);
		return NULL;
	}
	return s;
}

/* Compile the schema file at path; NULL with "FILE: ..." in err. */
struct schema *
schema_compile_file(const char *path, char *err, size_t errlen)
{
	struct schema	*s;
	json_error_t	 jerr;
	json_t		*doc;
	char		 why[512];

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
	if ((s = schema_compile(doc, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	json_decref(doc);
	return s;
}

/* Free what a node owns (not its subschemas: the schema owns every node). */
static void
schema_free_node(struct schema_node *n)
{
	size_t	 i;

	json_decref(n->const_value);
	json_decref(n->enum_values);
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
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n);
}

/* Free a compiled schema and every node of it; NULL is fine. */
void
schema_free(struct schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_nodes; i++)
		schema_free_node(s->nodes[i]);
	free(s->nodes);
	free(s->id);
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
