/*
 * spool_write.c: appending records to the active segment with pwritev(2),
 * rotating to a new segment when it is full, and fsync on request.
 */
#include "autoconf.h"

#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "spool_internal.h"

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

/* Seals the active segment and starts a new one named after next_seq. */
int
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

