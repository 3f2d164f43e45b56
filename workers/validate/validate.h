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
struct family_rules {
	int	  nfields;	/* of its MSG_RECORD_ROW (record.h) */
	/* Appends the row's fields; 0, or -1 with reason set ("pointer:
	 * why") when the event cannot be stored. */
	int	(*build_row)(struct buf *, struct row_event *, char *reason,
		    size_t len);
	/* The observation alert gets for a valid event (type must be a
	 * string, queue a string or NULL); false when the event feeds no
	 * aggregate. */
	bool	(*obs_keys)(const struct jval *event, const struct jval **type,
		    const struct jval **queue);
};

extern const struct family_rules interaction_rules;
extern const struct family_rules analytics_rules;
extern const struct family_rules agent_state_rules;
extern const struct family_rules data_action_rules;

#endif
