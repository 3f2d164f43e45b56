/*
 * test_schema.c: unit tests of the JSON Schema engine (workers/validate/schema*.c).
 *
 * Usage: test_schema [SCHEMA_DIR]; SCHEMA_DIR defaults to $SRCDIR/etc/schemas
 * ($SRCDIR defaults to ".").  Prints one line per failing case and exits 1
 * if any failed.
 *
 * Schemas and instances below are written with ' for " to stay readable;
 * test_parse() swaps them back (a literal apostrophe is \u0027).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "schema.h"

/* One instance checked against one schema. */
struct validate_case {
	const char	*schema;
	const char	*instance;
	int		 valid;
	const char	*reason;	/* expected prefix of the reason, or NULL */
};

/* One schema that must not compile. */
struct compile_case {
	const char	*schema;
	const char	*error;		/* expected prefix of the error */
};

static int	 failures, cases;

static const struct validate_case keyword_cases[] = {
	/* found by fuzz_schema (tests/fuzz/crashes/): members checked with no
	 * "properties" at all; schema text with a control byte in a reason */
	{ "{'patternProperties':{'x':true}}", "{'a':1,'x':2}", 1, NULL },
	{ "{'additionalProperties':false}", "{'a':1}", 0,
	    "/a: additionalProperties: " },
	{ "{'pattern':'^a\\nb$'}", "'abc'", 0,
	    "(root): pattern: string does not match \"^a\\x0ab$\" (schema /pattern)" },
	/* boolean schemas */
	{ "true", "1", 1, NULL },
	{ "false", "1", 0, "(root): false: no value is allowed here" },
	{ "{'properties':{'a':false}}", "{'a':1}", 0,
	    "/a: properties: property not allowed" },
	{ "{'properties':{'a':true}}", "{'a':1}", 1, NULL },
	{ "{'allOf':[true,false]}", "1", 0, "(root): allOf: no value" },
	/* type */
	{ "{'type':'string'}", "'x'", 1, NULL },
	{ "{'type':'string'}", "1", 0,
	    "(root): type: expected string, got integer" },
	{ "{'type':'integer'}", "1", 1, NULL },
	{ "{'type':'integer'}", "1.0", 1, NULL },
	{ "{'type':'integer'}", "-0.0", 1, NULL },
	{ "{'type':'integer'}", "1e3", 1, NULL },
	{ "{'type':'integer'}", "1.5", 0,
	    "(root): type: expected integer, got number" },
	{ "{'type':'integer'}", "'1'", 0,
	    "(root): type: expected integer, got string" },
	{ "{'type':'number'}", "1", 1, NULL },
	{ "{'type':'number'}", "1.5", 1, NULL },
	{ "{'type':'number'}", "null", 0,
	    "(root): type: expected number, got null" },
	{ "{'type':['number','null']}", "null", 1, NULL },
	{ "{'type':['number','null']}", "'x'", 0,
	    "(root): type: expected number or null, got string" },
	{ "{'type':['null','string','number']}", "true", 0,
	    "(root): type: expected string, number or null, got boolean" },
	{ "{'type':[]}", "1", 0, "(root): type: expected nothing, got integer" },
	{ "{'type':'object'}", "{}", 1, NULL },
	{ "{'type':'object'}", "[]", 0,
	    "(root): type: expected object, got array" },
	{ "{'type':'array'}", "[]", 1, NULL },
	{ "{'type':'array'}", "{}", 0, "(root): type: expected array, got object" },
	{ "{'type':'boolean'}", "false", 1, NULL },
	{ "{'type':'boolean'}", "0", 0,
	    "(root): type: expected boolean, got integer" },
	{ "{'type':'null'}", "null", 1, NULL },
	{ "{'type':'null'}", "false", 0, "(root): type: expected null, got boolean" },
	/* enum */
	{ "{'enum':['a',1,null,{'x':[1]}]}", "'a'", 1, NULL },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "1.0", 1, NULL },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "null", 1, NULL },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "{'x':[1.0]}", 1, NULL },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "'b'", 0,
	    "(root): enum: expected one of [\"a\",1,null,{\"x\":[1]}]" },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "{'x':[1],'y':1}", 0,
	    "(root): enum:" },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "false", 0, "(root): enum:" },
	{ "{'enum':['a',1,null,{'x':[1]}]}", "['a']", 0, "(root): enum:" },
	{ "{'enum':[]}", "1", 0, "(root): enum:" },
	/* const */
	{ "{'const':1}", "1", 1, NULL },
	{ "{'const':1}", "1.0", 1, NULL },
	{ "{'const':1.0}", "1", 1, NULL },
	{ "{'const':1}", "'1'", 0, "(root): const: expected 1" },
	{ "{'const':1}", "true", 0, "(root): const: expected 1" },
	{ "{'const':{'a':[1,'x']}}", "{'a':[1.0,'x']}", 1, NULL },
	{ "{'const':{'a':[1,'x']}}", "{'a':[1,'y']}", 0,
	    "(root): const: expected {\"a\":[1,\"x\"]}" },
	{ "{'const':false}", "0", 0, "(root): const: expected false" },
	{ "{'const':false}", "false", 1, NULL },
	{ "{'const':null}", "null", 1, NULL },
	{ "{'const':'a\\u0000b'}", "'a\\u0000b'", 1, NULL },
	{ "{'const':'a\\u0000b'}", "'a\\u0000c'", 0, "(root): const:" },
	/* properties */
	{ "{'properties':{'a':{'type':'string'}}}", "{'a':'x'}", 1, NULL },
	{ "{'properties':{'a':{'type':'string'}}}", "{'a':1}", 0,
	    "/a: type: expected string, got integer" },
	{ "{'properties':{'a':{'type':'string'}}}", "{'b':1}", 1, NULL },
	{ "{'properties':{'a':{'type':'string'}}}", "'not an object'", 1, NULL },
	{ "{'properties':{'a/b~c':{'type':'string'}}}", "{'a/b~c':1}", 0,
	    "/a~1b~0c: type:" },
	{ "{'properties':{'b':{'type':'string'},'a':{'type':'string'},"
	    "'c':{'type':'string'}}}", "{'a':'','b':'','c':1}", 0, "/c: type:" },
	/* required */
	{ "{'required':['a','b']}", "{'a':1,'b':2}", 1, NULL },
	{ "{'required':['a','b']}", "{'a':1}", 0,
	    "(root): required: missing property \"b\"" },
	{ "{'required':['a','b']}", "[]", 1, NULL },
	{ "{'required':[]}", "{}", 1, NULL },
	{ "{'properties':{'a':true,'b':true},'required':['a','b'],"
	    "'additionalProperties':true}", "{'a':1,'x':1}", 0,
	    "(root): required: missing property \"b\"" },
	{ "{'properties':{'a':true,'b':true},'required':['a','b'],"
	    "'additionalProperties':false}", "{'a':1,'x':1}", 0,
	    "/x: additionalProperties: property not allowed" },
	{ "{'properties':{'a':true,'b':true},'required':['a','b'],"
	    "'additionalProperties':false}", "{'b':1,'a':1}", 1, NULL },
	{ "{'properties':{'a':true},'required':['a','z'],"
	    "'additionalProperties':true}", "{'a':1,'b':2}", 0,
	    "(root): required: missing property \"z\"" },
	{ "{'patternProperties':{'^a':true},'required':['ab']}", "{'ab':1}", 1,
	    NULL },
	{ "{'patternProperties':{'^a':true},'required':['ab']}", "{'ac':1}", 0,
	    "(root): required: missing property \"ab\"" },
	/* many properties: binary search */
	{ "{'properties':{'p0':{'type':'integer'},'p1':{'type':'integer'},"
	    "'p2':{'type':'integer'},'p3':{'type':'integer'},"
	    "'p4':{'type':'integer'},'p5':{'type':'integer'},"
	    "'p6':{'type':'integer'},'p7':{'type':'integer'},"
	    "'p8':{'type':'integer'},'p9':{'type':'integer'}},"
	    "'required':['p9','p0'],'additionalProperties':false}",
	    "{'p7':1,'p3':2,'p9':3,'p0':4}", 1, NULL },
	{ "{'properties':{'p0':{'type':'integer'},'p1':{'type':'integer'},"
	    "'p2':{'type':'integer'},'p3':{'type':'integer'},"
	    "'p4':{'type':'integer'},'p5':{'type':'integer'},"
	    "'p6':{'type':'integer'},'p7':{'type':'integer'},"
	    "'p8':{'type':'integer'},'p9':{'type':'integer'}},"
	    "'required':['p9','p0'],'additionalProperties':false}",
	    "{'p7':'x','p9':3,'p0':4}", 0, "/p7: type:" },
	{ "{'properties':{'p0':{'type':'integer'},'p1':{'type':'integer'},"
	    "'p2':{'type':'integer'},'p3':{'type':'integer'},"
	    "'p4':{'type':'integer'},'p5':{'type':'integer'},"
	    "'p6':{'type':'integer'},'p7':{'type':'integer'},"
	    "'p8':{'type':'integer'},'p9':{'type':'integer'}},"
	    "'required':['p9','p0'],'additionalProperties':false}",
	    "{'p00':1,'p9':3,'p0':4}", 0, "/p00: additionalProperties:" },
	{ "{'properties':{'p0':{'type':'integer'},'p1':{'type':'integer'},"
	    "'p2':{'type':'integer'},'p3':{'type':'integer'},"
	    "'p4':{'type':'integer'},'p5':{'type':'integer'},"
	    "'p6':{'type':'integer'},'p7':{'type':'integer'},"
	    "'p8':{'type':'integer'},'p9':{'type':'integer'}},"
	    "'required':['p9','p0'],'additionalProperties':false}",
	    "{'p1':1,'p2':3,'p0':4}", 0,
	    "(root): required: missing property \"p9\"" },
	{ "{'properties':{'':{'type':'integer'}},'additionalProperties':false}",
	    "{'':'x'}", 0, "/: type:" },
	/* additionalProperties */
	{ "{'properties':{'a':true},'additionalProperties':false}", "{'a':1}",
	    1, NULL },
	{ "{'properties':{'a':true},'additionalProperties':false}",
	    "{'a':1,'extra':2}", 0,
	    "/extra: additionalProperties: property not allowed" },
	{ "{'additionalProperties':false}", "{'a\\nb':1}", 0,
	    "/a\\x0ab: additionalProperties: property not allowed" },
	{ "{'additionalProperties':{'type':'integer'}}", "{'x':1}", 1, NULL },
	{ "{'additionalProperties':{'type':'integer'}}", "{'x':'y'}", 0,
	    "/x: type: expected integer, got string" },
	{ "{'additionalProperties':true}", "{'x':'y'}", 1, NULL },
	/* patternProperties */
	{ "{'patternProperties':{'^x-':{'type':'integer'}},"
	    "'additionalProperties':false}", "{'x-a':1}", 1, NULL },
	{ "{'patternProperties':{'^x-':{'type':'integer'}},"
	    "'additionalProperties':false}", "{'x-a':'s'}", 0, "/x-a: type:" },
	{ "{'patternProperties':{'^x-':{'type':'integer'}},"
	    "'additionalProperties':false}", "{'y':1}", 0,
	    "/y: additionalProperties: property not allowed" },
	{ "{'patternProperties':{'b':{'type':'integer'}}}", "{'abc':'s'}", 0,
	    "/abc: type:" },
	{ "{'patternProperties':{'^x':false}}", "{'xy':1}", 0,
	    "/xy: patternProperties: property not allowed" },
	{ "{'properties':{'xa':{'minimum':5}},"
	    "'patternProperties':{'^x':{'maximum':10}}}", "{'xa':7}", 1, NULL },
	{ "{'properties':{'xa':{'minimum':5}},"
	    "'patternProperties':{'^x':{'maximum':10}}}", "{'xa':11}", 0,
	    "/xa: maximum:" },
	{ "{'properties':{'xa':{'minimum':5}},"
	    "'patternProperties':{'^x':{'maximum':10}}}", "{'xa':3}", 0,
	    "/xa: minimum:" },
	{ "{'properties':{'a':true},'patternProperties':{'^b':true},"
	    "'additionalProperties':false}", "{'a':1,'bc':2}", 1, NULL },
	/* items, prefixItems */
	{ "{'items':{'type':'integer'}}", "[1,2]", 1, NULL },
	{ "{'items':{'type':'integer'}}", "[1,'x']", 0,
	    "/1: type: expected integer, got string" },
	{ "{'items':{'type':'integer'}}", "[]", 1, NULL },
	{ "{'items':{'type':'integer'}}", "{}", 1, NULL },
	{ "{'items':false}", "[]", 1, NULL },
	{ "{'items':false}", "[1]", 0, "/0: items: item not allowed" },
	{ "{'prefixItems':[{'type':'string'},{'type':'integer'}]}", "['a',1]",
	    1, NULL },
	{ "{'prefixItems':[{'type':'string'},{'type':'integer'}]}", "['a']",
	    1, NULL },
	{ "{'prefixItems':[{'type':'string'},{'type':'integer'}]}",
	    "['a',1,'extra']", 1, NULL },
	{ "{'prefixItems':[{'type':'string'},{'type':'integer'}]}", "[1]", 0,
	    "/0: type: expected string, got integer" },
	{ "{'prefixItems':[{'type':'string'}],'items':false}", "['a']", 1,
	    NULL },
	{ "{'prefixItems':[{'type':'string'}],'items':false}", "['a',1]", 0,
	    "/1: items: item not allowed" },
	{ "{'prefixItems':[{'type':'string'}],'items':{'type':'integer'}}",
	    "['a',1,2]", 1, NULL },
	{ "{'prefixItems':[{'type':'string'}],'items':{'type':'integer'}}",
	    "['a',1,'b']", 0, "/2: type:" },
	{ "{'properties':{'list':{'items':{'properties':"
	    "{'n':{'type':'integer'}}}}}}", "{'list':[{'n':1},{'n':'x'}]}", 0,
	    "/list/1/n: type: expected integer, got string" },
	/* minLength, maxLength: code points, not bytes */
	{ "{'minLength':2}", "'ab'", 1, NULL },
	{ "{'minLength':2}", "'a'", 0,
	    "(root): minLength: string is too short (length 1, minimum 2)" },
	{ "{'minLength':2}", "'\\u65e5\\u672c'", 1, NULL },
	{ "{'minLength':2}", "'\\ud83d\\ude00'", 0,
	    "(root): minLength: string is too short (length 1, minimum 2)" },
	{ "{'minLength':1.0}", "''", 0, "(root): minLength:" },
	{ "{'minLength':2}", "1", 1, NULL },
	{ "{'maxLength':2}", "'\\u65e5\\u672c'", 1, NULL },
	{ "{'maxLength':2}", "'\\u65e5\\u672c\\u8a9e'", 0,
	    "(root): maxLength: string is too long (length 3, maximum 2)" },
	{ "{'maxLength':1}", "'\\ud83d\\ude00'", 1, NULL },
	{ "{'maxLength':0}", "''", 1, NULL },
	{ "{'maxLength':0}", "'a'", 0, "(root): maxLength:" },
	/* pattern: ECMA-262 semantics, unanchored */
	{ "{'pattern':'^[a-z]+$'}", "'abc'", 1, NULL },
	{ "{'pattern':'^[a-z]+$'}", "'abC'", 0,
	    "(root): pattern: string does not match \"^[a-z]+$\"" },
	{ "{'pattern':'b'}", "'abc'", 1, NULL },
	{ "{'pattern':'b'}", "'xyz'", 0, "(root): pattern:" },
	{ "{'pattern':'^[a-z]+$'}", "5", 1, NULL },
	{ "{'pattern':'^\\\\d+$'}", "'123'", 1, NULL },
	{ "{'pattern':'^\\\\d+$'}", "'\\u0661\\u0662'", 0, "(root): pattern:" },
	{ "{'pattern':'^\\\\D$'}", "'\\u0661'", 1, NULL },
	{ "{'pattern':'^[\\\\d]$'}", "'\\u0661'", 0, "(root): pattern:" },
	{ "{'pattern':'^[^\\\\d]$'}", "'\\u0661'", 1, NULL },
	{ "{'pattern':'^\\\\w+$'}", "'abc_1'", 1, NULL },
	{ "{'pattern':'^\\\\w+$'}", "'\\u00e9'", 0, "(root): pattern:" },
	{ "{'pattern':'^\\\\W$'}", "'\\u00e9'", 1, NULL },
	{ "{'pattern':'^\\\\s$'}", "'\\u00a0'", 1, NULL },
	{ "{'pattern':'^\\\\s$'}", "'\\ufeff'", 1, NULL },
	{ "{'pattern':'^\\\\s$'}", "'\\u0085'", 0, "(root): pattern:" },
	{ "{'pattern':'^\\\\S$'}", "'\\u0085'", 1, NULL },
	{ "{'pattern':'^\\\\S$'}", "'\\u3000'", 0, "(root): pattern:" },
	{ "{'pattern':'^.$'}", "'\\ud83d\\ude00'", 1, NULL },
	{ "{'pattern':'^.$'}", "'\\n'", 0, "(root): pattern:" },
	{ "{'pattern':'^.$'}", "'\\u2028'", 0, "(root): pattern:" },
	{ "{'pattern':'^.$'}", "'\\u0085'", 1, NULL },
	{ "{'pattern':'^a$'}", "'a\\n'", 0, "(root): pattern:" },
	{ "{'pattern':'\\\\bfoo\\\\b'}", "'a foo b'", 1, NULL },
	{ "{'pattern':'\\\\bfoo\\\\b'}", "'\\u00e9foo'", 1, NULL },
	{ "{'pattern':'\\\\bfoo\\\\b'}", "'afoo'", 0, "(root): pattern:" },
	{ "{'pattern':'\\\\Bfoo'}", "'afoo'", 1, NULL },
	{ "{'pattern':'^\\\\u0041$'}", "'A'", 1, NULL },
	{ "{'pattern':'^\\\\u{1F600}$'}", "'\\ud83d\\ude00'", 1, NULL },
	{ "{'pattern':'^[[:alpha:]]+$'}", "'a]]'", 1, NULL },
	{ "{'pattern':'^[[:alpha:]]+$'}", "'ab'", 0, "(root): pattern:" },
	{ "{'pattern':'[]'}", "'a'", 0, "(root): pattern:" },
	{ "{'pattern':'^[^]$'}", "'\\n'", 1, NULL },
	{ "{'pattern':'^\\\\p{Lu}+$'}", "'\\u00c9A'", 1, NULL },
	{ "{'pattern':'^(?<y>\\\\d{4})-\\\\k<y>$'}", "'2024-2024'", 1, NULL },
	/* format */
	{ "{'format':'date-time'}", "'1985-04-12T23:20:50.52Z'", 1, NULL },
	{ "{'format':'date-time'}", "'1996-12-19T16:39:57-08:00'", 1, NULL },
	{ "{'format':'date-time'}", "'1990-12-31T23:59:60Z'", 1, NULL },
	{ "{'format':'date-time'}", "'1990-12-31T15:59:60-08:00'", 1, NULL },
	{ "{'format':'date-time'}", "'1937-01-01T12:00:27.87+00:20'", 1, NULL },
	{ "{'format':'date-time'}", "'2020-02-29t00:00:00z'", 1, NULL },
	{ "{'format':'date-time'}", "'2000-02-29T00:00:00Z'", 1, NULL },
	{ "{'format':'date-time'}", "'2024-01-01T00:00:00.123456789+05:30'", 1,
	    NULL },
	{ "{'format':'date-time'}", "'2024-01-01T00:00:00-00:00'", 1, NULL },
	{ "{'format':'date-time'}", "'1990-02-31T15:59:59.123-08:00'", 0,
	    "(root): format: not a valid date-time" },
	{ "{'format':'date-time'}", "'2019-02-29T00:00:00Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1900-02-29T00:00:00Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'2024-04-31T00:00:00Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1990-12-31T15:59:59-24:00'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'1990-12-31T15:59:59+01:60'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'1990-12-31T15:59:60-08:01'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'1998-12-31T23:59:61Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1998-12-31T22:59:60Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1998-12-31T23:58:60Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T24:00:00Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T08:60:00Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-13-19T08:30:06Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-00-19T08:30:06Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-00T08:30:06Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T08:30:06.283185'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19 08:30:06Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T08:30:06.Z'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T08:30:06+0100'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-19T08:30:06Z '", 0, "(root): format:" },
	{ "{'format':'date-time'}", "'1963-06-1\\u09eaT00:00:00Z'", 0,
	    "(root): format:" },
	{ "{'format':'date-time'}", "'2013-350T01:01:01'", 0, "(root): format:" },
	{ "{'format':'date-time'}", "''", 0, "(root): format:" },
	{ "{'format':'date-time'}", "5", 1, NULL },
	{ "{'format':'date'}", "'2020-02-29'", 1, NULL },
	{ "{'format':'date'}", "'2021-02-29'", 0,
	    "(root): format: not a valid date" },
	{ "{'format':'date'}", "'2020-1-01'", 0, "(root): format:" },
	{ "{'format':'date'}", "'2020-01-01T00:00:00Z'", 0, "(root): format:" },
	{ "{'format':'time'}", "'08:30:06Z'", 1, NULL },
	{ "{'format':'time'}", "'08:30:06.5-05:00'", 1, NULL },
	{ "{'format':'time'}", "'23:59:60Z'", 1, NULL },
	{ "{'format':'time'}", "'01:29:60+01:30'", 1, NULL },
	{ "{'format':'time'}", "'23:59:60+01:00'", 0,
	    "(root): format: not a valid time" },
	{ "{'format':'time'}", "'08:30:06'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe.bloggs@example.com'", 1, NULL },
	{ "{'format':'email'}", "'te~st+x@example.com'", 1, NULL },
	{ "{'format':'email'}", "'\\u0022joe bloggs\\u0022@example.com'", 1, NULL },
	{ "{'format':'email'}", "'joe@[127.0.0.1]'", 1, NULL },
	{ "{'format':'email'}", "'joe@[IPv6:::1]'", 1, NULL },
	{ "{'format':'email'}", "'.joe@example.com'", 0,
	    "(root): format: not a valid email" },
	{ "{'format':'email'}", "'jo..e@example.com'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe.@example.com'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe@invalid=domain.com'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe@[127.0.0.300]'", 0, "(root): format:" },
	{ "{'format':'email'}", "'joe@-example.com'", 0, "(root): format:" },
	{ "{'format':'uuid'}", "'2eb8aa08-aa98-11ea-b4aa-73b441d16380'", 1, NULL },
	{ "{'format':'uuid'}", "'2EB8AA08-AA98-11EA-B4AA-73B441D16380'", 1, NULL },
	{ "{'format':'uuid'}", "'2eb8aa08aa9811eab4aa73b441d16380'", 0,
	    "(root): format: not a valid uuid" },
	{ "{'format':'uuid'}", "'2eb8aa08-aa98-11ea-b4aa-73b441d1638g'", 0,
	    "(root): format:" },
	{ "{'format':'no-such-format'}", "'anything'", 1, NULL },
	/* minimum, maximum, exclusiveMinimum, exclusiveMaximum */
	{ "{'minimum':0}", "0", 1, NULL },
	{ "{'minimum':0}", "0.0", 1, NULL },
	{ "{'minimum':0}", "-1", 0, "(root): minimum: must be >= 0, got -1" },
	{ "{'minimum':0}", "-0.5", 0, "(root): minimum: must be >= 0, got -0.5" },
	{ "{'minimum':0}", "'x'", 1, NULL },
	{ "{'maximum':2.5}", "2.5", 1, NULL },
	{ "{'maximum':2.5}", "3", 0, "(root): maximum: must be <= 2.5, got 3" },
	{ "{'exclusiveMinimum':0}", "0", 0,
	    "(root): exclusiveMinimum: must be > 0, got 0" },
	{ "{'exclusiveMinimum':0}", "0.0001", 1, NULL },
	{ "{'exclusiveMaximum':10}", "10.0", 0,
	    "(root): exclusiveMaximum: must be < 10, got 10" },
	{ "{'exclusiveMaximum':10}", "9", 1, NULL },
	{ "{'maximum':9007199254740993}", "9007199254740993", 1, NULL },
	{ "{'maximum':9007199254740993}", "9007199254740994", 0,
	    "(root): maximum: must be <= 9007199254740993, got 9007199254740994" },
	{ "{'minimum':9007199254740993}", "9007199254740992.0", 0,
	    "(root): minimum:" },
	{ "{'minimum':0.1}", "0.1", 1, NULL },
	/* multipleOf */
	{ "{'multipleOf':2}", "4", 1, NULL },
	{ "{'multipleOf':2}", "4.0", 1, NULL },
	{ "{'multipleOf':2}", "3", 0,
	    "(root): multipleOf: must be a multiple of 2, got 3" },
	{ "{'multipleOf':1.5}", "4.5", 1, NULL },
	{ "{'multipleOf':1.5}", "35", 0, "(root): multipleOf:" },
	{ "{'multipleOf':0.0001}", "0.0075", 1, NULL },
	{ "{'multipleOf':0.0001}", "0.00751", 0, "(root): multipleOf:" },
	{ "{'multipleOf':0.01}", "19.99", 1, NULL },
	{ "{'multipleOf':0.1}", "0.3", 1, NULL },
	{ "{'type':'integer','multipleOf':0.123456789}", "1e308", 0,
	    "(root): multipleOf:" },
	{ "{'multipleOf':0.5}", "1e308", 1, NULL },
	/* minItems, maxItems */
	{ "{'minItems':2}", "[1,2]", 1, NULL },
	{ "{'minItems':2}", "[1]", 0,
	    "(root): minItems: array has too few items (1, minimum 2)" },
	{ "{'maxItems':1}", "[1]", 1, NULL },
	{ "{'maxItems':1}", "[1,2]", 0,
	    "(root): maxItems: array has too many items (2, maximum 1)" },
	{ "{'maxItems':1}", "'ab'", 1, NULL },
	/* minProperties, maxProperties */
	{ "{'minProperties':1}", "{'a':1}", 1, NULL },
	{ "{'minProperties':1}", "{}", 0,
	    "(root): minProperties: object has too few properties (0, minimum 1)" },
	{ "{'maxProperties':1}", "{'a':1,'b':2}", 0,
	    "(root): maxProperties: object has too many properties (2, maximum 1)" },
	{ "{'maxProperties':1}", "[1,2]", 1, NULL },
	/* allOf, anyOf, oneOf, not */
	{ "{'allOf':[{'type':'integer'},{'minimum':2}]}", "2", 1, NULL },
	{ "{'allOf':[{'type':'integer'},{'minimum':2}]}", "1", 0,
	    "(root): minimum: must be >= 2, got 1" },
	{ "{'allOf':[{'type':'integer'},{'minimum':2}]}", "'x'", 0,
	    "(root): type:" },
	{ "{'anyOf':[{'type':'string'},{'minimum':2}]}", "'x'", 1, NULL },
	{ "{'anyOf':[{'type':'string'},{'minimum':2}]}", "3", 1, NULL },
	{ "{'anyOf':[{'type':'string'},{'minimum':2}]}", "1", 0,
	    "(root): anyOf: value matches none of the 2 alternatives" },
	{ "{'oneOf':[{'type':'integer'},{'minimum':2}]}", "1", 1, NULL },
	{ "{'oneOf':[{'type':'integer'},{'minimum':2}]}", "2.5", 1, NULL },
	{ "{'oneOf':[{'type':'integer'},{'minimum':2}]}", "3", 0,
	    "(root): oneOf: value matches alternatives 0 and 1, expected "
	    "exactly one" },
	{ "{'oneOf':[{'type':'integer'},{'minimum':2}]}", "1.5", 0,
	    "(root): oneOf: value matches none of the 2 alternatives" },
	{ "{'not':{'type':'string'}}", "1", 1, NULL },
	{ "{'not':{'type':'string'}}", "'x'", 0,
	    "(root): not: value matches a schema it must not match" },
	{ "{'not':false}", "1", 1, NULL },
	{ "{'not':{'not':{'type':'string'}}}", "1", 0, "(root): not:" },
	{ "{'properties':{'a':{'anyOf':[{'type':'null'},{'type':'string'}]}}}",
	    "{'a':1}", 0, "/a: anyOf:" },
	/* $defs and $ref */
	{ "{'$defs':{'pos':{'type':'integer','minimum':1}},"
	    "'properties':{'n':{'$ref':'#/$defs/pos'}}}", "{'n':1}", 1, NULL },
	{ "{'$defs':{'pos':{'type':'integer','minimum':1}},"
	    "'properties':{'n':{'$ref':'#/$defs/pos'}}}", "{'n':0}", 0,
	    "/n: minimum: must be >= 1, got 0" },
	{ "{'type':'object','required':['name'],"
	    "'properties':{'child':{'$ref':'#'}}}",
	    "{'name':1,'child':{'name':2,'child':{'name':3}}}", 1, NULL },
	{ "{'type':'object','required':['name'],"
	    "'properties':{'child':{'$ref':'#'}}}", "{'name':1,'child':{}}", 0,
	    "/child: required: missing property \"name\"" },
	{ "{'$defs':{'a/b':{'type':'string'},'c~d':{'type':'integer'},"
	    "'e f':{'type':'null'}},'properties':{'x':{'$ref':'#/$defs/a~1b'},"
	    "'y':{'$ref':'#/$defs/c~0d'},'z':{'$ref':'#/$defs/e%20f'}}}",
	    "{'x':'s','y':1,'z':null}", 1, NULL },
	{ "{'$defs':{'a/b':{'type':'string'},'c~d':{'type':'integer'},"
	    "'e f':{'type':'null'}},'properties':{'x':{'$ref':'#/$defs/a~1b'},"
	    "'y':{'$ref':'#/$defs/c~0d'},'z':{'$ref':'#/$defs/e%20f'}}}",
	    "{'y':'s'}", 0, "/y: type: expected integer, got string" },
	{ "{'$defs':{'a/b':{'type':'string'},'c~d':{'type':'integer'},"
	    "'e f':{'type':'null'}},'properties':{'x':{'$ref':'#/$defs/a~1b'},"
	    "'y':{'$ref':'#/$defs/c~0d'},'z':{'$ref':'#/$defs/e%20f'}}}",
	    "{'z':1}", 0, "/z: type: expected null, got integer" },
	{ "{'$defs':{'s':{'type':'string'}},'$ref':'#/$defs/s','maxLength':2}",
	    "'ab'", 1, NULL },
	{ "{'$defs':{'s':{'type':'string'}},'$ref':'#/$defs/s','maxLength':2}",
	    "'abc'", 0, "(root): maxLength:" },
	{ "{'$defs':{'s':{'type':'string'}},'$ref':'#/$defs/s','maxLength':2}",
	    "1", 0, "(root): type: expected string, got integer" },
	{ "{'definitions':{'s':{'type':'string'}},'$ref':'#/definitions/s'}",
	    "1", 0, "(root): type:" },
	{ "{'$id':'urn:test','$defs':{'s':{'type':'string'}},"
	    "'$ref':'urn:test#/$defs/s'}", "'a'", 1, NULL },
	{ "{'$id':'urn:test','$defs':{'s':{'type':'string'}},"
	    "'$ref':'urn:test#/$defs/s'}", "1", 0, "(root): type:" },
	{ "{'prefixItems':[{'type':'string'}],"
	    "'properties':{'p':{'$ref':'#/prefixItems/0'}}}", "{'p':1}", 0,
	    "/p: type:" },
	{ "{'$defs':{'no':false},'properties':{'a':{'$ref':'#/$defs/no'}}}",
	    "{'a':1}", 0, "/a: $ref: no value is allowed here" },
	{ "{'$defs':{'a':{'$ref':'#/$defs/b'},'b':{'type':'integer'}},"
	    "'$ref':'#/$defs/a'}", "'x'", 0, "(root): type:" },
	/* keywords the first draft of the engine refused */
	{ "{'uniqueItems':true}", "[1,{'a':1},[2]]", 1, NULL },
	{ "{'uniqueItems':true}", "[1,{'a':1},1.0]", 0,
	    "(root): uniqueItems: items 0 and 2 are equal" },
	{ "{'contains':{'type':'string'},'maxContains':1}", "[1,'a']", 1, NULL },
	{ "{'contains':{'type':'string'}}", "[1,2]", 0,
	    "(root): contains: no item matches" },
	{ "{'contains':{'type':'string'},'maxContains':1}", "['a','b']", 0,
	    "(root): maxContains: too many items match" },
	{ "{'if':{'minimum':10},'then':{'multipleOf':2},'else':{'maximum':3}}",
	    "12", 1, NULL },
	{ "{'if':{'minimum':10},'then':{'multipleOf':2},'else':{'maximum':3}}",
	    "11", 0, "(root): multipleOf: must be a multiple of 2, got 11 "
	    "(schema /then/multipleOf)" },
	{ "{'if':{'minimum':10},'then':{'multipleOf':2},'else':{'maximum':3}}",
	    "5", 0, "(root): maximum: must be <= 3, got 5 (schema /else/maximum)" },
	{ "{'dependentRequired':{'a':['b']}}", "{'a':1}", 0,
	    "(root): dependentRequired: property \"a\" requires property \"b\"" },
	{ "{'propertyNames':{'maxLength':2}}", "{'abc':1}", 0,
	    "/abc: maxLength: string is too long (length 3, maximum 2)" },
	{ "{'properties':{'a':true},'unevaluatedProperties':false}",
	    "{'a':1,'b':2}", 0, "/b: unevaluatedProperties: property not "
	    "allowed (schema /unevaluatedProperties)" },
	{ "{'allOf':[{'properties':{'a':true}}],'unevaluatedProperties':false}",
	    "{'a':1}", 1, NULL },
	{ "{'prefixItems':[true],'unevaluatedItems':false}", "[1,2]", 0,
	    "/1: unevaluatedItems: item not allowed" },
	{ "{'$defs':{'x':{'$anchor':'x','type':'null'}},'$ref':'#x'}", "1", 0,
	    "(root): type: expected null, got integer (schema /$defs/x/type)" },
	{ "{'$id':'http://x.test/root','$defs':{'i':{'$id':'int',"
	    "'type':'integer'}},'$ref':'int'}", "1.5", 0,
	    "(root): type: expected integer, got number (schema /$defs/i/type)" },
	{ "{'$dynamicAnchor':'t','$defs':{'t':{'$dynamicAnchor':'t',"
	    "'type':'string'}},'properties':{'a':{'$dynamicRef':'#t'}}}",
	    "{'a':{'a':1}}", 1, NULL },
	{ "{'multipleOf':0.0001}", "0.0075", 1, NULL },
	{ "{'multipleOf':0.0001}", "0.00751", 0, "(root): multipleOf:" },
	{ "{'multipleOf':0.01}", "19.99", 1, NULL },
	{ "{'maximum':1e308}", "1.7e308", 0, "(root): maximum:" },
	{ "{'format':'ipv4'}", "'10.0.0.256'", 0, "(root): format: not a valid "
	    "ipv4 (schema /format)" },
	{ "{'format':'duration'}", "'P1DT2H'", 1, NULL },
	{ "{'format':'no-such-format'}", "'x'", 1, NULL },
	{ "{'pattern':'^\\\\p{Letter}+$'}", "'\u00e9t\u00e9'", 1, NULL },
	/* error locations */
	{ "{'properties':{'a':false}}", "{'a':1}", 0,
	    "/a: properties: property not allowed (schema /properties/a)" },
	{ "false", "1", 0, "(root): false: no value is allowed here "
	    "(schema (root))" },
	{ "{'allOf':[{'type':'integer'},{'minimum':2}]}", "1", 0,
	    "(root): minimum: must be >= 2, got 1 (schema /allOf/1/minimum)" },
	/* unknown keywords and annotations are ignored */
	{ "{'title':5,'x-custom':{'type':'string'},'default':1,"
	    "'definitions':{'a':5}}", "1", 1, NULL },
	{ "{'$schema':'https://json-schema.org/draft/2020-12/schema',"
	    "'type':'integer'}", "1", 1, NULL },
};

