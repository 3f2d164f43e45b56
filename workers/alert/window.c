#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "window.h"
#include "xmalloc.h"

/*
 * Layout.  Each key is one allocation: a struct window_entry, then
 * win->seconds buckets, then the encoded key.  Entries are found through an
 * open-addressing table (linear probing, at most half full, backward-shift
 * deletion, so no tombstones) and kept on a doubly linked list from the most
 * to the least recently observed, which gives O(1) eviction.
 *
 * The encoded key is "family\0type\0" followed by "N" for a NULL queue or
 * "Qqueue\0"; the two strings end at their NUL, so the encoding is
 * unambiguous and NULL differs from "".  Keys come from events, so the hash
 * is SipHash-1-3 with a random key per window: nobody outside can pick keys
 * that pile up on one probe sequence.
 */

/* One second of one key.  New per-second aggregates go here. */
struct window_bucket {
	uint32_t	 count;
};

struct window_entry {
	struct window_entry	*newer;		/* toward the LRU head */
	struct window_entry	*older;		/* toward the LRU tail */
	uint64_t		 hash;
	int64_t			 last_s;	/* second of the last update */
	uint64_t		 total;		/* sum of all buckets */
	uint32_t		 head;		/* bucket of last_s */
	uint32_t		 keylen;
	uint32_t		 type_off;
	uint32_t		 queue_off;	/* 0 when the queue is NULL */
	struct window_bucket	 b[];		/* then the encoded key */
};

struct window_slot {
	uint64_t		 hash;
	struct window_entry	*e;		/* NULL when empty */
};

struct window {
	unsigned		 seconds;
	size_t			 max_keys;
	size_t			 nkeys;
	uint64_t		 evictions;
	struct window_slot	*slots;
	size_t			 mask;		/* slots - 1, a power of two minus one */
	struct window_entry	*newest;
	struct window_entry	*oldest;
	uint64_t		 sipkey[2];
};

/* The encoded form of a key being looked up. */
struct window_probe {
	uint64_t	 hash;
	uint32_t	 len;
	uint32_t	 type_off;
	uint32_t	 queue_off;
	char		 enc[WINDOW_KEY_MAX];
};

#define WINDOW_SLOTS_MIN	16

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

