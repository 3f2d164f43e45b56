/*
 * Reconnect delays: exponential backoff with full jitter.  The n-th delay
 * after a failure is drawn uniformly from [0, min(cap, base * 2^n)]; a
 * session that stayed healthy for the stable period resets n to 0.  Pure:
 * the caller passes the clock and the random generator, so a seeded
 * generator gives the same delays on every run.
 */
#ifndef CXPIPE_BACKOFF_H
#define CXPIPE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

/* A small deterministic generator (splitmix64). */
struct backoff_rng {
	uint64_t	 state;
};

struct backoff {
	uint32_t	 base_ms;
	uint32_t	 cap_ms;
	uint64_t	 stable_ms;	/* healthy this long resets the attempts */
	unsigned	 attempt;	/* delays drawn since the last reset */
	bool		 up;		/* a session is healthy since up_at_ms */
	uint64_t	 up_at_ms;
};

void	 backoff_rng_seed(struct backoff_rng *, uint64_t seed);
uint64_t backoff_rng_next(struct backoff_rng *);

/* base 0 is taken as 1 ms; a cap below base is raised to base. */
void	 backoff_init(struct backoff *, uint32_t base_ms, uint32_t cap_ms,
	    uint64_t stable_ms);
/* The upper bound the next backoff_next() draws under. */
uint32_t backoff_ceiling(const struct backoff *);
/* Draws the next delay and counts the attempt. */
uint32_t backoff_next(struct backoff *, struct backoff_rng *);
/* A delay for "retry slowly" (rate limited): uniform in [cap/2, cap]. */
uint32_t backoff_slow(struct backoff *, struct backoff_rng *);
/* The session is healthy from now_ms on. */
void	 backoff_up(struct backoff *, uint64_t now_ms);
/* The session ended at now_ms; returns true (and resets the attempts) when
 * it had been healthy for at least the stable period. */
bool	 backoff_down(struct backoff *, uint64_t now_ms);
void	 backoff_reset(struct backoff *);

#endif
