/*
 * Unit tests of the alert worker's sliding windows (workers/alert/window.c).
 * Prints one line per failing check and exits 1 if any failed; also prints
 * the cost of one observation with 10,000 keys (not asserted).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../workers/alert/window.h"

struct test {
	int	 checks;
	int	 failed;
};

#define CHECK(t, cond) test_check((t), (cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(t, got, want) test_check_eq((t), (got), (want), #got, \
	__FILE__, __LINE__)

/* Records one check, printing it when it failed. */
static void
test_check(struct test *t, int ok, const char *what, const char *file, int line)
{
	t->checks++;
	if (!ok) {
		t->failed++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
}

/* Records one equality check of counts, printing both values when it failed. */
static void
test_check_eq(struct test *t, uint64_t got, uint64_t want, const char *what,
    const char *file, int line)
{
	t->checks++;
	if (got != want) {
		t->failed++;
		printf("FAIL %s:%d: %s is %" PRIu64 ", want %" PRIu64 "\n",
		    file, line, what, got, want);
	}
}

/* Builds a key on the stack. */
static struct window_key
test_key(const char *family, const char *type, const char *queue)
{
	struct window_key	 k = { family, type, queue };

	return k;
}

/* Observes key n times at now_s. */
static void
test_observe_n(struct window *w, struct window_key k, int64_t now_s, int n)
{
	while (n-- > 0)
		window_observe(w, &k, now_s);
}

/* Counts of one key over time inside the window and at its edge. */
static void
test_counts_within_window(struct test *t)
{
	struct window		*w = window_new(100, 60);
	struct window_key	 k = test_key("interaction", "call", "Q1");

	CHECK_EQ(t, window_count(w, &k, 1000), 0);
	test_observe_n(w, k, 1000, 5);
	CHECK_EQ(t, window_count(w, &k, 1000), 5);
	test_observe_n(w, k, 1010, 3);
	CHECK_EQ(t, window_count(w, &k, 1010), 8);
	CHECK_EQ(t, window_count(w, &k, 1059), 8);
	CHECK_EQ(t, window_count(w, &k, 1060), 3);
	CHECK_EQ(t, window_count(w, &k, 1069), 3);
	CHECK_EQ(t, window_count(w, &k, 1070), 0);
	CHECK_EQ(t, window_count_span(w, &k, 1010, 1), 3);
	CHECK_EQ(t, window_count_span(w, &k, 1010, 10), 3);
	CHECK_EQ(t, window_count_span(w, &k, 1010, 11), 8);
	CHECK_EQ(t, window_count_span(w, &k, 1015, 6), 3);
	CHECK_EQ(t, window_count_span(w, &k, 1016, 6), 0);
	CHECK_EQ(t, window_count_span(w, &k, 1010, 600), 8);
	CHECK_EQ(t, window_count_span(w, &k, 1010, 0), 0);
	/* Queries do not change the key: counting again gives the same. */
	CHECK_EQ(t, window_count(w, &k, 1010), 8);
	CHECK_EQ(t, window_keys(w), 1);
	CHECK_EQ(t, window_seconds(w), 60);
	window_free(w);
}

/* An event leaves the window exactly 60 seconds later, also after updates. */
static void
test_expiry(struct test *t)
{
	struct window		*w = window_new(10, 60);
	struct window_key	 k = test_key("agent_state", "Available", NULL);

	window_observe(w, &k, 5);
	CHECK_EQ(t, window_count(w, &k, 64), 1);
	CHECK_EQ(t, window_count(w, &k, 65), 0);
	window_observe(w, &k, 64);
	CHECK_EQ(t, window_count(w, &k, 64), 2);
	window_observe(w, &k, 65);
	CHECK_EQ(t, window_count(w, &k, 65), 2);
	CHECK_EQ(t, window_count(w, &k, 123), 2);
	CHECK_EQ(t, window_count(w, &k, 124), 1);
	CHECK_EQ(t, window_count(w, &k, 125), 0);
	/* A clock that steps back counts into the last second seen. */
	window_observe(w, &k, 60);
	CHECK_EQ(t, window_count(w, &k, 65), 3);
	CHECK_EQ(t, window_count(w, &k, 124), 2);
	window_free(w);
}

/* Gaps of 59, 60, 61 and many seconds between updates. */
static void
test_gaps(struct test *t)
{
	struct window		*w = window_new(10, 60);
	struct window_key	 k = test_key("analytics", "queue", "Q9");

	test_observe_n(w, k, 100, 4);
	test_observe_n(w, k, 159, 2);
	CHECK_EQ(t, window_count(w, &k, 159), 6);
	test_observe_n(w, k, 219, 1);
	CHECK_EQ(t, window_count(w, &k, 219), 1);
	test_observe_n(w, k, 280, 1);
	CHECK_EQ(t, window_count(w, &k, 280), 1);
	test_observe_n(w, k, 1000000, 7);
	CHECK_EQ(t, window_count(w, &k, 1000000), 7);
	CHECK_EQ(t, window_count(w, &k, 1000059), 7);
	CHECK_EQ(t, window_count(w, &k, 1000060), 0);
	CHECK_EQ(t, window_count(w, &k, INT64_MAX), 0);
	window_free(w);
}

/* Random updates and queries compared with a plain list of event times. */
static void
test_against_model(struct test *t)
{
	struct window		*w = window_new(10, 60);
	struct window_key	 k = test_key("data_action", "run", "A");
	int64_t			*times, now = 50000, q;
	uint64_t		 want;
	unsigned		 seed = 12345, span;
	int			 n = 0, i, j, bad = 0;

	times = calloc(20000, sizeof(*times));
	for (i = 0; i < 20000; i++) {
		switch (rand_r(&seed) % 10) {
		case 0:
			now += rand_r(&seed) % 130;
			break;
		case 1:
		case 2:
			now += 1;
			break;
		default:
			break;
		}
		window_observe(w, &k, now);
		times[n++] = now;
		q = now + rand_r(&seed) % 70;
		span = 1 + (unsigned)(rand_r(&seed) % 60);
		want = 0;
		for (j = 0; j < n; j++)
			want += times[j] > q - span && times[j] <= q;
		if (window_count_span(w, &k, q, span) != want && bad++ < 5)
			printf("FAIL model: step %d, count at %" PRId64
			    " over %u s is %" PRIu64 ", want %" PRIu64 "\n", i,
			    q, span, window_count_span(w, &k, q, span), want);
	}
	CHECK_EQ(t, (uint64_t)bad, 0);
	free(times);
	window_free(w);
}

/* 10,000 keys, each with its own count, all found again. */
static void
test_many_keys(struct test *t)
{
	struct window		*w = window_new(10000, 60);
	struct window_key	 k;
	char			 type[32], queue[32];
	int			 i, bad = 0;

	for (i = 0; i < 10000; i++) {
		snprintf(type, sizeof(type), "type%d", i % 97);
		snprintf(queue, sizeof(queue), "queue-%d", i);
		k = test_key(i % 2 ? "interaction" : "analytics", type, queue);
		test_observe_n(w, k, 7, 1 + i % 5);
	}
	CHECK_EQ(t, window_keys(w), 10000);
	CHECK_EQ(t, window_evictions(w), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(type, sizeof(type), "type%d", i % 97);
		snprintf(queue, sizeof(queue), "queue-%d", i);
		k = test_key(i % 2 ? "interaction" : "analytics", type, queue);
		bad += window_count(w, &k, 30) != (uint64_t)(1 + i % 5);
	}
	CHECK_EQ(t, (uint64_t)bad, 0);
	k = test_key("interaction", "type0", "queue-0");
	CHECK_EQ(t, window_count(w, &k, 30), 0);
	window_free(w);
}

/* The least recently observed key goes first; queries do not refresh. */
static void
test_eviction(struct test *t)
{
	struct window		*w = window_new(3, 60);
	struct window_key	 a = test_key("f", "a", NULL);
	struct window_key	 b = test_key("f", "b", NULL);
	struct window_key	 c = test_key("f", "c", NULL);
	struct window_key	 d = test_key("f", "d", NULL);
	struct window_key	 e = test_key("f", "e", NULL);

	window_observe(w, &a, 1);
	window_observe(w, &b, 2);
	window_observe(w, &c, 3);
	window_observe(w, &a, 4);
	CHECK_EQ(t, window_count(w, &b, 4), 1);		/* no refresh */
	window_observe(w, &d, 5);
	CHECK_EQ(t, window_keys(w), 3);
	CHECK_EQ(t, window_evictions(w), 1);
	CHECK_EQ(t, window_count(w, &b, 5), 0);
	CHECK_EQ(t, window_count(w, &a, 5), 2);
	CHECK_EQ(t, window_count(w, &c, 5), 1);
	window_observe(w, &e, 6);
	CHECK_EQ(t, window_evictions(w), 2);
	CHECK_EQ(t, window_count(w, &c, 6), 0);
	/* b comes back as a new key, pushing out a. */
	window_observe(w, &b, 7);
	CHECK_EQ(t, window_count(w, &b, 7), 1);
	CHECK_EQ(t, window_count(w, &a, 7), 0);
	CHECK_EQ(t, window_evictions(w), 3);
	/* Lowering the limit evicts the oldest; raising it evicts nothing. */
	window_set_max_keys(w, 1);
	CHECK_EQ(t, window_max_keys(w), 1);
	CHECK_EQ(t, window_keys(w), 1);
	CHECK_EQ(t, window_evictions(w), 5);
	CHECK_EQ(t, window_count(w, &b, 7), 1);
	window_set_max_keys(w, 1000);
	window_observe(w, &a, 8);
	CHECK_EQ(t, window_keys(w), 2);
	CHECK_EQ(t, window_evictions(w), 5);
	window_set_max_keys(w, 0);
	CHECK_EQ(t, window_max_keys(w), 1);
	CHECK_EQ(t, window_count(w, &a, 8), 1);
	window_free(w);
}

/* Random churn through a small table, compared with a plain LRU model. */
static void
test_churn(struct test *t)
{
	enum { SPACE = 300, MAX = 40 };
	struct window		*w = window_new(MAX, 60);
	struct window_key	 k;
	uint64_t		 count[SPACE] = { 0 }, stamp[SPACE] = { 0 };
	uint64_t		 evicted = 0, clock = 0;
	char			 q[SPACE][12];
	unsigned		 seed = 99;
	int			 i, j, x, oldest, present = 0, bad = 0;

	for (i = 0; i < SPACE; i++)
		snprintf(q[i], sizeof(q[i]), "%d", i);
	for (i = 0; i < 50000; i++) {
		x = rand_r(&seed) % 10 < 7 ? rand_r(&seed) % (MAX + 5) :
		    rand_r(&seed) % SPACE;
		k = test_key("f", "t", q[x]);
		if (window_observe(w, &k, 1) == -1)
			bad++;
		if (stamp[x] == 0 && present == MAX) {
			for (oldest = -1, j = 0; j < SPACE; j++)
				if (stamp[j] != 0 && (oldest == -1 ||
				    stamp[j] < stamp[oldest]))
					oldest = j;
			stamp[oldest] = 0;
			count[oldest] = 0;
			present--;
			evicted++;
		}
		if (stamp[x] == 0)
			present++;
		stamp[x] = ++clock;
		count[x]++;
		if (i % 97 == 0) {
			for (j = 0; j < SPACE; j++) {
				k = test_key("f", "t", q[j]);
				bad += window_count(w, &k, 1) != count[j];
			}
		}
	}
	CHECK_EQ(t, (uint64_t)bad, 0);
	CHECK_EQ(t, window_keys(w), (uint64_t)present);
	CHECK_EQ(t, window_evictions(w), evicted);
	window_free(w);
}

/* Shrinking the limit after many keys keeps the newest and their counts. */
static void
test_shrink(struct test *t)
{
	struct window		*w = window_new(5000, 60);
	struct window_key	 k;
	char			 q[32];
	int			 i, bad = 0;

	for (i = 0; i < 5000; i++) {
		snprintf(q, sizeof(q), "%d", i);
		k = test_key("f", "t", q);
		window_observe(w, &k, i / 100);
	}
	window_set_max_keys(w, 10);
	CHECK_EQ(t, window_keys(w), 10);
	CHECK_EQ(t, window_evictions(w), 4990);
	for (i = 0; i < 5000; i++) {
		snprintf(q, sizeof(q), "%d", i);
		k = test_key("f", "t", q);
		bad += window_count(w, &k, 49) != (i >= 4990);
	}
	CHECK_EQ(t, (uint64_t)bad, 0);
	window_free(w);
}

/* NULL queue, empty strings and shifted boundaries are all different keys. */
static void
test_null_queue(struct test *t)
{
	struct window		*w = window_new(100, 60);
	struct window_key	 kn = test_key("interaction", "call", NULL);
	struct window_key	 ke = test_key("interaction", "call", "");
	struct window_key	 k1 = test_key("ab", "c", NULL);
	struct window_key	 k2 = test_key("a", "bc", NULL);
	struct window_key	 k3 = test_key("a", "b", "c");
	struct window_key	 k4 = test_key("", "", NULL);
	struct window_stat	 top[8];
	char			 lng[600];

	test_observe_n(w, kn, 1, 3);
	test_observe_n(w, ke, 1, 2);
	test_observe_n(w, k1, 1, 1);
	test_observe_n(w, k2, 1, 4);
	test_observe_n(w, k3, 1, 5);
	test_observe_n(w, k4, 1, 6);
	CHECK_EQ(t, window_keys(w), 6);
	CHECK_EQ(t, window_count(w, &kn, 1), 3);
	CHECK_EQ(t, window_count(w, &ke, 1), 2);
	CHECK_EQ(t, window_count(w, &k1, 1), 1);
	CHECK_EQ(t, window_count(w, &k2, 1), 4);
	CHECK_EQ(t, window_count(w, &k3, 1), 5);
	CHECK_EQ(t, window_count(w, &k4, 1), 6);
	CHECK_EQ(t, window_top(w, 1, top, 8), 6);
	CHECK(t, top[3].key.queue == NULL && strcmp(top[3].key.type, "call") == 0);
	CHECK(t, top[4].key.queue != NULL && top[4].key.queue[0] == '\0');

	/* A key too long to keep is refused and counts nothing. */
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	kn.queue = lng;
	CHECK(t, window_observe(w, &kn, 1) == -1);
	CHECK_EQ(t, window_count(w, &kn, 1), 0);
	CHECK_EQ(t, window_keys(w), 6);
	window_free(w);
}

/* The top list: highest counts first, ties by key, zero counts left out. */
static void
test_top(struct test *t)
{
	struct window		*w = window_new(1000, 60);
	struct window_stat	 top[20];
	struct window_key	 k;
	char			 q[32];
	size_t			 n;
	int			 i, sorted = 1;

	CHECK_EQ(t, window_top(w, 0, top, 20), 0);
	for (i = 0; i < 100; i++) {
		snprintf(q, sizeof(q), "Q%03d", i);
		k = test_key("interaction", "call", q);
		test_observe_n(w, k, i < 50 ? 0 : 100, 1 + i % 30);
	}
	k = test_key("interaction", "call", "tie");
	test_observe_n(w, k, 100, 30);
	/* At 130 the first 50 keys are out of the window. */
	n = window_top(w, 130, top, 20);
	CHECK_EQ(t, n, 20);
	CHECK_EQ(t, top[0].count, 30);
	CHECK(t, strcmp(top[0].key.queue, "Q059") == 0);
	CHECK(t, strcmp(top[1].key.queue, "Q089") == 0);
	CHECK(t, strcmp(top[2].key.queue, "tie") == 0);
	CHECK_EQ(t, top[3].count, 29);
	for (i = 1; i < (int)n; i++)
		sorted &= top[i - 1].count >= top[i].count;
	CHECK(t, sorted);
	CHECK_EQ(t, window_top(w, 130, top, 1), 1);
	CHECK(t, strcmp(top[0].key.queue, "Q059") == 0);
	CHECK_EQ(t, window_top(w, 130, top, 2), 2);
	CHECK(t, strcmp(top[1].key.queue, "Q089") == 0);
	CHECK_EQ(t, window_top(w, 130, top, 0), 0);
	CHECK_EQ(t, window_top(w, 160, top, 20), 0);
	window_free(w);
}

/* Nanoseconds since an arbitrary start. */
static double
test_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Prints the cost of one observation: 10,000 keys, 100,000 events a second. */
static void
test_benchmark(struct test *t)
{
	static const char	*families[] = {
		"interaction", "analytics", "agent_state", "data_action"
	};
	enum { NKEYS = 10000, NOBS = 3000000 };
	struct window		*w = window_new(NKEYS, 60);
	struct window_key	*keys;
	struct window_stat	 top[20];
	char			(*names)[2][24];
	uint32_t		*order, x = 2463534242u;
	double			 t0, t1, t2;
	int			 i;

	keys = calloc(NKEYS, sizeof(*keys));
	names = calloc(NKEYS, sizeof(*names));
	order = calloc(NOBS, sizeof(*order));
	for (i = 0; i < NKEYS; i++) {
		/* Unique keys; one in ten without a queue. */
		if (i % 10 == 0)
			snprintf(names[i][0], sizeof(names[i][0]), "other.%d", i);
		else
			snprintf(names[i][0], sizeof(names[i][0]), "type.%d",
			    i % 40);
		snprintf(names[i][1], sizeof(names[i][1]), "queue-%d", i / 4);
		keys[i] = test_key(families[i % 4], names[i][0],
		    i % 10 == 0 ? NULL : names[i][1]);
	}
	for (i = 0; i < NOBS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		order[i] = x % NKEYS;
	}
	for (i = 0; i < NKEYS; i++)
		window_observe(w, &keys[i], 0);
	t0 = test_now_ns();
	for (i = 0; i < NOBS; i++)
		window_observe(w, &keys[order[i]], 1 + i / 100000);
	t1 = test_now_ns();
	window_top(w, NOBS / 100000, top, 20);
	t2 = test_now_ns();
	CHECK_EQ(t, window_keys(w), NKEYS);
	printf("bench: %.1f ns per observation (%d keys, %d observations); "
	    "top 20 of %d keys in %.2f ms\n", (t1 - t0) / NOBS, NKEYS, NOBS,
	    NKEYS, (t2 - t1) / 1e6);
	free(order);
	free(names);
	free(keys);
	window_free(w);
}

int
main(void)
{
	struct test	 t = { 0, 0 };

	test_counts_within_window(&t);
	test_expiry(&t);
	test_gaps(&t);
	test_against_model(&t);
	test_many_keys(&t);
	test_eviction(&t);
	test_churn(&t);
	test_shrink(&t);
	test_null_queue(&t);
	test_top(&t);
	test_benchmark(&t);
	printf("%s: %d checks, %d failed\n", t.failed ? "FAIL" : "PASS",
	    t.checks, t.failed);
	return t.failed ? 1 : 0;
}
