#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "xmalloc.h"

/*
 * Layout: one allocation per key (entry, then the buckets, then the key
 * string), found through a chained hash table that doubles when it holds
 * more keys than chains, and kept on a recency list for O(1) eviction.
 * The hash is FNV-1a over a random per-table seed, finished with a 64-bit
 * mixer, so chains cannot be lined up from outside without the seed.
 */

struct agg_bucket {
	uint32_t	 count;
	uint32_t	 invalid;
	uint32_t	 rejected;
	uint32_t	 n[AGG_NTIMED];
	float		 sum[AGG_NTIMED];
	float		 max[AGG_NTIMED];
	uint16_t	 hist[AGG_NTIMED][AGG_BINS];	/* saturating */
};

struct agg_entry {
	struct agg_entry	*next;		/* hash chain */
	struct agg_entry	*newer, *older;	/* recency list */
	uint64_t		 hash;
	int64_t			 last_s;
	uint32_t		 head;
	struct agg_bucket	 b[];		/* then the key */
};

struct agg {
	unsigned		 seconds;
	size_t			 max_keys;
	size_t			 nkeys;
	uint64_t		 evictions;
	struct agg_entry	**chains;
	size_t			 nchains;	/* a power of two */
	struct agg_entry	*newest, *oldest;
	uint64_t		 seed;
};

/* The key string stored after an entry's buckets. */
static char *
agg_entry_key(const struct agg *t, const struct agg_entry *e)
{
	return (char *)(uintptr_t)&e->b[t->seconds];
}

