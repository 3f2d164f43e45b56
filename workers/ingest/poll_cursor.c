/*
 * The durable cursor of a delta-poll stream; the file's format and how it
 * is kept in step with the spool are described in poll_cursor.h.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "poll_cursor.h"
#include "spool.h"
#include "tuple.h"
#include "xmalloc.h"

#define POLL_JOURNAL_MAGIC	"cxpipe-poll-cursor 2\n"
#define POLL_JOURNAL_MAX	(64 * 1024 * 1024)
#define POLL_AUX_INDEX_BITS	24
#define POLL_AUX_INDEX_MASK	((UINT64_C(1) << POLL_AUX_INDEX_BITS) - 1)

json_t *
poll_json_get(json_t *doc, const char *ptr)
{
	char		 tok[256];
	const char	*p = ptr;
	size_t		 n;
	char		*end;
	unsigned long	 idx;

	while (doc != NULL && *p == '/') {
		p++;
		for (n = 0; *p != '\0' && *p != '/' && n < sizeof(tok) - 1; p++) {
			if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
				tok[n++] = p[1] == '0' ? '~' : '/';
				p++;
			} else
				tok[n++] = *p;
		}
		tok[n] = '\0';
		if (json_is_object(doc))
			doc = json_object_get(doc, tok);
		else if (json_is_array(doc)) {
			idx = strtoul(tok, &end, 10);
			doc = *end == '\0' && n > 0 ? json_array_get(doc, idx) : NULL;
		} else
			doc = NULL;
	}
	return *p == '\0' ? doc : NULL;
}

void
poll_cursor_advance(const struct poll_cursor *pc, json_t *item, char *cur,
    size_t len)
{
	json_t	*ts = poll_json_get(item, pc->ts_ptr);

	if (json_is_string(ts) && strcmp(json_string_value(ts), cur) > 0)
		snprintf(cur, len, "%s", json_string_value(ts));
}

void
poll_cursor_save(struct poll_cursor *pc, const char *base, json_t *items,
    size_t spooled)
{
	struct buf	 b;
	char		 cur[POLL_CURSOR_MAX];
	size_t		 i;

	if (pc->fd == -1)
		return;
	buf_init(&b);
	buf_printf(&b, "%sgen %" PRIu64 "\nspooled %zu\nbase %zu:%s\n",
	    POLL_JOURNAL_MAGIC, pc->gen, spooled, strlen(base), base);
	snprintf(cur, sizeof(cur), "%s", base);
	for (i = 0; items != NULL && i < json_array_size(items); i++) {
		poll_cursor_advance(pc, json_array_get(items, i), cur, sizeof(cur));
		buf_printf(&b, "item %zu:%s\n", strlen(cur), cur);
	}
	buf_add_str(&b, "end\n");
	if (pwrite(pc->fd, b.data, b.len, 0) != (ssize_t)b.len ||
	    ftruncate(pc->fd, (off_t)b.len) == -1)
		log_warn("stream %s: saving the poll cursor", pc->name);
	buf_free(&b);
}

uint64_t
poll_cursor_aux(const struct poll_cursor *pc, size_t index)
{
	return pc->gen << POLL_AUX_INDEX_BITS |
	    ((uint64_t)(index + 1) & POLL_AUX_INDEX_MASK);
}

/* Reads "WORD N\n" at *at into *v; false when that is not there. */
static bool
poll_cursor_number(const char **at, const char *end, const char *word,
    uint64_t *v)
{
	const char	*q = *at;
	size_t		 wl = strlen(word);

	if ((size_t)(end - q) < wl + 2 || memcmp(q, word, wl) != 0 ||
	    q[wl] != ' ')
		return false;
	for (q += wl + 1, *v = 0; q < end && *q >= '0' && *q <= '9' &&
	    *v < UINT64_MAX / 16; q++)
		*v = *v * 10 + (uint64_t)(*q - '0');
	if (q >= end || *q != '\n')
		return false;
	*at = q + 1;
	return true;
}

/* Reads "WORD LEN:TEXT\n" at *at into out; false when that is not there. */
static bool
poll_cursor_text(const char **at, const char *end, const char *word,
    char *out, size_t size)
{
	const char	*q = *at;
	uint64_t	 len = 0;
	size_t		 wl = strlen(word);

	if ((size_t)(end - q) < wl + 2 || memcmp(q, word, wl) != 0 ||
	    q[wl] != ' ')
		return false;
	for (q += wl + 1; q < end && *q >= '0' && *q <= '9' &&
	    len < POLL_JOURNAL_MAX; q++)
		len = len * 10 + (uint64_t)(*q - '0');
	if (q >= end || *q++ != ':' || (uint64_t)(end - q) < len + 1 ||
	    q[len] != '\n')
		return false;
	snprintf(out, size, "%.*s", (int)len, q);
	*at = q + len + 1;
	return true;
}

