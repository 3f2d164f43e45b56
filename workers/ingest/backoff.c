/*
 * Exponential backoff with full jitter; see backoff.h.
 */
#include "backoff.h"

#define BACKOFF_MAX_SHIFT	31	/* base << 31 already exceeds any cap */

void
backoff_rng_seed(struct backoff_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
backoff_rng_next(struct backoff_rng *r)
{
	uint64_t z;

	z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform draw from [lo, hi]. */
static uint32_t
backoff_uniform(struct backoff_rng *r, uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;

	return lo + (uint32_t)(backoff_rng_next(r) % span);
}

void
backoff_init(struct backoff *b, uint32_t base_ms, uint32_t cap_ms,
    uint64_t stable_ms)
{
	b->base_ms = base_ms == 0 ? 1 : base_ms;
	b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
	b->stable_ms = stable_ms;
	b->attempt = 0;
	b->up = false;
	b->up_at_ms = 0;
}

uint32_t
backoff_ceiling(const struct backoff *b)
{
	unsigned shift = b->attempt > BACKOFF_MAX_SHIFT ? BACKOFF_MAX_SHIFT :
	    b->attempt;
	uint64_t c = (uint64_t)b->base_ms << shift;

	return c > b->cap_ms ? b->cap_ms : (uint32_t)c;
}

uint32_t
backoff_next(struct backoff *b, struct backoff_rng *r)
{
	uint32_t ceiling = backoff_ceiling(b);

	if (b->attempt <= BACKOFF_MAX_SHIFT)
		b->attempt++;
	return backoff_uniform(r, 0, ceiling);
}

uint32_t
backoff_slow(struct backoff *b, struct backoff_rng *r)
{
	if (b->attempt <= BACKOFF_MAX_SHIFT)
		b->attempt++;
	return backoff_uniform(r, b->cap_ms / 2, b->cap_ms);
}

void
backoff_up(struct backoff *b, uint64_t now_ms)
{
	b->up = true;
	b->up_at_ms = now_ms;
}

bool
backoff_down(struct backoff *b, uint64_t now_ms)
{
	bool stable;

	if (!b->up)
		return false;
	b->up = false;
	stable = now_ms >= b->up_at_ms && now_ms - b->up_at_ms >= b->stable_ms;
	if (stable)
		b->attempt = 0;
	return stable;
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
	b->up = false;
}
