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

/*
 * The other families' rows (validate -> pgsink).  Times are normalised by
 * validate to UTC with microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ"; numbers
 * are PostgreSQL numeric text.
 */

/* MSG_RECORD_ROW for FAMILY_ANALYTICS: analytics_events, key
 * (interaction_id, event_time, event_type); the latest last_updated wins. */
enum analytics_field {
	AN_SOURCE = 0,
	AN_RECEIVED_US,
	AN_INTERACTION_ID,
	AN_EVENT_TIME,		/* "timestamp", normalised */
	AN_EVENT_TYPE,		/* interaction | agent | queue */
	AN_STATE,
	AN_HANDLE_TIME,		/* seconds, or NULL */
	AN_WAIT_TIME,
	AN_QUEUE_TIME,
	AN_QUEUE_NAME,		/* or NULL */
	AN_AGENT_ID,		/* or NULL */
	AN_LAST_UPDATED,	/* normalised, or NULL */
	AN_NFIELDS
};

/* MSG_RECORD_ROW for FAMILY_AGENT_STATE: agent_state_changes, key
 * (agent_id, event_time); agent_states keeps each agent's newest event. */
enum agent_state_field {
	AS_SOURCE = 0,
	AS_RECEIVED_US,
	AS_AGENT_ID,
	AS_EVENT_TIME,		/* normalised */
	AS_PREVIOUS_STATE,
	AS_CURRENT_STATE,
	AS_REASON_CODE,		/* or NULL */
	AS_VERDICT,		/* "accepted" or "rejected" ([states] matrix) */
	AS_LATENCY_US,		/* receipt minus event time, may be negative */
	AS_NFIELDS
};

/* MSG_RECORD_ROW for FAMILY_DATA_ACTION: data_action_events, key
 * (action_id, event_type, event_time); each event new to that table adds
 * one to data_action_rollups (bucket, action_id, event_type) in the same
 * transaction, so a replay never counts twice. */
enum data_action_field {
	DA_SOURCE = 0,
	DA_RECEIVED_US,
	DA_ACTION_ID,		/* data.actionId */
	DA_EVENT_TYPE,		/* data.eventType */
	DA_EVENT_TIME,		/* normalised */
	DA_BUCKET,		/* event time cut to its UTC minute, normalised */
	DA_NFIELDS
};

/* MSG_RECORD_DEAD (validate -> pgsink): an event that is not stored as a row. */
enum dead_field {
	DEAD_SOURCE = 0,
	DEAD_RECEIVED_US,
	DEAD_REASON,		/* "JSON pointer: keyword: message", or why it is not JSON */
	DEAD_PAYLOAD,		/* the event exactly as received (may not be UTF-8) */
	DEAD_NFIELDS
};

/* MSG_OBS_EVENT (validate -> alert).  A tuple has OBS_V1_NFIELDS fields
 * (the first layout) or OBS_NFIELDS; alert takes both.  Fields after
 * OBS_VALID are text or NULL when the event does not carry them. */
enum obs_field {
	OBS_FAMILY = 0,
	OBS_TYPE,
	OBS_QUEUE,		/* or NULL */
	OBS_VALID,		/* "1" or "0" */
	OBS_V1_NFIELDS,
	OBS_HANDLE_TIME = OBS_V1_NFIELDS, /* seconds, decimal, or NULL */
	OBS_WAIT_TIME,		/* seconds, or NULL */
	OBS_QUEUE_TIME,		/* seconds, or NULL */
	OBS_AGENT,		/* agent id, or NULL */
	OBS_ACTION,		/* data-action id, or NULL */
	OBS_VERDICT,		/* agent_state: "accepted" | "rejected", or NULL */
	OBS_LATENCY_US,		/* receipt minus event time, decimal, or NULL */
	OBS_STATE,		/* agent_state: the new state, or NULL */
	OBS_NFIELDS
};

/* MSG_ALERT_TRANSITION (alert -> pgsink): alerts, one row per transition,
 * key (fingerprint, state, severity, starts_at). */
enum alert_field {
	AL_FINGERPRINT = 0,	/* rule and scope value, stable across restarts */
	AL_RULE,
	AL_SCOPE,		/* scope value, "" for global */
	AL_SEVERITY,		/* "warning" or "critical" */
	AL_STATE,		/* "firing" or "resolved" */
	AL_VALUE,		/* number, or NULL */
	AL_THRESHOLD,		/* number, or NULL */
	AL_STARTS_US,		/* microseconds since the epoch, decimal */
	AL_ENDS_US,		/* resolved: microseconds since the epoch; or NULL */
	AL_LABELS,		/* JSON object, or NULL */
	AL_NFIELDS
};

/* MSG_METRIC_SNAPSHOT (alert -> pgsink): metric_snapshots, one row per
 * metric, scope and window, key (metric, scope_kind, scope_value,
 * window_start).  Numbers are decimal text; all but the window may be NULL. */
enum snapshot_field {
	MS_METRIC = 0,		/* e.g. "events" */
	MS_SCOPE_KIND,		/* e.g. "key", "queue", "global" */
	MS_SCOPE_VALUE,		/* "" for global */
	MS_WINDOW_START_US,	/* microseconds since the epoch */
	MS_WINDOW_END_US,
	MS_VALUE,
	MS_COUNT,		/* integer */
	MS_INVALID,		/* integer */
	MS_AVG,
	MS_MAX,
	MS_P95,
	MS_NFIELDS
};

#endif