static const struct compile_case compile_cases[] = {
	{ "5", "(root): a schema must be an object or a boolean" },
	{ "{'pattern':'(\\n'}", "/pattern: invalid regular expression \"(\\x0a\": " },
	{ "'x'", "(root): a schema must be an object or a boolean" },
	{ "null", "(root): a schema must be an object or a boolean" },
	{ "{'required':5}", "/required: expected an array of strings" },
	{ "{'required':['a',1]}", "/required: element 1 is not a string" },
	{ "{'required':['a','a']}", "/required: \"a\" is listed twice" },
	{ "{'type':'strin'}", "/type: unknown type \"strin\"" },
	{ "{'type':['string','string']}", "/type: type \"string\" is listed twice" },
	{ "{'type':5}", "/type: expected a type name or an array of them" },
	{ "{'type':['string',5]}", "/type: element 1 is not a type name" },
	{ "{'enum':'a'}", "/enum: expected an array" },
	{ "{'minLength':-1}", "/minLength: expected a non-negative integer" },
	{ "{'maxLength':1.5}", "/maxLength: expected a non-negative integer" },
	{ "{'maxItems':'3'}", "/maxItems: expected a non-negative integer" },
	{ "{'minProperties':null}", "/minProperties: expected a non-negative" },
	{ "{'minimum':'0'}", "/minimum: expected a number" },
	{ "{'exclusiveMaximum':true}", "/exclusiveMaximum: expected a number" },
	{ "{'multipleOf':0}", "/multipleOf: expected a number greater than 0" },
	{ "{'multipleOf':-2.5}", "/multipleOf: expected a number greater than 0" },
	{ "{'pattern':'(ab'}", "/pattern: invalid regular expression \"(ab\": "
	    "missing closing parenthesis" },
	{ "{'pattern':5}", "/pattern: expected a string" },
	{ "{'pattern':'\\\\u'}", "/pattern: invalid regular expression" },
	{ "{'patternProperties':{'[a':{}}}",
	    "/patternProperties/[a: invalid regular expression \"[a\"" },
	{ "{'patternProperties':{'a':5}}",
	    "/patternProperties/a: a schema must be an object or a boolean" },
	{ "{'properties':{'a':{'type':'nope'}}}",
	    "/properties/a/type: unknown type \"nope\"" },
	{ "{'properties':{'a/b':5}}",
	    "/properties/a~1b: a schema must be an object or a boolean" },
	{ "{'properties':[]}", "/properties: expected an object of schemas" },
	{ "{'additionalProperties':'no'}",
	    "/additionalProperties: a schema must be an object or a boolean" },
	{ "{'items':[{}]}", "/items: expected a schema" },
	{ "{'prefixItems':[]}", "/prefixItems: expected a non-empty array" },
	{ "{'allOf':[]}", "/allOf: expected a non-empty array of schemas" },
	{ "{'anyOf':{}}", "/anyOf: expected a non-empty array of schemas" },
	{ "{'oneOf':[{},3]}", "/oneOf/1: a schema must be an object or a boolean" },
	{ "{'not':3}", "/not: a schema must be an object or a boolean" },
	{ "{'format':5}", "/format: expected a string" },
	{ "{'$ref':'#/$defs/missing'}",
	    "/$ref: cannot resolve \"#/$defs/missing\"" },
	{ "{'properties':{'a':{'$ref':'#/$defs/missing'}}}",
	    "/properties/a/$ref: cannot resolve \"#/$defs/missing\"" },
	{ "{'$ref':'other.json#/x'}", "/$ref: cannot resolve \"other.json#/x\": "
	    "no document has that URI" },
	{ "{'$ref':'#anchor'}", "/$ref: cannot resolve \"#anchor\"" },
	{ "{'$dynamicRef':'#nope'}", "/$dynamicRef: cannot resolve \"#nope\"" },
	{ "{'$id':'http://x.test/a.json','$ref':'b.json'}",
	    "/$ref: cannot resolve \"b.json\": no document has that URI" },
	{ "{'$ref':'#/%zz'}", "/$ref: bad %-escape in \"#/%zz\"" },
	{ "{'$ref':'#/a~2b'}", "/$ref: cannot resolve \"#/a~2b\"" },
	{ "{'$ref':'#/prefixItems/01','prefixItems':[{}, {}]}",
	    "/$ref: cannot resolve" },
	{ "{'$ref':5}", "/$ref: expected a string" },
	{ "{'definitions':{'a':{'type':1}},'$ref':'#/definitions/a'}",
	    "/definitions/a/type: expected a type name" },
	{ "{'$defs':{'a':{'minItems':'x'}}}",
	    "/$defs/a/minItems: expected a non-negative integer" },
	{ "{'$defs':5}", "/$defs: expected an object of schemas" },
	{ "{'$schema':'http://json-schema.org/draft-07/schema#'}",
	    "/$schema: unsupported dialect" },
	{ "{'$schema':5}", "/$schema: expected a string" },
	{ "{'$defs':{'a':{'$id':5}}}", "/$defs/a/$id: expected a string" },
	{ "{'uniqueItems':1}", "/uniqueItems: expected a boolean" },
	{ "{'properties':{'a':{'if':3}}}",
	    "/properties/a/if: a schema must be an object or a boolean" },
	{ "{'dependentRequired':{'a':[1]}}",
	    "/dependentRequired/a: element 0 is not a string" },
	{ "{'dependentSchemas':{'a':1}}",
	    "/dependentSchemas/a: a schema must be an object or a boolean" },
	{ "{'unevaluatedProperties':[]}",
	    "/unevaluatedProperties: a schema must be an object or a boolean" },
	{ "{'$schema':'http://localhost:1234/none.json'}",
	    "/$schema: unsupported dialect" },
};

