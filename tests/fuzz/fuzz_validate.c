/*
 * fuzz_validate.c: libFuzzer target over what the validate worker does to
 * an event body: jdoc_parse, then schema_validate_doc against every schema
 * in the schema directory (all compiled once, at start).  Each body is
 * also parsed the way the worker did before jdoc (a scan for nesting
 * deeper than max_depth, then json_loadb with its flags, read again as
 * doubles when an integer is too big): both must accept or refuse it, and
 * build the same values.  Built and run by "make fuzz" and "make fuzz-run".
 *
 * The schema directory is, first that holds a *.json file:
 * $CXPIPE_FUZZ_SCHEMA_DIR, the source tree's etc/schemas (FUZZ_SCHEMA_DIR,
 * set by the make rule), then ../../etc/schemas beside the binary.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz_check.h"
#include "schema.h"

#define FUZZ_MAX_SCHEMAS	64

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct schema	*fuzz_schemas[FUZZ_MAX_SCHEMAS];
static size_t		 fuzz_nschemas;
static struct jdoc	*fuzz_doc;	/* reused, as the worker's */

/* Keeps *.json names only. */
static int
fuzz_filter_json(const struct dirent *d)
{
	size_t	 len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".json") == 0;
}

/* Compiles every *.json of dir, by name; the count, or 0 if none is there. */
static size_t
fuzz_load_dir(const char *dir)
{
	struct dirent	**names;
	char		  path[PATH_MAX], err[SCHEMA_REASON_LEN];
	int		  n, i;

	if ((n = scandir(dir, &names, fuzz_filter_json, alphasort)) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (fuzz_nschemas == FUZZ_MAX_SCHEMAS) {
			fprintf(stderr, "fuzz_validate: more than %d schemas "
			    "in %s\n", FUZZ_MAX_SCHEMAS, dir);
			exit(1);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		fuzz_schemas[fuzz_nschemas] = schema_compile_file(path, err,
		    sizeof(err));
		if (fuzz_schemas[fuzz_nschemas] == NULL) {
			/* The daemon refuses it too: nothing to fuzz. */
			fprintf(stderr, "fuzz_validate: %s\n", err);
			exit(1);
		}
		fprintf(stderr, "fuzz_validate: schema %s (%s)\n", path,
		    schema_id(fuzz_schemas[fuzz_nschemas]));
		fuzz_nschemas++;
		free(names[i]);
	}
	free(names);
	return fuzz_nschemas;
}

/* Finds the schema directory and compiles what it holds, or exits. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*env;
	char		 exe[PATH_MAX], rel[PATH_MAX + 32];
	ssize_t		 len;

	fuzz_doc = jdoc_new();
	if ((env = getenv("CXPIPE_FUZZ_SCHEMA_DIR")) != NULL && *env != '\0') {
		if (fuzz_load_dir(env) == 0) {
			fprintf(stderr, "fuzz_validate: no *.json schema in "
			    "CXPIPE_FUZZ_SCHEMA_DIR=%s\n", env);
			exit(1);
		}
		return 0;
	}
#ifdef FUZZ_SCHEMA_DIR
	if (fuzz_load_dir(FUZZ_SCHEMA_DIR) > 0)
		return 0;
#endif
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[len] = '\0';
		snprintf(rel, sizeof(rel), "%s/../../etc/schemas", dirname(exe));
		if (fuzz_load_dir(rel) > 0)
			return 0;
	}
	fprintf(stderr, "fuzz_validate: no schema directory found; set "
	    "CXPIPE_FUZZ_SCHEMA_DIR to the etc/schemas of a source tree\n");
	exit(1);
}

/* The bracket nesting deeper than max outside strings, or -1 (the old pre-scan). */
static long
fuzz_ref_too_deep(const uint8_t *p, size_t len, int max)
{
	size_t	 i;
	int	 depth = 0, in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = 0;
		} else if (p[i] == '"')
			in_string = 1;
		else if (p[i] == '[' || p[i] == '{') {
			if (++depth > max)
				return (long)i;
		} else if (p[i] == ']' || p[i] == '}')
			depth--;
	}
	return -1;
}

/* Parses as the worker did before jdoc; *loose 1 when numbers became doubles. */
static json_t *
fuzz_ref_parse(const uint8_t *data, size_t size, long deep, int *loose)
{
	json_error_t	 jerr;
	json_t		*j;

	*loose = 0;
	if (deep != -1)
		return NULL;
	j = json_loadb((const char *)data, size, FUZZ_EVENT_FLAGS, &jerr);
	if (j == NULL && strstr(jerr.text, "too big") != NULL) {
		*loose = 1;
		j = json_loadb((const char *)data, size,
		    FUZZ_EVENT_FLAGS | JSON_DECODE_INT_AS_REAL, &jerr);
	}
	return j;
}

/* One event body, as the validate worker gets it from ingest. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc_error	 err;
	const struct jval	*ev;
	json_t			*ref;
	size_t			 i;
	long			 deep;
	int			 loose, max = size % 2 ? 64 : 512;

	deep = fuzz_ref_too_deep(data, size, max);
	ref = fuzz_ref_parse(data, size, deep, &loose);
	ev = jdoc_parse(fuzz_doc, (const char *)data, size, max, &err);
	if ((ref != NULL) != (ev != NULL))
		fuzz_fail(ref != NULL ? "jdoc refuses what jansson accepts" :
		    "jdoc accepts what jansson refuses", ev ? "" : err.text);
	if (ev == NULL) {
		/* validate.c prints err.text into the dead letter. */
		fuzz_check_message("jdoc error text", err.text,
		    sizeof(err.text), 1);
		if (deep != -1 && (err.kind != JDOC_E_DEPTH ||
		    err.offset != (size_t)deep))
			fuzz_fail("max_depth not where the scan finds it",
			    err.text);
		if (deep == -1 && err.kind != JDOC_E_SYNTAX)
			fuzz_fail("max_depth refusal of a shallow text", err.text);
		return 0;
	}
	if (!jdoc_json_same(ev, ref, loose))
		fuzz_fail("jdoc and jansson built different values", "");
	json_decref(ref);
	for (i = 0; i < fuzz_nschemas; i++)
		(void)fuzz_validate_doc_checked(fuzz_schemas[i], ev,
		    1 + size % 48, 1);
	return 0;
}
