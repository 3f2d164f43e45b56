/*
 * jdoc.c: struct jdoc's arena and the lookups on its trees; the parser
 * itself is jdoc_parse.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "jdoc_internal.h"

#define JDOC_BLOCK_MIN	(16 * 1024)	/* the first block */
#define JDOC_KEEP_MAX	(1024 * 1024)	/* most kept across a reset */
#define JDOC_ALIGN	8

const struct jval	jdoc_no_items[1];
const struct jmember	jdoc_no_members[1];

/* malloc that aborts when memory is out (like the schema engine's). */
static void *
jdoc_xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "jdoc: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

/* A fresh block of at least size bytes after its header. */
static struct jdoc_block *
jdoc_block_new(size_t size)
{
	struct jdoc_block	*b;

	b = jdoc_xrealloc(NULL, sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct jdoc *
jdoc_new(void)
{
	struct jdoc	*d = jdoc_xrealloc(NULL, sizeof(*d));

	memset(d, 0, sizeof(*d));

	d->blocks = jdoc_block_new(JDOC_BLOCK_MIN);
	return d;
}

/* Frees a stack that a hostile event grew past what is worth keeping. */
static void
jdoc_trim(void *pp, size_t *cap, size_t size)
{
	void	**p = pp;

	if (*cap * size > JDOC_KEEP_MAX) {
		free(*p);
		*p = NULL;
		*cap = 0;
	}
}

/*
 * Empties the arena.  When the last tree took more than one block, they
 * become one block as big as all of them (up to JDOC_KEEP_MAX), so the
 * arena settles on one block that fits a usual event.
 */
void
jdoc_reset(struct jdoc *d)
{
	struct jdoc_block	*b, *next;
	size_t			 total = 0;

	if (d->blocks->next != NULL) {
		for (b = d->blocks; b != NULL; b = next) {
			next = b->next;
			total += b->size;
			free(b);
		}
		d->blocks = jdoc_block_new(total > JDOC_KEEP_MAX ?
		    JDOC_BLOCK_MIN : total);
	}
	d->blocks->used = 0;
	d->nvals = d->nmems = 0;
	jdoc_trim(&d->vals, &d->capvals, sizeof(*d->vals));
	jdoc_trim(&d->mems, &d->capmems, sizeof(*d->mems));
	jdoc_trim(&d->frames, &d->capframes, sizeof(*d->frames));
	jdoc_trim(&d->sort, &d->capsort, sizeof(*d->sort));
}

void
jdoc_free(struct jdoc *d)
{
	struct jdoc_block	*b, *next;

	if (d == NULL)
		return;
	for (b = d->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(d->vals);
	free(d->mems);
	free(d->frames);
	free(d->sort);
	free(d);
}

void *
jdoc_alloc(struct jdoc *d, size_t n)
{
	struct jdoc_block	*b = d->blocks;
	size_t			 size;
	void			*p;

	n = (n + JDOC_ALIGN - 1) & ~(size_t)(JDOC_ALIGN - 1);
	if (b->size - b->used < n) {
		size = b->size * 2 > n ? b->size * 2 : n;
		b = jdoc_block_new(size);
		b->next = d->blocks;
		d->blocks = b;
	}
	p = (char *)(b + 1) + b->used;
	b->used += n;
	return p;
}

void *
jdoc_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t	 n = *cap > 0 ? *cap : 64;

	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		abort();
	v = jdoc_xrealloc(v, n * size);
	*cap = n;
	return v;
}

const struct jval *
jval_getn(const struct jval *obj, const char *key, size_t len)
{
	const struct jmember	*m, *end;

	if (obj == NULL || obj->type != JT_OBJECT)
		return NULL;
	for (m = obj->u.members, end = m + obj->n; m < end; m++)
		if (m->keylen == len && (len == 0 || (m->key[0] == key[0] &&
		    memcmp(m->key, key, len) == 0)))
			return &m->val;
	return NULL;
}

const struct jval *
jval_get(const struct jval *obj, const char *key)
{
	return jval_getn(obj, key, strlen(key));
}

int
jval_str_eq(const struct jval *v, const char *s)
{
	size_t	 len = strlen(s);

	return v != NULL && v->type == JT_STRING && v->n == len &&
	    memcmp(v->u.s, s, len) == 0;
}

const char *
jval_cstr(struct jdoc *d, const struct jval *v)
{
	char	*s;
	size_t	 len;

	if (v == NULL || v->type != JT_STRING)
		return NULL;
	len = v->n;
	s = jdoc_alloc(d, len + 1);
	if (len > 0)
		memcpy(s, v->u.s, len);
	s[len] = '\0';
	return s;
}