/* Parse text with ' standing for "; NULL (and a failure) if it is not JSON. */
static json_t *
test_parse(const char *text)
{
	json_error_t	 jerr;
	json_t		*v;
	char		*copy, *p;

	if ((copy = strdup(text)) == NULL)
		abort();
	for (p = copy; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((v = json_loads(copy, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &jerr)) == NULL) {
		printf("FAIL bad test JSON %s: %s\n", copy, jerr.text);
		failures++;
	}
	free(copy);
	return v;
}

/* Count a case and print a line when it failed; return ok. */
static int
test_check(int ok, const char *what, const char *detail)
{
	cases++;
	if (!ok) {
		failures++;
		printf("FAIL %s: %s\n", what, detail);
	}
	return ok;
}

/* Check one validation of instance against s: validity and reason prefix. */
static void
test_validate_one(const struct schema *s, const char *label,
    const char *instance, int valid, const char *reason)
{
	char	 why[512], detail[1400];
	json_t	*v;
	int	 got;

	if ((v = test_parse(instance)) == NULL)
		return;
	got = schema_validate(s, v, why, sizeof(why));
	json_decref(v);
	if (got != valid)
		snprintf(detail, sizeof(detail), "instance %s: expected %s, got "
		    "%s%s%s", instance, valid ? "valid" : "invalid",
		    got ? "valid" : "invalid (", got ? "" : why, got ? "" : ")");
	else if (!got && reason != NULL &&
	    strncmp(why, reason, strlen(reason)) != 0)
		snprintf(detail, sizeof(detail), "instance %s: expected reason "
		    "\"%s...\", got \"%s\"", instance, reason, why);
	else if (!got && why[0] == '\0')
		snprintf(detail, sizeof(detail), "instance %s: empty reason",
		    instance);
	else
		detail[0] = '\0';
	test_check(detail[0] == '\0', label, detail);
}

/* Run the keyword cases: compile each schema, validate its instance. */
static void
test_keywords(void)
{
	const struct validate_case	*c;
	struct schema			*s;
	char				 err[512], detail[1024];
	json_t				*doc;
	size_t				 i;

	for (i = 0; i < sizeof(keyword_cases) / sizeof(keyword_cases[0]); i++) {
		c = &keyword_cases[i];
		if ((doc = test_parse(c->schema)) == NULL)
			continue;
		s = schema_compile(doc, err, sizeof(err));
		json_decref(doc);
		if (s == NULL) {
			snprintf(detail, sizeof(detail), "expected to compile, "
			    "got \"%s\"", err);
			test_check(0, c->schema, detail);
			continue;
		}
		test_validate_one(s, c->schema, c->instance, c->valid,
		    c->reason);
		schema_free(s);
	}
}

/* Run the compile error cases. */
static void
test_compile_errors(void)
{
	const struct compile_case	*c;
	struct schema			*s;
	char				 err[512], detail[1024];
	json_t				*doc;
	size_t				 i;

	for (i = 0; i < sizeof(compile_cases) / sizeof(compile_cases[0]); i++) {
		c = &compile_cases[i];
		if ((doc = test_parse(c->schema)) == NULL)
			continue;
		err[0] = '\0';
		s = schema_compile(doc, err, sizeof(err));
		json_decref(doc);
		if (s != NULL) {
			schema_free(s);
			test_check(0, c->schema, "expected a compile error");
			continue;
		}
		snprintf(detail, sizeof(detail), "expected error \"%s...\", got "
		    "\"%s\"", c->error, err);
		test_check(strncmp(err, c->error, strlen(c->error)) == 0,
		    c->schema, detail);
	}
	s = schema_compile(NULL, err, sizeof(err));
	test_check(s == NULL && strcmp(err, "(root): no schema document") == 0,
	    "compile NULL", err);
}

/* Return "[[[...1...]]]" nested depth deep; the caller frees it. */
static char *
test_nested_arrays(size_t depth)
{
	char	*text;

	if ((text = malloc(2 * depth + 2)) == NULL)
		abort();
	memset(text, '[', depth);
	text[depth] = '1';
	memset(text + depth + 1, ']', depth);
	text[2 * depth + 1] = '\0';
	return text;
}

/* Check that hostile depth (instance, $ref cycles, schema) is refused, not a crash. */
static void
test_depth(void)
{
	struct schema	*s;
	char		 err[512], why[512];
	char		*text;
	json_t		*doc;
	size_t		 i, len;

	doc = test_parse("{'items':{'$ref':'#'}}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	text = test_nested_arrays(500);
	test_validate_one(s, "depth 500", text, 1, NULL);
	free(text);
	text = test_nested_arrays(600);
	test_validate_one(s, "depth 600", text, 0, NULL);
	doc = json_loads(text, 0, NULL);
	schema_validate(s, doc, why, sizeof(why));
	test_check(strstr(why, ": items: max depth exceeded") != NULL,
	    "depth 600 reason", why);
	json_decref(doc);
	schema_free(s);

	/* A depth error inside "not" must not turn into a success. */
	doc = test_parse("{'$defs':{'deep':{'items':{'$ref':'#/$defs/deep'}}},"
	    "'not':{'$ref':'#/$defs/deep'}}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	test_validate_one(s, "depth in not", text, 0, NULL);
	schema_free(s);
	free(text);

	doc = test_parse("{'$defs':{'a':{'$ref':'#/$defs/b'},"
	    "'b':{'$ref':'#/$defs/a'}},'$ref':'#/$defs/a'}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	test_validate_one(s, "$ref cycle", "1", 0,
	    "(root): $ref: max depth exceeded");
	schema_free(s);

	doc = test_parse("{'anyOf':[{'$ref':'#'},{'type':'string'}]}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	test_validate_one(s, "$ref cycle in anyOf", "'x'", 0,
	    "(root): $ref: max depth exceeded");
	schema_free(s);

	/* A schema nested deeper than SCHEMA_MAX_DEPTH. */
	len = 600 * strlen("{\"not\":") + 2 + 600;
	if ((text = malloc(len + 1)) == NULL)
		abort();
	text[0] = '\0';
	for (i = 0; i < 600; i++)
		strcat(text, "{\"not\":");
	strcat(text, "{}");
	for (i = 0; i < 600; i++)
		strcat(text, "}");
	doc = json_loads(text, 0, NULL);
	free(text);
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	test_check(s == NULL && strncmp(err, "/not/not/not", 12) == 0 &&
	    strstr(err, "...: max depth exceeded") != NULL, "deep schema",
	    s ? "compiled" : err);
	schema_free(s);
}

/* Check the Data Actions interaction schema with good and bad events. */
static void
test_interaction(const char *dir)
{
	static const char good[] = "{'interactionId':'c-1',"
	    "'timestamp':'2024-05-01T12:00:00.5Z','type':'call',"
	    "'idempotencyKey':'k_1-A'";
	static const struct { const char *tail; int valid; const char *reason; }
	    events[] = {
		{ "}", 1, NULL },
		{ ",'attributes':{}}", 1, NULL },
		{ ",'attributes':{'duration':12.5,'disposition':'resolved',"
		    "'queueName':'Sales','agentId':'a-7','skill':'x'}}", 1, NULL },
		{ ",'attributes':{'duration':null,'disposition':null,"
		    "'queueName':null,'agentId':null}}", 1, NULL },
		{ ",'attributes':{'duration':0}}", 1, NULL },
		{ ",'extra':1}", 0,
		    "/extra: additionalProperties: property not allowed" },
		{ ",'attributes':{'duration':'12'}}", 0,
		    "/attributes/duration: type: expected number or null, got "
		    "string" },
		{ ",'attributes':{'duration':-1}}", 0,
		    "/attributes/duration: minimum: must be >= 0, got -1" },
		{ ",'attributes':{'disposition':5}}", 0,
		    "/attributes/disposition: type: expected string or null, got "
		    "integer" },
		{ ",'attributes':{'agentId':true}}", 0,
		    "/attributes/agentId: type: expected string or null, got "
		    "boolean" },
		{ ",'attributes':{'queueName':'%256'}}", 0,
		    "/attributes/queueName: maxLength: string is too long "
		    "(length 256, maximum 255)" },
		{ ",'attributes':[]}", 0,
		    "/attributes: type: expected object, got array" },
	};
	static const struct { const char *event; const char *reason; } bad[] = {
		{ "{'timestamp':'2024-05-01T12:00:00Z','type':'call',"
		    "'idempotencyKey':'k'}",
		    "(root): required: missing property \"interactionId\"" },
		{ "{'interactionId':'c','type':'call','idempotencyKey':'k'}",
		    "(root): required: missing property \"timestamp\"" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'idempotencyKey':'k'}",
		    "(root): required: missing property \"type\"" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call'}",
		    "(root): required: missing property \"idempotencyKey\"" },
		{ "{'interactionId':'','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':'k'}",
		    "/interactionId: minLength: string is too short (length 0, "
		    "minimum 1)" },
		{ "{'interactionId':7,'timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':'k'}",
		    "/interactionId: type: expected string, got integer" },
		{ "{'interactionId':'c','timestamp':'2024-05-01 12:00:00',"
		    "'type':'call','idempotencyKey':'k'}",
		    "/timestamp: format: not a valid date-time" },
		{ "{'interactionId':'c','timestamp':1714564800,"
		    "'type':'call','idempotencyKey':'k'}",
		    "/timestamp: type: expected string, got integer" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'sms','idempotencyKey':'k'}",
		    "/type: enum: expected one of [\"call\",\"chat\",\"email\","
		    "\"callback\"]" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':['call'],'idempotencyKey':'k'}",
		    "/type: type: expected string, got array" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':'k 1'}",
		    "/idempotencyKey: pattern: string does not match "
		    "\"^[a-zA-Z0-9_-]+$\"" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':''}",
		    "/idempotencyKey: pattern:" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':'%256'}",
		    "/idempotencyKey: maxLength: string is too long (length 256, "
		    "maximum 255)" },
		{ "{'interactionId':'c','timestamp':'2024-05-01T12:00:00Z',"
		    "'type':'call','idempotencyKey':null}",
		    "/idempotencyKey: type: expected string, got null" },
		{ "[]", "(root): type: expected object, got array" },
		{ "{'interactionId':'c','type':'call','idempotencyKey':'k',"
		    "'attributes':{}}",
		    "(root): required: missing property \"timestamp\"" },
	};
	struct schema	*s;
	char		 path[1100], err[512], text[2048], label[64];
	char		 longstr[257];
	const char	*mark;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/interaction.json", dir);
	if ((s = schema_compile_file(path, err, sizeof(err))) == NULL) {
		test_check(0, path, err);
		return;
	}
	test_check(strcmp(schema_id(s), "urn:cxpipe:schema:interaction:1") == 0,
	    "interaction $id", schema_id(s));
	memset(longstr, 'a', 256);
	longstr[256] = '\0';
	for (i = 0; i < sizeof(events) / sizeof(events[0]) +
	    sizeof(bad) / sizeof(bad[0]); i++) {
		const char *ev, *reason;
		int valid;

		if (i < sizeof(events) / sizeof(events[0])) {
			snprintf(text, sizeof(text), "%s%s", good,
			    events[i].tail);
			valid = events[i].valid;
			reason = events[i].reason;
		} else {
			ev = bad[i - sizeof(events) / sizeof(events[0])].event;
			snprintf(text, sizeof(text), "%s", ev);
			valid = 0;
			reason = bad[i - sizeof(events) /
			    sizeof(events[0])].reason;
		}
		if ((mark = strstr(text, "%256")) != NULL) {
			memmove(text + (mark - text) + 256, mark + 4,
			    strlen(mark + 4) + 1);
			memcpy(text + (mark - text), longstr, 256);
		}
		snprintf(label, sizeof(label), "interaction event %zu", i);
		test_validate_one(s, label, text, valid, reason);
	}
	schema_free(s);
}

/* Write text to a new temporary file; return its path in buf. */
static void
test_write_temp(char *buf, size_t len, const char *text)
{
	int	 fd;

	snprintf(buf, len, "/tmp/test_schema.XXXXXX");
	if ((fd = mkstemp(buf)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1) {
		perror("test_schema: temporary file");
		exit(1);
	}
}

/* Check schema_compile_file errors: missing file, bad JSON, bad schema. */
static void
test_compile_file(void)
{
	struct schema	*s;
	char		 path[64], err[512], want[600];

	s = schema_compile_file("/nonexistent/x.json", err, sizeof(err));
	test_check(s == NULL && strncmp(err, "/nonexistent/x.json: ", 21) == 0,
	    "missing file", err);

	test_write_temp(path, sizeof(path), "{\n  \"type\": \"string\",\n"
	    "  oops\n}\n");
	s = schema_compile_file(path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:3:", path);
	test_check(s == NULL && strncmp(err, want, strlen(want)) == 0,
	    "bad JSON file", err);
	unlink(path);

	test_write_temp(path, sizeof(path), "{\"type\": 1, \"type\": 2}");
	s = schema_compile_file(path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:1:", path);
	test_check(s == NULL && strncmp(err, want, strlen(want)) == 0,
	    "duplicate key file", err);
	unlink(path);

	test_write_temp(path, sizeof(path),
	    "{\"properties\": {\"a\": {\"minLength\": -1}}}");
	s = schema_compile_file(path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: /properties/a/minLength: expected a "
	    "non-negative integer", path);
	test_check(s == NULL && strcmp(err, want) == 0, "bad schema file", err);
	unlink(path);

	test_write_temp(path, sizeof(path), "true");
	s = schema_compile_file(path, err, sizeof(err));
	test_check(s != NULL, "boolean schema file", err);
	schema_free(s);
	unlink(path);
}

/* Check reason buffers: truncation keeps a terminator, NULL is allowed, reuse works. */
static void
test_reason_buffer(void)
{
	struct schema	*s;
	char		 err[256], small[12];
	json_t		*doc, *good, *bad;
	int		 i, ok = 1;

	doc = test_parse("{'properties':{'key':{'pattern':'^a+$'}}}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	good = test_parse("{'key':'aaa'}");
	bad = test_parse("{'key':'aab'}");
	memset(small, 'x', sizeof(small));
	test_check(schema_validate(s, bad, small, sizeof(small)) == 0 &&
	    strcmp(small, "/key: patte") == 0, "truncated reason", small);
	test_check(schema_validate(s, bad, NULL, 0) == 0, "NULL reason", "");
	test_check(schema_validate(s, good, small, 0) == 1, "zero reason", "");
	for (i = 0; i < 1000; i++)
		ok &= schema_validate(s, i % 2 ? good : bad, err,
		    sizeof(err)) == (i % 2);
	test_check(ok, "reused match data", err);
	test_check(schema_validate(s, NULL, err, sizeof(err)) == 0,
	    "NULL instance", err);
	json_decref(good);
	json_decref(bad);
	schema_free(s);
	schema_free(NULL);
}

/* Return 1 if s is valid UTF-8 (structure only). */
static int
test_is_utf8(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 more;

	while (*p != '\0') {
		more = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (more < 0)
			return 0;
		for (p++; more > 0; more--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* Check that reasons and errors cut to any buffer size stay valid UTF-8. */
static void
test_utf8_truncation(void)
{
	struct schema	*s;
	char		 err[256], buf[64], label[64];
	json_t		*doc, *v;
	size_t		 len;
	int		 ok = 1, ok_err = 1;

	doc = test_parse("{'properties':{'\u65e5\u672c\u8a9e\u65e5\u672c':"
	    "{'enum':['\u00e9\u00e9\u00e9\u00e9\u00e9']}}}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	v = test_parse("{'\u65e5\u672c\u8a9e\u65e5\u672c':1}");
	for (len = 1; len <= sizeof(buf); len++) {
		memset(buf, 'x', sizeof(buf));
		if (schema_validate(s, v, buf, len) != 0 ||
		    memchr(buf, '\0', len) == NULL || !test_is_utf8(buf)) {
			snprintf(label, sizeof(label), "reason cut at %zu", len);
			ok = test_check(0, label, buf);
		}
	}
	test_check(ok, "reasons cut on character boundaries", "");
	json_decref(v);
	schema_free(s);

	doc = test_parse("{'properties':{'\u65e5\u672c\u8a9e\u65e5\u672c':"
	    "{'type':'\u00e9\u00e9\u00e9'}}}");
	for (len = 1; len <= sizeof(buf); len++) {
		memset(buf, 'x', sizeof(buf));
		if (schema_compile(doc, buf, len) != NULL ||
		    memchr(buf, '\0', len) == NULL || !test_is_utf8(buf)) {
			snprintf(label, sizeof(label), "error cut at %zu", len);
			ok_err = test_check(0, label, buf);
		}
	}
	test_check(ok_err, "errors cut on character boundaries", "");
	json_decref(doc);
}

/* Check the full reason, with its schema location, on the interaction schema. */
static void
test_locations(const char *dir)
{
	struct schema	*s;
	char		 path[1100], err[512];

	snprintf(path, sizeof(path), "%s/interaction.json", dir);
	if ((s = schema_compile_file(path, err, sizeof(err))) == NULL) {
		test_check(0, "compile interaction.json", err);
		return;
	}
	test_validate_one(s, "location of a nested type", "{'interactionId':"
	    "'c-1','timestamp':'2024-05-01T12:00:00Z','type':'call',"
	    "'idempotencyKey':'k','attributes':{'duration':'x'}}", 0,
	    "/attributes/duration: type: expected number or null, got string "
	    "(schema /properties/attributes/properties/duration/type)");
	test_validate_one(s, "location through $ref", "{'interactionId':"
	    "'c-1','timestamp':'2024-05-01T12:00:00Z','type':'call',"
	    "'idempotencyKey':'k','attributes':{'agentId':5}}", 0,
	    "/attributes/agentId: type: expected string or null, got integer "
	    "(schema /$defs/optionalText/type)");
	schema_free(s);
}

/* What an all-errors validation reported. */
struct test_errors {
	int	 n;
	char	 text[8][256];
	char	 parts[8][256];
};

/* Collect one error of schema_validate_all. */
static void
test_error_cb(const struct schema_error *e, void *arg)
{
	struct test_errors	*te = arg;

	if (te->n < 8) {
		snprintf(te->text[te->n], sizeof(te->text[0]), "%s", e->text);
		snprintf(te->parts[te->n], sizeof(te->parts[0]), "[%s|%s|%s|%s]",
		    e->instance, e->keyword, e->message, e->location);
	}
	te->n++;
}

/* Check schema_validate_all: every error, in order, with its parts. */
static void
test_all_errors(void)
{
	struct test_errors	 te;
	struct schema		*s;
	char			 err[512], detail[2048];
	json_t			*doc, *v;
	size_t			 n;

	doc = test_parse("{'type':'object','required':['id','name'],"
	    "'properties':{'id':{'type':'integer','minimum':1},"
	    "'tags':{'items':{'type':'string'}}},"
	    "'anyOf':[{'required':['x']},{'required':['y']}]}");
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	v = test_parse("{'id':0,'tags':['a',1,2]}");
	memset(&te, 0, sizeof(te));
	n = schema_validate_all(s, v, test_error_cb, &te);
	snprintf(detail, sizeof(detail), "%zu errors: %s; %s; %s; %s; %s", n,
	    te.text[0], te.text[1], te.text[2], te.text[3], te.text[4]);
	test_check(n == 5 && te.n == 5, "all errors: count", detail);
	test_check(strcmp(te.text[0], "(root): required: missing property "
	    "\"name\" (schema /required)") == 0, "all errors: first", detail);
	test_check(strcmp(te.parts[1], "[/id|minimum|must be >= 1, got 0|"
	    "/properties/id/minimum]") == 0, "all errors: parts", te.parts[1]);
	test_check(strcmp(te.text[2], "/tags/1: type: expected string, got "
	    "integer (schema /properties/tags/items/type)") == 0,
	    "all errors: item 1", detail);
	test_check(strncmp(te.text[3], "/tags/2: type:", 14) == 0,
	    "all errors: item 2", detail);
	test_check(strncmp(te.text[4], "(root): anyOf: value matches none",
	    33) == 0, "all errors: anyOf", detail);
	test_check(schema_validate(s, v, err, sizeof(err)) == 0 &&
	    strcmp(err, te.text[0]) == 0, "first error is the first of all",
	    err);
	json_decref(v);
	v = test_parse("{'id':1,'name':'n','x':1}");
	test_check(schema_validate_all(s, v, NULL, NULL) == 0,
	    "all errors: valid", "");
	json_decref(v);
	schema_free(s);
}

/* Write text to dir/name. */
static void
test_write_file(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

/* Check the registry: documents by "$id", by URI prefix, and errors. */
static void
test_registry(void)
{
	struct schema_registry	*reg;
	struct schema_options	 opts;
	struct schema		*s;
	char			 dir[64], sub[128], err[512];
	json_t			*doc;

	snprintf(dir, sizeof(dir), "/tmp/test_schema.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(sub, sizeof(sub), "%s/v1", dir);
	if (mkdir(sub, 0700) == -1) {
		perror(sub);
		exit(1);
	}
	test_write_file(dir, "common.json", "{\"$id\": \"urn:cx:common\","
	    "\"$defs\": {\"id\": {\"type\": \"string\", \"minLength\": 2}}}");
	test_write_file(sub, "pos.json", "{\"type\": \"integer\", "
	    "\"minimum\": 1}");
	test_write_file(dir, "notes.txt", "not json, not read");

	doc = test_parse("{'properties':{'id':{'$ref':'urn:cx:common#/$defs/id'},"
	    "'n':{'$ref':'http://schemas.test/v1/pos.json'}}}");
	s = schema_compile(doc, err, sizeof(err));
	test_check(s == NULL && strstr(err, "no document has that URI") != NULL,
	    "no registry", err);

	reg = schema_registry_new();
	test_check(schema_registry_add_dir(reg, dir, err, sizeof(err)) == 0,
	    "add_dir", err);
	test_check(schema_registry_add_prefix(reg, "http://schemas.test/", dir,
	    err, sizeof(err)) == 0, "add_prefix", err);
	memset(&opts, 0, sizeof(opts));
	opts.registry = reg;
	s = schema_compile_with(doc, &opts, err, sizeof(err));
	test_check(s != NULL, "compile with registry", err);
	if (s != NULL) {
		test_validate_one(s, "registry ok", "{'id':'ab','n':2}", 1, NULL);
		test_validate_one(s, "registry id", "{'id':'a'}", 0,
		    "/id: minLength: string is too short (length 1, minimum 2) "
		    "(schema urn:cx:common#/$defs/id/minLength)");
		test_validate_one(s, "registry prefix", "{'n':0}", 0,
		    "/n: minimum: must be >= 1, got 0 (schema "
		    "http://schemas.test/v1/pos.json#/minimum)");
	}
	schema_free(s);
	json_decref(doc);

	doc = test_parse("{'$ref':'urn:cx:common#/$defs/nope'}");
	s = schema_compile_with(doc, &opts, err, sizeof(err));
	test_check(s == NULL && strcmp(err, "/$ref: cannot resolve "
	    "\"urn:cx:common#/$defs/nope\"") == 0, "bad pointer in registry",
	    err);
	json_decref(doc);
	doc = test_parse("{'format':'ipv4'}");
	opts.format_annotation = 1;
	s = schema_compile_with(doc, &opts, err, sizeof(err));
	test_validate_one(s, "format annotation", "'x'", 1, NULL);
	schema_free(s);
	json_decref(doc);

	test_write_file(dir, "bad.json", "{\"$id\": ");
	test_check(schema_registry_add_dir(reg, dir, err, sizeof(err)) == -1 &&
	    strstr(err, "bad.json:1:") != NULL, "bad file in dir", err);
	schema_registry_free(reg);
	schema_registry_free(NULL);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	if (system(sub) != 0)
		perror("rm");
}

/* Run every group; exit 0 when all cases passed. */
int
main(int argc, char *argv[])
{
	char		 dir[1024];
	const char	*srcdir;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else {
		if ((srcdir = getenv("SRCDIR")) == NULL)
			srcdir = ".";
		snprintf(dir, sizeof(dir), "%s/etc/schemas", srcdir);
	}
	test_keywords();
	test_compile_errors();
	test_depth();
	test_interaction(dir);
	test_compile_file();
	test_reason_buffer();
	test_utf8_truncation();
	test_locations(dir);
	test_all_errors();
	test_registry();
	printf("test_schema: %d cases, %d failed\n", cases, failures);
	return failures == 0 ? 0 : 1;
}
