/*
 * The alert worker's journal: a file under spool_dir that keeps every
 * record for pgsink (transitions, snapshots) from the moment it is made
 * until pgsink has committed it, and the last record number issued, so a
 * restarted alert worker resends what was not committed and goes on
 * numbering where the previous one stopped.
 *
 * The file is a list of frames, each with a CRC-32C: a record (type,
 * number, payload), "committed through N", or "record N dropped".  A torn
 * or corrupt tail is cut at load.  Writes are plain write(2) without fsync:
 * a killed process loses nothing the kernel has; a power cut may lose the
 * last records (the tables stay consistent, without them).
 */
#ifndef CXPIPE_JOURNAL_H
#define CXPIPE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct journal;

/* A record as loaded; the payload belongs to the caller after load. */
struct journal_rec {
	uint16_t	 type;		/* MSG_ALERT_TRANSITION, MSG_METRIC_SNAPSHOT */
	uint64_t	 seq;
	uint8_t		*payload;
	size_t		 len;
};

/* Called by journal_open once per record still uncommitted, oldest first. */
typedef void (*journal_load_cb)(void *arg, struct journal_rec *);

/* Opens (creating) path and loads it; *last_seq gets the highest record
 * number it ever held.  Returns NULL (logged) when the file cannot be
 * used: the caller goes on without durability. */
struct journal	*journal_open(const char *path, journal_load_cb, void *arg,
		    uint64_t *last_seq);
void		 journal_close(struct journal *);
/* Appends one record; -1 (logged once) on a write error. */
int		 journal_append(struct journal *, uint16_t type, uint64_t seq,
		    const void *payload, size_t len);
/* Every record numbered up to seq is committed. */
void		 journal_committed(struct journal *, uint64_t seq);
/* Record seq was dropped (the queue was full). */
void		 journal_dropped(struct journal *, uint64_t seq);
/* Rewrites the file with only the live records (given oldest first), when
 * it has grown well past them; last_seq is kept. */
void		 journal_compact(struct journal *, const struct journal_rec *const *live,
		    size_t n, uint64_t last_seq);
/* Bytes in the file now. */
uint64_t	 journal_bytes(const struct journal *);

#endif
