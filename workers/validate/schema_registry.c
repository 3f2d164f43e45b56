/*
 * schema_registry.c: the documents "$ref" may name, loaded from files and
 * directories by the caller (never fetched from the network).  Each
 * document is known by the URI it was added under and by every "$id" in
 * it; a compile takes from the registry the documents it references.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* One name of a document. */
struct registry_entry {
	char		*uri;		/* absolute, no fragment */
	char		*retrieved;	/* the URI the document was added as */
	json_t		*doc;		/* own reference */
};

struct schema_registry {
	struct registry_entry	*v;
	size_t			 n, cap;
};

/* State of the walk that names a document by its "$id"s. */
struct registry_walk {
	struct schema_registry	*reg;
	json_t			*doc;
	const char		*retrieved;
	const char		*base;
	int			 depth;
};

/* Return a new empty registry. */
struct schema_registry *
schema_registry_new(void)
{
	return compile_xcalloc(1, sizeof(struct schema_registry));
}

/* Free a registry and its documents; NULL is fine. */
void
schema_registry_free(struct schema_registry *reg)
{
	size_t	 i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++) {
		free(reg->v[i].uri);
		free(reg->v[i].retrieved);
		json_decref(reg->v[i].doc);
	}
	free(reg->v);
	free(reg);
}

/* Return the entry named uri, or NULL. */
static struct registry_entry *
registry_find(const struct schema_registry *reg, const char *uri)
{
	size_t	 i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->v[i].uri, uri) == 0)
			return &reg->v[i];
	return NULL;
}

/* Name doc uri (fragment dropped) unless a document already has that name. */
static void
registry_name(struct schema_registry *reg, const char *uri, json_t *doc,
    const char *retrieved)
{
	struct registry_entry	*e;
	char			*abs;

	abs = schema_uri_strip_fragment(uri);
	if (registry_find(reg, abs) != NULL) {
		free(abs);
		return;
	}
	reg->v = compile_grow(reg->v, &reg->cap, reg->n, sizeof(*reg->v));
	e = &reg->v[reg->n++];
	e->uri = abs;
	e->retrieved = compile_xstrdup(retrieved);
	e->doc = json_incref(doc);
}

static void registry_walk_schema(struct registry_walk *, json_t *);

/* Walk a subschema for "$id"s. */
static void
registry_sub_cb(json_t *sub, const char *kw, const char *key, size_t keylen,
    size_t index, void *arg)
{
	(void)kw;
	(void)key;
	(void)keylen;
	(void)index;
	registry_walk_schema(arg, sub);
}

/* Name the document by the "$id" of json (if any) and of its subschemas. */
static void
registry_walk_schema(struct registry_walk *w, json_t *json)
{
	const char	*saved = w->base;
	char		*uri = NULL;
	json_t		*id;

	if (!json_is_object(json) || w->depth > SCHEMA_MAX_DEPTH)
		return;
	if ((id = json_object_get(json, "$id")) != NULL && json_is_string(id)) {
		uri = schema_uri_resolve(w->base, json_string_value(id));
		registry_name(w->reg, uri, w->doc, w->retrieved);
		w->base = uri;
	}
	w->depth++;
	schema_for_each_subschema(json, registry_sub_cb, w);
	w->depth--;
	w->base = saved;
	free(uri);
}

/* Add doc as uri, or by its "$id" when uri is NULL. */
int
schema_registry_add(struct schema_registry *reg, const char *uri, json_t *doc,
    char *err, size_t errlen)
{
	struct registry_walk	 w;
	json_t			*id;
	char			*abs;

	if (uri == NULL) {
		id = json_object_get(doc, "$id");
		if (!json_is_string(id)) {
			snprintf(err, errlen, "document has no \"$id\"");
			return -1;
		}
		uri = json_string_value(id);
	}
	abs = schema_uri_strip_fragment(uri);
	registry_name(reg, abs, doc, abs);
	w.reg = reg;
	w.doc = doc;
	w.retrieved = abs;
	w.base = abs;
	w.depth = 0;
	registry_walk_schema(&w, doc);
	free(abs);
	return 0;
}

