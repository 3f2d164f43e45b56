/*
 * schema_regex.c: the ECMA-262 regular expressions of "pattern" and
 * "patternProperties": translated to PCRE2 syntax and compiled at compile
 * time, matched (with the schema's shared match data) at validation time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/*
 * Append the PCRE2 form of the property escape "\p{...}" at src (left
 * bytes) and return how many bytes it took: ECMA's long General_Category
 * names and "gc="/"sc=" prefixes become the names PCRE2 knows.
 */
static size_t
compile_translate_property(const char *src, size_t left,
    struct compile_buf *b)
{
	static const struct { const char *ecma, *pcre; } names[] = {
		{ "Letter", "L" }, { "Cased_Letter", "L&" },
		{ "Uppercase_Letter", "Lu" }, { "Lowercase_Letter", "Ll" },
		{ "Titlecase_Letter", "Lt" }, { "Modifier_Letter", "Lm" },
		{ "Other_Letter", "Lo" }, { "Mark", "M" },
		{ "Nonspacing_Mark", "Mn" }, { "Spacing_Mark", "Mc" },
		{ "Enclosing_Mark", "Me" }, { "Number", "N" },
		{ "Decimal_Number", "Nd" }, { "digit", "Nd" },
		{ "Letter_Number", "Nl" }, { "Other_Number", "No" },
		{ "Punctuation", "P" }, { "Connector_Punctuation", "Pc" },
		{ "Dash_Punctuation", "Pd" }, { "Open_Punctuation", "Ps" },
		{ "Close_Punctuation", "Pe" }, { "Initial_Punctuation", "Pi" },
		{ "Final_Punctuation", "Pf" }, { "Other_Punctuation", "Po" },
		{ "Symbol", "S" }, { "Math_Symbol", "Sm" },
		{ "Currency_Symbol", "Sc" }, { "Modifier_Symbol", "Sk" },
		{ "Other_Symbol", "So" }, { "Separator", "Z" },
		{ "Space_Separator", "Zs" }, { "Line_Separator", "Zl" },
		{ "Paragraph_Separator", "Zp" }, { "Other", "C" },
		{ "Control", "Cc" }, { "Format", "Cf" },
		{ "Surrogate", "Cs" }, { "Private_Use", "Co" },
		{ "Unassigned", "Cn" },
	};
	const char	*name = src + 3, *end, *eq;
	size_t		 len, i;

	if ((end = memchr(name, '}', left - 3)) == NULL) {
		compile_buf_add(b, src, 2);
		return 2;
	}
	len = (size_t)(end - name);
	if ((eq = memchr(name, '=', len)) != NULL) {
		len -= (size_t)(eq + 1 - name);
		name = eq + 1;
	}
	compile_buf_add(b, src, 3);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].ecma) == len &&
		    memcmp(names[i].ecma, name, len) == 0)
			break;
	if (i < sizeof(names) / sizeof(names[0]))
		compile_buf_adds(b, names[i].pcre);
	else
		compile_buf_add(b, name, len);
	compile_buf_add(b, "}", 1);
	return (size_t)(end - src) + 1;
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
	if ((d == 'p' || d == 'P') && left > 3 && src[2] == '{')
		return compile_translate_property(src, left, b);
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
int
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

/* Report a regex engine failure (match limit, ...), which no branch may hide. */
static int __attribute__((noinline))
check_fatal_regex(struct check_ctx *ctx, const char *keyword,
    const struct schema_regex *re, int rc)
{
	PCRE2_UCHAR	 msg[128];

	pcre2_get_error_message(rc, msg, sizeof(msg));
	return check_fatal(ctx, keyword, "cannot match \"%s\": %s",
	    re->source, (char *)msg);
}

/* Search s for re (unanchored): 1 on a match, 0 on none, -1 after a fatal error. */
int
check_match(struct check_ctx *ctx, const char *keyword,
    const struct schema_regex *re, const char *s, size_t len)
{
	int	 rc;

	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
	    ctx->s->match_data, ctx->s->match_context);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	check_fatal_regex(ctx, keyword, re, rc);
	return -1;
}

/* Return 1 if the ECMA-262 pattern src (len bytes) compiles. */
int
schema_regex_valid(const char *src, size_t len)
{
	struct compile_buf	 b = { NULL, 0, 0 };
	pcre2_code		*code;
	PCRE2_SIZE		 erroff;
	int			 errcode;

	compile_buf_add(&b, "", 0);
	compile_translate_regex(src, len, &b);
	code = pcre2_compile((PCRE2_SPTR)b.p, b.len, PCRE2_UTF | PCRE2_UCP |
	    PCRE2_ALLOW_EMPTY_CLASS | PCRE2_DOLLAR_ENDONLY |
	    PCRE2_NEVER_BACKSLASH_C, &errcode, &erroff, NULL);
	free(b.p);
	pcre2_code_free(code);
	return code != NULL;
}
