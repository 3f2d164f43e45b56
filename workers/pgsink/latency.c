#include "autoconf.h"

#include <math.h>

#include "latency.h"

#define LATENCY_GROWTH	1.04	/* each bucket is 4% wider than the one before */

/* Bucket i holds latencies up to LATENCY_GROWTH^i microseconds. */
static unsigned
latency_bucket(uint64_t us)
{
	double	 b;

	if (us <= 1)
		return 0;
	b = ceil(log((double)us) / log(LATENCY_GROWTH));
	return b >= LATENCY_BUCKETS ? LATENCY_BUCKETS - 1 : (unsigned)b;
}

void
latency_add(struct latency *l, uint64_t us)
{
	l->bucket[latency_bucket(us)]++;
	l->count++;
}

uint64_t
latency_quantile(const struct latency *l, double q)
{
	uint64_t	 want, seen = 0;
	unsigned	 i;

	if (l->count == 0)
		return 0;
	want = (uint64_t)ceil(q * (double)l->count);
	for (i = 0; i < LATENCY_BUCKETS; i++) {
		seen += l->bucket[i];
		if (seen >= want)
			return (uint64_t)pow(LATENCY_GROWTH, i);
	}
	return (uint64_t)pow(LATENCY_GROWTH, LATENCY_BUCKETS - 1);
}
