/*
 * poll_cursor: the durable cursor of a delta-poll stream.
 *
 * A delta poll's cursor is durable and always matches the spool, even
 * when the worker dies half-way through spooling a page: before a page is
 * spooled, <spool_dir>/sources/NAME.cursor is written with the page's
 * generation, the cursor before it and the cursor after each of its items;
 * each item goes to the spool with aux = generation << 24 | its index from
 * 1.  At start, the newest aux of the stream still in the spool says how
 * far that page got, hence the cursor to poll on from and how many items
 * at the head of the first answer were spooled already (those after the
 * last one whose timestamp moved the cursor: the server answers the same
 * cursor with the same items in the same order): nothing is read twice or
 * skipped.  Once the page is spooled the file is rewritten with the cursor
 * after it alone.
 */
#ifndef CXPIPE_POLL_CURSOR_H
#define CXPIPE_POLL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct spool;

#define POLL_CURSOR_MAX		256

struct poll_cursor {
	const char	*name;		/* the stream's, for messages (borrowed) */
	char		*ts_ptr;	/* JSON pointer of an item's timestamp */
	int		 fd;		/* the cursor file, or -1 */
	char		 cursor[POLL_CURSOR_MAX];	/* to poll on */
	uint64_t	 gen;		/* of the held page, or the last */
	uint64_t	 skip;		/* of the next answer: spooled before */
};

/*
 * Opens <spool_dir>/sources/NAME.cursor and takes the cursor to poll on
 * from it and from what the spool still holds of the stream.  Returns -1
 * with "stream NAME: why" in err.
 */
int	 poll_cursor_open(struct poll_cursor *, const char *spool_dir,
	    const char *name, const char *ts_ptr, struct spool *,
	    char *err, size_t errlen);
void	 poll_cursor_close(struct poll_cursor *);
/* The cursor after item: its timestamp when later than cur. */
void	 poll_cursor_advance(const struct poll_cursor *, json_t *item,
	    char *cur, size_t len);
/* Writes the cursor file: how many items of the page (gen) are spooled
 * for sure, the cursor before the page (base) and, with items, the cursor
 * after each of them. */
void	 poll_cursor_save(struct poll_cursor *, const char *base,
	    json_t *items, size_t spooled);
/* The spool aux of item index (from 0) of the page. */
uint64_t poll_cursor_aux(const struct poll_cursor *, size_t index);

/* The value at a JSON pointer (RFC 6901) in doc, or NULL. */
json_t	*poll_json_get(json_t *doc, const char *ptr);

#endif
