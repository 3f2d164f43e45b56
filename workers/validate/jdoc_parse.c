/*
 * jdoc_parse.c: the JSON text of an event into a struct jdoc tree.
 *
 * One pass, no recursion: children of the open arrays and objects wait on
 * two stacks (items, members) and are copied into the arena as one run
 * when their container closes, so every value is copied once.  Tokens
 * (strings, numbers, words) are read by jdoc_token.c.  Duplicate keys are compared as members arrive while an object is small
 * and by sorting its keys when it closes otherwise, so no object costs
 * more than n log n.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc_internal.h"

#define JDOC_SMALL_OBJECT	16	/* members compared as they arrive */

/* Records a syntax error at byte at; returns NULL for the caller to return. */
void *
jparse_fail(struct jparse *ps, const unsigned char *at, const char *fmt, ...)
{
	va_list	 ap;

	ps->err->kind = JDOC_E_SYNTAX;
	ps->err->offset = (size_t)(at - ps->start);
	va_start(ap, fmt);
	vsnprintf(ps->err->text, sizeof(ps->err->text), fmt, ap);
	va_end(ap);
	return NULL;
}

/* Skips JSON whitespace. */
static inline void
jparse_ws(struct jparse *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
	    *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* Writes up to 40 bytes of key into buf, control bytes as \u00XX, cut on a character. */
static void
jparse_show_key(char *buf, size_t cap, const char *key, size_t len)
{
	size_t	 i = 0, o = 0, n;

	while (i < len && o + 8 < cap && i < 40) {
		if ((unsigned char)key[i] < 0x20) {
			o += (size_t)snprintf(buf + o, cap - o, "\\u%04x",
			    (unsigned char)key[i]);
			i++;
			continue;
		}
		n = (unsigned char)key[i] < 0x80 ? 1 :
		    (unsigned char)key[i] < 0xe0 ? 2 :
		    (unsigned char)key[i] < 0xf0 ? 3 : 4;
		if (i + n > len || o + n + 8 >= cap)
			break;
		memcpy(buf + o, key + i, n);
		o += n;
		i += n;
	}
	buf[o] = '\0';
}

/* Reports member m's key as a duplicate. */
static int
jparse_duplicate(struct jparse *ps, const struct jmember *m,
    const unsigned char *at)
{
	char	 shown[64];

	jparse_show_key(shown, sizeof(shown), m->key, m->keylen);
	if ((const unsigned char *)m->key > ps->start &&
	    (const unsigned char *)m->key < ps->end)
		at = (const unsigned char *)m->key - 1;
	jparse_fail(ps, at, "duplicate object key \"%s\"", shown);
	return -1;
}

/* Orders members by key (length first), then by place. */
static int
jparse_key_cmp(const void *a, const void *b)
{
	const struct jmember	*x = *(const struct jmember *const *)a;
	const struct jmember	*y = *(const struct jmember *const *)b;
	int			 c;

	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	if ((c = memcmp(x->key, y->key, x->keylen)) != 0)
		return c;
	return (x > y) - (x < y);
}

/* Checks the n members at m for a duplicate key by sorting; at: the '}'. */
static int
jparse_check_keys(struct jparse *ps, const struct jmember *m, size_t n,
    const unsigned char *at)
{
	struct jdoc		*d = ps->d;
	const struct jmember	*dup = NULL;
	size_t			 i;

	if (n > d->capsort)
		d->sort = jdoc_grow(d->sort, &d->capsort, n, sizeof(*d->sort));
	for (i = 0; i < n; i++)
		d->sort[i] = &m[i];
	qsort(d->sort, n, sizeof(*d->sort), jparse_key_cmp);
	/* jansson stops at the first member whose key came before. */
	for (i = 1; i < n; i++)
		if (d->sort[i]->keylen == d->sort[i - 1]->keylen &&
		    memcmp(d->sort[i]->key, d->sort[i - 1]->key,
		    d->sort[i]->keylen) == 0 && (dup == NULL || d->sort[i] < dup))
			dup = d->sort[i];
	return dup != NULL ? jparse_duplicate(ps, dup, at) : 0;
}

/* Where the value being parsed goes: the root, an item or a member's value. */
static inline struct jval *
jparse_slot(struct jparse *ps, struct jval *root)
{
	struct jdoc	*d = ps->d;

	if (ps->depth == 0)
		return root;
	if (d->frames[ps->depth - 1].object)
		return &d->mems[d->nmems - 1].val;
	return &d->vals[d->nvals - 1];
}

/* Pushes a new item slot of the innermost array. */
static inline void
jparse_push_item(struct jdoc *d)
{
	if (d->nvals == d->capvals)
		d->vals = jdoc_grow(d->vals, &d->capvals, d->nvals + 1,
		    sizeof(*d->vals));
	d->nvals++;
}

/* Reads a key and its ':' and pushes the member slot; -1 on error. */
static int
jparse_key(struct jparse *ps)
{
	struct jdoc		*d = ps->d;
	const struct jdoc_frame	*f = &d->frames[ps->depth - 1];
	const struct jmember	*m;
	const char		*key;
	size_t			 len;

	if (ps->p == ps->end || *ps->p != '"') {
		jparse_fail(ps, ps->p, "string or '}' expected");
		return -1;
	}
	if (jparse_string(ps, &key, &len) == -1)
		return -1;
	if ((const unsigned char *)key != ps->p - len - 1 &&
	    memchr(key, '\0', len) != NULL) {
		/* Decoded from \u0000: jansson's objects cannot hold it. */
		jparse_fail(ps, ps->p - 1, "NUL byte in object key not supported");
		return -1;
	}
	if (d->nmems > f->start && d->nmems - f->start < JDOC_SMALL_OBJECT)
		for (m = &d->mems[f->start]; m < d->mems + d->nmems; m++)
			if (m->keylen == len && memcmp(m->key, key, len) == 0) {
				struct jmember	 dup = { key, len, { JT_NULL, 0,
				    { 0 } } };

				return jparse_duplicate(ps, &dup, ps->p);
			}
	jparse_ws(ps);
	if (ps->p == ps->end || *ps->p != ':') {
		jparse_fail(ps, ps->p, "':' expected");
		return -1;
	}
	ps->p++;
	if (d->nmems == d->capmems)
		d->mems = jdoc_grow(d->mems, &d->capmems, d->nmems + 1,
		    sizeof(*d->mems));
	d->mems[d->nmems].key = key;
	d->mems[d->nmems].keylen = len;
	d->nmems++;
	return 0;
}

/* Opens an array or object at ps->p; -1 when too deep. */
static int
jparse_open(struct jparse *ps, int object)
{
	struct jdoc	*d = ps->d;

	if (ps->depth >= (size_t)ps->max_depth) {
		ps->err->kind = JDOC_E_DEPTH;
		ps->err->offset = (size_t)(ps->p - ps->start);
		snprintf(ps->err->text, sizeof(ps->err->text), "nested deeper "
		    "than %d levels", ps->max_depth);
		return -1;
	}
	if (ps->depth == d->capframes)
		d->frames = jdoc_grow(d->frames, &d->capframes, ps->depth + 1,
		    sizeof(*d->frames));
	d->frames[ps->depth].object = object;
	d->frames[ps->depth].start = object ? d->nmems : d->nvals;
	ps->depth++;
	ps->p++;
	return 0;
}

/* Closes the innermost array or object into its slot; -1 on error. */
static int
jparse_close(struct jparse *ps, struct jval *root)
{
	struct jdoc		*d = ps->d;
	const struct jdoc_frame	*f = &d->frames[ps->depth - 1];
	struct jval		 v;
	size_t			 n;
	void			*run;

	if (f->object) {
		n = d->nmems - f->start;
		if (n > JDOC_SMALL_OBJECT && jparse_check_keys(ps,
		    &d->mems[f->start], n, ps->p) == -1)
			return -1;
		run = (void *)jdoc_no_members;
		if (n > 0) {
			run = jdoc_alloc(d, n * sizeof(struct jmember));
			memcpy(run, &d->mems[f->start], n * sizeof(struct jmember));
		}
		d->nmems = f->start;
		v.type = JT_OBJECT;
		v.u.members = run;
	} else {
		n = d->nvals - f->start;
		run = (void *)jdoc_no_items;
		if (n > 0) {
			run = jdoc_alloc(d, n * sizeof(struct jval));
			memcpy(run, &d->vals[f->start], n * sizeof(struct jval));
		}
		d->nvals = f->start;
		v.type = JT_ARRAY;
		v.u.items = run;
	}
	v.n = n;
	ps->depth--;
	ps->p++;
	*jparse_slot(ps, root) = v;
	return 0;
}

/*
 * Parses one value and everything nested in it, iteratively: a value is
 * read into the current slot, then the punctuation after it decides
 * whether the next is an item, a member or the end of a container.
 */
static int
jparse_text(struct jparse *ps, struct jval *root)
{
	struct jdoc	*d = ps->d;
	struct jval	*v;
	int		 object;

value:
	jparse_ws(ps);
	if (ps->p == ps->end) {
		jparse_fail(ps, ps->p, "premature end of input");
		return -1;
	}
	switch (*ps->p) {
	case '{':
		if (jparse_open(ps, 1) == -1)
			return -1;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == '}') {
			if (jparse_close(ps, root) == -1)
				return -1;
			break;
		}
		if (jparse_key(ps) == -1)
			return -1;
		goto value;
	case '[':
		if (jparse_open(ps, 0) == -1)
			return -1;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == ']') {
			if (jparse_close(ps, root) == -1)
				return -1;
			break;
		}
		jparse_push_item(d);
		goto value;
	case '"':
		v = jparse_slot(ps, root);
		v->type = JT_STRING;
		if (jparse_string(ps, &v->u.s, &v->n) == -1)
			return -1;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (jparse_number(ps, jparse_slot(ps, root)) == -1)
			return -1;
		break;
	default:
		if (jparse_literal(ps, jparse_slot(ps, root)) == -1)
			return -1;
		break;
	}
	/* After a value: the next one, a close, or the end. */
	while (ps->depth > 0) {
		object = d->frames[ps->depth - 1].object;
		jparse_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			if (!object) {
				jparse_push_item(d);
				goto value;
			}
			jparse_ws(ps);
			if (jparse_key(ps) == -1)
				return -1;
			goto value;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			if (jparse_close(ps, root) == -1)
				return -1;
			continue;
		}
		jparse_fail(ps, ps->p, object ? "',' or '}' expected" :
		    "',' or ']' expected");
		return -1;
	}
	jparse_ws(ps);
	if (ps->p != ps->end) {
		jparse_fail(ps, ps->p, "end of file expected");
		return -1;
	}
	return 0;
}

