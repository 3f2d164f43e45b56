/*
 * cxpipe-validate: check NDJSON events against a JSON Schema with the
 * validate worker's own engine (workers/validate/schema*.c), so that an
 * operator can test a schema or a file of events before cxpiped sees them.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "schema.h"

#define EXIT_INVALID	1
#define EXIT_USAGE	2

/* Prints the usage text to fp. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxpipe-validate [--schema-dir DIR] [--remote URI_PREFIX=DIR]...\n"
	    "                       [--all-errors] SCHEMA [FILE...]\n"
	    "\n"
	    "Checks each line of each FILE (standard input when none or \"-\") against\n"
	    "the JSON Schema (draft 2020-12) SCHEMA and prints FILE:LINE: ok or its errors.\n"
	    "\n"
	    "options:\n"
	    "  --schema-dir DIR       documents \"$ref\" may name: every *.json under DIR, by \"$id\"\n"
	    "  --remote PREFIX=DIR    serve every *.json under DIR as PREFIX + its relative path\n"
	    "  --all-errors           print every error of a line, not only the first\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n"
	    "\n"
	    "exit status: 0 all lines valid, 1 some are not, 2 usage or a schema that\n"
	    "does not compile\n");
}

/* Where errors of one line go in --all-errors mode. */
struct line_out {
	const char	*file;
	unsigned long	 line;
};

/* Prints one error of a line. */
static void
print_error_cb(const struct schema_error *e, void *arg)
{
	const struct line_out	*o = arg;

	printf("%s:%lu: %s\n", o->file, o->line, e->text);
}

/*
 * Checks every line of fp (named name); returns 0 if all were valid, 1 if
 * not.  Blank lines are skipped.
 */
static int
check_stream(const struct schema *s, FILE *fp, const char *name, int all)
{
	struct line_out	 o = { name, 0 };
	struct jdoc	*doc = jdoc_new();
	struct jdoc_error jerr;
	const struct jval *v;
	char		*line = NULL, reason[SCHEMA_REASON_LEN];
	size_t		 cap = 0, len;
	ssize_t		 n;
	int		 rc = 0;

	while ((n = getline(&line, &cap, fp)) != -1) {
		o.line++;
		len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		/* As the validate worker parses, at the deepest max_depth. */
		if ((v = jdoc_parse(doc, line, len, SCHEMA_MAX_DEPTH,
		    &jerr)) == NULL && jerr.kind == JDOC_E_DEPTH) {
			printf("%s:%lu: (root): max_depth: arrays and objects "
			    "nest deeper than %d levels (at byte %zu)\n", name,
			    o.line, SCHEMA_MAX_DEPTH, jerr.offset + 1);
			rc = 1;
			continue;
		}
		if (v == NULL) {
			printf("%s:%lu: not JSON: %s (column %d)\n", name, o.line,
			    jerr.text, jerr.column);
			rc = 1;
			continue;
		}
		if (all) {
			if (schema_validate_doc_all(s, v, print_error_cb, &o) == 0)
				printf("%s:%lu: ok\n", name, o.line);
			else
				rc = 1;
		} else if (schema_validate_doc(s, v, reason, sizeof(reason)))
			printf("%s:%lu: ok\n", name, o.line);
		else {
			printf("%s:%lu: %s\n", name, o.line, reason);
			rc = 1;
		}
	}
	jdoc_free(doc);
	if (ferror(fp)) {
		fprintf(stderr, "cxpipe-validate: %s: %s\n", name,
		    strerror(errno));
		rc = 1;
	}
	free(line);
	return rc;
}

/* Adds --remote PREFIX=DIR to the registry; -1 with a message if bad. */
static int
add_remote(struct schema_registry *reg, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	char		*prefix, err[1024];
	int		 rc;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "cxpipe-validate: --remote wants "
		    "URI_PREFIX=DIR, got \"%s\"\n", arg);
		return -1;
	}
	if ((prefix = strndup(arg, (size_t)(eq - arg))) == NULL) {
		perror("cxpipe-validate");
		exit(EXIT_USAGE);
	}
	rc = schema_registry_add_prefix(reg, prefix, eq + 1, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "cxpipe-validate: --remote %s: %s\n", arg, err);
	free(prefix);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "schema-dir", required_argument, NULL, 'd' },
		{ "remote", required_argument, NULL, 'r' },
		{ "all-errors", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct schema_registry	*reg;
	struct schema_options	 opts;
	struct schema		*s;
	FILE			*fp;
	char			 err[1024];
	int			 ch, i, all = 0, rc = 0;

	reg = schema_registry_new();
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (schema_registry_add_dir(reg, optarg, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "cxpipe-validate: --schema-dir: "
				    "%s\n", err);
				schema_registry_free(reg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (add_remote(reg, optarg) != 0) {
				schema_registry_free(reg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			usage(stdout);
			schema_registry_free(reg);
			return 0;
		case 'V':
			printf("cxpipe-validate %s\n", PACKAGE_VERSION);
			schema_registry_free(reg);
			return 0;
		default:
			usage(stderr);
			schema_registry_free(reg);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cxpipe-validate: no SCHEMA given\n");
		usage(stderr);
		schema_registry_free(reg);
		return EXIT_USAGE;
	}
	memset(&opts, 0, sizeof(opts));
	opts.registry = reg;
	s = schema_compile_file_with(argv[optind], &opts, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "cxpipe-validate: schema does not compile: %s\n",
		    err);
		schema_registry_free(reg);
		return EXIT_USAGE;
	}
	if (optind + 1 >= argc)
		rc = check_stream(s, stdin, "-", all);
	for (i = optind + 1; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			rc |= check_stream(s, stdin, "-", all);
			continue;
		}
		if ((fp = fopen(argv[i], "r")) == NULL) {
			fprintf(stderr, "cxpipe-validate: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
			continue;
		}
		rc |= check_stream(s, fp, argv[i], all);
		fclose(fp);
	}
	fflush(stdout);
	schema_free(s);
	schema_registry_free(reg);
	return rc ? EXIT_INVALID : 0;
}
