/*
 * What the alert worker sends to PostgreSQL through pgsink: alert
 * transitions and metric snapshots.  Each record gets the next number of
 * the alert worker's own sequence, goes to the journal (journal.h) and a
 * bounded queue, and is sent to pgsink whenever a pgsink is attached; it
 * leaves the queue when pgsink acknowledges its commit.  A new pgsink gets
 * the whole queue again; the tables' unique keys make a resend a no-op.
 * When the queue is full the oldest snapshot (or, with none, the oldest
 * transition) is dropped and counted: the loop never waits.
 */
#ifndef CXPIPE_PERSIST_H
#define CXPIPE_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

struct event_base;
struct persist;

/* Records kept for pgsink at most. */
#define PERSIST_QUEUE_MAX	100000

/* One alert transition (alerts table).  Strings are copied. */
struct persist_transition {
	const char	*fingerprint;
	const char	*rule;
	const char	*scope;		/* "" for global */
	const char	*severity;	/* "warning" | "critical" */
	const char	*state;		/* "firing" | "resolved" */
	double		 value;		/* NaN: NULL */
	double		 threshold;	/* NaN: NULL */
	int64_t		 starts_us;	/* microseconds since the epoch */
	int64_t		 ends_us;	/* 0: NULL */
	const char	*labels_json;	/* a JSON object, or NULL */
};

/* One metric over one window and scope (metric_snapshots table). */
struct persist_snapshot {
	const char	*metric;
	const char	*scope_kind;
	const char	*scope_value;	/* "" for global */
	int64_t		 window_start_us;
	int64_t		 window_end_us;
	double		 value;		/* NaN: NULL (also avg, max, p95) */
	int64_t		 count;		/* -1: NULL (also invalid) */
	int64_t		 invalid;
	double		 avg;
	double		 max;
	double		 p95;
};

/* Opens the journal in spool_dir (NULL: memory only) and loads what it
 * holds; max is the queue bound (0: PERSIST_QUEUE_MAX). */
struct persist	*persist_new(struct event_base *, const char *spool_dir,
		    size_t max);
void		 persist_free(struct persist *);
/* Takes a new channel end to pgsink and resends the queue. */
void		 persist_attach(struct persist *, int fd);
void		 persist_alert_transition(struct persist *,
		    const struct persist_transition *);
void		 persist_snapshot(struct persist *, const struct persist_snapshot *);
#ifdef CXPIPE_TEST_HOOKS
/* Test hook: CXPIPE_TEST_ALERT_TRANSITIONS=N makes N synthetic transitions
 * (firing then resolved, fixed times), the same ones at every start. */
void		 persist_test_transitions(struct persist *);
#endif
/* Appends counters as JSON members, after a comma. */
void		 persist_stats(const struct persist *, struct buf *);

#endif