/* Add the file at path as uri; NULL: by its "$id" and as file://ABSPATH. */
int
schema_registry_add_file(struct schema_registry *reg, const char *path,
    const char *uri, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*doc;
	char		*abs, *file_uri = NULL;
	int		 rc;

	doc = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &jerr);
	if (doc == NULL) {
		if (jerr.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
			    jerr.column, jerr.text);
		else
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		return -1;
	}
	if (uri == NULL) {
		if ((abs = realpath(path, NULL)) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			json_decref(doc);
			return -1;
		}
		file_uri = compile_xcalloc(strlen(abs) + 8, 1);
		snprintf(file_uri, strlen(abs) + 8, "file://%s", abs);
		free(abs);
		/* Known by its "$id", and by its path for relative refs. */
		if (json_is_string(json_object_get(doc, "$id")))
			(void)schema_registry_add(reg, NULL, doc, err, errlen);
		uri = file_uri;
	}
	rc = schema_registry_add(reg, uri, doc, err, errlen);
	free(file_uri);
	json_decref(doc);
	return rc;
}

/* Return 1 if name ends in ".json". */
static int
registry_is_json(const char *name)
{
	size_t	 len = strlen(name);

	return len > 5 && strcmp(name + len - 5, ".json") == 0;
}

/*
 * Add every *.json under dir/rel, sorted by name, each as prefix + its
 * relative path (or by "$id" when prefix is NULL).
 */
static int
registry_add_tree(struct schema_registry *reg, const char *dir,
    const char *rel, const char *prefix, char *err, size_t errlen)
{
	struct dirent	**names;
	struct stat	 st;
	char		*path, *sub, *uri;
	size_t		 len;
	int		 n, i, rc = 0;

	len = strlen(dir) + strlen(rel) + 2;
	path = compile_xcalloc(len, 1);
	snprintf(path, len, "%s%s%s", dir, *rel ? "/" : "", rel);
	if ((n = scandir(path, &names, NULL, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (rc != 0 || name[0] == '.')
			continue;
		len = strlen(rel) + strlen(name) + 2;
		sub = compile_xcalloc(len, 1);
		snprintf(sub, len, "%s%s%s", rel, *rel ? "/" : "", name);
		len = strlen(dir) + strlen(sub) + 2;
		free(path);
		path = compile_xcalloc(len, 1);
		snprintf(path, len, "%s/%s", dir, sub);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc = registry_add_tree(reg, dir, sub, prefix, err,
			    errlen);
		else if (registry_is_json(name)) {
			uri = NULL;
			if (prefix != NULL) {
				len = strlen(prefix) + strlen(sub) + 1;
				uri = compile_xcalloc(len, 1);
				snprintf(uri, len, "%s%s", prefix, sub);
			}
			rc = schema_registry_add_file(reg, path, uri, err,
			    errlen);
			free(uri);
		}
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return rc;
}

/* Add every *.json under dir by its "$id" (or file:// path). */
int
schema_registry_add_dir(struct schema_registry *reg, const char *dir,
    char *err, size_t errlen)
{
	return registry_add_tree(reg, dir, "", NULL, err, errlen);
}

/* Add every *.json under dir as uri_prefix + its path relative to dir. */
int
schema_registry_add_prefix(struct schema_registry *reg,
    const char *uri_prefix, const char *dir, char *err, size_t errlen)
{
	return registry_add_tree(reg, dir, "", uri_prefix, err, errlen);
}

/* Return the document named uri and the URI it was added as, or NULL. */
json_t *
schema_registry_lookup(const struct schema_registry *reg, const char *uri,
    const char **retrieved)
{
	struct registry_entry	*e;

	if ((e = registry_find(reg, uri)) == NULL)
		return NULL;
	*retrieved = e->retrieved;
	return e->doc;
}
