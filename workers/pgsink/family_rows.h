/*
 * The row families pgsink stores (record.h layouts) and the statement that
 * stores each: which fields a record must have, which fields make the key
 * that repeats collapse on, which delivery wins, and the unnest upsert.
 *
 *   interaction   cxone_events: newest delivery wins, revision counts them.
 *   analytics     analytics_events: the newest last_updated wins (a tie
 *                 goes to the later delivery); revision counts deliveries.
 *   agent_state   agent_state_changes: newest delivery wins; agent_states
 *                 in the same statement: each agent's newest event time wins
 *                 (a tie, a repeat of the same change, to the later delivery).
 *   data_action   data_action_events, DO NOTHING; the events it newly
 *                 inserted (RETURNING) add to data_action_rollups in the same
 *                 statement, so neither a repeat nor a replay counts twice.
 */
#ifndef CXPIPE_FAMILY_ROWS_H
#define CXPIPE_FAMILY_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

/* The most fields any row family has. */
#define FAMILY_ROWS_MAX_FIELDS	12
/* The most parameters any family's statement takes. */
#define FAMILY_ROWS_MAX_PARAMS	14
/* The most fields a key has. */
#define FAMILY_ROWS_MAX_KEY	3

struct family_rows {
	const char		*table;		/* for messages */
	int			 nfields;
	const char *const	*names;		/* of the fields, for JSON */
	const int		*required;	/* fields that must not be NULL */
	size_t			 nrequired;
	const int		 key[FAMILY_ROWS_MAX_KEY];
	size_t			 nkey;
	int			 newest;	/* field whose later time wins, or -1 */
	const char		*sql;
	const int		*cols;		/* field or FR_COL_*, per parameter */
	int			 nparams;
};

/* Parameters that are no field of the record. */
#define FR_COL_DELIVERIES	(-1)	/* deliveries collapsed into the row */
#define FR_COL_SEQ		(-2)	/* the winning record's sequence */
#define FR_COL_RECEIVED		(-3)	/* RECEIVED_US as a timestamp */

/* The row family with this number (enum family), or NULL when none. */
const struct family_rows *family_rows_get(uint32_t family);

/* Why tuple t cannot be a row of family fr (into why), or NULL when it can. */
const char	*family_rows_check(const struct family_rows *,
		    const struct tuple *, char *why, size_t len);

/* True when delivery b (later than a) takes a's place in a collapse: always
 * for newest-delivery families, else when b's time is not earlier. */
bool		 family_rows_newer(const struct family_rows *,
		    const char *const *a, const uint32_t *alen,
		    const char *const *b, const uint32_t *blen);

/* Appends one row's elements to the statement's array parameters. */
void		 family_rows_add(const struct family_rows *, struct buf *param,
		    const char *const *f, const uint32_t *len,
		    uint32_t deliveries, uint64_t seq);

#endif
