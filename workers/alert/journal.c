#include "autoconf.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "xmalloc.h"
#include "journal.h"

/* Frame kinds. */
#define J_RECORD	1
#define J_COMMITTED	2	/* every record <= seq is committed */
#define J_DROPPED	3	/* record seq is gone */

#define J_HDR		20	/* crc, len, kind, type, seq */
#define J_MAX_PAYLOAD	(1u << 20)
/* Compact when the file is this much larger than its live records. */
#define J_SLACK		(256u * 1024)

struct journal {
	char		*path;
	int		 fd;
	uint64_t	 bytes;
	uint64_t	 live_bytes;	/* estimate: frames of records not yet gone */
	int		 warned;
};

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Builds one frame header: the CRC covers the rest of the header and the
 * payload. */
static void
journal_frame(uint8_t *h, uint16_t kind, uint16_t type, uint64_t seq,
    const void *payload, size_t len)
{
	uint32_t	 crc;

	put32(h + 4, (uint32_t)len);
	put16(h + 8, kind);
	put16(h + 10, type);
	put64(h + 12, seq);
	crc = crc32c(0, h + 4, J_HDR - 4);
	crc = crc32c(crc, payload, len);
	put32(h, crc);
}

/* Writes all of a frame to fd; -1 on error. */
static int
journal_write_frame(int fd, uint16_t kind, uint16_t type, uint64_t seq,
    const void *payload, size_t len)
{
	uint8_t		 h[J_HDR];
	struct iovec	 iov[2];
	ssize_t		 w;
	size_t		 want = J_HDR + len;

	journal_frame(h, kind, type, seq, payload, len);
	iov[0].iov_base = h;
	iov[0].iov_len = J_HDR;
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	do
		w = writev(fd, iov, len > 0 ? 2 : 1);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		return -1;
	if ((size_t)w != want) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static int
journal_put(struct journal *j, uint16_t kind, uint16_t type, uint64_t seq,
    const void *payload, size_t len)
{
	if (j == NULL || j->fd == -1)
		return -1;
	if (journal_write_frame(j->fd, kind, type, seq, payload, len) == -1) {
		if (!j->warned++)
			log_warn("journal %s: write", j->path);
		return -1;
	}
	j->bytes += J_HDR + len;
	return 0;
}

/* A loaded record, kept until the whole file is read. */
struct jload {
	struct journal_rec *v;
	size_t		 n;
	size_t		 cap;
};

/* Forgets loaded records numbered <= seq (committed) or == seq (dropped). */
static void
jload_forget(struct jload *l, uint64_t seq, int through)
{
	size_t	 i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (through ? l->v[i].seq <= seq : l->v[i].seq == seq)
			free(l->v[i].payload);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* Reads the file's frames; returns the length of its good prefix. */
static off_t
journal_read(int fd, struct jload *l, uint64_t *last)
{
	uint8_t		 h[J_HDR];
	uint32_t	 crc, len;
	uint16_t	 kind, type;
	uint64_t	 seq;
	uint8_t		*p;
	off_t		 good = 0;

	for (;;) {
		if (pread(fd, h, J_HDR, good) != J_HDR)
			break;
		memcpy(&crc, h, 4);
		memcpy(&len, h + 4, 4);
		memcpy(&kind, h + 8, 2);
		memcpy(&type, h + 10, 2);
		memcpy(&seq, h + 12, 8);
		if (len > J_MAX_PAYLOAD)
			break;
		p = xmalloc(len + 1);
		if (pread(fd, p, len, good + J_HDR) != (ssize_t)len ||
		    crc32c(crc32c(0, h + 4, J_HDR - 4), p, len) != crc) {
			free(p);
			break;
		}
		good += J_HDR + len;
		if (seq > *last)
			*last = seq;
		if (kind == J_RECORD) {
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 64;
				l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
			}
			l->v[l->n].type = type;
			l->v[l->n].seq = seq;
			l->v[l->n].payload = p;
			l->v[l->n++].len = len;
			continue;
		}
		free(p);
		if (kind == J_COMMITTED)
			jload_forget(l, seq, 1);
		else if (kind == J_DROPPED)
			jload_forget(l, seq, 0);
	}
	return good;
}

struct journal *
journal_open(const char *path, journal_load_cb cb, void *arg,
    uint64_t *last_seq)
{
	struct journal	*j;
	struct jload	 l;
	struct stat	 st;
	off_t		 good;
	size_t		 i;
	int		 fd;

	*last_seq = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("journal %s: open (records for PostgreSQL will not "
		    "survive a restart of alert)", path);
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	good = journal_read(fd, &l, last_seq);
	if (fstat(fd, &st) == 0 && st.st_size > good) {
		log_warnx("journal %s: cutting a torn tail of %lld bytes", path,
		    (long long)(st.st_size - good));
		if (ftruncate(fd, good) == -1)
			log_warn("journal %s: truncate", path);
	}
	if (lseek(fd, 0, SEEK_END) == -1)
		log_warn("journal %s: seek", path);
	j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(path);
	j->fd = fd;
	j->bytes = (uint64_t)good;
	for (i = 0; i < l.n; i++) {
		j->live_bytes += J_HDR + l.v[i].len;
		cb(arg, &l.v[i]);
	}
	if (l.n > 0)
		log_info("journal: %zu records for PostgreSQL not yet committed, "
		    "resending", l.n);
	free(l.v);
	return j;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	free(j->path);
	free(j);
}

int
journal_append(struct journal *j, uint16_t type, uint64_t seq,
    const void *payload, size_t len)
{
	if (journal_put(j, J_RECORD, type, seq, payload, len) == -1)
		return -1;
	j->live_bytes += J_HDR + len;
	return 0;
}

void
journal_committed(struct journal *j, uint64_t seq)
{
	journal_put(j, J_COMMITTED, 0, seq, NULL, 0);
}

void
journal_dropped(struct journal *j, uint64_t seq)
{
	journal_put(j, J_DROPPED, 0, seq, NULL, 0);
}

uint64_t
journal_bytes(const struct journal *j)
{
	return j != NULL ? j->bytes : 0;
}

void
journal_compact(struct journal *j, const struct journal_rec *const *live,
    size_t n, uint64_t last_seq)
{
	char		*tmp;
	uint64_t	 bytes = 0;
	size_t		 i, len;
	int		 fd;

	if (j == NULL || j->fd == -1)
		return;
	for (i = 0; i < n; i++)
		bytes += J_HDR + live[i]->len;
	if (j->bytes < 2 * bytes + J_SLACK)
		return;
	len = strlen(j->path) + 5;
	tmp = xmalloc(len);
	snprintf(tmp, len, "%s.new", j->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* The number issued last goes first, so numbering survives even when
	 * no record is left. */
	if (fd == -1 || journal_write_frame(fd, J_COMMITTED, 0, 0, NULL, 0) == -1)
		goto fail;
	if (last_seq > 0 && journal_write_frame(fd, J_DROPPED, 0, last_seq,
	    NULL, 0) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (journal_write_frame(fd, J_RECORD, live[i]->type, live[i]->seq,
		    live[i]->payload, live[i]->len) == -1)
			goto fail;
	if (rename(tmp, j->path) == -1)
		goto fail;
	close(j->fd);
	j->fd = fd;
	j->bytes = 2 * J_HDR + bytes;
	j->live_bytes = bytes;
	free(tmp);
	return;
fail:
	if (!j->warned++)
		log_warn("journal %s: compacting", j->path);
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
}
