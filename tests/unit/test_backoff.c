/* Unit tests for the reconnect backoff: bounds, growth, jitter, reset and
 * determinism. */
#include <stdint.h>
#include <stdio.h>

#include "../../workers/ingest/backoff.h"
#include "check.h"

/* Each delay lies in [0, ceiling]; the ceiling doubles up to the cap. */
static void
test_bounds_and_growth(void)
{
	struct backoff b;
	struct backoff_rng r;
	uint32_t want = 100, d;
	int i, j;

	backoff_rng_seed(&r, 1);
	backoff_init(&b, 100, 5000, 60000);
	for (i = 0; i < 40; i++) {
		CHECK(backoff_ceiling(&b) == want);
		for (j = 0; j < 50; j++) {
			struct backoff probe = b;

			d = backoff_next(&probe, &r);
			CHECK(d <= want);
		}
		d = backoff_next(&b, &r);
		CHECK(d <= want);
		want = want * 2 > 5000 ? 5000 : want * 2;
	}
	/* Very many attempts never overflow past the cap. */
	for (i = 0; i < 1000; i++)
		CHECK(backoff_next(&b, &r) <= 5000);
	CHECK(backoff_ceiling(&b) == 5000);
}

/* Full jitter: draws spread over the whole range, mean near half of it. */
static void
test_full_jitter(void)
{
	struct backoff b;
	struct backoff_rng r;
	uint32_t d, lo = UINT32_MAX, hi = 0;
	uint64_t sum = 0;
	int i, n = 20000;

	backoff_rng_seed(&r, 42);
	backoff_init(&b, 1000, 1000, 0);
	for (i = 0; i < n; i++) {
		d = backoff_next(&b, &r);
		sum += d;
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	CHECK(lo < 20);
	CHECK(hi > 980);
	CHECK(sum / (uint64_t)n > 450 && sum / (uint64_t)n < 550);
}

/* The same seed gives the same delays; another seed does not. */
static void
test_deterministic(void)
{
	struct backoff a, b, c;
	struct backoff_rng ra, rb, rc;
	int i, same_ab = 1, same_ac = 1;

	backoff_rng_seed(&ra, 7);
	backoff_rng_seed(&rb, 7);
	backoff_rng_seed(&rc, 8);
	backoff_init(&a, 50, 30000, 1000);
	backoff_init(&b, 50, 30000, 1000);
	backoff_init(&c, 50, 30000, 1000);
	for (i = 0; i < 20; i++) {
		uint32_t da = backoff_next(&a, &ra);
		uint32_t db = backoff_next(&b, &rb);
		uint32_t dc = backoff_next(&c, &rc);

		if (da != db)
			same_ab = 0;
		if (da != dc)
			same_ac = 0;
	}
	CHECK(same_ab);
	CHECK(!same_ac);
}

/* A session healthy for the stable period resets the attempts; a shorter
 * one does not. */
static void
test_reset_after_stable(void)
{
	struct backoff b;
	struct backoff_rng r;
	int i;

	backoff_rng_seed(&r, 3);
	backoff_init(&b, 100, 10000, 5000);
	for (i = 0; i < 4; i++)
		(void)backoff_next(&b, &r);
	CHECK(backoff_ceiling(&b) == 1600);

	/* Down without having been up: nothing changes. */
	CHECK(!backoff_down(&b, 1000));
	CHECK(backoff_ceiling(&b) == 1600);

	/* Up for 4.999 s: not stable. */
	backoff_up(&b, 10000);
	CHECK(!backoff_down(&b, 14999));
	CHECK(backoff_ceiling(&b) == 1600);

	/* Up for 5 s: stable, back to base. */
	backoff_up(&b, 20000);
	CHECK(backoff_down(&b, 25000));
	CHECK(backoff_ceiling(&b) == 100);
	CHECK(b.attempt == 0);

	/* A clock that went backwards is not a stable session. */
	(void)backoff_next(&b, &r);
	backoff_up(&b, 30000);
	CHECK(!backoff_down(&b, 29000));
	CHECK(backoff_ceiling(&b) == 200);

	backoff_reset(&b);
	CHECK(backoff_ceiling(&b) == 100);
}

/* Slow retries stay in the upper half of the cap. */
static void
test_slow(void)
{
	struct backoff b;
	struct backoff_rng r;
	uint32_t d;
	int i;

	backoff_rng_seed(&r, 11);
	backoff_init(&b, 100, 8000, 1000);
	for (i = 0; i < 1000; i++) {
		d = backoff_slow(&b, &r);
		CHECK(d >= 4000 && d <= 8000);
	}
}

/* Degenerate settings are made usable. */
static void
test_degenerate(void)
{
	struct backoff b;
	struct backoff_rng r;

	backoff_rng_seed(&r, 5);
	backoff_init(&b, 0, 0, 0);
	CHECK(b.base_ms == 1 && b.cap_ms == 1);
	CHECK(backoff_next(&b, &r) <= 1);
	backoff_init(&b, 500, 100, 0);
	CHECK(b.cap_ms == 500);
	CHECK(backoff_ceiling(&b) == 500);
}

int
main(void)
{
	test_bounds_and_growth();
	test_full_jitter();
	test_deterministic();
	test_reset_after_stable();
	test_slow();
	test_degenerate();
	return CHECK_DONE();
}
