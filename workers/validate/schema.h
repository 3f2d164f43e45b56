/*
 * schema.h: JSON Schema (draft 2020-12) engine of the validate worker.
 *
 * A schema document is compiled once into a tree of nodes (one per
 * subschema, keyword values parsed, regular expressions compiled, every
 * "$ref" resolved) and then used to validate many instances.  Validation
 * walks the instance once and, in the common case, allocates nothing.
 *
 * Referenced documents come from a struct schema_registry the caller fills
 * from files and directories (never from the network); the draft 2020-12
 * meta-schemas are built in.  Without a registry only the document itself
 * and the meta-schemas can be referenced.
 *
 * Errors read "<instance JSON pointer>: <keyword>: <message> (schema
 * <keyword location>)", the root instance being "(root)", the location a
 * JSON pointer into the schema document (prefixed by "URI#" for a
 * referenced document).
 *
 * Threads: a compiled schema is immutable except for its PCRE2 match data
 * and JIT stack, which every validation on it reuses.  Use one struct
 * schema from one thread at a time (the validate worker is one thread per
 * process); compile a second copy for a second thread.
 */
#ifndef CXPIPE_SCHEMA_H
#define CXPIPE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Deepest instance nesting (and schema nesting) accepted. */
#define SCHEMA_MAX_DEPTH	512

/*
 * A good size for err and reason buffers.  Messages are one line of valid
 * UTF-8 (control bytes in keys are written \xNN); a JSON pointer too long
 * for the buffer is cut and ends in "..." so the keyword and why still show.
 */
#define SCHEMA_REASON_LEN	512

struct schema;
struct schema_registry;
struct jval;

/*
 * Compile doc (borrowed; enum and const values are kept by reference, so
 * do not modify doc afterwards).  On error returns NULL and writes
 * "JSON-pointer: why" into err, the pointer naming the place in the schema.
 * "format" is asserted; no registry.
 */
struct schema	*schema_compile(json_t *doc, char *err, size_t errlen);

/* Compile a file; err gets "FILE: pointer: why" or "FILE:LINE:COL: why". */
struct schema	*schema_compile_file(const char *path, char *err,
		    size_t errlen);

/* Free a compiled schema; NULL is fine. */
void		 schema_free(struct schema *);

/* Return the root "$id" of the schema, or "" when it has none. */
const char	*schema_id(const struct schema *);

/*
 * Return 1 if instance is valid, 0 if not; on 0 write the first error into
 * reason as "<instance JSON pointer>: <keyword>: <message> (schema
 * <location>)", the root being printed as "(root)".  Strings in instance
 * must be valid UTF-8 (jansson guarantees it unless a *_nocheck
 * constructor made them).
 */
int		 schema_validate(const struct schema *, json_t *instance,
		    char *reason, size_t reasonlen);

/*
 * Registry of documents that "$ref" may name.  Every add function returns
 * 0, or -1 with "FILE: why" (or "FILE:LINE:COL: why") in err.  A document
 * is known by the URI it was added under and by every "$id" in it
 * (resolved against that URI); the first document added under a URI wins.
 */
struct schema_registry	*schema_registry_new(void);
void		 schema_registry_free(struct schema_registry *);

/* Add doc (a new reference is taken) as uri; NULL uri: by its "$id". */
int		 schema_registry_add(struct schema_registry *, const char *uri,
		    json_t *doc, char *err, size_t errlen);

/* Add one file as uri; NULL uri: by its "$id" and as file://ABSPATH. */
int		 schema_registry_add_file(struct schema_registry *,
		    const char *path, const char *uri, char *err, size_t errlen);

/* Add every *.json under dir (recursively), each as add_file(path, NULL). */
int		 schema_registry_add_dir(struct schema_registry *,
		    const char *dir, char *err, size_t errlen);

/*
 * Add every *.json under dir (recursively) as uri_prefix followed by its
 * path relative to dir: ("http://h/s/", "/d") serves /d/a/b.json as
 * http://h/s/a/b.json.
 */
int		 schema_registry_add_prefix(struct schema_registry *,
		    const char *uri_prefix, const char *dir, char *err,
		    size_t errlen);

/* How to compile; a zeroed struct is what schema_compile() does. */
struct schema_options {
	const struct schema_registry	*registry;	/* NULL: none */
	int	 format_annotation;	/* 1: "format" only annotates */
};

/* schema_compile() and schema_compile_file() with options (NULL: none). */
struct schema	*schema_compile_with(json_t *doc,
		    const struct schema_options *, char *err, size_t errlen);
struct schema	*schema_compile_file_with(const char *path,
		    const struct schema_options *, char *err, size_t errlen);

/* One validation error, as handed to a schema_error_fn. */
struct schema_error {
	const char	*instance;	/* JSON pointer, "" for the root */
	const char	*keyword;	/* "type", "required", ... */
	const char	*message;	/* "expected string, got integer" */
	const char	*location;	/* schema keyword location */
	const char	*text;		/* all of it, as schema_validate writes */
};

/* Called once per error; the strings live until it returns. */
typedef void	(*schema_error_fn)(const struct schema_error *, void *arg);

/*
 * Validate instance and call fn (which may be NULL) for every error, not
 * only the first: each failing keyword outside anyOf/oneOf/not/if
 * branches reports.  Return the number of errors, 0 when valid.
 */
size_t		 schema_validate_all(const struct schema *, json_t *instance,
		    schema_error_fn fn, void *arg);

/*
 * schema_validate() and schema_validate_all() on a tree of jdoc.h, as the
 * validate worker parses events (the json_t versions convert to one).
 */
int		 schema_validate_doc(const struct schema *,
		    const struct jval *instance, char *reason,
		    size_t reasonlen);
size_t		 schema_validate_doc_all(const struct schema *,
		    const struct jval *instance, schema_error_fn fn,
		    void *arg);

#endif /* CXPIPE_SCHEMA_H */
