/*
 * The validate worker: parses each event, validates it against its family's
 * JSON Schema and rules, and sends a row (or a dead letter with the reason)
 * to pgsink and an observation to alert.  It relays rewinds downstream and
 * commit acknowledgements upstream.
 */
#ifndef CXPIPE_VALIDATE_H
#define CXPIPE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "row.h"
#include "tuple.h"

int	 validate_main(void);

/*
 * A family's rules once its schema has passed (one file each:
 * interaction.c, analytics.c, agent_state.c, data_action.c).
 */
/* What an observation carries from the event (record.h, obs_field). */
struct obs_values {
	const struct jval *type;	/* a string */
	const struct jval *queue;
	const struct jval *handle_time;	/* numbers (seconds) */
	const struct jval *wait_time;
	const struct jval *queue_time;
	const struct jval *agent;
	const struct jval *action;
	const struct jval *state;
};

struct family_rules {
	int	  nfields;	/* of its MSG_RECORD_ROW (record.h) */
	/* Appends the row's fields; 0, or -1 with reason set ("pointer:
	 * why") when the event cannot be stored. */
	int	(*build_row)(struct buf *, struct row_event *, char *reason,
		    size_t len);
	/* Fills the observation alert gets for a valid event (members are
	 * strings, or numbers for the times, or NULL); false when the event
	 * feeds no aggregate. */
	bool	(*observe)(const struct jval *event, struct obs_values *);
};

extern const struct family_rules interaction_rules;
extern const struct family_rules analytics_rules;
extern const struct family_rules agent_state_rules;
extern const struct family_rules data_action_rules;

#endif
