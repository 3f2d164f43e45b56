/*
 * fuzz_schema.c: libFuzzer target over the schema compiler.  The input is
 * a schema document, parsed as schema_compile_file parses one; when it
 * compiles, a fixed set of instances (every JSON type, typical and broken
 * events, deep nesting) is validated against it.  Built and run by
 * "make fuzz" and "make fuzz-run".
 *
 * Messages may quote schema text (a pattern, a property name) with its
 * control bytes; CXPIPE_FUZZ_ONELINE=1 makes that a crash too, as it is
 * for the instance's text in fuzz_validate (see tests/fuzz/crashes/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_check.h"
#include "schema.h"

#define FUZZ_DEEP	600	/* past SCHEMA_MAX_DEPTH */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_instance_texts[] = {
	"null", "true", "false", "0", "-1", "7", "3.5", "-0.0", "1e308",
	"9223372036854775807", "-9223372036854775808", "0.1",
	"\"\"", "\"abc\"", "\"a\\u0000b\"", "\"\\u00fc\\ud83d\\ude00\"",
	"\"2026-11-23T08:34:07.010Z\"", "\"2026-02-30\"", "\"a@b.example\"",
	"\"0b0e6b64-3c6d-4b0f-9c1a-2f5f5d7e8a90\"", "\"ik-14356848_0\"",
	"[]", "[1,\"a\",null,[],{},true,2.5]", "{}",
	"{\"a\":1,\"b\":\"x\",\"c\":[true],\"\":null,\"\\u00e9\":{}}",
	"{\"interactionId\":\"813992237248\",\"timestamp\":"
	    "\"2026-11-23T08:34:07.010Z\",\"type\":\"email\",\"idempotencyKey\":"
	    "\"ik-14356848_0\",\"attributes\":{\"duration\":19885,"
	    "\"disposition\":\"Resolved\",\"queueName\":null,\"agentId\":"
	    "\"74394\"}}",
	"{\"interactionId\":\"\",\"timestamp\":\"yesterday\",\"type\":\"fax\","
	    "\"idempotencyKey\":\"ik 1\",\"attributes\":{\"duration\":-1}}",
	"{\"type\":\"agent.state.change\",\"agentId\":\"70013\","
	    "\"previousState\":\"Available\",\"currentState\":\"Busy\","
	    "\"timestamp\":\"2026-11-23T08:34:07.123456Z\",\"reasonCode\":\"x\"}",
};

/* The instances, parsed once; the last two are nested FUZZ_DEEP deep. */
static json_t	*fuzz_instances[sizeof(fuzz_instance_texts) /
		    sizeof(fuzz_instance_texts[0]) + 2];
static size_t	 fuzz_ninstances;
static int	 fuzz_oneline;	/* messages must be free of control bytes */

/* Returns value wrapped in depth arrays (or objects with key "a"). */
static json_t *
fuzz_nest(int depth, int objects)
{
	json_t	*v = json_integer(1), *outer;
	int	 i;

	for (i = 0; i < depth; i++) {
		if (objects) {
			outer = json_object();
			json_object_set_new(outer, "a", v);
		} else {
			outer = json_array();
			json_array_append_new(outer, v);
		}
		v = outer;
	}
	return v;
}

/* Parses the fixed instances. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_error_t	 jerr;
	const char	*env;
	size_t		 i;

	env = getenv("CXPIPE_FUZZ_ONELINE");
	fuzz_oneline = env != NULL && strcmp(env, "1") == 0;
	for (i = 0; i < sizeof(fuzz_instance_texts) /
	    sizeof(fuzz_instance_texts[0]); i++) {
		fuzz_instances[fuzz_ninstances] = json_loads(
		    fuzz_instance_texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    &jerr);
		if (fuzz_instances[fuzz_ninstances] == NULL) {
			fprintf(stderr, "fuzz_schema: instance %zu: %s\n", i,
			    jerr.text);
			exit(1);
		}
		fuzz_ninstances++;
	}
	fuzz_instances[fuzz_ninstances++] = fuzz_nest(FUZZ_DEEP, 0);
	fuzz_instances[fuzz_ninstances++] = fuzz_nest(FUZZ_DEEP, 1);
	return 0;
}

/* One schema document. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 jerr;
	json_t		*doc;
	struct schema	*s;
	char		*err;
	size_t		 errlen, i;

	doc = json_loadb((const char *)data, size, FUZZ_SCHEMA_FLAGS, &jerr);
	if (doc == NULL)
		return 0;
	/* Odd sizes try a short error buffer, malloc'ed to size for ASan. */
	errlen = size % 2 ? 1 + size % 40 : SCHEMA_REASON_LEN;
	if ((err = malloc(errlen)) == NULL)
		abort();
	s = schema_compile(doc, err, errlen);
	if (s == NULL) {
		fuzz_check_message("bad compile error", err, errlen,
		    fuzz_oneline);
	} else {
		if (schema_id(s) == NULL)
			fuzz_fail("schema_id returned NULL", "");
		for (i = 0; i < fuzz_ninstances; i++)
			(void)fuzz_validate_checked(s, fuzz_instances[i],
			    1 + (size + i) % 48, fuzz_oneline);
		schema_free(s);
	}
	free(err);
	json_decref(doc);
	return 0;
}
