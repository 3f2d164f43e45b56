/*
 * schema_bench: parse + validate per second on one core, the validate
 * worker's work on an event body without the channels around it.  Reads
 * an NDJSON file (one event body a line, invalid and non-JSON lines
 * included), then goes over the lines round-robin COUNT times twice:
 *
 *   full	jdoc_parse as the worker parses (into one reused jdoc, at
 *		the default max_depth), schema_validate_doc
 *   parse	jdoc_parse (so validate = full - parse)
 *
 * after one untimed warm-up pass that counts the verdicts.  Prints one
 * line, the same as tests/bench/ajv_bench.js prints, for scripts/bench:
 *
 *   COUNT FULL_CPU PARSE_CPU VALID INVALID NOT_JSON FULL_WALL PARSE_WALL
 *
 * in seconds of CPU time (the process's, all threads) and of wall-clock
 * time: on a shared machine CPU time is the steadier "one core" figure.
 * VALID INVALID NOT_JSON count the file's lines once each.  With
 * --verdicts FILE, also writes "valid", "invalid" or "not-json" for each
 * line, to compare with ajv's.
 *
 *   schema_bench [--count N] [--verdicts FILE] SCHEMA EVENTS
 */
#include "autoconf.h"

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jdoc.h"
#include "schema.h"

/* The default [validate] max_depth (src/config_keys.c). */
#define BENCH_MAX_DEPTH	64

/* One line of the events file, pointing into the file's buffer. */
struct bench_line {
	const char	*p;
	size_t		 len;
};

/* Returns the file's contents (caller frees) and its length in *len. */
static char *
bench_read_file(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap)) == NULL)
				err(1, "reading %s", path);
		}
		if ((n = fread(buf + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	if (ferror(fp))
		err(1, "%s", path);
	fclose(fp);
	return buf;
}

/* Splits buf into its non-empty lines (caller frees); the count in *n. */
static struct bench_line *
bench_split_lines(const char *buf, size_t len, size_t *n)
{
	struct bench_line	*v = NULL;
	size_t			 cap = 0, start = 0, i;

	*n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		if (i > start) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 1024;
				if ((v = realloc(v, cap * sizeof(*v))) == NULL)
					err(1, "splitting lines");
			}
			v[*n].p = buf + start;
			v[*n].len = i - start;
			(*n)++;
		}
		start = i + 1;
	}
	return v;
}

/* Returns clock (CLOCK_MONOTONIC or CLOCK_PROCESS_CPUTIME_ID) in seconds. */
static double
bench_now(clockid_t clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses and validates one line as the worker does: 1 valid, 0 not, -1 not JSON. */
static int
bench_event(struct jdoc *d, const struct schema *s,
    const struct bench_line *l)
{
	struct jdoc_error	 jerr;
	const struct jval	*ev;
	char			 reason[SCHEMA_REASON_LEN];

	if ((ev = jdoc_parse(d, l->p, l->len, BENCH_MAX_DEPTH, &jerr)) == NULL)
		return -1;
	return schema_validate_doc(s, ev, reason, sizeof(reason));
}

/* Parses one line as the worker does; 0, or -1 when it is not JSON. */
static int
bench_parse(struct jdoc *d, const struct bench_line *l)
{
	struct jdoc_error	 jerr;

	return jdoc_parse(d, l->p, l->len, BENCH_MAX_DEPTH, &jerr) != NULL ?
	    0 : -1;
}

static void __attribute__((noreturn))
bench_usage(void)
{
	fprintf(stderr, "usage: schema_bench [--count N] [--verdicts FILE] "
	    "SCHEMA EVENTS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "verdicts", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct schema		*s;
	struct jdoc		*d = jdoc_new();
	struct bench_line	*lines;
	const char		*verdicts = NULL;
	char			*buf, *end, errbuf[SCHEMA_REASON_LEN];
	unsigned long long	 count = 1000000, i, seen[3] = { 0, 0, 0 };
	size_t			 len, n, k;
	double			 t0, c0, t_full, t_parse, c_full, c_parse;
	volatile int		 sink = 0;
	FILE			*vf = NULL;
	int			 ch, r;

	while ((ch = getopt_long(argc, argv, "n:v:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			count = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count == 0)
				bench_usage();
			break;
		case 'v':
			verdicts = optarg;
			break;
		default:
			bench_usage();
		}
	}
	if (argc - optind != 2)
		bench_usage();
	if ((s = schema_compile_file(argv[optind], errbuf, sizeof(errbuf))) == NULL)
		errx(1, "%s", errbuf);
	buf = bench_read_file(argv[optind + 1], &len);
	if ((lines = bench_split_lines(buf, len, &n)) == NULL)
		errx(1, "%s: no events", argv[optind + 1]);
	if (verdicts != NULL && (vf = fopen(verdicts, "w")) == NULL)
		err(1, "%s", verdicts);

	/* Warm-up, and the verdicts. */
	for (k = 0; k < n; k++) {
		r = bench_event(d, s, &lines[k]);
		seen[r + 1]++;
		if (vf != NULL)
			fputs(r == 1 ? "valid\n" : r == 0 ? "invalid\n" :
			    "not-json\n", vf);
	}
	if (vf != NULL && fclose(vf) != 0)
		err(1, "%s", verdicts);

	t0 = bench_now(CLOCK_MONOTONIC);
	c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0, k = 0; i < count; i++) {
		sink += bench_event(d, s, &lines[k]);
		if (++k == n)
			k = 0;
	}
	c_full = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	t_full = bench_now(CLOCK_MONOTONIC) - t0;

	t0 = bench_now(CLOCK_MONOTONIC);
	c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0, k = 0; i < count; i++) {
		sink += bench_parse(d, &lines[k]);
		if (++k == n)
			k = 0;
	}
	c_parse = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	t_parse = bench_now(CLOCK_MONOTONIC) - t0;

	printf("%llu %.6f %.6f %llu %llu %llu %.6f %.6f\n", count, c_full,
	    c_parse, seen[2], seen[1], seen[0], t_full, t_parse);
	schema_free(s);
	jdoc_free(d);
	free(lines);
	free(buf);
	return 0;
}
