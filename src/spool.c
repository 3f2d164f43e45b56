/*
 * spool.c: opening the spool (lock, list the segments, load "acked", cut a
 * torn tail), closing it, acknowledging records and releasing the segments
 * they free, and the counters.  Appends are in spool_write.c, reads in
 * spool_read.c, the on-disk format in spool_internal.h.
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>

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
#include "spool_internal.h"
#include "xmalloc.h"

/* Formats an error for spool_open()'s caller. */
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
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

void
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
int
seg_create(struct spool *sp, uint64_t first)
{
	char	 name[SEG_NAME_MAX];

	seg_name(name, first);
	return openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
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
