/*
 * pgsink's tables: created and migrated forward, asynchronously, each time
 * the connection comes up, under a version table; the same transaction reads
 * the committed sequence position.
 */
#ifndef CXPIPE_MIGRATE_H
#define CXPIPE_MIGRATE_H

#include <stdint.h>

struct pg_conn;
struct migrate;

/* The schema is current; committed is the highest sequence number stored
 * in cxpipe_offsets (0 for a new database). */
typedef void (*migrate_done_cb)(void *arg, uint64_t committed);

struct migrate	*migrate_new(struct pg_conn *, migrate_done_cb, void *arg);
void		 migrate_free(struct migrate *);
/* Runs on a connection that has just become idle.  On failure the
 * connection is reset (and the owner hears of it through pg_conn). */
void		 migrate_start(struct migrate *);
/* The newest schema version this program knows. */
int		 migrate_latest(void);

#endif
