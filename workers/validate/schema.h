/*
 * schema.h: JSON Schema (draft 2020-12) engine of the validate worker.
 *
 * A schema document is compiled once into a tree of nodes (one per
 * subschema, keyword values parsed, regular expressions compiled) and then
 * used to validate many instances.  Validation walks the instance once,
 * stops at the first error and allocates nothing.
 *
 * Threads: a compiled schema is immutable except for its PCRE2 match data
 * and JIT stack, which every schema_validate() call on it reuses.  Use one
 * struct schema from one thread at a time (the validate worker is one
 * thread per process); compile a second copy for a second thread.
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

/*
 * Compile doc (borrowed; enum and const values are kept by reference, so
 * do not modify doc afterwards).  On error returns NULL and writes
 * "JSON-pointer: why" into err, the pointer naming the place in the schema.
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
 * reason as "<instance JSON pointer>: <keyword>: <message>", the root being
 * printed as "(root)".  Strings in instance must be valid UTF-8 (jansson
 * guarantees it unless a *_nocheck constructor made them).
 */
int		 schema_validate(const struct schema *, json_t *instance,
		    char *reason, size_t reasonlen);

#endif /* CXPIPE_SCHEMA_H */
