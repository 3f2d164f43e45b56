/*
 * test_jdoc.c: the validate worker's JSON parser (workers/validate/jdoc*.c)
 * against what the worker accepted before it: a scan for nesting deeper
 * than max_depth, then json_loadb with the worker's flags (read again as
 * doubles when an integer is too big).  Every text of the fuzz corpus and
 * a list of edge cases must get the same verdict and, when accepted, the
 * same values; refusals keep the texts the tests and operators grep for.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "jdoc.h"

#define WORKER_FLAGS	(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* The bracket nesting deeper than max outside strings, or -1 (the old pre-scan). */
static long
ref_too_deep(const char *p, size_t len, int max)
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

/*
 * Parses as the worker did: NULL when refused (*deep the offset when too
 * deep, else -1); *loose 1 when every number was read as a double.
 */
static json_t *
ref_parse(const char *p, size_t len, int max, long *deep, int *loose,
    json_error_t *jerr)
{
	json_t	*j;

	*loose = 0;
	if ((*deep = ref_too_deep(p, len, max)) != -1)
		return NULL;
	j = json_loadb(p, len, WORKER_FLAGS, jerr);
	/* The worker retried "too big integer" only, not "too big negative
	 * integer": now both are doubles, as in cxpipe-validate. */
	if (j == NULL && strstr(jerr->text, "too big") != NULL) {
		*loose = 1;
		j = json_loadb(p, len, WORKER_FLAGS | JSON_DECODE_INT_AS_REAL,
		    jerr);
	}
	return j;
}

/* Checks that jdoc and the old way agree on p; returns 1 if it accepted. */
static int
same_verdict(struct jdoc *d, const char *name, const char *p, size_t len,
    int max)
{
	struct jdoc_error	 err;
	const struct jval	*v;
	json_error_t		 jerr;
	json_t			*j;
	long			 deep;
	int			 loose;

	j = ref_parse(p, len, max, &deep, &loose, &jerr);
	v = jdoc_parse(d, p, len, max, &err);
	if ((j != NULL) != (v != NULL)) {
		fprintf(stderr, "%s: jansson %s (%s), jdoc %s (%s)\n", name,
		    j ? "accepts" : "refuses", j ? "" : jerr.text,
		    v ? "accepts" : "refuses", v ? "" : err.text);
		CHECK(!"same verdict");
	} else if (j != NULL && !jdoc_json_same(v, j, loose)) {
		fprintf(stderr, "%s: values differ\n", name);
		CHECK(!"same values");
	} else if (j == NULL && deep != -1) {
		CHECK(err.kind == JDOC_E_DEPTH);
		CHECK(err.offset == (size_t)deep);
	} else if (j == NULL)
		CHECK(err.kind == JDOC_E_SYNTAX);
	json_decref(j);
	return v != NULL;
}

/* Every file of the fuzz corpus, at max_depth 64 and 512. */
static void
test_corpus(struct jdoc *d)
{
	const char	*srcdir = getenv("SRCDIR");
	char		 dir[4096], path[8192], *buf;
	struct dirent	*e;
	DIR		*dp;
	FILE		*fp;
	long		 size;
	int		 n = 0, accepted = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/validate",
	    srcdir != NULL ? srcdir : ".");
	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: not found; set SRCDIR\n", dir);
		CHECK(!"corpus");
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		size = ftell(fp);
		rewind(fp);
		buf = malloc((size_t)size + 1);
		if (fread(buf, 1, (size_t)size, fp) == (size_t)size) {
			accepted += same_verdict(d, e->d_name, buf,
			    (size_t)size, 64);
			(void)same_verdict(d, e->d_name, buf, (size_t)size,
			    512);
			n++;
		}
		free(buf);
		fclose(fp);
	}
	closedir(dp);
	printf("corpus: %d texts, %d accepted\n", n, accepted);
	CHECK(n > 50);
	CHECK(accepted > 10);
}

