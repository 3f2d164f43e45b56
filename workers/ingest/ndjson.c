/*
 * NDJSON replay: a file (or standard input) read once, one event per line.
 * Its read position is durable: each spooled line carries the offset just
 * past it, and a position file is written after every chunk, so a restart
 * resumes where the spool ends and never reads a line twice.  A line that is
 * not JSON is spooled like any other and becomes a dead letter downstream.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "ingest.h"
#include "log.h"
#include "spool.h"
#include "tuple.h"
#include "xmalloc.h"

#define NDJSON_CHUNK	(256 * 1024)
#define NDJSON_MAX_LINE	(8u * 1024 * 1024)	/* longer lines are cut into events */
#define NDJSON_TICK_MS	10			/* refill period of the rate limit */

struct ndjson_source {
	struct ingest	*in;
	char		*name;
	char		*path;
	enum family	 family;
	int		 fd;
	int		 pos_fd;
	bool		 seekable;
	uint64_t	 offset;	/* file offset of the first byte of pending */
	struct buf	 pending;	/* read but not yet spooled */
	struct event	*ev;
	struct event	*ev_tick;	/* rate limit refill, when rate > 0 */
	uint64_t	 rate;
	uint64_t	 tokens;	/* events the rate limit allows now */
	bool		 eof;
	bool		 done;
	uint64_t	 events;
};

static void	ndjson_read_cb(int, short, void *);

/* Saves the durable position: the offset past the last spooled line. */
static void
ndjson_save_position(struct ndjson_source *s)
{
	if (s->pos_fd == -1)
		return;
	if (pwrite(s->pos_fd, &s->offset, sizeof(s->offset), 0) != sizeof(s->offset))
		log_warn("source %s: saving the read position", s->name);
}

/* Spools the complete lines of pending; returns -1 when the spool is full. */
static int
ndjson_spool_lines(struct ndjson_source *s)
{
	size_t		 off = 0, l, k, used;
	const char	*p, *nl;
	int		 r = 0;

	while (off < s->pending.len) {
		p = (const char *)s->pending.data + off;
		nl = memchr(p, '\n', s->pending.len - off);
		if (nl != NULL) {
			l = (size_t)(nl - p);
			used = l + 1;
		} else {
			if (!s->eof && s->pending.len - off < NDJSON_MAX_LINE)
				break;
			l = used = s->pending.len - off < NDJSON_MAX_LINE ?
			    s->pending.len - off : NDJSON_MAX_LINE;
		}
		if (l > 0 && p[l - 1] == '\r')
			l--;
		for (k = 0; k < l && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k < l) {
			if (!ingest_can_accept(s->in) ||
			    (s->rate > 0 && s->tokens == 0)) {
				errno = EAGAIN;
				r = -1;
				break;
			}
			if (s->rate > 0)
				s->tokens--;
			if (ingest_accept(s->in, s->name, s->family,
			    s->offset + off + used, p, l) == -1) {
				if (errno != EAGAIN)
					log_warn("source %s: spooling a line", s->name);
				r = -1;
				break;
			}
			s->events++;
		}
		off += used;
	}
	if (off > 0) {
		memmove(s->pending.data, s->pending.data + off, s->pending.len - off);
		s->pending.len -= off;
		s->offset += off;
		ingest_commit(s->in);
		ndjson_save_position(s);
	}
	return r;
}

static void
ndjson_read_cb(int fd, short what, void *arg)
{
	struct ndjson_source	*s = arg;
	ssize_t			 n;
	char			*chunk;

	if (s->done || (s->rate > 0 && s->tokens == 0))
		return;
	if (!ingest_can_accept(s->in)) {
		/* ndjson_kick resumes; a pipe must not keep waking the loop. */
		if (!s->seekable)
			event_del(s->ev);
		return;
	}
	if (s->pending.len > 0 && ndjson_spool_lines(s) == -1)
		return;
	if (!s->eof) {
		chunk = xmalloc(NDJSON_CHUNK);
		n = read(s->fd, chunk, NDJSON_CHUNK);
		if (n > 0)
			buf_add(&s->pending, chunk, (size_t)n);
		free(chunk);
		if (n == 0)
			s->eof = true;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_warn("source %s: reading %s", s->name, s->path);
			s->eof = true;
		}
		if (ndjson_spool_lines(s) == -1)
			return;
	}
	if (s->eof && s->pending.len == 0) {
		s->done = true;
		if (s->ev_tick != NULL)
			event_del(s->ev_tick);
		log_info("source %s: replay of %s complete at offset %" PRIu64
		    " (%" PRIu64 " events this run)", s->name, s->path, s->offset,
		    s->events);
		return;
	}
	if (s->seekable)
		event_active(s->ev, 0, 0);
}

