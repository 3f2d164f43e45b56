/*
 * The spool: a directory of append-only segment files holding every accepted
 * event until PostgreSQL has committed it.  Records carry a sequence number
 * (contiguous, never reused, even across restarts) and a CRC32C checksum; a
 * torn tail is cut when the spool is opened.  Used by the ingest worker only,
 * from its loop thread.
 */
#ifndef CXPIPE_SPOOL_H
#define CXPIPE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_RECORD	(16u * 1024 * 1024 - 4096)
#define SPOOL_MAX_SOURCE	64

struct spool;

struct spool_opts {
	uint64_t	 max_bytes;	/* spool_full() above this */
	uint64_t	 segment_bytes;	/* start a new segment past this */
	bool		 sync_on_rotate;/* fsync a segment before leaving it (not with spool_sync = never) */
};

/* One record, as read back.  The pointers stay valid until the next read. */
struct spool_rec {
	uint64_t	 seq;
	uint64_t	 received_us;
	uint8_t		 family;
	uint64_t	 aux;		/* the source's own position (NDJSON offset) */
	const char	*source;	/* NUL-terminated */
	const uint8_t	*body;
	size_t		 body_len;
};

/* Opens (creating) the spool in dir: scans segments, cuts a torn tail, finds
 * the next sequence number.  Returns NULL with err set on failure. */
struct spool	*spool_open(const char *dir, const struct spool_opts *, char *err, size_t errlen);
void		 spool_close(struct spool *);
void		 spool_set_opts(struct spool *, const struct spool_opts *);
/* True when the spool was created now or held no segment (no sequence history). */
bool		 spool_is_fresh(const struct spool *);
/* Moves the next sequence number forward (never back). */
void		 spool_advance_seq(struct spool *, uint64_t next);

/* Appends one record with write(2) (no fsync); returns its sequence number
 * in *seq.  aux is stored with it for the source (0 if unused).  Returns 0, or -1 with errno (ENOSPC, EFBIG for too large...). */
int		 spool_append(struct spool *, const char *source, uint8_t family,
		    uint64_t received_us, uint64_t aux, const void *body, size_t len,
		    uint64_t *seq);
/* fsyncs the active segment (and the directory after a rotation). */
int		 spool_sync(struct spool *);

/* Reads the next record not yet read since open or the last rewind.
 * Returns 1 with *rec filled, 0 when there is none yet, -1 on I/O error.
 * A record whose checksum fails is logged and skipped with the rest of its
 * segment. */
int		 spool_read_next(struct spool *, struct spool_rec *);
/* Makes the next read return the first record after the acknowledged one. */
void		 spool_rewind(struct spool *);
/* Everything <= seq is committed: remembers it and removes segments that hold
 * nothing newer. */
void		 spool_ack(struct spool *, uint64_t seq);

uint64_t	 spool_next_seq(const struct spool *);	/* seq the next append gets */
uint64_t	 spool_acked_seq(const struct spool *);
uint64_t	 spool_bytes(const struct spool *);	/* bytes of all segments */
uint64_t	 spool_records(const struct spool *);	/* records not yet acknowledged */
bool		 spool_full(const struct spool *);
int		 spool_segments(const struct spool *);

#endif
