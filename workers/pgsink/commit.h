/*
 * The transaction of one batch: BEGIN, one statement per row family in it
 * (family_rows.h), its dead letters, the alert worker's records
 * (alert_rows.h), each source's committed sequence, COMMIT, in one
 * pipeline.  On a data error (SQLSTATE class 21, 22 or 23)
 * the batch is rolled back and sent again in groups, each in a savepoint; a
 * refused group is sent unit by unit, and the unit PostgreSQL refuses
 * becomes a dead letter.  Any other failure resets the connection, and the
 * batch stays queued.
 */
#ifndef CXPIPE_COMMIT_H
#define CXPIPE_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alert_rows;
struct batch;
struct pg_conn;
struct commit;

/* What a committed transaction stored. */
struct commit_result {
	size_t		 n;		/* records, the oldest of the batch */
	uint64_t	 first_seq;
	uint64_t	 max_seq;	/* every sequence up to it is committed */
	uint64_t	 rows;		/* row deliveries */
	uint64_t	 dead;		/* dead letters */
	uint64_t	 collapsed;	/* deliveries folded into a newer one */
	size_t		 refused;	/* rows PostgreSQL refused (now dead letters) */
	size_t		 nalert;	/* alert records, the oldest of their queue */
	uint64_t	 alert_max_seq;	/* highest alert record number among them */
	bool		 row_by_row;
};

/* The transaction is committed; the owner removes its records. */
typedef void (*commit_done_cb)(void *arg, const struct commit_result *);

/* errbuf (the owner's) receives the last data error, for the stats. */
struct commit	*commit_new(struct pg_conn *, struct batch *,
		    struct alert_rows *, commit_done_cb, void *arg, char *errbuf,
		    size_t errlen);
void		 commit_free(struct commit *);
/* Sends the oldest n records and the oldest nalert alert records as one
 * transaction (either may be 0, not both); the connection is idle. */
void		 commit_start(struct commit *, size_t n, size_t nalert);
/* The connection is gone: forgets the transaction in flight. */
void		 commit_abandon(struct commit *);
/* Records in the transaction in flight, 0 when there is none. */
size_t		 commit_inflight(const struct commit *);
/* Alert records in the transaction in flight. */
size_t		 commit_inflight_alert(const struct commit *);

#endif
