#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

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

static void	 rd_reset(struct spool *, size_t);
static int	 spool_rotate(struct spool *);

/* Formats an error for spool_open()'s caller. */
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
seg_name(char name[SEG_NAME_MAX], uint64_t first)
{
	snprintf(name, SEG_NAME_MAX, "%0*" PRIu64 ".seg", SEG_DIGITS, first);
}

/* Parses "<20 digits>.seg"; anything else in the directory is ignored. */
static int
seg_parse_name(const char *name, uint64_t *first)
{
	unsigned long long	 v;
	char			*end;
	int			 i;

	if (strlen(name) != SEG_DIGITS + 4 || strcmp(name + SEG_DIGITS, ".seg") != 0)
		return -1;
	for (i = 0; i < SEG_DIGITS; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	errno = 0;
	v = strtoull(name, &end, 10);
	if (errno != 0 || end != name + SEG_DIGITS)
		return -1;
	*first = v;
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg	*x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static struct seg *
seg_active(struct spool *sp)
{
	return &sp->segs[sp->nsegs - 1];
}

static void
seg_push(struct spool *sp, uint64_t first, uint64_t size)
{
	if (sp->nsegs == sp->segcap) {
		sp->segcap = sp->segcap ? sp->segcap * 2 : 16;
		sp->segs = xreallocarray(sp->segs, sp->segcap, sizeof(*sp->segs));
	}
	sp->segs[sp->nsegs].first = first;
	sp->segs[sp->nsegs].size = size;
	sp->segs[sp->nsegs].unlink_logged = false;
	sp->nsegs++;
	sp->bytes += size;
}

/* Creates an empty segment file; returns its fd, or -1 with errno. */
static int
seg_create(struct spool *sp, uint64_t first)
{
	char	 name[SEG_NAME_MAX];

	seg_name(name, first);
	return openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
}

/* Logs an error of the append path, once until an append succeeds again. */
static void
spool_write_error(struct spool *sp, const char *what, uint64_t first)
{
	char	 name[SEG_NAME_MAX];
	int	 saved = errno;

	if (sp->write_failing)
		return;
	sp->write_failing = true;
	seg_name(name, first);
	errno = saved;
	log_warn("spool %s/%s: %s", sp->dir, name, what);
}

/* mkdir -p with mode 0750 for the directories it creates. */
static int
mkdir_p(const char *dir)
{
	char	*tmp, *p;
	int	 rc = 0;

	tmp = xstrdup(dir);
	for (p = tmp + 1; rc == 0 && *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) == -1 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(tmp, 0750) == -1 && errno != EEXIST)
		rc = -1;
	free(tmp);
	return rc;
}

/* Creates and locks the directory. */
static int
spool_open_dir(struct spool *sp, char *err, size_t errlen)
{
	if (mkdir_p(sp->dir) == -1 ||
	    (sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		set_err(err, errlen, "spool %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			set_err(err, errlen, "spool %s is in use by another process",
			    sp->dir);
		else
			set_err(err, errlen, "spool %s: lock: %s", sp->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Lists the segment files, oldest first, with their sizes. */
static int
spool_list_segments(struct spool *sp, char *err, size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	uint64_t	 first;
	int		 fd;

	if ((fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		set_err(err, errlen, "spool %s: %s", sp->dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (seg_parse_name(de->d_name, &first) == -1)
			continue;
		errno = 0;
		if (fstatat(sp->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode)) {
			set_err(err, errlen, "spool %s/%s: %s", sp->dir, de->d_name,
			    errno != 0 ? strerror(errno) : "not a regular file");
			closedir(d);
			return -1;
		}
		seg_push(sp, first, (uint64_t)st.st_size);
	}
	closedir(d);
	if (sp->nsegs > 0)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), seg_cmp);
	return 0;
}

/* Opens "acked" and reads the acknowledged sequence number (0 if none). */
static int
spool_load_acked(struct spool *sp, char *err, size_t errlen)
{
	uint8_t		 b[16];
	uint32_t	 magic, crc;
	uint64_t	 seq;
	ssize_t		 n;

	sp->ackfd = openat(sp->dirfd, ACK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->ackfd == -1 || (n = pread(sp->ackfd, b, sizeof(b), 0)) == -1) {
		set_err(err, errlen, "spool %s/%s: %s", sp->dir, ACK_FILE, strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	memcpy(&magic, b, 4);
	memcpy(&crc, b + 4, 4);
	memcpy(&seq, b + 8, 8);
	if (n != sizeof(b) || magic != ACK_MAGIC || crc != crc32c(0, b + 8, 8)) {
		log_warnx("spool %s/%s: unreadable, every spooled record will be sent again",
		    sp->dir, ACK_FILE);
		return 0;
	}
	sp->acked = seq;
	return 0;
}

/* Rewrites "acked"; a failure is logged once and otherwise ignored. */
static void
spool_write_acked(struct spool *sp)
{
	uint8_t		 b[16];
	uint32_t	 magic = ACK_MAGIC, crc;

	memcpy(b, &magic, 4);
	memcpy(b + 8, &sp->acked, 8);
	crc = crc32c(0, b + 8, 8);
	memcpy(b + 4, &crc, 4);
	if (pwrite(sp->ackfd, b, sizeof(b), 0) == (ssize_t)sizeof(b)) {
		sp->ack_failing = false;
		return;
	}
	if (!sp->ack_failing)
		log_warn("spool %s/%s: write", sp->dir, ACK_FILE);
	sp->ack_failing = true;
}

/* Opens the reader's segment for reading; logs and returns -1 on failure. */
static int
rd_open(struct spool *sp)
{
	char	 name[SEG_NAME_MAX];

	seg_name(name, sp->segs[sp->rd.idx].first);
	if ((sp->rd.fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("spool %s/%s: open", sp->dir, name);
		return -1;
	}
	return 0;
}

/* Points the reader at the start of segment idx. */
static void
rd_reset(struct spool *sp, size_t idx)
{
	if (sp->rd.fd != -1)
		close(sp->rd.fd);
	sp->rd.fd = -1;
	sp->rd.idx = idx;
	sp->rd.off = 0;
	sp->rd.nrec = 0;
	sp->rd.last_seq = 0;
	sp->rd.buf_off = 0;
	sp->rd.buf_len = 0;
}

/*
 * Makes bytes [off, off + n) of the reader's segment available, reading
 * ahead up to limit.  Returns 0 with *p set, 1 when the file is shorter than
 * that, or -1 on a read error (logged).
 */
static int
rd_fill(struct spool *sp, uint64_t off, size_t n, uint64_t limit, const uint8_t **p)
{
	struct seg_reader	*rd = &sp->rd;
	size_t			 want, got = 0;
	ssize_t			 r;
	char			 name[SEG_NAME_MAX];

	if (off >= rd->buf_off && off + n <= rd->buf_off + rd->buf_len) {
		*p = rd->buf + (off - rd->buf_off);
		return 0;
	}
	want = limit - off > READ_CHUNK ? READ_CHUNK : (size_t)(limit - off);
	if (want < n)
		want = n;
	if (rd->cap < want || (rd->cap > 4 * READ_CHUNK && want <= READ_CHUNK)) {
		free(rd->buf);
		rd->cap = want > READ_CHUNK ? want : READ_CHUNK;
		rd->buf = xmalloc(rd->cap);
	}
	rd->buf_len = 0;
	while (got < want) {
		r = pread(rd->fd, rd->buf + got, want - got, (off_t)(off + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			seg_name(name, sp->segs[rd->idx].first);
			log_warn("spool %s/%s: read", sp->dir, name);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rd->buf_off = off;
	rd->buf_len = got;
	if (got < n)
		return 1;
	*p = rd->buf;
	return 0;
}

/*
 * Reads and checks the record at the cursor and moves past it.  Returns 1
 * with *v set, 0 at the end of the segment's known bytes, -1 on an I/O
 * error (logged), -2 when the data there is not a valid record (*why says
 * what is wrong; the cursor stays on it).
 */
static int
rd_next(struct spool *sp, struct rec_view *v, const char **why)
{
	struct seg_reader	*rd = &sp->rd;
	const struct seg	*seg = &sp->segs[rd->idx];
	const uint8_t		*p;
	uint64_t		 avail = seg->size - rd->off;
	uint32_t		 magic, crc;
	int			 r;

	if (rd->off >= seg->size)
		return 0;
	if (rd->fd == -1 && rd_open(sp) == -1)
		return -1;
	*why = "truncated record";
	if (avail < REC_HDR)
		return -2;
	if ((r = rd_fill(sp, rd->off, REC_HDR, seg->size, &p)) != 0)
		return r == 1 ? -2 : -1;
	memcpy(&magic, p, 4);
	memcpy(&v->len, p + 4, 4);
	v->srclen = p[13];
	if (magic != REC_MAGIC) {
		*why = "bad magic";
		return -2;
	}
	if (v->srclen > SPOOL_MAX_SOURCE || v->len < REC_HDR + (uint32_t)v->srclen ||
	    v->len > REC_MAX) {
		*why = "bad length";
		return -2;
	}
	if (v->len > avail)
		return -2;
	if ((r = rd_fill(sp, rd->off, v->len, seg->size, &p)) != 0)
		return r == 1 ? -2 : -1;
	memcpy(&crc, p + 8, 4);
	if (crc != crc32c(0, p + REC_CRC_FROM, v->len - REC_CRC_FROM)) {
		*why = "checksum mismatch";
		return -2;
	}
	v->family = p[12];
	memcpy(&v->seq, p + 16, 8);
	memcpy(&v->received_us, p + 24, 8);
	memcpy(&v->aux, p + 32, 8);
	if (v->seq < seg->first || (rd->nrec > 0 && v->seq <= rd->last_seq)) {
		*why = "sequence number out of order";
		return -2;
	}
	v->p = p;
	rd->off += v->len;
	rd->last_seq = v->seq;
	rd->nrec++;
	return 1;
}

/*
 * Checks the newest segment record by record and cuts it after the last
 * valid one.  Sets *has_rec and *last_seq.
 */
static int
spool_cut_tail(struct spool *sp, bool *has_rec, uint64_t *last_seq, char *err,
    size_t errlen)
{
	struct seg	*a = seg_active(sp);
	struct rec_view	 v;
	const char	*why = NULL;
	char		 name[SEG_NAME_MAX];
	uint64_t	 cut;
	int		 r, saved;

	rd_reset(sp, sp->nsegs - 1);
	while ((r = rd_next(sp, &v, &why)) == 1)
		;
	saved = errno;
	*has_rec = sp->rd.nrec > 0;
	*last_seq = sp->rd.last_seq;
	cut = a->size - sp->rd.off;
	rd_reset(sp, 0);
	seg_name(name, a->first);
	errno = saved;
	if (r == -1 ||
	    (sp->wfd = openat(sp->dirfd, name, O_WRONLY | O_CLOEXEC)) == -1 ||
	    (cut > 0 && ftruncate(sp->wfd, (off_t)(a->size - cut)) == -1)) {
		set_err(err, errlen, "spool %s/%s: %s", sp->dir, name, strerror(errno));
		return -1;
	}
	if (cut > 0) {
		log_warnx("spool %s/%s: cut %" PRIu64 " bytes at offset %" PRIu64 " (%s)",
		    sp->dir, name, cut, a->size - cut, why);
		a->size -= cut;
		sp->bytes -= cut;
	}
	return 0;
}

/* Renames the empty active segment after the next sequence number. */
static void
spool_rename_active(struct spool *sp)
{
	struct seg	*a = seg_active(sp);
	char		 from[SEG_NAME_MAX], to[SEG_NAME_MAX];

	if (a->size != 0 || a->first >= sp->next_seq)
		return;
	seg_name(from, a->first);
	seg_name(to, sp->next_seq);
	if (renameat(sp->dirfd, from, sp->dirfd, to) == -1) {
		log_warn("spool %s: rename %s to %s", sp->dir, from, to);
		return;
	}
	a->first = sp->next_seq;
	sp->dir_dirty = true;
}

/*
 * Rotates away from a fully acknowledged active segment once it is worth it,
 * then unlinks every sealed segment that holds nothing unacknowledged.
 */
static void
spool_release(struct spool *sp)
{
	struct seg	*s;
	char		 name[SEG_NAME_MAX];
	size_t		 n = 0;

	s = seg_active(sp);
	if (s->size > 0 && sp->acked + 1 >= sp->next_seq &&
	    s->size >= sp->opts.segment_bytes / 4)
		(void)spool_rotate(sp);
	while (n + 1 < sp->nsegs && sp->segs[n + 1].first <= sp->acked + 1) {
		s = &sp->segs[n];
		seg_name(name, s->first);
		if (unlinkat(sp->dirfd, name, 0) == -1 && errno != ENOENT) {
			if (!s->unlink_logged)
				log_warn("spool %s/%s: unlink", sp->dir, name);
			s->unlink_logged = true;
			break;
		}
		sp->bytes -= s->size;
		n++;
	}
	if (n == 0)
		return;
	memmove(sp->segs, sp->segs + n, (sp->nsegs - n) * sizeof(*sp->segs));
	sp->nsegs -= n;
	if (sp->rd.idx < n)
		rd_reset(sp, 0);
	else
		sp->rd.idx -= n;
}

/* Finds the next sequence number, cuts a torn tail, makes an active segment. */
static int
spool_recover(struct spool *sp, char *err, size_t errlen)
{
	uint64_t	 last_seq = 0;
	bool		 has_rec = false;
	int		 fd;

	sp->next_seq = 1;
	if (sp->nsegs > 0) {
		if (spool_cut_tail(sp, &has_rec, &last_seq, err, errlen) == -1)
			return -1;
		sp->next_seq = has_rec ? last_seq + 1 : seg_active(sp)->first;
		/* Segments are only removed once acknowledged. */
		if (sp->segs[0].first > sp->acked + 1)
			sp->acked = sp->segs[0].first - 1;
	}
	if (sp->next_seq <= sp->acked)
		sp->next_seq = sp->acked + 1;
	sp->fresh = sp->next_seq == 1;
	if (sp->nsegs == 0) {
		if ((fd = seg_create(sp, sp->next_seq)) == -1) {
			set_err(err, errlen, "spool %s: create segment: %s", sp->dir,
			    strerror(errno));
			return -1;
		}
		sp->wfd = fd;
		seg_push(sp, sp->next_seq, 0);
		sp->dir_dirty = true;
	}
	spool_rename_active(sp);
	spool_release(sp);
	spool_rewind(sp);
	return 0;
}

struct spool *
spool_open(const char *dir, const struct spool_opts *opts, char *err, size_t errlen)
{
	struct spool	*sp;

	sp = xcalloc(1, sizeof(*sp));
	sp->dirfd = sp->wfd = sp->ackfd = sp->rd.fd = -1;
	sp->dir = xstrdup(dir);
	spool_set_opts(sp, opts);
	if (spool_open_dir(sp, err, errlen) == -1 ||
	    spool_list_segments(sp, err, errlen) == -1 ||
	    spool_load_acked(sp, err, errlen) == -1 ||
	    spool_recover(sp, err, errlen) == -1) {
		spool_close(sp);
		return NULL;
	}
	return sp;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->rd.fd != -1)
		close(sp->rd.fd);
	if (sp->wfd != -1)
		close(sp->wfd);
	if (sp->ackfd != -1)
		close(sp->ackfd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->rd.buf);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

void
spool_set_opts(struct spool *sp, const struct spool_opts *opts)
{
	if (opts != NULL)
		sp->opts = *opts;
	if (sp->opts.segment_bytes == 0)
		sp->opts.segment_bytes = DEFAULT_SEGMENT;
}

bool
spool_is_fresh(const struct spool *sp)
{
	return sp->fresh;
}

/*
 * Jumps the sequence forward.  When everything is acknowledged the numbers
 * skipped are acknowledged too, so spool_records() stays exact.
 */
void
spool_advance_seq(struct spool *sp, uint64_t next)
{
	if (next <= sp->next_seq)
		return;
	if (sp->acked + 1 == sp->next_seq) {
		sp->acked = next - 1;
		spool_write_acked(sp);
	}
	sp->next_seq = next;
	spool_rename_active(sp);
}

/* Seals the active segment and starts a new one named after next_seq. */
static int
spool_rotate(struct spool *sp)
{
	struct seg	*a = seg_active(sp);
	int		 fd;

	if (sp->opts.sync_on_rotate && fsync(sp->wfd) == -1) {
		spool_write_error(sp, "fsync", a->first);
		return -1;
	}
	if ((fd = seg_create(sp, sp->next_seq)) == -1) {
		spool_write_error(sp, "create", sp->next_seq);
		return -1;
	}
	sp->dir_dirty = true;
	if (sp->opts.sync_on_rotate) {
		if (fsync(sp->dirfd) == -1)
			log_warn("spool %s: fsync", sp->dir);
		else
			sp->dir_dirty = false;
	}
	close(sp->wfd);
	sp->wfd = fd;
	sp->wtorn = false;
	seg_push(sp, sp->next_seq, 0);
	return 0;
}

/* Before an append: clears a torn tail left by a failed one, rotates if due. */
static int
spool_make_room(struct spool *sp, size_t reclen)
{
	struct seg	*a = seg_active(sp);

	if (sp->wtorn && ftruncate(sp->wfd, (off_t)a->size) == 0)
		sp->wtorn = false;
	if (sp->wtorn && a->size == 0) {
		spool_write_error(sp, "truncate", a->first);
		return -1;
	}
	if (a->size > 0 && (sp->wtorn || a->size + reclen > sp->opts.segment_bytes))
		return spool_rotate(sp);
	return 0;
}

/* pwritev(2) until everything is written; returns 0, or -1 with errno. */
static int
write_all_at(int fd, struct iovec *iov, int niov, off_t off)
{
	ssize_t	 n;

	while (niov > 0) {
		if ((n = pwritev(fd, iov, niov, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		off += n;
		while (niov > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * The body may be up to SPOOL_MAX_RECORD bytes (EFBIG), the source up to
 * SPOOL_MAX_SOURCE (EINVAL).  I/O failures are logged here, once per run of
 * failures, so the caller need not log them again.
 */
int
spool_append(struct spool *sp, const char *source, uint8_t family,
    uint64_t received_us, uint64_t aux, const void *body, size_t len, uint64_t *seq)
{
	uint8_t		 hdr[REC_HDR + SPOOL_MAX_SOURCE];
	struct iovec	 iov[2];
	struct seg	*a;
	size_t		 srclen = source ? strnlen(source, SPOOL_MAX_SOURCE + 1) : 0;
	uint32_t	 magic = REC_MAGIC, reclen, crc;
	int		 saved;

	if (srclen > SPOOL_MAX_SOURCE || (body == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	if (len > SPOOL_MAX_RECORD) {
		errno = EFBIG;
		return -1;
	}
	reclen = (uint32_t)(REC_HDR + srclen + len);
	if (spool_make_room(sp, reclen) == -1)
		return -1;
	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &reclen, 4);
	hdr[12] = family;
	hdr[13] = (uint8_t)srclen;
	hdr[14] = hdr[15] = 0;
	memcpy(hdr + 16, &sp->next_seq, 8);
	memcpy(hdr + 24, &received_us, 8);
	memcpy(hdr + 32, &aux, 8);
	if (srclen > 0)
		memcpy(hdr + REC_HDR, source, srclen);
	crc = crc32c(0, hdr + REC_CRC_FROM, REC_HDR - REC_CRC_FROM + srclen);
	crc = crc32c(crc, body, len);
	memcpy(hdr + 8, &crc, 4);
	iov[0].iov_base = hdr;
	iov[0].iov_len = REC_HDR + srclen;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;

	a = seg_active(sp);
	if (write_all_at(sp->wfd, iov, len > 0 ? 2 : 1, (off_t)a->size) == -1) {
		saved = errno;
		spool_write_error(sp, "append", a->first);
		if (ftruncate(sp->wfd, (off_t)a->size) == -1) {
			log_warn("spool %s: truncate after a failed append", sp->dir);
			sp->wtorn = true;
		}
		errno = saved;
		return -1;
	}
	a->size += reclen;
	sp->bytes += reclen;
	*seq = sp->next_seq++;
	sp->fresh = false;
	sp->write_failing = false;
	return 0;
}

int
spool_sync(struct spool *sp)
{
	char	 name[SEG_NAME_MAX];

	if (fsync(sp->wfd) == -1) {
		seg_name(name, seg_active(sp)->first);
		log_warn("spool %s/%s: fsync", sp->dir, name);
		return -1;
	}
	if (sp->dir_dirty) {
		if (fsync(sp->dirfd) == -1) {
			log_warn("spool %s: fsync", sp->dir);
			return -1;
		}
		sp->dir_dirty = false;
	}
	return 0;
}

/* Records already acknowledged (after a rewind or an ack ahead of the
 * cursor) are passed over. */
int
spool_read_next(struct spool *sp, struct spool_rec *rec)
{
	struct rec_view	 v;
	const char	*why;
	char		 name[SEG_NAME_MAX];
	int		 active, r;

	for (;;) {
		active = sp->rd.idx == sp->nsegs - 1;
		r = rd_next(sp, &v, &why);
		if (r == 1 && v.seq <= sp->acked)
			continue;
		if (r == 1)
			break;
		if (r == 0 && active)
			return 0;
		if (r == -1 && (active || errno != ENOENT))
			return -1;
		if (r == -2) {
			seg_name(name, sp->segs[sp->rd.idx].first);
			log_warnx("spool %s/%s: %s at offset %" PRIu64 ", %" PRIu64
			    " bytes skipped", sp->dir, name, why, sp->rd.off,
			    sp->segs[sp->rd.idx].size - sp->rd.off);
			/* Later appends must not land behind the damage. */
			if (active && spool_rotate(sp) == -1)
				return -1;
		}
		rd_reset(sp, sp->rd.idx + 1);
	}
	memcpy(sp->src, v.p + REC_HDR, v.srclen);
	sp->src[v.srclen] = '\0';
	rec->seq = v.seq;
	rec->received_us = v.received_us;
	rec->family = v.family;
	rec->aux = v.aux;
	rec->source = sp->src;
	rec->body = v.p + REC_HDR + v.srclen;
	rec->body_len = v.len - REC_HDR - v.srclen;
	return 1;
}

void
spool_rewind(struct spool *sp)
{
	size_t	 i = 0;

	while (i + 1 < sp->nsegs && sp->segs[i + 1].first <= sp->acked + 1)
		i++;
	rd_reset(sp, i);
}

void
spool_ack(struct spool *sp, uint64_t seq)
{
	if (seq >= sp->next_seq) {
		log_warnx("spool %s: ack of %" PRIu64 " beyond the last record %" PRIu64,
		    sp->dir, seq, sp->next_seq - 1);
		seq = sp->next_seq - 1;
	}
	if (seq <= sp->acked)
		return;
	sp->acked = seq;
	spool_write_acked(sp);
	spool_release(sp);
}

uint64_t
spool_next_seq(const struct spool *sp)
{
	return sp->next_seq;
}

uint64_t
spool_acked_seq(const struct spool *sp)
{
	return sp->acked;
}

uint64_t
spool_bytes(const struct spool *sp)
{
	return sp->bytes;
}

uint64_t
spool_records(const struct spool *sp)
{
	return sp->next_seq - 1 - sp->acked;
}

/* A max_bytes of 0 means no limit. */
bool
spool_full(const struct spool *sp)
{
	return sp->opts.max_bytes != 0 && sp->bytes >= sp->opts.max_bytes;
}

int
spool_segments(const struct spool *sp)
{
	return (int)sp->nsegs;
}