/* SipHash-1-3 of len bytes at p under the window's random key. */
static uint64_t
window_hash_bytes(const struct window *win, const void *p, size_t len)
{
	const uint8_t	*s = p;
	uint64_t	 k0 = win->sipkey[0], k1 = win->sipkey[1];
	uint64_t	 v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t	 v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t	 v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t	 v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t	 m;
	size_t		 i, left = len;

	for (; left >= 8; s += 8, left -= 8) {
		memcpy(&m, s, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (i = 0; i < left; i++)
		m |= (uint64_t)s[i] << (8 * i);
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Picks the hash key: random bytes, or a mix of time and pid without them. */
static void
window_seed_hash(struct window *win)
{
	struct timespec	 ts;

	if (getrandom(win->sipkey, sizeof(win->sipkey), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(win->sipkey))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	win->sipkey[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)ts.tv_sec;
	win->sipkey[1] = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4fULL ^
	    (uint64_t)(uintptr_t)win;
}

/* Encodes and hashes key into pr; returns -1 when it is longer than
 * WINDOW_KEY_MAX. */
static int
window_encode_key(const struct window *win, const struct window_key *key,
    struct window_probe *pr)
{
	size_t	 fl, tl, ql = 0, len;

	fl = strlen(key->family);
	tl = strlen(key->type);
	len = fl + 1 + tl + 1 + 1;
	if (key->queue != NULL) {
		ql = strlen(key->queue);
		len += ql + 1;
	}
	if (len > WINDOW_KEY_MAX)
		return -1;
	memcpy(pr->enc, key->family, fl + 1);
	memcpy(pr->enc + fl + 1, key->type, tl + 1);
	pr->type_off = (uint32_t)(fl + 1);
	if (key->queue == NULL) {
		pr->enc[fl + tl + 2] = 'N';
		pr->queue_off = 0;
	} else {
		pr->enc[fl + tl + 2] = 'Q';
		memcpy(pr->enc + fl + tl + 3, key->queue, ql + 1);
		pr->queue_off = (uint32_t)(fl + tl + 3);
	}
	pr->len = (uint32_t)len;
	pr->hash = window_hash_bytes(win, pr->enc, len);
	return 0;
}

/* The encoded key stored after an entry's buckets. */
static inline char *
window_entry_key(const struct window *win, const struct window_entry *e)
{
	return (char *)(uintptr_t)&e->b[win->seconds];
}

/* Returns the entry of the probed key, or NULL. */
static struct window_entry *
window_find_entry(const struct window *win, const struct window_probe *pr)
{
	size_t			 i = (size_t)pr->hash & win->mask;
	struct window_entry	*e;

	for (;; i = (i + 1) & win->mask) {
		if ((e = win->slots[i].e) == NULL)
			return NULL;
		if (win->slots[i].hash == pr->hash && e->keylen == pr->len &&
		    memcmp(window_entry_key(win, e), pr->enc, pr->len) == 0)
			return e;
	}
}

/* Puts e into the first free slot of its probe sequence. */
static void
window_insert_slot(struct window_slot *slots, size_t mask,
    struct window_entry *e)
{
	size_t	 i = (size_t)e->hash & mask;

	while (slots[i].e != NULL)
		i = (i + 1) & mask;
	slots[i].hash = e->hash;
	slots[i].e = e;
}

/* Takes e out of the table, shifting later members of its cluster back. */
static void
window_remove_slot(struct window *win, const struct window_entry *e)
{
	struct window_slot	*s = win->slots;
	size_t			 mask = win->mask, i, j, home;

	i = (size_t)e->hash & mask;
	while (s[i].e != e)
		i = (i + 1) & mask;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (s[j].e == NULL)
			break;
		home = (size_t)s[j].hash & mask;
		/* Move j into the hole unless its home lies after the hole. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s[i] = s[j];
			i = j;
		}
	}
	s[i].e = NULL;
}

/* Smallest table that holds n keys at most half full. */
static size_t
window_table_size(size_t n)
{
	size_t	 size = WINDOW_SLOTS_MIN;

	while (size / 2 < n)
		size *= 2;
	return size;
}

/* Rehashes every key into a table of size slots. */
static void
window_resize_table(struct window *win, size_t size)
{
	struct window_slot	*slots;
	struct window_entry	*e;

	slots = xcalloc(size, sizeof(*slots));
	for (e = win->newest; e != NULL; e = e->older)
		window_insert_slot(slots, size - 1, e);
	free(win->slots);
	win->slots = slots;
	win->mask = size - 1;
}

/* Unlinks e from the recency list. */
static void
window_unlink_entry(struct window *win, struct window_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		win->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		win->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Makes e the most recently seen key. */
static void
window_link_newest(struct window *win, struct window_entry *e)
{
	e->newer = NULL;
	e->older = win->newest;
	if (win->newest != NULL)
		win->newest->newer = e;
	else
		win->oldest = e;
	win->newest = e;
}

/* Drops the least recently seen key. */
static void
window_evict_oldest(struct window *win)
{
	struct window_entry	*e = win->oldest;

	window_remove_slot(win, e);
	window_unlink_entry(win, e);
	free(e);
	win->nkeys--;
	win->evictions++;
}

/* Adds a key with empty buckets, evicting the oldest one when full. */
static struct window_entry *
window_add_entry(struct window *win, const struct window_probe *pr,
    int64_t now_s)
{
	struct window_entry	*e;
	size_t			 nb = win->seconds * sizeof(struct window_bucket);

	if (win->nkeys >= win->max_keys)
		window_evict_oldest(win);
	if ((win->nkeys + 1) * 2 > win->mask + 1)
		window_resize_table(win, (win->mask + 1) * 2);
	e = xmalloc(sizeof(*e) + nb + pr->len);
	memset(e, 0, sizeof(*e) + nb);
	memcpy(window_entry_key(win, e), pr->enc, pr->len);
	e->hash = pr->hash;
	e->last_s = now_s;
	e->keylen = pr->len;
	e->type_off = pr->type_off;
	e->queue_off = pr->queue_off;
	window_insert_slot(win->slots, win->mask, e);
	window_link_newest(win, e);
	win->nkeys++;
	return e;
}

/* Moves e's ring forward to now_s, zeroing the seconds it skipped. */
static inline void
window_advance_ring(const struct window *win, struct window_entry *e,
    int64_t now_s)
{
	int64_t		 gap;
	uint32_t	 h = e->head;

	if (now_s <= e->last_s)
		return;
	gap = now_s - e->last_s;
	e->last_s = now_s;
	if (gap >= (int64_t)win->seconds) {
		memset(e->b, 0, win->seconds * sizeof(e->b[0]));
		e->total = 0;
		return;
	}
	while (gap-- > 0) {
		if (++h == win->seconds)
			h = 0;
		e->total -= e->b[h].count;
		memset(&e->b[h], 0, sizeof(e->b[h]));
	}
	e->head = h;
}

/* Events of e in the span_s seconds ending at now_s, without changing it. */
static uint64_t
window_sum_entry(const struct window *win, const struct window_entry *e,
    int64_t now_s, unsigned span_s)
{
	uint64_t	 sum = 0;
	uint32_t	 h = e->head, n;
	int64_t		 gap;

	if (span_s > win->seconds)
		span_s = win->seconds;
	gap = now_s > e->last_s ? now_s - e->last_s : 0;
	if (gap >= (int64_t)span_s)
		return 0;
	if (span_s == win->seconds) {
		/* The whole ring less the oldest seconds now out of reach. */
		sum = e->total;
		for (n = (uint32_t)gap; n > 0; n--) {
			if (++h == win->seconds)
				h = 0;
			sum -= e->b[h].count;
		}
		return sum;
	}
	for (n = span_s - (uint32_t)gap; n > 0; n--) {
		sum += e->b[h].count;
		h = (h == 0 ? win->seconds : h) - 1;
	}
	return sum;
}

struct window *
window_new(size_t max_keys, unsigned seconds)
{
	struct window	*win;

	if (seconds < 1)
		seconds = 1;
	if (seconds > WINDOW_SECONDS_MAX)
		seconds = WINDOW_SECONDS_MAX;
	win = xcalloc(1, sizeof(*win));
	win->seconds = seconds;
	win->max_keys = max_keys < 1 ? 1 : max_keys;
	win->slots = xcalloc(WINDOW_SLOTS_MIN, sizeof(*win->slots));
	win->mask = WINDOW_SLOTS_MIN - 1;
	window_seed_hash(win);
	return win;
}

void
window_free(struct window *win)
{
	struct window_entry	*e, *next;

	if (win == NULL)
		return;
	for (e = win->newest; e != NULL; e = next) {
		next = e->older;
		free(e);
	}
	free(win->slots);
	free(win);
}

void
window_set_max_keys(struct window *win, size_t max_keys)
{
	size_t	 size;

	win->max_keys = max_keys < 1 ? 1 : max_keys;
	while (win->nkeys > win->max_keys)
		window_evict_oldest(win);
	size = window_table_size(win->nkeys);
	if (win->mask + 1 > size * 4)
		window_resize_table(win, size);
}

int
window_observe(struct window *win, const struct window_key *key,
    int64_t now_s)
{
	struct window_probe	 pr;
	struct window_entry	*e;

	if (window_encode_key(win, key, &pr) == -1)
		return -1;
	if ((e = window_find_entry(win, &pr)) == NULL)
		e = window_add_entry(win, &pr, now_s);
	else if (e != win->newest) {
		window_unlink_entry(win, e);
		window_link_newest(win, e);
	}
	window_advance_ring(win, e, now_s);
	e->b[e->head].count++;
	e->total++;
	return 0;
}

uint64_t
window_count_span(const struct window *win, const struct window_key *key,
    int64_t now_s, unsigned span_s)
{
	struct window_probe	 pr;
	struct window_entry	*e;

	if (window_encode_key(win, key, &pr) == -1 ||
	    (e = window_find_entry(win, &pr)) == NULL)
		return 0;
	return window_sum_entry(win, e, now_s, span_s);
}

uint64_t
window_count(const struct window *win, const struct window_key *key,
    int64_t now_s)
{
	return window_count_span(win, key, now_s, win->seconds);
}

/* Fills st with e's key strings and count. */
static void
window_fill_stat(const struct window *win, const struct window_entry *e,
    uint64_t count, struct window_stat *st)
{
	const char	*k = window_entry_key(win, e);

	st->key.family = k;
	st->key.type = k + e->type_off;
	st->key.queue = e->queue_off != 0 ? k + e->queue_off : NULL;
	st->count = count;
}

/* Compares two strings where NULL sorts first. */
static int
window_compare_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The order of window_top(): count descending, then the key ascending. */
static int
window_compare_stat(const void *pa, const void *pb)
{
	const struct window_stat	*a = pa, *b = pb;
	int				 r;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if ((r = strcmp(a->key.family, b->key.family)) != 0)
		return r;
	if ((r = strcmp(a->key.type, b->key.type)) != 0)
		return r;
	return window_compare_str(a->key.queue, b->key.queue);
}

/* Restores the heap order of h[0..n) below i: the last in order on top. */
static void
window_sift_down(struct window_stat *h, size_t n, size_t i)
{
	struct window_stat	 t;
	size_t			 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && window_compare_stat(&h[c + 1], &h[c]) > 0)
			c++;
		if (window_compare_stat(&h[i], &h[c]) >= 0)
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

size_t
window_top(const struct window *win, int64_t now_s, struct window_stat *out,
    size_t n)
{
	const struct window_entry	*e;
	struct window_stat		 st;
	uint64_t			 c;
	size_t				 len = 0, i;

	if (n == 0)
		return 0;
	/* A heap of the n best so far, its root the one to beat. */
	for (e = win->newest; e != NULL; e = e->older) {
		if ((c = window_sum_entry(win, e, now_s, win->seconds)) == 0)
			continue;
		if (len < n) {
			window_fill_stat(win, e, c, &out[len++]);
			if (len == n) {
				for (i = n / 2; i-- > 0;)
					window_sift_down(out, n, i);
			}
			continue;
		}
		if (c < out[0].count)
			continue;
		window_fill_stat(win, e, c, &st);
		if (window_compare_stat(&st, &out[0]) < 0) {
			out[0] = st;
			window_sift_down(out, n, 0);
		}
	}
	qsort(out, len, sizeof(*out), window_compare_stat);
	return len;
}

size_t
window_keys(const struct window *win)
{
	return win->nkeys;
}

size_t
window_max_keys(const struct window *win)
{
	return win->max_keys;
}

uint64_t
window_evictions(const struct window *win)
{
	return win->evictions;
}

unsigned
window_seconds(const struct window *win)
{
	return win->seconds;
}
