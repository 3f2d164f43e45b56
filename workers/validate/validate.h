/*
 * The validate worker: parses each event, validates it against its family's
 * JSON Schema, and sends a row (or a dead letter with the reason) to pgsink
 * and an observation to alert.  It relays rewinds downstream and commit
 * acknowledgements upstream.
 */
#ifndef CXPIPE_VALIDATE_H
#define CXPIPE_VALIDATE_H

#include <jansson.h>

#include "tuple.h"

int	 validate_main(void);

/* interaction.c: appends the MSG_RECORD_ROW fields of a valid interaction
 * event (source and received_us first, record.h); returns 0, or -1 with
 * reason set when the event cannot be stored. */
int	 interaction_build_row(struct buf *, const char *source,
	    const char *received_us, json_t *event, char *reason, size_t len);
/* The event's type and queue, for the observation sent to alert. */
void	 interaction_obs_keys(json_t *event, const char **type, const char **queue);

#endif