/* Edge cases, each with the verdict it must get (and jansson's). */
static void
test_edges(struct jdoc *d)
{
	static const struct {
		const char	*text;
		int		 ok;
	} cases[] = {
		{ "0", 1 }, { "-0", 1 }, { "-0.0", 1 }, { "0.1", 1 },
		{ "1e308", 1 }, { "1e309", 0 }, { "-1e309", 0 }, { "1e-400", 1 },
		{ "9223372036854775807", 1 }, { "-9223372036854775808", 1 },
		{ "9223372036854775808", 1 }, { "-9223372036854775809", 1 },
		{ "123456789012345678901234567890", 1 },
		{ "1.7976931348623157e308", 1 }, { "4.9e-324", 1 },
		{ "2.2250738585072011e-308", 1 }, { "0.30000000000000004", 1 },
		{ "123456789.123456789e-5", 1 }, { "1E+2", 1 }, { "1e-2", 1 },
		{ "00", 0 }, { "01", 0 }, { "-01", 0 }, { "1.", 0 }, { ".1", 0 },
		{ "+1", 0 }, { "1e", 0 }, { "1e+", 0 }, { "-", 0 }, { "0x10", 0 },
		{ "NaN", 0 }, { "Infinity", 0 }, { "1.5.3", 0 },
		{ "true", 1 }, { "false", 1 }, { "null", 1 }, { "tru", 0 },
		{ "truex", 0 }, { "nul", 0 }, { "", 0 }, { "  ", 0 },
		{ " [1 , 2 ] \n", 1 }, { "[1,]", 0 }, { "[,1]", 0 }, { "[", 0 },
		{ "]", 0 }, { "{}", 1 }, { "{\"a\":1,}", 0 }, { "{\"a\" 1}", 0 },
		{ "{1:1}", 0 }, { "{\"a\":1 \"b\":2}", 0 }, { "[1] x", 0 },
		{ "[1][2]", 0 }, { "{\"a\":1,\"a\":2}", 0 },
		{ "{\"a\":1,\"\\u0061\":2}", 0 }, { "{\"a\":{\"a\":1}}", 1 },
		{ "\"\\u0000\"", 1 }, { "\"a\\u0000b\"", 1 },
		{ "\"\\ud83d\\ude00\"", 1 }, { "\"\\uD83D\\uDE00\"", 1 },
		{ "\"\\ud83d\"", 0 }, { "\"\\ude00\"", 0 }, { "\"\\ud83dx\"", 0 },
		{ "\"\\ud83d\\u0041\"", 0 }, { "\"\\u12\"", 0 }, { "\"\\x\"", 0 },
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 1 }, { "\"\\u00e9\\u20ac\"", 1 },
		{ "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 1 },
		{ "\"\xc0\xaf\"", 0 }, { "\"\xe0\x80\xaf\"", 0 },
		{ "\"\xed\xa0\x80\"", 0 }, { "\"\xf4\x90\x80\x80\"", 0 },
		{ "\"\xf8\x88\x80\x80\x80\"", 0 }, { "\"\xff\"", 0 },
		{ "\"\xc3\"", 0 }, { "\"\xe2\x82\"", 0 }, { "\"\x80\"", 0 },
		{ "\"a\tb\"", 0 }, { "\"\x1f\"", 0 }, { "\"\x7f\"", 1 },
		{ "\"abc", 0 }, { "\"\\", 0 }, { "[\"a\",{\"b\":[true,null]}]", 1 },
	};
	struct jdoc_error	 err;
	char			 name[32];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "edge %zu", i);
		if (same_verdict(d, name, cases[i].text, strlen(cases[i].text),
		    64) != cases[i].ok) {
			fprintf(stderr, "%s: '%s' should be %s\n", name,
			    cases[i].text, cases[i].ok ? "accepted" : "refused");
			CHECK(!"edge verdict");
		}
	}
	/* A raw NUL byte inside a string, and a NUL outside one. */
	CHECK(jdoc_parse(d, "\"a\0b\"", 5, 64, &err) == NULL);
	CHECK(strcmp(err.text, "control character 0x0") == 0);
	CHECK(same_verdict(d, "raw nul", "\"a\0b\"", 5, 64) == 0);
	/* jansson loses a NUL that ends a number or a word. */
	CHECK(same_verdict(d, "nul after", "1\0", 2, 64) == 1);
	CHECK(same_verdict(d, "nul in array", "[true\0,1\0]", 10, 64) == 1);
	CHECK(same_verdict(d, "two nuls", "1\0\0", 3, 64) == 0);
	CHECK(same_verdict(d, "nul after string", "[\"a\"\0]", 6, 64) == 0);
	CHECK(same_verdict(d, "nul in key", "{\"a\\u0000\":1}", 13, 64) == 0);
}

/* The values themselves: types, numbers, strings decoded or sliced. */
static void
test_values(struct jdoc *d)
{
	struct jdoc_error	 err;
	const struct jval	*v;
	const char		*t = "{\"a\":\"plain\",\"b\":\"x\\ny\\u00e9\","
	    "\"c\":[1,-2.5,9223372036854775808],\"d\":null}";

	v = jdoc_parse(d, t, strlen(t), 64, &err);
	CHECK(v != NULL && v->type == JT_OBJECT && v->n == 4);
	if (v == NULL)
		return;
	CHECK(v->u.members[0].key == t + 2);	/* a slice */
	CHECK(jval_str_eq(jval_get(v, "a"), "plain"));
	CHECK(jval_get(v, "a")->u.s > t && jval_get(v, "a")->u.s < t + strlen(t));
	CHECK(jval_str_eq(jval_get(v, "b"), "x\ny\xc3\xa9"));
	CHECK(jval_get(v, "c")->n == 3);
	CHECK(jval_get(v, "c")->u.items[0].type == JT_INTEGER);
	CHECK(jval_get(v, "c")->u.items[1].type == JT_REAL &&
	    jval_get(v, "c")->u.items[1].u.d == -2.5);
	CHECK(jval_get(v, "c")->u.items[2].type == JT_REAL &&
	    jval_get(v, "c")->u.items[2].u.d == 9223372036854775808.0);
	CHECK(jval_get(v, "d")->type == JT_NULL);
	CHECK(jval_get(v, "e") == NULL);
	CHECK(jval_get(jval_get(v, "a"), "x") == NULL);
	CHECK(strcmp(jval_cstr(d, jval_get(v, "a")), "plain") == 0);
	v = jdoc_parse(d, "-0", 2, 64, &err);
	CHECK(v != NULL && v->type == JT_INTEGER && v->u.i == 0);
	v = jdoc_parse(d, "-0.0", 4, 64, &err);
	CHECK(v != NULL && v->type == JT_REAL && 1 / v->u.d < 0);
}

