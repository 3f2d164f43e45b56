/* Accept-to-commit latency of pgsink's records: a histogram with
 * logarithmic buckets (about 4% wide), so quantiles cost no memory per record. */
#ifndef CXPIPE_LATENCY_H
#define CXPIPE_LATENCY_H

#include <stdint.h>

#define LATENCY_BUCKETS	512

struct latency {
	uint64_t	 count;
	uint64_t	 bucket[LATENCY_BUCKETS];
};

/* Records one latency in microseconds. */
void		 latency_add(struct latency *, uint64_t us);
/* The q-quantile (0 < q <= 1) in microseconds (the bucket's upper edge);
 * 0 when nothing was recorded. */
uint64_t	 latency_quantile(const struct latency *, double q);

#endif
