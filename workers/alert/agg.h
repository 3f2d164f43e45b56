/*
 * Aggregates of the alert worker: a bounded table of keys (a scope value:
 * "" for global, or a queue, agent, action or event type), each with a ring
 * of one-second buckets.  A bucket holds the event, invalid and rejected
 * counts and, for handle, wait and queue time and event-time latency, the
 * number of values, their sum, their maximum and a histogram.  Memory per
 * key is seconds × sizeof(struct agg_bucket) whatever the event rate; when
 * the table is full the least recently observed key is evicted.
 *
 * Percentiles come from the histogram: AGG_BINS bins, bin 0 holds values
 * below 1 ms, bin i holds [2^(i-1), 2^i) ms; the percentile is interpolated
 * linearly inside its bin, so it is off by less than the bin's width: at
 * most half the true value (and never beyond the window's maximum).  Values
 * of 2^(AGG_BINS-1) ms (about 2.3 h) and more land in the last bin.
 */
#ifndef CXPIPE_AGG_H
#define CXPIPE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGG_BINS	24
#define AGG_KEY_MAX	256
#define AGG_SECONDS_MAX	3600

/* The timed quantities, all kept in seconds. */
enum agg_timed {
	AGG_HANDLE = 0,
	AGG_WAIT,
	AGG_QUEUE,
	AGG_LATENCY,
	AGG_NTIMED
};

/* One observation: counts and the timed values it carries. */
struct agg_obs {
	bool		 invalid;
	bool		 rejected;	/* a rejected agent-state transition */
	bool		 has[AGG_NTIMED];
	double		 v[AGG_NTIMED];	/* seconds, >= 0 */
};

/* A window's sums, from agg_query(). */
struct agg_summary {
	uint64_t	 count;
	uint64_t	 invalid;
	uint64_t	 rejected;
	uint64_t	 n[AGG_NTIMED];
	double		 sum[AGG_NTIMED];
	double		 max[AGG_NTIMED];
	uint64_t	 hist[AGG_NTIMED][AGG_BINS];
};

struct agg;

/* Makes an empty table of at most max_keys keys and seconds buckets each. */
struct agg	*agg_new(size_t max_keys, unsigned seconds);
void		 agg_free(struct agg *);
void		 agg_set_max_keys(struct agg *, size_t max_keys);

/* Adds one observation to key at now_s.  Returns 0, or -1 when the key is
 * longer than AGG_KEY_MAX (nothing counted). */
int		 agg_observe(struct agg *, const char *key,
		    const struct agg_obs *, int64_t now_s);
/* Sums key's last span_s seconds ending at now_s into out; returns false
 * (out zeroed) when the key is unknown. */
bool		 agg_query(const struct agg *, const char *key, int64_t now_s,
		    unsigned span_s, struct agg_summary *out);
/* Calls fn for every key with events in the last span_s seconds. */
void		 agg_foreach(const struct agg *, int64_t now_s, unsigned span_s,
		    void (*fn)(void *, const char *key,
		    const struct agg_summary *), void *arg);
/* Keys with events in the last span_s seconds (e.g. active agents). */
size_t		 agg_active(const struct agg *, int64_t now_s, unsigned span_s);

/* Average of a timed quantity, or false when no value was seen. */
bool		 agg_avg(const struct agg_summary *, enum agg_timed, double *);
/* Percentile q (0..1) of a timed quantity from the histogram. */
bool		 agg_quantile(const struct agg_summary *, enum agg_timed,
		    double q, double *);
/* The histogram bin of a value in seconds. */
unsigned	 agg_bin(double seconds);

size_t		 agg_keys(const struct agg *);
uint64_t	 agg_evictions(const struct agg *);
unsigned	 agg_seconds(const struct agg *);

#endif
