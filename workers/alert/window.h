/*
 * Sliding windows of the alert worker: a bounded table of keys (family,
 * type, queue), each with a ring of one-second buckets covering the last
 * window_seconds() seconds.  Memory per key is fixed when the window is made
 * and does not depend on the event rate.  When the table is full the least
 * recently observed key is evicted.
 *
 * Times are whole seconds on any clock that does not go backwards (the
 * worker uses CLOCK_MONOTONIC).  An observation or query older than a key's
 * last update is treated as happening at that last update.
 *
 * Growing it: a bucket is struct window_bucket, so a new per-second
 * aggregate (a sum, a maximum) is a new member there plus an observe and a
 * query function; rules with shorter windows ask window_count_span(), and a
 * longer ring is a larger seconds argument to window_new().
 */
#ifndef CXPIPE_WINDOW_H
#define CXPIPE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define WINDOW_SECONDS_DEFAULT	60
#define WINDOW_SECONDS_MAX	3600
/* Longest encoded key: the three strings, their NULs and one byte more. */
#define WINDOW_KEY_MAX		512

struct window;

/* A key as three C strings; queue NULL is a value of its own, unlike "". */
struct window_key {
	const char	*family;
	const char	*type;
	const char	*queue;
};

/* One line of window_top(): the key's strings belong to the window and stay
 * valid until the next call that changes it. */
struct window_stat {
	struct window_key key;
	uint64_t	 count;
};

/* Makes an empty window of at most max_keys keys (at least 1) and seconds
 * one-second buckets per key (1..WINDOW_SECONDS_MAX). */
struct window	*window_new(size_t max_keys, unsigned seconds);
void		 window_free(struct window *);
/* Changes the key limit, evicting the least recently seen keys beyond it. */
void		 window_set_max_keys(struct window *, size_t max_keys);

/* Counts one event for key at now_s, adding the key if it is new.  Returns
 * 0, or -1 (nothing counted) when the key is longer than WINDOW_KEY_MAX.
 * family and type must not be NULL. */
int		 window_observe(struct window *, const struct window_key *,
		    int64_t now_s);
/* Events of key in the window_seconds() seconds ending at now_s. */
uint64_t	 window_count(const struct window *, const struct window_key *,
		    int64_t now_s);
/* Events of key in the span_s seconds ending at now_s (span_s is capped at
 * window_seconds()). */
uint64_t	 window_count_span(const struct window *,
		    const struct window_key *, int64_t now_s, unsigned span_s);

/* Fills out with up to n keys of the highest non-zero counts at now_s,
 * highest first; returns how many it filled. */
size_t		 window_top(const struct window *, int64_t now_s,
		    struct window_stat *out, size_t n);

size_t		 window_keys(const struct window *);
size_t		 window_max_keys(const struct window *);
uint64_t	 window_evictions(const struct window *);
unsigned	 window_seconds(const struct window *);

#endif
