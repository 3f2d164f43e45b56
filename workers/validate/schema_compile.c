/*
 * schema_compile.c: compile a JSON Schema (draft 2020-12) document into a
 * tree of struct schema_node.
 *
 * Each keyword has a handler in keyword_table that checks the keyword's
 * value and fills its field of the node; adding a keyword is adding a
 * handler, a field and a check in schema_validate.c.  "$ref"s are
 * recorded while compiling and resolved at the end, so they may point
 * forwards, backwards or into themselves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_INTERNAL
#include "schema.h"

#define SCHEMA_DRAFT_URI	"https://json-schema.org/draft/2020-12/schema"
#define SCHEMA_TEXT_MAX		160	/* longest const/enum message text */

/* A "$ref" waiting for the whole document to be compiled. */
struct compile_ref {
	struct schema_node	*node;
	char			*ref;
	char			*path;		/* where the "$ref" is */
};

/* An object in the document already compiled, for "$ref" targets. */
struct compile_seen {
	const json_t		*json;
	struct schema_node	*node;
};

/* A growing byte string. */
struct compile_buf {
	char			*p;
	size_t			 len, cap;
};

/* State of one schema_compile() call. */
struct compile_ctx {
	struct schema		*s;
	json_t			*doc;
	char			*err;
	size_t			 errlen;
	int			 failed;
	int			 depth;
	struct compile_buf	 path;	/* JSON pointer being compiled */
	struct compile_ref	*refs;
	size_t			 n_refs, cap_refs;
	struct compile_seen	*seen;
	size_t			 n_seen, cap_seen;
};

/* Allocate zeroed memory or abort: out of memory is not recoverable. */
static void *
compile_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	return p;
}