/* The newest aux of this stream's records still in the spool (0: none). */
static uint64_t
poll_cursor_spooled_aux(const struct poll_cursor *pc, struct spool *sp)
{
	struct spool_rec	 rec;
	uint64_t		 aux = 0;

	spool_rewind(sp);
	while (spool_read_next(sp, &rec) == 1)
		if (strcmp(rec.source, pc->name) == 0 && rec.aux > aux)
			aux = rec.aux;
	spool_rewind(sp);
	return aux;
}

/* Takes the cursor to poll on from out of the cursor file's text and the
 * spool (see the top of this file). */
static void
poll_cursor_load(struct poll_cursor *pc, struct spool *sp, const char *text,
    size_t len)
{
	const char	*at = text, *end = text + len;
	size_t		 ml = strlen(POLL_JOURNAL_MAGIC);
	uint64_t	 gen, spooled, aux, k, i, moved = 0;
	char		 item[POLL_CURSOR_MAX], cur[POLL_CURSOR_MAX];

	if (len < ml || memcmp(text, POLL_JOURNAL_MAGIC, ml) != 0) {
		/* The first format: the cursor and a NUL. */
		snprintf(pc->cursor, sizeof(pc->cursor), "%.*s",
		    (int)strnlen(text, len), text);
		return;
	}
	at += ml;
	if (!poll_cursor_number(&at, end, "gen", &gen) ||
	    !poll_cursor_number(&at, end, "spooled", &spooled) ||
	    !poll_cursor_text(&at, end, "base", pc->cursor,
	    sizeof(pc->cursor))) {
		log_warnx("stream %s: the poll cursor file is damaged; polling "
		    "from the start", pc->name);
		pc->cursor[0] = '\0';
		return;
	}
	pc->gen = gen;
	aux = poll_cursor_spooled_aux(pc, sp);
	k = (aux >> POLL_AUX_INDEX_BITS) == gen ? aux & POLL_AUX_INDEX_MASK : 0;
	if (spooled > k)
		k = spooled;
	snprintf(cur, sizeof(cur), "%s", pc->cursor);
	for (i = 1; i <= k && poll_cursor_text(&at, end, "item", item,
	    sizeof(item)); i++)
		if (strcmp(item, cur) != 0) {
			snprintf(cur, sizeof(cur), "%s", item);
			moved = i;
		}
	if (k == 0 || i <= k)
		return;		/* the page was spooled whole, or nothing */
	snprintf(pc->cursor, sizeof(pc->cursor), "%s", cur);
	pc->skip = k - moved;
	log_info("stream %s: %" PRIu64 " items of the last page were spooled "
	    "before the worker stopped; polling on after them", pc->name, k);
}

int
poll_cursor_open(struct poll_cursor *pc, const char *spool_dir,
    const char *name, const char *ts_ptr, struct spool *sp, char *err,
    size_t errlen)
{
	char			*dir, *path, *text = NULL;
	struct stat		 sb;
	ssize_t			 n = 0;
	int			 r = 0;

	memset(pc, 0, sizeof(*pc));
	pc->fd = -1;
	pc->name = name;
	pc->ts_ptr = xstrdup(ts_ptr);
	dir = xasprintf("%s/sources", spool_dir);
	path = xasprintf("%s/%s.cursor", dir, name);
	if (daemon_mkdirs(dir, 0750, (uid_t)-1, (gid_t)-1) == -1 ||
	    (pc->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1 ||
	    fstat(pc->fd, &sb) == -1) {
		snprintf(err, errlen, "stream %s: %s: %s", pc->name, path, strerror(errno));
		r = -1;
	} else if (sb.st_size > POLL_JOURNAL_MAX) {
		snprintf(err, errlen, "stream %s: %s: larger than %d bytes",
		    pc->name, path, POLL_JOURNAL_MAX);
		r = -1;
	} else if (sb.st_size > 0) {
		text = xmalloc((size_t)sb.st_size);
		if ((n = pread(pc->fd, text, (size_t)sb.st_size, 0)) == -1) {
			snprintf(err, errlen, "stream %s: %s: %s", pc->name,
			    path, strerror(errno));
			r = -1;
		} else
			poll_cursor_load(pc, sp, text, (size_t)n);
	}
	free(text);
	free(dir);
	free(path);
	return r;
}

void
poll_cursor_close(struct poll_cursor *pc)
{
	if (pc->fd != -1)
		close(pc->fd);
	pc->fd = -1;
	free(pc->ts_ptr);
	pc->ts_ptr = NULL;
}
