/*
 * generate.c: "cxpipe-sim generate" writes a reproducible NDJSON stream of
 * synthetic events with chosen shares of repeated keys, schema-invalid events
 * and non-JSON lines, then a manifest of what the tables must hold afterwards.
 * The family (interaction.c) makes each line; this file decides which sort
 * of line comes next and writes the files.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "interaction.h"

#define GEN_EXIT_OK	0
#define GEN_EXIT_FAIL	1
#define GEN_EXIT_USAGE	2
#define GEN_MAX_COUNT	2000000000ULL

struct gen_options {
	uint64_t	 count;
	uint64_t	 seed;
	double		 dup_rate;
	double		 invalid_rate;
	double		 garbage_rate;
	const char	*manifest_path;
	const char	*output_path;
};

/* How many lines of each sort remain to be written. */
struct gen_plan {
	uint64_t	new_keys;
	uint64_t	dups;
	uint64_t	invalid;
	uint64_t	garbage;
};

/* What was written, for the manifest. */
struct gen_totals {
	uint64_t	lines;
	uint64_t	valid_sends;
	uint64_t	invalid;
	uint64_t	garbage;
};

/* Scrambles 64 bits (the splitmix64 finaliser). */
uint64_t
gen_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Returns the next pseudo-random 64 bits of the sequence in *state. */
uint64_t
gen_rng_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return gen_mix64(*state);
}

/* Returns a number in [0, n); n must not be 0. */
uint64_t
gen_rng_below(uint64_t *state, uint64_t n)
{
	return gen_rng_next(state) % n;
}

/* Returns true with probability p. */
bool
gen_rng_chance(uint64_t *state, double p)
{
	return (double)(gen_rng_next(state) >> 11) * 0x1.0p-53 < p;
}

/* Makes room for extra more bytes. */
static void
gen_buf_reserve(struct gen_buf *b, size_t extra)
{
	size_t cap;

	if (b->len + extra <= b->cap)
		return;
	for (cap = b->cap ? b->cap : 1024; cap < b->len + extra; cap *= 2)
		;
	if ((b->data = realloc(b->data, cap)) == NULL)
		err(GEN_EXIT_FAIL, "out of memory");
	b->cap = cap;
}

void
gen_buf_put(struct gen_buf *b, const char *s, size_t n)
{
	gen_buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void
gen_buf_puts(struct gen_buf *b, const char *s)
{
	gen_buf_put(b, s, strlen(s));
}

/* Appends v in decimal, zero-padded to at least width digits. */
void
gen_buf_put_uint(struct gen_buf *b, uint64_t v, int width)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || (int)(sizeof(tmp) - i) < width);
	gen_buf_put(b, tmp + i, sizeof(tmp) - i);
}

/* Appends UTF-8 text s as a quoted JSON string, escaping what JSON requires. */
void
gen_buf_put_json_string(struct gen_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	unsigned char c;

	gen_buf_put(b, "\"", 1);
	for (;; s++) {
		c = (unsigned char)*s;
		if (c != '\0' && c != '"' && c != '\\' && c >= 0x20)
			continue;
		gen_buf_put(b, run, (size_t)(s - run));
		if (c == '\0')
			break;
		run = s + 1;
		if (c >= 0x20) {
			char esc[2] = { '\\', *s };

			gen_buf_put(b, esc, sizeof(esc));
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15] };

			gen_buf_put(b, esc, sizeof(esc));
		}
	}
	gen_buf_put(b, "\"", 1);
}