/* Return v (or its new place) with room for n + 1 elements of size bytes. */
static void *
compile_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t	 ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 8;
	if ((v = realloc(v, ncap * size)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	*cap = ncap;
	return v;
}

/* Return a NUL-terminated copy of len bytes at s; the caller frees it. */
static char *
compile_xstrndup(const char *s, size_t len)
{
	char	*p;

	p = compile_xcalloc(len + 1, 1);
	memcpy(p, s, len);
	return p;
}

/* Append len bytes to a buffer, keeping it NUL-terminated. */
static void
compile_buf_add(struct compile_buf *b, const char *s, size_t len)
{
	while (b->len + len + 1 > b->cap)
		b->p = compile_grow(b->p, &b->cap, b->cap, 1);
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/* Append a NUL-terminated string to a buffer. */
static void
compile_buf_adds(struct compile_buf *b, const char *s)
{
	compile_buf_add(b, s, strlen(s));
}

/*
 * Write "pointer: why" into the error buffer once; return -1 to pass on.
 * A pointer too long for the buffer is cut with "..." so "why" shows.
 */
static int __attribute__((format(printf, 2, 3)))
compile_error(struct compile_ctx *cc, const char *fmt, ...)
{
	va_list		 ap;
	const char	*path = cc->path.len ? cc->path.p : "(root)";
	char		 why[384];
	size_t		 keep;
	int		 n;

	if (cc->failed++ || cc->err == NULL || cc->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	why[schema_utf8_cut(why, strlen(why))] = '\0';
	keep = strlen(path);
	if (keep + 2 + strlen(why) >= cc->errlen &&
	    strlen(why) + 16 < cc->errlen) {
		keep = schema_utf8_cut(path, cc->errlen - strlen(why) - 6);
		n = snprintf(cc->err, cc->errlen, "%.*s...: %s", (int)keep,
		    path, why);
	} else
		n = snprintf(cc->err, cc->errlen, "%s: %s", path, why);
	if (n >= 0 && (size_t)n >= cc->errlen)
		cc->err[schema_utf8_cut(cc->err, cc->errlen - 1)] = '\0';
	return -1;
}

/* Append "/token" (escaped as a JSON pointer token) to the schema path. */
static size_t
compile_path_push(struct compile_ctx *cc, const char *key, size_t len)
{
	size_t	 saved = cc->path.len, i;

	compile_buf_add(&cc->path, "/", 1);
	for (i = 0; i < len; i++) {
		if (key[i] == '~')
			compile_buf_add(&cc->path, "~0", 2);
		else if (key[i] == '/')
			compile_buf_add(&cc->path, "~1", 2);
		else
			compile_buf_add(&cc->path, key + i, 1);
	}
	return saved;
}

/* Append "/index" to the schema path. */
static size_t
compile_path_push_index(struct compile_ctx *cc, size_t index)
{
	char	 tmp[32];

	snprintf(tmp, sizeof(tmp), "%zu", index);
	return compile_path_push(cc, tmp, strlen(tmp));
}

/* Cut the schema path back to what compile_path_push returned. */
static void
compile_path_pop(struct compile_ctx *cc, size_t saved)
{
	cc->path.len = saved;
	if (cc->path.p != NULL)
		cc->path.p[saved] = '\0';
}

/* Return v as short compact JSON for messages; the caller frees it. */
static char *
compile_describe(const json_t *v)
{
	char	*text;
	size_t	 len;

	if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		fprintf(stderr, "schema: out of memory\n");
		abort();
	}
	if ((len = strlen(text)) > SCHEMA_TEXT_MAX) {
		len = SCHEMA_TEXT_MAX - 3;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
		memcpy(text + len, "...", 4);
	}
	return text;
}

/* Read a JSON number into *out, exactly when it holds an integer. */
static int
compile_get_num(struct compile_ctx *cc, json_t *v, struct schema_num *out)
{
	if (json_is_integer(v)) {
		out->is_int = 1;
		out->i = json_integer_value(v);
		out->d = (double)out->i;
		return 0;
	}
	if (!json_is_real(v))
		return compile_error(cc, "expected a number");
	out->d = json_real_value(v);
	out->is_int = schema_is_whole(out->d) && out->d >= -0x1p63 &&
	    out->d < 0x1p63;
	out->i = out->is_int ? (long long)out->d : 0;
	return 0;
}

/* Read a non-negative integer (1.0 counts) into *out, clamped to SIZE_MAX. */
static int
compile_get_count(struct compile_ctx *cc, json_t *v, size_t *out)
{
	struct schema_num	 num;

	if (!json_is_number(v) || compile_get_num(cc, v, &num) != 0 ||
	    !schema_is_whole(num.d) || num.d < 0)
		return compile_error(cc, "expected a non-negative integer");
	if (num.is_int && (unsigned long long)num.i <= SIZE_MAX)
		*out = (size_t)num.i;
	else
		*out = SIZE_MAX;
	return 0;
}

/* Return how many hexadecimal digits start s (at most max, within len). */
static size_t
compile_count_hex(const char *s, size_t len, size_t max)
{
	size_t	 n = 0;

	while (n < len && n < max && ((s[n] >= '0' && s[n] <= '9') ||
	    (s[n] >= 'a' && s[n] <= 'f') || (s[n] >= 'A' && s[n] <= 'F')))
		n++;
	return n;
}

/*
 * Append the PCRE2 form of the escape "\d" at src (left bytes) and return
 * how many bytes it took.  \d \w \s and their negations become ECMA's
 * ASCII (resp. ECMA white space) sets rather than Unicode properties, \b
 * and \B use ASCII word characters, \uXXXX and \u{X...} become \x{...}.
 */
static size_t
compile_translate_escape(const char *src, size_t left, int in_class,
    struct compile_buf *b)
{
	static const char letters[] = "dDwWsS";
	static const char *const sets[] = {
		"0-9",
		"\\x{0}-\\x{2f}\\x{3a}-\\x{10ffff}",
		"0-9A-Za-z_",
		"\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{5e}\\x{60}"
		    "\\x{7b}-\\x{10ffff}",
		"\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
		    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}",
		"\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{9f}\\x{a1}-\\x{167f}"
		    "\\x{1681}-\\x{1fff}\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}"
		    "\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}\\x{3001}-\\x{fefe}"
		    "\\x{ff00}-\\x{10ffff}",
	};
	const char	*letter;
	size_t		 n;
	char		 d = src[1];

	if (d != '\0' && (letter = strchr(letters, d)) != NULL) {
		compile_buf_adds(b, in_class ? "" : "[");
		compile_buf_adds(b, sets[letter - letters]);
		compile_buf_adds(b, in_class ? "" : "]");
		return 2;
	}
	if (d == 'b' && !in_class) {
		compile_buf_adds(b, "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|"
		    "(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))");
		return 2;
	}
	if (d == 'B' && !in_class) {
		compile_buf_adds(b, "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|"
		    "(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))");
		return 2;
	}
	if (d == 'u' && compile_count_hex(src + 2, left - 2, 4) == 4) {
		compile_buf_adds(b, "\\x{");
		compile_buf_add(b, src + 2, 4);
		compile_buf_adds(b, "}");
		return 6;
	}
	if (d == 'u' && left > 3 && src[2] == '{' &&
	    (n = compile_count_hex(src + 3, left - 3, 8)) > 0 &&
	    n + 3 < left && src[n + 3] == '}') {
		compile_buf_adds(b, "\\x");
		compile_buf_add(b, src + 2, n + 2);
		return n + 4;
	}
	compile_buf_add(b, src, 2);
	return 2;
}

/*
 * Rewrite an ECMA-262 pattern for PCRE2 in UTF+UCP mode: escapes as in
 * compile_translate_escape, "." excluding exactly ECMA's line terminators,
 * and "[" inside a class a literal (not a POSIX class).
 */
static void
compile_translate_regex(const char *src, size_t len, struct compile_buf *b)
{
	size_t	 i = 0;
	int	 in_class = 0;

	while (i < len) {
		if (src[i] == '\\' && i + 1 < len) {
			i += compile_translate_escape(src + i, len - i,
			    in_class, b);
			continue;
		}
		if (in_class && src[i] == '[')
			compile_buf_adds(b, "\\[");
		else if (!in_class && src[i] == '.')
			compile_buf_adds(b, "[^\\n\\r\\x{2028}\\x{2029}]");
		else
			compile_buf_add(b, src + i, 1);
		if (in_class && src[i] == ']')
			in_class = 0;
		else if (!in_class && src[i] == '[') {
			in_class = 1;
			if (i + 1 < len && src[i + 1] == '^')
				compile_buf_add(b, src + ++i, 1);
		}
		i++;
	}
}

/* Compile the ECMA-262 pattern src into re (and the schema's match data). */
static int
compile_regex(struct compile_ctx *cc, struct schema_regex *re,
    const char *src, size_t len)
{
	struct compile_buf	 b = { NULL, 0, 0 };
	struct schema		*s = cc->s;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 erroff;
	int			 errcode;

	compile_buf_add(&b, "", 0);
	compile_translate_regex(src, len, &b);
	/*
	 * PCRE2_NO_START_OPTIMIZE: the JIT's start-of-match scan reads whole
	 * words past the end of the subject (harmless, but valgrind reports
	 * it).  Anchored patterns lose nothing; an unanchored search that
	 * fails costs about 15 ns more on a short string.
	 */
	re->code = pcre2_compile((PCRE2_SPTR)b.p, b.len, PCRE2_UTF | PCRE2_UCP |
	    PCRE2_ALLOW_EMPTY_CLASS | PCRE2_DOLLAR_ENDONLY |
	    PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_START_OPTIMIZE, &errcode,
	    &erroff, NULL);
	free(b.p);
	if (re->code == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return compile_error(cc, "invalid regular expression \"%.*s\": %s",
		    (int)len, src, (char *)msg);
	}
	/* Without JIT support pcre2_match() interprets; that is fine. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->source = compile_xstrndup(src, len);
	if (s->match_data == NULL) {
		s->match_data = pcre2_match_data_create(1, NULL);
		s->match_context = pcre2_match_context_create(NULL);
		if (s->match_data == NULL || s->match_context == NULL) {
			fprintf(stderr, "schema: out of memory\n");
			abort();
		}
		s->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024,
		    NULL);
		if (s->jit_stack != NULL)
			pcre2_jit_stack_assign(s->match_context, NULL,
			    s->jit_stack);
	}
	return 0;
}

static struct schema_node *compile_node(struct compile_ctx *, json_t *);

/* Compile the subschema v found at the current path into *out. */
static int
compile_subschema(struct compile_ctx *cc, json_t *v, struct schema_node **out)
{
	*out = compile_node(cc, v);
	return *out == NULL ? -1 : 0;
}

/* Compile a non-empty array of subschemas into a node list. */
static int
compile_schema_list(struct compile_ctx *cc, json_t *v,
    struct schema_node_list *list)
{
	size_t	 i, saved;
	int	 rc;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return compile_error(cc, "expected a non-empty array of schemas");
	list->v = compile_xcalloc(json_array_size(v), sizeof(*list->v));
	list->n = json_array_size(v);
	for (i = 0; i < list->n; i++) {
		saved = compile_path_push_index(cc, i);
		rc = compile_subschema(cc, json_array_get(v, i), &list->v[i]);
		compile_path_pop(cc, saved);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Return the SCHEMA_T_* bit named name, or 0. */
static unsigned
compile_type_bit(const char *name)
{
	static const struct { const char *name; unsigned bit; } types[] = {
		{ "null", SCHEMA_T_NULL }, { "boolean", SCHEMA_T_BOOLEAN },
		{ "object", SCHEMA_T_OBJECT }, { "array", SCHEMA_T_ARRAY },
		{ "number", SCHEMA_T_NUMBER }, { "string", SCHEMA_T_STRING },
		{ "integer", SCHEMA_T_INTEGER },
	};
	size_t	 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].bit;
	return 0;
}

/*
 * Keyword handlers: check the value v of one keyword of node n and store
 * it, field pointing at the node member named in keyword_table.
 */

/* A non-negative integer keyword (minLength, maxItems, ...). */
static int
kw_count(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)n;
	return compile_get_count(cc, v, field);
}

/* A number keyword (minimum, exclusiveMaximum, ...). */
static int
kw_number(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)n;
	return compile_get_num(cc, v, field);
}

/* A keyword whose value is one schema (not, additionalProperties, ...). */
static int
kw_subschema(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return compile_subschema(cc, v, field);
}

/* A keyword whose value is a non-empty array of schemas (allOf, ...). */
static int
kw_subschema_list(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	return compile_schema_list(cc, v, field);
}

/* "type": a type name or an array of distinct type names. */
static int
kw_type(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	json_t		*t;
	size_t		 i;
	unsigned	 bit;

	(void)field;
	if (json_is_string(v)) {
		if ((bit = compile_type_bit(json_string_value(v))) == 0)
			return compile_error(cc, "unknown type \"%s\"",
			    json_string_value(v));
		n->types = bit;
		return 0;
	}
	if (!json_is_array(v))
		return compile_error(cc,
		    "expected a type name or an array of them");
	json_array_foreach(v, i, t) {
		if (!json_is_string(t) ||
		    (bit = compile_type_bit(json_string_value(t))) == 0)
			return compile_error(cc,
			    "element %zu is not a type name", i);
		if (n->types & bit)
			return compile_error(cc, "type \"%s\" is listed twice",
			    json_string_value(t));
		n->types |= bit;
	}
	return 0;
}

/* "const": any value, kept by reference. */
static int
kw_const(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)cc;
	(void)field;
	n->const_value = json_incref(v);
	n->const_text = compile_describe(v);
	return 0;
}

