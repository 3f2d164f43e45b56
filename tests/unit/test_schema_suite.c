/*
 * test_schema_suite.c: run the official JSON Schema Test Suite (draft
 * 2020-12) against the engine of workers/validate/schema*.c.
 *
 * Usage: test_schema_suite [-v].  The suite is read from
 * $JSON_SCHEMA_TEST_SUITE, else $SRCDIR/../shared/json-schema-test-suite
 * ($SRCDIR defaults to "."); its remotes/ are served from the registry as
 * http://localhost:1234/<path>, nothing comes from the network.
 *
 * Every file of draft2020-12/ (*.json) is required, with "format" an
 * annotation as the suite's default dialect has it; optional/format/ is
 * run with "format" asserted for the formats the engine asserts.  Other
 * optional files are run for information only.  Prints "passed/total
 * file" per file (and each failing test with -v), then the totals.  Exit
 * 0 when at least REQUIRED_FLOOR required tests and every format test
 * pass, 1 otherwise, 77 when the suite is not there (make distcheck).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"

#define REQUIRED_FLOOR	1285	/* of 1299 at the suite's pinned commit */

/* The formats the engine asserts: their optional/format files must pass. */
static const char *const asserted_formats[] = {
	"date-time", "date", "time", "duration", "email", "hostname", "ipv4",
	"ipv6", "uri", "uri-reference", "uuid", "json-pointer",
	"relative-json-pointer", "regex",
};

/* Counts of one run. */
struct tally {
	int	 passed, total;
};

static int	 verbose;

/* Load a JSON file, numbers too big for an integer read as doubles. */
static json_t *
suite_load(const char *path)
{
	json_error_t	 jerr;
	json_t		*v;

	v = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL && strstr(jerr.text, "too big") != NULL)
		v = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, &jerr);
	if (v == NULL)
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
	return v;
}

/* Run one suite file; add its counts to t and print them. */
static void
suite_run_file(const char *path, const char *label,
    const struct schema_options *opts, struct tally *t)
{
	struct schema	*s;
	struct tally	 f = { 0, 0 };
	json_t		*groups, *group, *tests, *test;
	size_t		 i, j;
	char		 err[1024], why[2048];
	int		 got, want;

	if ((groups = suite_load(path)) == NULL) {
		t->total++;
		printf("0/1 %s (unreadable)\n", label);
		return;
	}
	json_array_foreach(groups, i, group) {
		tests = json_object_get(group, "tests");
		s = schema_compile_with(json_object_get(group, "schema"), opts,
		    err, sizeof(err));
		json_array_foreach(tests, j, test) {
			f.total++;
			want = json_is_true(json_object_get(test, "valid"));
			if (s == NULL) {
				got = -1;
				snprintf(why, sizeof(why), "compile: %s", err);
			} else
				got = schema_validate(s, json_object_get(test,
				    "data"), why, sizeof(why));
			if (got == want) {
				f.passed++;
				continue;
			}
			if (verbose)
				printf("  FAIL %s: %s / %s: expected %s%s%s\n",
				    label, json_string_value(json_object_get(
				    group, "description")),
				    json_string_value(json_object_get(test,
				    "description")), want ? "valid" : "invalid",
				    got == 1 ? "" : ", got ", got == 1 ? "" : why);
		}
		schema_free(s);
	}
	json_decref(groups);
	printf("%d/%d %s\n", f.passed, f.total, label);
	t->passed += f.passed;
	t->total += f.total;
}

/* Return 1 if name ends in ".json". */
static int
suite_is_json(const struct dirent *d)
{
	size_t	 len = strlen(d->d_name);

	return len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}

/* Run every *.json of dir (sorted); only those named in only if set. */
static int
suite_run_dir(const char *root, const char *dir,
    const struct schema_options *opts, int formats, struct tally *t)
{
	struct dirent	**names;
	char		 path[4096], label[512];
	size_t		 k;
	int		 n, i, run;

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	if ((n = scandir(path, &names, suite_is_json, alphasort)) == -1) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		run = !formats;
		for (k = 0; formats && k < sizeof(asserted_formats) /
		    sizeof(asserted_formats[0]); k++)
			run |= strlen(names[i]->d_name) ==
			    strlen(asserted_formats[k]) + 5 &&
			    strncmp(names[i]->d_name, asserted_formats[k],
			    strlen(asserted_formats[k])) == 0;
		if (run) {
			snprintf(path, sizeof(path), "%s/%s/%s", root, dir,
			    names[i]->d_name);
			snprintf(label, sizeof(label), "%s/%s", dir,
			    names[i]->d_name);
			suite_run_file(path, label, opts, t);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Run the suite; exit as the header says. */
int
main(int argc, char *argv[])
{
	struct schema_registry	*reg;
	struct schema_options	 opts;
	DIR			*d;
	struct tally		 req = { 0, 0 }, fmt = { 0, 0 }, opt = { 0, 0 };
	const char		*root, *srcdir;
	char			 dir[4096], remotes[4200], err[1024];
	int			 rc = 0;

	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	if ((root = getenv("JSON_SCHEMA_TEST_SUITE")) == NULL) {
		if ((srcdir = getenv("SRCDIR")) == NULL)
			srcdir = ".";
		snprintf(dir, sizeof(dir), "%s/../shared/json-schema-test-suite",
		    srcdir);
		root = dir;
	}
	snprintf(remotes, sizeof(remotes), "%s/remotes", root);
	if ((d = opendir(remotes)) == NULL) {
		printf("test_schema_suite: SKIP: no JSON Schema Test Suite at "
		    "%s (set JSON_SCHEMA_TEST_SUITE)\n", root);
		return 77;
	}
	closedir(d);
	reg = schema_registry_new();
	if (schema_registry_add_prefix(reg, "http://localhost:1234/", remotes,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "test_schema_suite: remotes: %s\n", err);
		schema_registry_free(reg);
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.registry = reg;
	opts.format_annotation = 1;
	if (suite_run_dir(root, "draft2020-12", &opts, 0, &req) != 0)
		rc = 1;
	suite_run_dir(root, "draft2020-12/optional", &opts, 0, &opt);
	opts.format_annotation = 0;
	if (suite_run_dir(root, "draft2020-12/optional/format", &opts, 1,
	    &fmt) != 0)
		rc = 1;
	schema_registry_free(reg);
	printf("required: %d/%d passed (floor %d)\n", req.passed, req.total,
	    REQUIRED_FLOOR);
	printf("optional/format (%zu asserted formats): %d/%d passed\n",
	    sizeof(asserted_formats) / sizeof(asserted_formats[0]),
	    fmt.passed, fmt.total);
	printf("other optional (information only): %d/%d passed\n",
	    opt.passed, opt.total);
	if (req.passed < REQUIRED_FLOOR || fmt.passed != fmt.total)
		rc = 1;
	return rc;
}
