/*
 * Tuples: the payload of record and observation messages, a list of fields,
 * each a 32-bit length (TUPLE_NULL for SQL NULL), that many bytes and a NUL
 * (so every field can be used as a C string; binary fields use the length).
 */
#ifndef CXPIPE_TUPLE_H
#define CXPIPE_TUPLE_H

#include <stddef.h>
#include <stdint.h>

#define TUPLE_NULL	0xffffffffu
#define TUPLE_MAX_FIELDS 32

/* A growable byte buffer that owns its memory. */
struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_add_str(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));

void	 tuple_add(struct buf *, const void *, size_t);
void	 tuple_add_str(struct buf *, const char *);	/* NULL pointer adds a NULL field */
void	 tuple_add_null(struct buf *);

/* A parsed view of a tuple; the fields point into the payload. */
struct tuple {
	int		 n;
	const char	*val[TUPLE_MAX_FIELDS];	/* NULL for a NULL field */
	uint32_t	 len[TUPLE_MAX_FIELDS];
};

/* Splits payload into fields; returns 0, or -1 when it is malformed. */
int	 tuple_parse(struct tuple *, const uint8_t *, size_t);

#endif
