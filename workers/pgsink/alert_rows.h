/*
 * pgsink's queue of the alert worker's records (MSG_ALERT_TRANSITION,
 * MSG_METRIC_SNAPSHOT) and the statements that store them in the batch's
 * transaction: alerts and metric_snapshots, both ON CONFLICT DO NOTHING on
 * their natural keys, so a record the alert worker sends again after a
 * crash (of either side) changes nothing.
 *
 * Records are checked when they arrive (fields, numbers, times, state,
 * labels a JSON object): one that PostgreSQL could refuse is counted as
 * malformed and never queued, so these statements cannot fail on data.
 */
#ifndef CXPIPE_ALERT_ROWS_H
#define CXPIPE_ALERT_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

struct alert_rows;

struct alert_rows *alert_rows_new(void);
void		 alert_rows_free(struct alert_rows *);
/* Queues one record; false (nothing queued) when it is malformed. */
bool		 alert_rows_add(struct alert_rows *, uint16_t type, uint64_t seq,
		    const uint8_t *payload, size_t len);
size_t		 alert_rows_count(const struct alert_rows *);
/* Removes the oldest n records. */
void		 alert_rows_pop(struct alert_rows *, size_t n);
/* The highest sequence number among the oldest n records. */
uint64_t	 alert_rows_max_seq(const struct alert_rows *, size_t n);
/* Builds the insert of the transitions (type MSG_ALERT_TRANSITION) or the
 * snapshots among the oldest n records; false when there are none. */
bool		 alert_rows_build(struct alert_rows *, uint16_t type, size_t n,
		    struct batch_stmt *);

#endif
