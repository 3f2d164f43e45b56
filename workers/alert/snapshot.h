/*
 * The alert worker's metric snapshots: for each (family, type, queue) key
 * seen, the count of valid and of invalid events in fixed windows of
 * snapshot_interval aligned to the wall clock (a window starts at a
 * multiple of the interval since the epoch).  When a window ends each key
 * with events in it becomes one metric_snapshots row through persist.h:
 * metric "events", scope_kind "key", scope_value the JSON array
 * [family, type, queue] (type and queue may be null), count = valid events,
 * invalid = invalid events, value = count + invalid.
 *
 * Keys per window are bounded (max_keys, the [alert] setting); events of
 * further keys in that window are counted as overflow and not stored.
 */
#ifndef CXPIPE_SNAPSHOT_H
#define CXPIPE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

struct event_base;
struct persist;
struct snapshot;

struct snapshot	*snapshot_new(struct event_base *, struct persist *,
		    int64_t interval_ms, size_t max_keys);
void		 snapshot_free(struct snapshot *);
/* Changes the interval (from the next window on) and the key bound. */
void		 snapshot_configure(struct snapshot *, int64_t interval_ms,
		    size_t max_keys);
/* Counts one event; type and queue may be NULL. */
void		 snapshot_observe(struct snapshot *, const char *family,
		    const char *type, const char *queue, bool valid);
/* Appends counters as JSON members, after a comma. */
void		 snapshot_stats(const struct snapshot *, struct buf *);

#endif