/* Writes all lines, drawing each one's sort at random from what remains. */
static void
gen_write_stream(struct interaction *ia, uint64_t seed, struct gen_plan *plan,
    FILE *out, struct gen_totals *totals)
{
	uint64_t rng = gen_mix64(seed ^ 0x6c696e65736f7274ULL), left;
	struct gen_buf b = { NULL, 0, 0 };

	while ((left = plan->new_keys + plan->dups + plan->invalid +
	    plan->garbage) > 0) {
		uint64_t x = gen_rng_below(&rng, left);

		b.len = 0;
		if (x < plan->dups && interaction_keys(ia) == 0)
			x = plan->dups;		/* nothing to repeat yet */
		if (x < plan->dups) {
			plan->dups--;
			interaction_put_repeat(ia, &b);
			totals->valid_sends++;
		} else if ((x -= plan->dups) < plan->new_keys) {
			plan->new_keys--;
			interaction_put_new(ia, &b);
			totals->valid_sends++;
		} else if ((x -= plan->new_keys) < plan->invalid) {
			plan->invalid--;
			interaction_put_invalid(ia, &b);
			totals->invalid++;
		} else {
			plan->garbage--;
			interaction_put_garbage(ia, &b);
			totals->garbage++;
		}
		gen_buf_put(&b, "\n", 1);
		fwrite(b.data, 1, b.len, out);
		totals->lines++;
	}
	free(b.data);
}

/* Writes the manifest: every key's last values and sends, and the counts. */
static int
gen_write_manifest(const struct interaction *ia, uint64_t seed,
    const struct gen_totals *totals, const char *path)
{
	struct gen_buf b = { NULL, 0, 0 };
	uint64_t i, nkeys = interaction_keys(ia);
	bool failed;
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL) {
		warn("cannot create manifest %s", path);
		return -1;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	fprintf(fp, "{\n\"family\":\"interaction\",\n\"seed\":%" PRIu64
	    ",\n\"lines\":%" PRIu64 ",\n\"valid_sends\":%" PRIu64
	    ",\n\"keys\":{", seed, totals->lines, totals->valid_sends);
	for (i = 0; i < nkeys; i++) {
		b.len = 0;
		gen_buf_puts(&b, i == 0 ? "\n" : ",\n");
		interaction_put_manifest_key(ia, i, &b);
		fwrite(b.data, 1, b.len, fp);
	}
	free(b.data);
	fputs("\n},\n\"invalid\":{", fp);
	for (i = 0; i < interaction_invalid_kinds(); i++)
		fprintf(fp, "%s\n\"%s\":%" PRIu64, i == 0 ? "" : ",",
		    interaction_invalid_name(i), interaction_invalid_sent(ia, i));
	fprintf(fp, "\n},\n\"invalid_total\":%" PRIu64 ",\n\"garbage\":%"
	    PRIu64 "\n}\n", totals->invalid, totals->garbage);
	failed = ferror(fp) != 0;
	if (fclose(fp) != 0 || failed) {
		warn("cannot write manifest %s", path);
		return -1;
	}
	return 0;
}

void
generate_usage(FILE *fp)
{
	fputs("usage: cxpipe-sim generate --family interaction --count N"
	    " [--dup-rate R]\n"
	    "           [--invalid-rate R] [--garbage-rate R] [--seed S]"
	    " [--manifest FILE]\n"
	    "           [--output FILE|-]\n", fp);
}

/* Parses a whole decimal number in [0, max] into *out. */
static bool
gen_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

/* Parses a rate in [0, 1] into *out. */
static bool
gen_parse_rate(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' &&
	    *out >= 0.0 && *out <= 1.0;
}