/* Refusals keep the reasons the worker's dead letters have always had. */
static void
test_errors(struct jdoc *d)
{
	struct jdoc_error	 err;
	const char		*t;

	t = "{\"a\":1,\n\"b\":2,\"a\":3}";
	CHECK(jdoc_parse(d, t, strlen(t), 64, &err) == NULL);
	CHECK(strncmp(err.text, "duplicate object key", 20) == 0);
	CHECK(strstr(err.text, "\"a\"") != NULL);
	CHECK(err.line == 2);
	t = "[1e400]";
	CHECK(jdoc_parse(d, t, strlen(t), 64, &err) == NULL);
	CHECK(strcmp(err.text, "real number overflow") == 0);
	CHECK(err.line == 1 && err.column == 2);
	t = "\"\xff\"";
	CHECK(jdoc_parse(d, t, strlen(t), 64, &err) == NULL);
	CHECK(strcmp(err.text, "unable to decode byte 0xff") == 0);
	/* Too deep wins over what follows, and over a syntax error first. */
	t = "[[[[x";
	CHECK(jdoc_parse(d, t, strlen(t), 3, &err) == NULL);
	CHECK(err.kind == JDOC_E_DEPTH && err.offset == 3);
	t = "{{{{{";
	CHECK(jdoc_parse(d, t, strlen(t), 3, &err) == NULL);
	CHECK(err.kind == JDOC_E_DEPTH && err.offset == 3);
	t = "[\"[[[[\"]";
	CHECK(jdoc_parse(d, t, strlen(t), 1, &err) != NULL);
}

/* Big inputs: a 300,000-member object (no quadratic duplicate check), deep arrays. */
static void
test_big(struct jdoc *d)
{
	struct jdoc_error	 err;
	const struct jval	*v;
	size_t			 n = 300000, i, len = 0, cap = n * 24 + 16;
	char			*t = malloc(cap);

	t[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "%s\"k%zu\":%zu",
		    i ? "," : "", i, i);
	t[len++] = '}';
	v = jdoc_parse(d, t, len, 64, &err);
	CHECK(v != NULL && v->n == n);
	CHECK(v != NULL && jval_get(v, "k299999")->u.i == 299999);
	/* The same key again, last: refused. */
	len--;
	len += (size_t)snprintf(t + len, cap - len, ",\"k7\":1}");
	CHECK(jdoc_parse(d, t, len, 64, &err) == NULL);
	CHECK(strcmp(err.text, "duplicate object key \"k7\"") == 0);
	free(t);
	t = malloc(2 * 600 + 1);
	memset(t, '[', 600);
	memset(t + 600, ']', 600);
	CHECK(jdoc_parse(d, t, 1200, 512, &err) == NULL);
	CHECK(err.kind == JDOC_E_DEPTH && err.offset == 512);
	CHECK(jdoc_parse(d, t + 100, 1000, 512, &err) != NULL);
	free(t);
	/* Memory comes back to one block afterwards. */
	CHECK(jdoc_parse(d, "[1]", 3, 64, &err) != NULL);
}

/* Trees from jansson values, as the schema engine's wrappers build them. */
static void
test_from_json(struct jdoc *d)
{
	json_t			*j = json_loads("{\"a\":[1,2.5,\"x\",null,true]}",
	    0, NULL);
	const struct jval	*v;
	json_t			*k;

	jdoc_reset(d);
	v = jdoc_from_json(d, j);
	CHECK(jdoc_json_same(v, j, 0));
	k = jdoc_to_json(v);
	CHECK(json_equal(j, k));
	json_decref(k);
	json_decref(j);
}

int
main(void)
{
	struct jdoc	*d = jdoc_new();

	test_edges(d);
	test_values(d);
	test_errors(d);
	test_big(d);
	test_from_json(d);
	test_corpus(d);
	jdoc_free(d);
	return CHECK_DONE();
}