/* "enum": an array of values, kept by reference. */
static int
kw_enum(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_array(v))
		return compile_error(cc, "expected an array");
	n->enum_values = json_incref(v);
	n->enum_text = compile_describe(v);
	return 0;
}

/* "pattern": an ECMA-262 regular expression. */
static int
kw_pattern(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	return compile_regex(cc, field, json_string_value(v),
	    json_string_length(v));
}

/* "format": asserted when known, else ignored (compile_node clears its bit). */
static int
kw_format(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	if ((n->format = schema_format_lookup(json_string_value(v))) != NULL)
		n->format_name = compile_xstrndup(json_string_value(v),
		    json_string_length(v));
	return 0;
}

/* "multipleOf": a number greater than 0. */
static int
kw_multiple_of(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)field;
	if (compile_get_num(cc, v, &n->multiple_of) != 0)
		return -1;
	if (!(n->multiple_of.d > 0))
		return compile_error(cc, "expected a number greater than 0");
	return 0;
}

/* "items": one schema for the items after "prefixItems". */
static int
kw_items(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (json_is_array(v))
		return compile_error(cc, "expected a schema (in draft 2020-12 "
		    "an array of schemas is \"prefixItems\")");
	return compile_subschema(cc, v, &n->items);
}

/* "required": an array of distinct property names. */
static int
kw_required(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	json_t	*name;
	size_t	 i, j;

	(void)field;
	if (!json_is_array(v))
		return compile_error(cc, "expected an array of strings");
	n->required = compile_xcalloc(json_array_size(v), sizeof(*n->required));
	json_array_foreach(v, i, name) {
		if (!json_is_string(name))
			return compile_error(cc, "element %zu is not a string", i);
		for (j = 0; j < i; j++)
			if (json_equal(name, json_array_get(v, j)))
				return compile_error(cc, "\"%s\" is listed twice",
				    json_string_value(name));
		n->required[i].len = json_string_length(name);
		n->required[i].name = compile_xstrndup(json_string_value(name),
		    n->required[i].len);
		n->n_required++;
	}
	return 0;
}

