/*
 * serve_feed.h: one family's events for "cxpipe-sim serve": made lazily from
 * the seed when a connection takes them, released over time at --rate, and
 * kept for a while so that REST pollers can look back.
 */
#ifndef CXPIPE_SIM_SERVE_FEED_H
#define CXPIPE_SIM_SERVE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "families.h"

/* How many events of each sort a feed sends in all. */
struct feed_plan {
	uint64_t	new_keys;
	uint64_t	dups;
	uint64_t	invalid;
};

/* One event taken or looked back at; text is valid until the next take. */
struct feed_item {
	uint64_t	 index;		/* position in the feed, from 0 */
	int64_t		 stamp_us;	/* when it was made: "lastUpdated" */
	const char	*text;
	size_t		 len;
};

/* What the manifest reports besides the family's keys. */
struct feed_totals {
	uint64_t	count;		/* planned events */
	uint64_t	lines;		/* events sent (each made once) */
	uint64_t	valid_sends;
	uint64_t	invalid;
	uint64_t	redelivered;	/* poll items sent again */
	uint64_t	oversized;	/* frames past the client's size limit */
	uint64_t	binary;		/* binary frames */
};

/* Frames a WebSocket sends besides the events: dead letters downstream. */
enum feed_extra {
	FEED_EXTRA_OVERSIZED,
	FEED_EXTRA_BINARY,
};

struct feed;

/* Splits count into sorts as generate does; false when repeats lack a new key. */
bool feed_plan_split(uint64_t count, double dup_rate, double invalid_rate,
    struct feed_plan *plan);

/* Returns a feed of plan's events; rate 0 releases them all at start_us. */
struct feed *feed_new(enum family_id id, uint64_t seed,
    const struct feed_plan *plan, double rate, int64_t start_us);
void feed_free(struct feed *f);

enum family_id feed_id(const struct feed *f);
const struct family *feed_family(const struct feed *f);
void feed_totals(const struct feed *f, struct feed_totals *t);

/* Counts a frame of kind sent besides the events, for the manifest. */
void feed_count_extra(struct feed *f, enum feed_extra kind);

/* Stops releasing events (paused) or goes on: those due meanwhile come at
 * once.  Events already taken are still given to pollers that look back. */
void feed_set_paused(struct feed *f, bool paused);

/* How many events could be taken at now_us. */
uint64_t feed_ready(const struct feed *f, int64_t now_us);

/* When the next event not yet taken is released; INT64_MAX when none is left. */
int64_t feed_next_release(const struct feed *f);

/* The newest stamp given so far (0 before the first). */
int64_t feed_last_stamp(const struct feed *f);

/*
 * Returns a cursor for a poller at now_us (the later of now_us and the
 * newest stamp); every event made afterwards is stamped after it.
 */
int64_t feed_mark(struct feed *f, int64_t now_us);

/* Makes and takes the next released event; false when none is ready. */
bool feed_take(struct feed *f, int64_t now_us, struct feed_item *out);

/* Called with each item of a poll, oldest first. */
typedef void (*feed_item_cb)(void *arg, const struct feed_item *item);

/*
 * Gives cb up to limit events stamped after since_us: first those kept from
 * earlier takes (counted as redelivered), then new ones; *more tells whether
 * further events were ready.  Returns how many were given.
 */
size_t feed_poll(struct feed *f, int64_t since_us, size_t limit,
    int64_t now_us, feed_item_cb cb, void *arg, bool *more);

#endif
