/*
 * pgsink's batches: the queue of accepted records not yet committed, and the
 * statements of the one transaction that commits the oldest of them.
 *
 * Text that PostgreSQL must always accept (dead-letter source, reason and
 * payload, and every source name) is cleaned first: each byte that is not
 * part of valid UTF-8 becomes U+FFFD and each NUL byte becomes the six
 * characters \u0000.  Should even that fail (a database whose encoding
 * cannot represent the text), the row-by-row retry stores the text as ASCII,
 * every other character written as \uXXXX.  Row fields are passed as they
 * are: PostgreSQL rejecting one makes that row a dead letter.
 */
#ifndef CXPIPE_BATCH_H
#define CXPIPE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "family_rows.h"
#include "tuple.h"

struct batch;

/* One unit of a transaction: a dead letter, or the winning delivery of one
 * key of a row family (the others collapse into it; family_rows.h says
 * which wins). */
struct batch_unit {
	size_t		 rec;		/* index of the record in the queue */
	uint64_t	 seq;		/* its sequence number */
	uint32_t	 deliveries;	/* records collapsed into this unit */
	bool		 row;		/* a row of its family, else a dead letter */
	bool		 ascii;		/* store the dead letter's text as ASCII */
	char		*failure;	/* the row failed: the dead letter's reason */
};

/* The transaction over the oldest n records of the queue. */
struct batch_plan {
	size_t		 n;
	uint64_t	 first_seq;
	uint64_t	 max_seq;
	struct batch_unit *units;
	size_t		 nunits;
	size_t		 ucap;
	size_t		 collapsed;	/* deliveries folded into a newer one */
	uint32_t	*slots;		/* key hash table: unit index + 1 */
	size_t		 nslots;
};

#define BATCH_MAX_PARAMS	FAMILY_ROWS_MAX_PARAMS

/* One statement and its text parameters (PostgreSQL array literals). */
struct batch_stmt {
	const char	*sql;
	int		 nparams;
	struct buf	 param[BATCH_MAX_PARAMS];
	const char	*values[BATCH_MAX_PARAMS];
};

struct batch	*batch_new(void);
void		 batch_free(struct batch *);
/* Queues one record from validate (MSG_RECORD_ROW with its family in flags,
 * or MSG_RECORD_DEAD).  A record that cannot become a row is queued as a
 * dead letter that says why. */
void		 batch_add(struct batch *, uint16_t type, uint32_t flags,
		    uint64_t seq, const uint8_t *payload, size_t len);
size_t		 batch_count(const struct batch *);
/* Removes the oldest n records. */
void		 batch_pop(struct batch *, size_t n);
/* When ingest accepted record i (microseconds since the epoch; 0 if unknown). */
uint64_t	 batch_received_us(const struct batch *, size_t i);
/* Removes the records whose sequence is at most seq (already committed);
 * returns how many. */
size_t		 batch_drop_through(struct batch *, uint64_t seq);

/* Plans the transaction over the oldest n records: collapses repeated
 * keys of each row family. */
void		 batch_plan_make(struct batch *, size_t n, struct batch_plan *);
/* Forgets a plan but keeps its memory; a plan starts zeroed. */
void		 batch_plan_clear(struct batch_plan *);
void		 batch_plan_free(struct batch_plan *);
/* Unit i failed in PostgreSQL with message: a row becomes a dead letter,
 * a dead letter is stored as ASCII.  False when there is nothing left to
 * try (it was already ASCII). */
bool		 batch_plan_fail(struct batch_plan *, size_t i, const char *message);
/* Counts what committing the plan stores: row deliveries and dead letters. */
void		 batch_plan_count(const struct batch_plan *, uint64_t *rows,
		    uint64_t *dead);

void		 batch_stmt_init(struct batch_stmt *);
void		 batch_stmt_free(struct batch_stmt *);
/* Builds the statement of the row units of family (enum family) among
 * units [from, to); false when there are none. */
bool		 batch_build_rows(struct batch *, const struct batch_plan *,
		    uint32_t family, size_t from, size_t to, struct batch_stmt *);
/* Builds the insert of the dead-letter units among [from, to). */
bool		 batch_build_dead(struct batch *, const struct batch_plan *,
		    size_t from, size_t to, struct batch_stmt *);
/* Builds the upsert of each source's highest sequence in the plan. */
void		 batch_build_offsets(struct batch *, const struct batch_plan *,
		    struct batch_stmt *);

#endif