/*
 * Returns the offset of the bracket that nests len bytes deeper than max
 * arrays and objects, or -1: brackets outside strings are counted, valid
 * JSON or not (what the worker checked before any parse).
 */
static long
jparse_too_deep(const unsigned char *p, size_t len, int max)
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

/* Fills err's line and column (characters, from 1) from its offset. */
static void
jparse_locate(const unsigned char *p, size_t len, struct jdoc_error *err)
{
	size_t	 i, end = err->offset < len ? err->offset + 1 : len;

	err->line = 1;
	err->column = err->offset >= len ? 1 : 0;
	for (i = 0; i < end; i++) {
		if (p[i] == '\n' && i < err->offset) {
			err->line++;
			err->column = 0;
		} else if ((p[i] & 0xc0) != 0x80)
			err->column++;
	}
}

const struct jval *
jdoc_parse(struct jdoc *d, const char *text, size_t len, int max_depth,
    struct jdoc_error *err)
{
	struct jparse	 ps;
	struct jval	*root;
	long		 at;

	jdoc_reset(d);
	root = jdoc_alloc(d, sizeof(*root));
	ps.d = d;
	ps.start = ps.p = (const unsigned char *)text;
	ps.end = ps.start + len;
	ps.err = err;
	ps.depth = 0;
	ps.max_depth = max_depth;
	if (jparse_text(&ps, root) == 0)
		return root;
	if (err->kind == JDOC_E_SYNTAX &&
	    (at = jparse_too_deep(ps.start, len, max_depth)) != -1) {
		err->kind = JDOC_E_DEPTH;
		err->offset = (size_t)at;
		snprintf(err->text, sizeof(err->text), "nested deeper than %d "
		    "levels", max_depth);
	}
	jparse_locate(ps.start, len, err);
	return NULL;
}
