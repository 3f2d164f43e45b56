/*
 * The field layout of the tuples (tuple.h) that event, record and
 * observation messages carry.  Every field is text, as PostgreSQL takes it.
 */
#ifndef CXPIPE_RECORD_H
#define CXPIPE_RECORD_H

/* MSG_EVENT_RAW (ingest -> validate); flags: enum family. */
enum raw_field {
	RAW_SOURCE = 0,		/* source name: "http" or a [source NAME] */
	RAW_RECEIVED_US,	/* microseconds since the epoch, decimal */
	RAW_BODY,		/* the event exactly as received */
	RAW_NFIELDS
};

/* MSG_RECORD_ROW for FAMILY_INTERACTION (validate -> pgsink). */
enum interaction_field {
	IX_SOURCE = 0,
	IX_RECEIVED_US,
	IX_INTERACTION_ID,
	IX_TIMESTAMP,		/* RFC 3339 as received */
	IX_TYPE,
	IX_IDEMPOTENCY_KEY,
	IX_DURATION,		/* number as text, or NULL */
	IX_DISPOSITION,		/* or NULL */
	IX_QUEUE_NAME,		/* or NULL */
	IX_AGENT_ID,		/* or NULL */
	IX_NFIELDS
};

/* MSG_RECORD_DEAD (validate -> pgsink): an event that is not stored as a row. */
enum dead_field {
	DEAD_SOURCE = 0,
	DEAD_RECEIVED_US,
	DEAD_REASON,		/* "JSON pointer: keyword: message", or why it is not JSON */
	DEAD_PAYLOAD,		/* the event exactly as received (may not be UTF-8) */
	DEAD_NFIELDS
};

/* MSG_OBS_EVENT (validate -> alert). */
enum obs_field {
	OBS_FAMILY = 0,
	OBS_TYPE,
	OBS_QUEUE,		/* or NULL */
	OBS_VALID,		/* "1" or "0" */
	OBS_NFIELDS
};

#endif