/* Reads the command line into opt; returns -1 to go on, else an exit status. */
static int
gen_parse_options(int argc, char **argv, struct gen_options *opt)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "dup-rate", required_argument, NULL, 'd' },
		{ "invalid-rate", required_argument, NULL, 'i' },
		{ "garbage-rate", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *family = NULL;
	bool have_count = false, ok = true;
	int ch, li = 0;

	memset(opt, 0, sizeof(*opt));
	opt->seed = 1;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", longopts, &li)) != -1) {
		switch (ch) {
		case 'f':
			family = optarg;
			break;
		case 'c':
			ok = have_count = gen_parse_uint(optarg, GEN_MAX_COUNT,
			    &opt->count);
			break;
		case 'd':
			ok = gen_parse_rate(optarg, &opt->dup_rate);
			break;
		case 'i':
			ok = gen_parse_rate(optarg, &opt->invalid_rate);
			break;
		case 'g':
			ok = gen_parse_rate(optarg, &opt->garbage_rate);
			break;
		case 's':
			ok = gen_parse_uint(optarg, INT64_MAX, &opt->seed);
			break;
		case 'm':
			opt->manifest_path = optarg;
			break;
		case 'o':
			opt->output_path = optarg;
			break;
		case 'h':
			generate_usage(stdout);
			return GEN_EXIT_OK;
		case ':':
			warnx("generate: %s needs a value", argv[optind - 1]);
			goto usage;
		default:
			warnx("generate: unknown option %s", argv[optind - 1]);
			goto usage;
		}
		if (!ok) {
			warnx("generate: bad value '%s' for --%s (counts and "
			    "seeds are whole numbers, rates lie in 0..1)",
			    optarg, longopts[li].name);
			goto usage;
		}
	}
	if (optind < argc) {
		warnx("generate: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (family == NULL || !have_count) {
		warnx("generate: --family and --count are required");
		goto usage;
	}
	if (strcmp(family, "interaction") != 0) {
		warnx("generate: unknown family '%s' (known: interaction)",
		    family);
		goto usage;
	}
	if (opt->dup_rate + opt->invalid_rate > 1.0 + 1e-9) {
		warnx("generate: --dup-rate and --invalid-rate add up past 1");
		goto usage;
	}
	return -1;
usage:
	generate_usage(stderr);
	return GEN_EXIT_USAGE;
}

/* Splits --count and the rates into exact numbers of lines of each sort. */
static bool
gen_plan_lines(const struct gen_options *opt, struct gen_plan *plan)
{
	uint64_t n = opt->count;

	plan->dups = (uint64_t)((double)n * opt->dup_rate + 0.5);
	plan->invalid = (uint64_t)((double)n * opt->invalid_rate + 0.5);
	if (plan->dups > n)
		plan->dups = n;
	if (plan->invalid > n - plan->dups)
		plan->invalid = n - plan->dups;
	plan->new_keys = n - plan->dups - plan->invalid;
	plan->garbage = (uint64_t)((double)n * opt->garbage_rate + 0.5);
	if (plan->dups > 0 && plan->new_keys == 0) {
		warnx("generate: repeats need at least one new key; lower "
		    "--dup-rate or --invalid-rate");
		return false;
	}
	return true;
}

int
generate_run(int argc, char **argv)
{
	struct gen_options opt;
	struct gen_plan plan;
	struct gen_totals totals = { 0, 0, 0, 0 };
	struct interaction *ia;
	bool to_stdout, failed;
	FILE *out;
	int rc;

	if ((rc = gen_parse_options(argc, argv, &opt)) != -1)
		return rc;
	if (!gen_plan_lines(&opt, &plan)) {
		generate_usage(stderr);
		return GEN_EXIT_USAGE;
	}
	to_stdout = opt.output_path == NULL || strcmp(opt.output_path, "-") == 0;
	if (to_stdout)
		out = stdout;
	else if ((out = fopen(opt.output_path, "w")) == NULL) {
		warn("cannot create %s", opt.output_path);
		return GEN_EXIT_FAIL;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	ia = interaction_new(opt.seed, plan.new_keys);
	gen_write_stream(ia, opt.seed, &plan, out, &totals);
	failed = ferror(out) != 0;
	if ((to_stdout ? fflush(out) : fclose(out)) != 0 || failed) {
		warn("cannot write %s", to_stdout ? "standard output" :
		    opt.output_path);
		rc = GEN_EXIT_FAIL;
	} else if (opt.manifest_path != NULL && gen_write_manifest(ia,
	    opt.seed, &totals, opt.manifest_path) == -1)
		rc = GEN_EXIT_FAIL;
	else
		rc = GEN_EXIT_OK;
	interaction_free(ia);
	return rc;
}
