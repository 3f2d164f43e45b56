/*
 * spool_internal.h: what the files of the spool (src/spool*.c) share;
 * nothing else includes it.
 *
 * spool.c		open, recovery of a torn tail, close, ack, counters
 * spool_write.c	append, segment rotation, sync
 * spool_read.c		the read cursor: records read back and checked, rewind
 */
#ifndef CXPIPE_SPOOL_INTERNAL_H
#define CXPIPE_SPOOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/*
 * On-disk format, in host byte order (a spool is only read back by the
 * machine that wrote it).
 *
 * A segment, NNNNNNNNNNNNNNNNNNNN.seg (20 digits: the sequence number of its
 * first record, so names sort), is a run of records:
 *
 *	off size
 *	  0   4	magic, REC_MAGIC
 *	  4   4	length of the whole record, this header included
 *	  8   4	CRC-32C of bytes 12 .. length
 *	 12   1	family
 *	 13   1	source length
 *	 14   2	reserved, zero
 *	 16   8	sequence number
 *	 24   8	received_us
 *	 32   8	aux, the source's own position
 *	 40	source (no NUL), then the body
 *
 * Within a segment sequence numbers increase; a segment's name is never
 * above its first record's number, so every record of segment i is below
 * the name of segment i + 1.  That bound is what spool_ack() and
 * spool_rewind() work from, without I/O.
 *
 * "acked" holds magic ACK_MAGIC, the CRC-32C of the next 8 bytes, and the
 * highest acknowledged sequence number.  It is rewritten in place and never
 * fsynced: losing an update only makes committed records be sent again,
 * which pgsink skips.  The directory is flock()ed while open.
 */

#define REC_MAGIC	0x31535843u	/* "CXS1" on little-endian hosts */
#define ACK_MAGIC	0x31415843u	/* "CXA1" */
#define ACK_FILE	"acked"
#define REC_HDR		40
#define REC_CRC_FROM	12
#define REC_MAX		(REC_HDR + SPOOL_MAX_SOURCE + SPOOL_MAX_RECORD)
#define SEG_DIGITS	20
#define SEG_NAME_MAX	32
#define READ_CHUNK	(256u * 1024)
#define DEFAULT_SEGMENT	(16u * 1024 * 1024)

struct seg {
	uint64_t	 first;		/* from the name */
	uint64_t	 size;		/* bytes of complete records */
	bool		 unlink_logged;
};

/* The read cursor: a segment, an offset in it and a read-ahead buffer. */
struct seg_reader {
	size_t		 idx;		/* into spool.segs */
	int		 fd;		/* -1 until first read */
	uint64_t	 off;		/* of the next record */
	uint64_t	 nrec;		/* records seen in this segment */
	uint64_t	 last_seq;
	uint8_t		*buf;
	size_t		 cap;
	uint64_t	 buf_off;	/* file offset of buf[0] */
	size_t		 buf_len;
};

/* A record checked in the read buffer. */
struct rec_view {
	uint64_t	 seq;
	uint64_t	 received_us;
	uint64_t	 aux;
	uint32_t	 len;
	uint8_t		 family;
	uint8_t		 srclen;
	const uint8_t	*p;
};

struct spool {
	char			*dir;
	int			 dirfd;		/* holds the lock */
	int			 wfd;		/* active segment */
	int			 ackfd;
	struct spool_opts	 opts;
	struct seg		*segs;		/* oldest first; the last is active */
	size_t			 nsegs;
	size_t			 segcap;
	uint64_t		 bytes;
	uint64_t		 next_seq;
	uint64_t		 acked;
	bool			 fresh;
	bool			 dir_dirty;	/* entries changed since the last fsync */
	bool			 write_failing;	/* an append error was logged */
	bool			 ack_failing;	/* an "acked" write error was logged */
	bool			 wtorn;		/* bytes past segs[last].size */
	struct seg_reader	 rd;
	char			 src[SPOOL_MAX_SOURCE + 1];
};

/* The active segment: the last one, where appends go. */
static inline struct seg *
seg_active(struct spool *sp)
{
	return &sp->segs[sp->nsegs - 1];
}

/* spool.c: segment files. */
/* Writes the file name of the segment whose first record is first. */
void		 seg_name(char name[SEG_NAME_MAX], uint64_t first);
/* Adds a segment after the last one; its size counts into sp->bytes. */
void		 seg_push(struct spool *, uint64_t first, uint64_t size);
/* Creates an empty segment file; returns its fd, or -1 with errno. */
int		 seg_create(struct spool *, uint64_t first);

/* spool_read.c: the read cursor. */
/* Points the reader at the start of segment idx. */
void		 rd_reset(struct spool *, size_t idx);
/* Reads and checks the record at the cursor: 1, 0 at the end, -1, -2. */
int		 rd_next(struct spool *, struct rec_view *, const char **why);

/* spool_write.c */
/* Seals the active segment and starts a new one named after next_seq. */
int		 spool_rotate(struct spool *);

#endif /* CXPIPE_SPOOL_INTERNAL_H */
