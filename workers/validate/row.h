/*
 * row.h: what the family row builders (interaction.c, analytics.c,
 * agent_state.c, data_action.c) share: the event being turned into a row,
 * and the helpers that add JSON members to a MSG_RECORD_ROW tuple.
 */
#ifndef CXPIPE_ROW_H
#define CXPIPE_ROW_H

#include <stdbool.h>
#include <stdint.h>

#include "jdoc.h"

#include "config.h"
#include "tuple.h"

/* One valid event on its way to a row. */
struct row_event {
	const char	*source;	/* RAW_SOURCE */
	const char	*received;	/* RAW_RECEIVED_US as text */
	int64_t		 received_us;
	int64_t		 event_us;	/* its "timestamp", parsed */
	const struct jval *ev;		/* the event, parsed */
	struct jdoc	*doc;		/* its tree: room for copies */
	const struct state_matrix *states;
	bool		 rejected;	/* out: agent_state verdict "rejected" */
};

/*
 * Each adds one field for member key of obj (obj may be NULL).  Returns 0,
 * or -1 with reason set (pointer is the member's JSON pointer) when the
 * member cannot be stored.
 */
/* A string, or NULL when absent or not a string; -1 when it holds a NUL,
 * which PostgreSQL text cannot store. */
int	 row_add_string(struct buf *, const struct jval *obj, const char *key,
	    const char *pointer, char *reason, size_t len);
/* A string the row cannot do without (a key, a NOT NULL column): -1 when
 * it is absent, not a string, or holds a NUL. */
int	 row_add_required(struct buf *, const struct jval *obj, const char *key,
	    const char *pointer, char *reason, size_t len);
/* A number as PostgreSQL numeric text (the shortest that reads back as
 * the same double), or NULL when absent or not a number. */
void	 row_add_number(struct buf *, const struct jval *obj, const char *key);
/* The same for a value itself (NULL or not a number: NULL). */
void	 row_add_number_value(struct buf *, const struct jval *);
/* A date-time normalised to UTC with microseconds, or NULL when absent or
 * null; -1 when it is no valid date-time. */
int	 row_add_time(struct buf *, const struct jval *obj, const char *key,
	    const char *pointer, char *reason, size_t len);
/* v if it is a string, else NULL. */
static inline const struct jval *
row_string(const struct jval *v)
{
	return v != NULL && v->type == JT_STRING ? v : NULL;
}
/* An instant, normalised. */
void	 row_add_instant(struct buf *, int64_t us);
/* The first two fields of every row: source and received_us. */
void	 row_add_receipt(struct buf *, const struct row_event *);

#endif