/* Order properties by name (bytes, then length) for binary search. */
static int
compile_prop_cmp(const void *a, const void *b)
{
	const struct schema_prop	*pa = a, *pb = b;
	int				 c;

	c = memcmp(pa->name, pb->name, pa->len < pb->len ? pa->len : pb->len);
	if (c != 0)
		return c;
	return (pa->len > pb->len) - (pa->len < pb->len);
}

/* "properties": an object of schemas, sorted by name. */
static int
kw_properties(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	struct schema_prop	*p;
	const char		*key;
	size_t			 len, saved;
	json_t			*sub;

	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	n->properties = compile_xcalloc(json_object_size(v),
	    sizeof(*n->properties));
	json_object_keylen_foreach(v, key, len, sub) {
		p = &n->properties[n->n_properties++];
		p->name = compile_xstrndup(key, len);
		p->len = len;
		saved = compile_path_push(cc, key, len);
		if (compile_subschema(cc, sub, &p->node) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	qsort(n->properties, n->n_properties, sizeof(*n->properties),
	    compile_prop_cmp);
	return 0;
}

/* "patternProperties": an object of regular expression to schema. */
static int
kw_pattern_properties(struct compile_ctx *cc, struct schema_node *n,
    json_t *v, void *field)
{
	struct schema_pattern_prop	*p;
	const char			*key;
	size_t				 len, saved;
	json_t				*sub;

	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	n->pattern_properties = compile_xcalloc(json_object_size(v),
	    sizeof(*n->pattern_properties));
	json_object_keylen_foreach(v, key, len, sub) {
		p = &n->pattern_properties[n->n_pattern_properties++];
		saved = compile_path_push(cc, key, len);
		if (compile_regex(cc, &p->re, key, len) != 0 ||
		    compile_subschema(cc, sub, &p->node) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	return 0;
}

/* "$ref": recorded now, resolved when the whole document is compiled. */
static int
kw_ref(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	struct compile_ref	*r;

	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	cc->refs = compile_grow(cc->refs, &cc->cap_refs, cc->n_refs,
	    sizeof(*cc->refs));
	r = &cc->refs[cc->n_refs++];
	r->node = n;
	r->ref = compile_xstrndup(json_string_value(v), json_string_length(v));
	r->path = compile_xstrndup(cc->path.p, cc->path.len);
	return 0;
}

/* "$defs": an object of schemas, compiled for their errors and "$ref"s. */
static int
kw_defs(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	struct schema_node	*def;
	const char		*key;
	size_t			 len, saved;
	json_t			*sub;

	(void)n;
	(void)field;
	if (!json_is_object(v))
		return compile_error(cc, "expected an object of schemas");
	json_object_keylen_foreach(v, key, len, sub) {
		saved = compile_path_push(cc, key, len);
		if (compile_subschema(cc, sub, &def) != 0)
			return -1;
		compile_path_pop(cc, saved);
	}
	return 0;
}

/* "$schema": a string; at the root it must name draft 2020-12. */
static int
kw_schema(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	const char	*uri = json_string_value(v);

	(void)field;
	if (uri == NULL)
		return compile_error(cc, "expected a string");
	if (n == cc->s->root && strcmp(uri, SCHEMA_DRAFT_URI) != 0 &&
	    strcmp(uri, SCHEMA_DRAFT_URI "#") != 0)
		return compile_error(cc, "unsupported dialect \"%s\" (only \""
		    SCHEMA_DRAFT_URI "\" is)", uri);
	return 0;
}

/* "$id": the root's base URI; embedded resources are not supported yet. */
static int
kw_id(struct compile_ctx *cc, struct schema_node *n, json_t *v, void *field)
{
	(void)field;
	if (!json_is_string(v))
		return compile_error(cc, "expected a string");
	if (n != cc->s->root)
		return compile_error(cc, "\"$id\" below the root is not "
		    "supported yet");
	cc->s->id = compile_xstrndup(json_string_value(v),
	    json_string_length(v));
	return 0;
}

/* A draft 2020-12 keyword not implemented yet: refuse rather than ignore it. */
static int
kw_unsupported(struct compile_ctx *cc, struct schema_node *n, json_t *v,
    void *field)
{
	(void)n;
	(void)v;
	(void)field;
	return compile_error(cc, "keyword not supported yet");
}

#define NODE_FIELD(f)	offsetof(struct schema_node, f)

/*
 * Every keyword acted on, with its SCHEMA_K_* bit and the node member its
 * handler fills.  Other keywords (title, default, definitions, ...) are
 * annotations or unknown and are ignored.
 */
static const struct keyword {
	const char	*name;
	uint64_t	 bit;
	int		(*compile)(struct compile_ctx *, struct schema_node *,
			    json_t *, void *);
	size_t		 field;
} keyword_table[] = {
	{ "type", SCHEMA_K_TYPE, kw_type, 0 },
	{ "const", SCHEMA_K_CONST, kw_const, 0 },
	{ "enum", SCHEMA_K_ENUM, kw_enum, 0 },
	{ "minLength", SCHEMA_K_MIN_LENGTH, kw_count, NODE_FIELD(min_length) },
	{ "maxLength", SCHEMA_K_MAX_LENGTH, kw_count, NODE_FIELD(max_length) },
	{ "pattern", SCHEMA_K_PATTERN, kw_pattern, NODE_FIELD(pattern) },
	{ "format", SCHEMA_K_FORMAT, kw_format, 0 },
	{ "minimum", SCHEMA_K_MINIMUM, kw_number, NODE_FIELD(minimum) },
	{ "maximum", SCHEMA_K_MAXIMUM, kw_number, NODE_FIELD(maximum) },
	{ "exclusiveMinimum", SCHEMA_K_EXCLUSIVE_MINIMUM, kw_number,
	    NODE_FIELD(exclusive_minimum) },
	{ "exclusiveMaximum", SCHEMA_K_EXCLUSIVE_MAXIMUM, kw_number,
	    NODE_FIELD(exclusive_maximum) },
	{ "multipleOf", SCHEMA_K_MULTIPLE_OF, kw_multiple_of, 0 },
	{ "minItems", SCHEMA_K_MIN_ITEMS, kw_count, NODE_FIELD(min_items) },
	{ "maxItems", SCHEMA_K_MAX_ITEMS, kw_count, NODE_FIELD(max_items) },
	{ "prefixItems", SCHEMA_K_PREFIX_ITEMS, kw_subschema_list,
	    NODE_FIELD(prefix_items) },
	{ "items", SCHEMA_K_ITEMS, kw_items, 0 },
	{ "minProperties", SCHEMA_K_MIN_PROPERTIES, kw_count,
	    NODE_FIELD(min_properties) },
	{ "maxProperties", SCHEMA_K_MAX_PROPERTIES, kw_count,
	    NODE_FIELD(max_properties) },
	{ "required", SCHEMA_K_REQUIRED, kw_required, 0 },
	{ "properties", SCHEMA_K_PROPERTIES, kw_properties, 0 },
	{ "patternProperties", SCHEMA_K_PATTERN_PROPERTIES,
	    kw_pattern_properties, 0 },
	{ "additionalProperties", SCHEMA_K_ADDITIONAL_PROPERTIES, kw_subschema,
	    NODE_FIELD(additional_properties) },
	{ "$ref", SCHEMA_K_REF, kw_ref, 0 },
	{ "allOf", SCHEMA_K_ALL_OF, kw_subschema_list, NODE_FIELD(all_of) },
	{ "anyOf", SCHEMA_K_ANY_OF, kw_subschema_list, NODE_FIELD(any_of) },
	{ "oneOf", SCHEMA_K_ONE_OF, kw_subschema_list, NODE_FIELD(one_of) },
	{ "not", SCHEMA_K_NOT, kw_subschema, NODE_FIELD(not_schema) },
	{ "$defs", 0, kw_defs, 0 },
	{ "$schema", 0, kw_schema, 0 },
	{ "$id", 0, kw_id, 0 },
	{ "$dynamicRef", 0, kw_unsupported, 0 },
	{ "contains", 0, kw_unsupported, 0 },
	{ "minContains", 0, kw_unsupported, 0 },
	{ "maxContains", 0, kw_unsupported, 0 },
	{ "uniqueItems", 0, kw_unsupported, 0 },
	{ "dependentRequired", 0, kw_unsupported, 0 },
	{ "dependentSchemas", 0, kw_unsupported, 0 },
	{ "propertyNames", 0, kw_unsupported, 0 },
	{ "if", 0, kw_unsupported, 0 },
	{ "then", 0, kw_unsupported, 0 },
	{ "else", 0, kw_unsupported, 0 },
	{ "unevaluatedItems", 0, kw_unsupported, 0 },
	{ "unevaluatedProperties", 0, kw_unsupported, 0 },
};

/*
 * When every "required" name is also in "properties" (and there are at
 * most 64), give each such property a bit so that a walk over the members
 * can tell that all required ones were seen without hash lookups.
 */
static void
compile_index_required(struct schema_node *n)
{
	struct schema_prop	 key, *p;
	size_t			 i;

	if (n->n_required == 0 || n->n_required > 64 || n->n_properties == 0)
		return;
	for (i = 0; i < n->n_required; i++) {
		key.name = n->required[i].name;
		key.len = n->required[i].len;
		p = bsearch(&key, n->properties, n->n_properties,
		    sizeof(*n->properties), compile_prop_cmp);
		if (p == NULL)
			break;
		p->required_bit = UINT64_C(1) << i;
		n->required_mask |= p->required_bit;
	}
	if (i < n->n_required) {
		for (i = 0; i < n->n_properties; i++)
			n->properties[i].required_bit = 0;
		n->required_mask = 0;
	}
}

/* Return the keyword_table entry for key (len bytes), or NULL. */
static const struct keyword *
compile_find_keyword(const char *key, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(keyword_table) / sizeof(keyword_table[0]); i++)
		if (strlen(keyword_table[i].name) == len &&
		    memcmp(keyword_table[i].name, key, len) == 0)
			return &keyword_table[i];
	return NULL;
}

/* Return a new object node owned by the schema, remembered as json's. */
static struct schema_node *
compile_new_node(struct compile_ctx *cc, json_t *json)
{
	struct schema		*s = cc->s;
	struct schema_node	*n;

	n = compile_xcalloc(1, sizeof(*n));
	n->kind = SCHEMA_NODE_OBJECT;
	s->nodes = compile_grow(s->nodes, &s->cap_nodes, s->n_nodes,
	    sizeof(*s->nodes));
	s->nodes[s->n_nodes++] = n;
	cc->seen = compile_grow(cc->seen, &cc->cap_seen, cc->n_seen,
	    sizeof(*cc->seen));
	cc->seen[cc->n_seen].json = json;
	cc->seen[cc->n_seen++].node = n;
	if (s->root == NULL)
		s->root = n;
	return n;
}

/* Compile the schema v found at the current path; NULL on error. */
static struct schema_node *
compile_node(struct compile_ctx *cc, json_t *v)
{
	const struct keyword	*k;
	struct schema_node	*n;
	const char		*key;
	size_t			 len, saved;
	json_t			*value;
	int			 rc = 0;

	if (json_is_true(v))
		return &cc->s->node_true;
	if (json_is_false(v))
		return &cc->s->node_false;
	if (!json_is_object(v)) {
		compile_error(cc, "a schema must be an object or a boolean");
		return NULL;
	}
	if (cc->depth >= SCHEMA_MAX_DEPTH) {
		compile_error(cc, "max depth exceeded");
		return NULL;
	}
	n = compile_new_node(cc, v);
	cc->depth++;
	json_object_keylen_foreach(v, key, len, value) {
		if ((k = compile_find_keyword(key, len)) == NULL)
			continue;
		saved = compile_path_push(cc, key, len);
		rc = k->compile(cc, n, value, (char *)n + k->field);
		compile_path_pop(cc, saved);
		if (rc != 0)
			break;
		n->kw |= k->bit;
	}
	cc->depth--;
	if (rc != 0)
		return NULL;
	if (n->format == NULL)
		n->kw &= ~(uint64_t)SCHEMA_K_FORMAT;
	compile_index_required(n);
	return n;
}

/* Return a %XX-decoded copy of s (*len bytes), NULL if malformed; caller frees. */
static char *
compile_percent_decode(const char *s, size_t *len)
{
	char	*out, hex[3] = { 0, 0, 0 };
	size_t	 i, n = 0;

	out = compile_xcalloc(strlen(s) + 1, 1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (compile_count_hex(s + i + 1, 2, 2) != 2) {
			free(out);
			return NULL;
		}
		memcpy(hex, s + i + 1, 2);
		out[n++] = (char)strtol(hex, NULL, 16);
		i += 2;
	}
	*len = n;
	return out;
}

/* Return the child of v named by one unescaped JSON pointer token, or NULL. */
static json_t *
compile_pointer_step(json_t *v, const char *tok, size_t len)
{
	size_t	 i, index = 0;

	if (json_is_object(v))
		return json_object_getn(v, tok, len);
	if (!json_is_array(v) || len == 0 || (len > 1 && tok[0] == '0'))
		return NULL;
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9' || index > SIZE_MAX / 10 - 1)
			return NULL;
		index = index * 10 + (size_t)(tok[i] - '0');
	}
	return json_array_get(v, index);
}

/* Return what the JSON pointer ptr (len bytes, unescaped in place) names in doc. */
static json_t *
compile_pointer_walk(json_t *doc, char *ptr, size_t len)
{
	size_t	 i = 0, start, n;

	if (len > 0 && ptr[0] != '/')
		return NULL;
	while (doc != NULL && i < len) {
		start = ++i;
		for (n = start; i < len && ptr[i] != '/'; i++) {
			if (ptr[i] == '~' && i + 1 < len &&
			    (ptr[i + 1] == '0' || ptr[i + 1] == '1'))
				ptr[n++] = ptr[++i] == '0' ? '~' : '/';
			else if (ptr[i] == '~')
				return NULL;
			else
				ptr[n++] = ptr[i];
		}
		doc = compile_pointer_step(doc, ptr + start, n - start);
	}
	return doc;
}

/* Resolve one "$ref" to a node, compiling its target if nothing did yet. */
static int
compile_resolve_ref(struct compile_ctx *cc, struct schema_node *n,
    const char *ref)
{
	const char	*frag = ref;
	char		*ptr;
	size_t		 len, i, idlen;
	json_t		*target;

	idlen = cc->s->id ? strcspn(cc->s->id, "#") : 0;
	if (idlen > 0 && strncmp(ref, cc->s->id, idlen) == 0 &&
	    (ref[idlen] == '#' || ref[idlen] == '\0'))
		frag += idlen;
	if (*frag == '\0')
		frag = "#";
	if (*frag != '#')
		return compile_error(cc, "cannot resolve \"%s\": only references "
		    "within this document are supported", ref);
	if ((ptr = compile_percent_decode(frag + 1, &len)) == NULL)
		return compile_error(cc, "bad %%-escape in \"%s\"", ref);
	if (len > 0 && ptr[0] != '/') {
		free(ptr);
		return compile_error(cc, "cannot resolve \"%s\": anchors are not "
		    "supported yet", ref);
	}
	target = compile_pointer_walk(cc->doc, ptr, len);
	free(ptr);
	if (target == NULL)
		return compile_error(cc, "cannot resolve \"%s\"", ref);
	for (i = 0; i < cc->n_seen; i++)
		if (cc->seen[i].json == target) {
			n->ref = cc->seen[i].node;
			return 0;
		}
	/* A schema in an unknown keyword ("definitions"): compile it now. */
	compile_path_pop(cc, 0);
	compile_buf_adds(&cc->path, frag + 1);
	return (n->ref = compile_node(cc, target)) == NULL ? -1 : 0;
}

/* Resolve every recorded "$ref", including those of targets compiled meanwhile. */
static int
compile_resolve_refs(struct compile_ctx *cc)
{
	struct compile_ref	 r;
	size_t			 i;

	for (i = 0; i < cc->n_refs; i++) {
		r = cc->refs[i];
		compile_path_pop(cc, 0);
		compile_buf_adds(&cc->path, r.path);
		if (compile_resolve_ref(cc, r.node, r.ref) != 0)
			return -1;
	}
	return 0;
}

/* Compile doc (borrowed) into a new schema; NULL with "pointer: why" in err. */
struct schema *
schema_compile(json_t *doc, char *err, size_t errlen)
{
	struct compile_ctx	 cc;
	struct schema		*s;
	size_t			 i;
	int			 ok;

	memset(&cc, 0, sizeof(cc));
	s = cc.s = compile_xcalloc(1, sizeof(*s));
	s->node_true.kind = SCHEMA_NODE_TRUE;
	s->node_false.kind = SCHEMA_NODE_FALSE;
	cc.doc = doc;
	cc.err = err;
	cc.errlen = errlen;
	compile_buf_add(&cc.path, "", 0);
	if (doc == NULL)
		compile_error(&cc, "no schema document");
	else if ((s->root = compile_node(&cc, doc)) != NULL)
		compile_resolve_refs(&cc);
	ok = !cc.failed;
	for (i = 0; i < cc.n_refs; i++) {
		free(cc.refs[i].ref);
		free(cc.refs[i].path);
	}
	free(cc.refs);
	free(cc.seen);
	free(cc.path.p);
	if (!ok) {
		schema_free(s);
		return NULL;
	}
	return s;
}

/* Compile the schema file at path; NULL with "FILE: ..." in err. */
struct schema *
schema_compile_file(const char *path, char *err, size_t errlen)
{
	struct schema	*s;
	json_error_t	 jerr;
	json_t		*doc;
	char		 why[512];

	doc = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &jerr);
	if (doc == NULL) {
		if (jerr.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
			    jerr.column, jerr.text);
		else
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		return NULL;
	}
	if ((s = schema_compile(doc, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	json_decref(doc);
	return s;
}

/* Free what a node owns (not its subschemas: the schema owns every node). */
static void
schema_free_node(struct schema_node *n)
{
	size_t	 i;

	json_decref(n->const_value);
	json_decref(n->enum_values);
	free(n->const_text);
	free(n->enum_text);
	pcre2_code_free(n->pattern.code);
	free(n->pattern.source);
	free(n->format_name);
	free(n->prefix_items.v);
	for (i = 0; i < n->n_required; i++)
		free(n->required[i].name);
	free(n->required);
	for (i = 0; i < n->n_properties; i++)
		free(n->properties[i].name);
	free(n->properties);
	for (i = 0; i < n->n_pattern_properties; i++) {
		pcre2_code_free(n->pattern_properties[i].re.code);
		free(n->pattern_properties[i].re.source);
	}
	free(n->pattern_properties);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n);
}

/* Free a compiled schema and every node of it; NULL is fine. */
void
schema_free(struct schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_nodes; i++)
		schema_free_node(s->nodes[i]);
	free(s->nodes);
	free(s->id);
	pcre2_match_data_free(s->match_data);
	pcre2_match_context_free(s->match_context);
	if (s->jit_stack != NULL)
		pcre2_jit_stack_free(s->jit_stack);
	free(s);
}

/* Return the root "$id" of the schema, or "". */
const char *
schema_id(const struct schema *s)
{
	return s->id != NULL ? s->id : "";
}
