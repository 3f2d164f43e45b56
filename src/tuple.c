#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuple.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Grows the buffer so that n more bytes fit. */
static void
buf_reserve(struct buf *b, size_t n)
{
	size_t	 cap;

	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
buf_add_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
tuple_add(struct buf *b, const void *p, size_t n)
{
	uint32_t	 l = (uint32_t)n;

	buf_add(b, &l, sizeof(l));
	buf_add(b, p, n);
	buf_add(b, "", 1);
}

void
tuple_add_str(struct buf *b, const char *s)
{
	if (s == NULL)
		tuple_add_null(b);
	else
		tuple_add(b, s, strlen(s));
}

void
tuple_add_null(struct buf *b)
{
	uint32_t	 l = TUPLE_NULL;

	buf_add(b, &l, sizeof(l));
}

int
tuple_parse(struct tuple *t, const uint8_t *p, size_t n)
{
	size_t		 off = 0;
	uint32_t	 l;

	t->n = 0;
	while (off < n) {
		if (t->n == TUPLE_MAX_FIELDS || n - off < sizeof(l))
			return -1;
		memcpy(&l, p + off, sizeof(l));
		off += sizeof(l);
		if (l == TUPLE_NULL) {
			t->val[t->n] = NULL;
			t->len[t->n++] = 0;
			continue;
		}
		if (l >= n - off || p[off + l] != '\0')
			return -1;
		t->val[t->n] = (const char *)(p + off);
		t->len[t->n++] = l;
		off += l + 1;
	}
	return 0;
}