/* Keyed hash of a key string. */
static uint64_t
agg_hash(const struct agg *t, const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ t->seed;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* Returns the entry of key, or NULL. */
static struct agg_entry *
agg_find(const struct agg *t, const char *key, uint64_t h)
{
	struct agg_entry	*e;

	for (e = t->chains[h & (t->nchains - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(agg_entry_key(t, e), key) == 0)
			return e;
	return NULL;
}

/* Rebuilds the chains with n heads. */
static void
agg_rehash(struct agg *t, size_t n)
{
	struct agg_entry	*e;

	free(t->chains);
	t->chains = xcalloc(n, sizeof(*t->chains));
	t->nchains = n;
	for (e = t->newest; e != NULL; e = e->older) {
		e->next = t->chains[e->hash & (n - 1)];
		t->chains[e->hash & (n - 1)] = e;
	}
}

/* Takes e off the recency list. */
static void
agg_unlink(struct agg *t, struct agg_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Puts e at the head of the recency list. */
static void
agg_link_newest(struct agg *t, struct agg_entry *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

/* Drops the least recently observed key. */
static void
agg_evict_oldest(struct agg *t)
{
	struct agg_entry	*e = t->oldest, **pp;

	pp = &t->chains[e->hash & (t->nchains - 1)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	agg_unlink(t, e);
	free(e);
	t->nkeys--;
	t->evictions++;
}

/* Moves e's ring to now_s, clearing the seconds it skipped. */
static void
agg_advance(const struct agg *t, struct agg_entry *e, int64_t now_s)
{
	int64_t	 gap;

	if (now_s <= e->last_s)
		return;
	gap = now_s - e->last_s;
	e->last_s = now_s;
	if (gap >= (int64_t)t->seconds) {
		memset(e->b, 0, t->seconds * sizeof(e->b[0]));
		return;
	}
	while (gap-- > 0) {
		e->head = e->head + 1 == t->seconds ? 0 : e->head + 1;
		memset(&e->b[e->head], 0, sizeof(e->b[0]));
	}
}

unsigned
agg_bin(double seconds)
{
	double	 ms = seconds * 1000.0;
	int	 ex;

	if (!(ms >= 1.0))
		return 0;
	(void)frexp(ms, &ex);		/* ms = f * 2^ex, 0.5 <= f < 1 */
	return ex >= AGG_BINS ? AGG_BINS - 1 : (unsigned)ex;
}

struct agg *
agg_new(size_t max_keys, unsigned seconds)
{
	struct agg	*t = xcalloc(1, sizeof(*t));
	struct timespec	 ts;

	if (seconds < 1)
		seconds = 1;
	if (seconds > AGG_SECONDS_MAX)
		seconds = AGG_SECONDS_MAX;
	t->seconds = seconds;
	t->max_keys = max_keys < 1 ? 1 : max_keys;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(t->seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	agg_rehash(t, 16);
	return t;
}

void
agg_free(struct agg *t)
{
	struct agg_entry	*e, *next;

	if (t == NULL)
		return;
	for (e = t->newest; e != NULL; e = next) {
		next = e->older;
		free(e);
	}
	free(t->chains);
	free(t);
}

void
agg_set_max_keys(struct agg *t, size_t max_keys)
{
	t->max_keys = max_keys < 1 ? 1 : max_keys;
	while (t->nkeys > t->max_keys)
		agg_evict_oldest(t);
}

int
agg_observe(struct agg *t, const char *key, const struct agg_obs *o,
    int64_t now_s)
{
	struct agg_entry	*e;
	struct agg_bucket	*b;
	size_t			 len = strlen(key), sz;
	uint64_t		 h;
	unsigned		 i, bin;
	float			 v;

	if (len >= AGG_KEY_MAX)
		return -1;
	h = agg_hash(t, key);
	if ((e = agg_find(t, key, h)) == NULL) {
		if (t->nkeys >= t->max_keys)
			agg_evict_oldest(t);
		if (t->nkeys + 1 > t->nchains)
			agg_rehash(t, t->nchains * 2);
		sz = sizeof(*e) + t->seconds * sizeof(struct agg_bucket);
		e = xmalloc(sz + len + 1);
		memset(e, 0, sz);
		memcpy(agg_entry_key(t, e), key, len + 1);
		e->hash = h;
		e->last_s = now_s;
		e->next = t->chains[h & (t->nchains - 1)];
		t->chains[h & (t->nchains - 1)] = e;
		agg_link_newest(t, e);
		t->nkeys++;
	} else if (e != t->newest) {
		agg_unlink(t, e);
		agg_link_newest(t, e);
	}
	agg_advance(t, e, now_s);
	b = &e->b[e->head];
	b->count++;
	b->invalid += o->invalid;
	b->rejected += o->rejected;
	for (i = 0; i < AGG_NTIMED; i++) {
		if (!o->has[i] || !(o->v[i] >= 0))
			continue;
		v = (float)o->v[i];
		b->n[i]++;
		b->sum[i] += v;
		if (v > b->max[i])
			b->max[i] = v;
		bin = agg_bin(o->v[i]);
		if (b->hist[i][bin] != UINT16_MAX)
			b->hist[i][bin]++;
	}
	return 0;
}

/* Sums e's last span_s seconds at now_s into out. */
static void
agg_sum_entry(const struct agg *t, const struct agg_entry *e, int64_t now_s,
    unsigned span_s, struct agg_summary *out)
{
	const struct agg_bucket	*b;
	int64_t			 gap;
	uint32_t		 h = e->head, n;
	unsigned		 i, j;

	memset(out, 0, sizeof(*out));
	if (span_s > t->seconds)
		span_s = t->seconds;
	gap = now_s > e->last_s ? now_s - e->last_s : 0;
	if (gap >= (int64_t)span_s)
		return;
	for (n = span_s - (uint32_t)gap; n > 0; n--) {
		b = &e->b[h];
		out->count += b->count;
		out->invalid += b->invalid;
		out->rejected += b->rejected;
		for (i = 0; i < AGG_NTIMED; i++) {
			if (b->n[i] == 0)
				continue;
			out->n[i] += b->n[i];
			out->sum[i] += b->sum[i];
			if (b->max[i] > out->max[i])
				out->max[i] = b->max[i];
			for (j = 0; j < AGG_BINS; j++)
				out->hist[i][j] += b->hist[i][j];
		}
		h = (h == 0 ? t->seconds : h) - 1;
	}
}

bool
agg_query(const struct agg *t, const char *key, int64_t now_s,
    unsigned span_s, struct agg_summary *out)
{
	struct agg_entry	*e;

	memset(out, 0, sizeof(*out));
	if (strlen(key) >= AGG_KEY_MAX ||
	    (e = agg_find(t, key, agg_hash(t, key))) == NULL)
		return false;
	agg_sum_entry(t, e, now_s, span_s, out);
	return true;
}

void
agg_foreach(const struct agg *t, int64_t now_s, unsigned span_s,
    void (*fn)(void *, const char *, const struct agg_summary *), void *arg)
{
	const struct agg_entry	*e;
	struct agg_summary	 s;

	if (span_s > t->seconds)
		span_s = t->seconds;
	for (e = t->newest; e != NULL; e = e->older) {
		if (now_s - e->last_s >= (int64_t)span_s)
			break;		/* older keys are quieter still */
		agg_sum_entry(t, e, now_s, span_s, &s);
		if (s.count > 0)
			fn(arg, agg_entry_key(t, e), &s);
	}
}

size_t
agg_active(const struct agg *t, int64_t now_s, unsigned span_s)
{
	const struct agg_entry	*e;
	size_t			 n = 0;

	if (span_s > t->seconds)
		span_s = t->seconds;
	for (e = t->newest; e != NULL; e = e->older) {
		if (now_s - e->last_s >= (int64_t)span_s)
			break;
		n++;
	}
	return n;
}

bool
agg_avg(const struct agg_summary *s, enum agg_timed w, double *out)
{
	if (s->n[w] == 0)
		return false;
	*out = s->sum[w] / (double)s->n[w];
	return true;
}

bool
agg_quantile(const struct agg_summary *s, enum agg_timed w, double q,
    double *out)
{
	uint64_t	 rank, seen = 0;
	double		 lo, hi, v;
	unsigned	 i;

	if (s->n[w] == 0)
		return false;
	for (i = 0, rank = 0; i < AGG_BINS; i++)
		rank += s->hist[w][i];
	/* The smallest value with at least q of the values at or below it. */
	rank = (uint64_t)ceil(q * (double)rank);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < AGG_BINS; i++) {
		if (seen + s->hist[w][i] >= rank)
			break;
		seen += s->hist[w][i];
	}
	if (i == AGG_BINS)
		i = AGG_BINS - 1;
	lo = i == 0 ? 0 : ldexp(1.0, (int)i - 1) / 1000.0;
	hi = ldexp(1.0, (int)i) / 1000.0;
	v = lo + (hi - lo) * (double)(rank - seen) /
	    (double)(s->hist[w][i] ? s->hist[w][i] : 1);
	*out = v > s->max[w] ? s->max[w] : v;
	return true;
}

size_t
agg_keys(const struct agg *t)
{
	return t->nkeys;
}

uint64_t
agg_evictions(const struct agg *t)
{
	return t->evictions;
}

unsigned
agg_seconds(const struct agg *t)
{
	return t->seconds;
}
