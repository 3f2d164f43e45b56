/*
 * spool_read.c: the read cursor.  Records are read back through a
 * read-ahead buffer and checked (magic, length, CRC-32C, sequence order)
 * before they are handed out; a bad one is logged and the rest of its
 * segment skipped.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "spool_internal.h"
#include "xmalloc.h"

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
void
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
int
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