/* Refills the rate limit and resumes reading. */
static void
ndjson_tick_cb(int fd, short what, void *arg)
{
	struct ndjson_source	*s = arg;
	uint64_t		 add = s->rate * NDJSON_TICK_MS / 1000;

	s->tokens += add > 0 ? add : 1;
	if (s->tokens > s->rate / 10 + 1)
		s->tokens = s->rate / 10 + 1;
	ndjson_kick(s);
}

/* Opens <spool_dir>/sources/NAME.pos and reads the saved offset. */
static int
ndjson_open_position(struct ndjson_source *s, const char *spool_dir,
    char *err, size_t errlen)
{
	char		*dir, *path;
	uint64_t	 off = 0;
	int		 r = 0;

	dir = xasprintf("%s/sources", spool_dir);
	path = xasprintf("%s/%s.pos", dir, s->name);
	if (daemon_mkdirs(dir, 0750, (uid_t)-1, (gid_t)-1) == -1 ||
	    (s->pos_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "source %s: %s: %s", s->name, path, strerror(errno));
		r = -1;
	} else if (pread(s->pos_fd, &off, sizeof(off), 0) == sizeof(off) &&
	    off > s->offset)
		s->offset = off;
	free(dir);
	free(path);
	return r;
}

struct ndjson_source *
ndjson_start(struct ingest *in, const struct source_conf *sc, uint64_t spooled_offset,
    char *err, size_t errlen)
{
	struct ndjson_source	*s;
	struct stat		 st;

	s = xcalloc(1, sizeof(*s));
	s->in = in;
	s->name = xstrdup(sc->name);
	s->path = xstrdup(sc->path);
	s->family = (enum family)family_parse(sc->family);
	s->pos_fd = -1;
	s->rate = (uint64_t)sc->rate;
	buf_init(&s->pending);
	s->offset = spooled_offset;
	if (strcmp(sc->path, "-") == 0)
		s->fd = dup(STDIN_FILENO);
	else
		s->fd = open(sc->path, O_RDONLY | O_CLOEXEC);
	if (s->fd == -1) {
		snprintf(err, errlen, "source %s: %s: %s", sc->name, sc->path,
		    strerror(errno));
		ndjson_stop(s);
		return NULL;
	}
	s->seekable = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
	if (s->seekable) {
		if (ndjson_open_position(s, in->conf->spool_dir, err, errlen) == -1) {
			ndjson_stop(s);
			return NULL;
		}
		if (lseek(s->fd, (off_t)s->offset, SEEK_SET) == -1) {
			snprintf(err, errlen, "source %s: seeking %s: %s", sc->name,
			    sc->path, strerror(errno));
			ndjson_stop(s);
			return NULL;
		}
		s->ev = event_new(in->base, -1, 0, ndjson_read_cb, s);
		event_active(s->ev, 0, 0);
	} else {
		evutil_make_socket_nonblocking(s->fd);
		s->ev = event_new(in->base, s->fd, EV_READ | EV_PERSIST, ndjson_read_cb, s);
		event_add(s->ev, NULL);
	}
	if (s->rate > 0) {
		struct timeval tv = { 0, NDJSON_TICK_MS * 1000 };
		s->ev_tick = event_new(in->base, -1, EV_PERSIST, ndjson_tick_cb, s);
		event_add(s->ev_tick, &tv);
	}
	log_info("source %s: replaying %s from offset %" PRIu64, s->name,
	    s->path, s->offset);
	return s;
}

void
ndjson_kick(struct ndjson_source *s)
{
	if (s->done)
		return;
	if (s->seekable)
		event_active(s->ev, 0, 0);
	else
		event_add(s->ev, NULL);
}

void
ndjson_stats(struct ndjson_source *s, struct buf *b)
{
	buf_printf(b, "{\"name\":\"%s\",\"offset\":%" PRIu64 ",\"events\":%" PRIu64
	    ",\"done\":%s}", s->name, s->offset, s->events, s->done ? "true" : "false");
}

void
ndjson_stop(struct ndjson_source *s)
{
	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->ev_tick != NULL)
		event_free(s->ev_tick);
	if (s->fd != -1)
		close(s->fd);
	if (s->pos_fd != -1)
		close(s->pos_fd);
	buf_free(&s->pending);
	free(s->name);
	free(s->path);
	free(s);
}
