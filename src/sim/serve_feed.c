/*
 * serve_feed.c: one family's events for "cxpipe-sim serve".  An event is
 * made (by the family's generator) only when a connection takes it to send
 * it at once, so what the generator has made is exactly what was sent and
 * its state is the manifest.  Events are released at --rate from the
 * server's start; the sort of each one (new key, repeat, invalid) is drawn
 * from what remains, as "generate" does, so that an interaction feed sends
 * the very lines "generate --garbage-rate 0" writes for the same seed.
 * The last FEED_RING events are kept for REST pollers that look back.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"
#include "serve_feed.h"
#include "xmalloc.h"

#define FEED_RING	4096

/* An event kept for lookback. */
struct feed_slot {
	uint64_t	 index;
	int64_t		 stamp_us;
	char		*text;
	size_t		 len;
	size_t		 cap;
};

struct feed {
	enum family_id		 id;
	struct family		*family;
	uint64_t		 rng;		/* draws each event's sort */
	struct feed_plan	 left;		/* sorts still to send */
	uint64_t		 count;
	uint64_t		 taken;
	double			 rate;		/* events per second, 0: all */
	int64_t			 start_us;
	int64_t			 last_stamp_us;
	bool			 paused;
	uint64_t		 valid_sends;
	uint64_t		 invalid;
	uint64_t		 redelivered;
	uint64_t		 oversized;
	uint64_t		 binary;
	struct gen_buf		 buf;
	struct feed_slot	 ring[FEED_RING];
};

bool
feed_plan_split(uint64_t count, double dup_rate, double invalid_rate,
    struct feed_plan *plan)
{
	plan->dups = (uint64_t)((double)count * dup_rate + 0.5);
	plan->invalid = (uint64_t)((double)count * invalid_rate + 0.5);
	if (plan->dups > count)
		plan->dups = count;
	if (plan->invalid > count - plan->dups)
		plan->invalid = count - plan->dups;
	plan->new_keys = count - plan->dups - plan->invalid;
	return plan->dups == 0 || plan->new_keys > 0;
}

struct feed *
feed_new(enum family_id id, uint64_t seed, const struct feed_plan *plan,
    double rate, int64_t start_us)
{
	struct feed *f = xcalloc(1, sizeof(*f));

	f->id = id;
	f->family = family_new(id, seed, plan->new_keys);
	f->rng = gen_mix64(seed ^ 0x6c696e65736f7274ULL ^ (uint64_t)id);
	f->left = *plan;
	f->count = plan->new_keys + plan->dups + plan->invalid;
	f->rate = rate;
	f->start_us = start_us;
	return f;
}

void
feed_free(struct feed *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < FEED_RING; i++)
		free(f->ring[i].text);
	free(f->buf.data);
	family_free(f->family);
	free(f);
}

enum family_id
feed_id(const struct feed *f)
{
	return f->id;
}

const struct family *
feed_family(const struct feed *f)
{
	return f->family;
}

void
feed_totals(const struct feed *f, struct feed_totals *t)
{
	t->count = f->count;
	t->lines = f->taken;
	t->valid_sends = f->valid_sends;
	t->invalid = f->invalid;
	t->redelivered = f->redelivered;
	t->oversized = f->oversized;
	t->binary = f->binary;
}

void
feed_count_extra(struct feed *f, enum feed_extra kind)
{
	if (kind == FEED_EXTRA_OVERSIZED)
		f->oversized++;
	else
		f->binary++;
}

int64_t
feed_last_stamp(const struct feed *f)
{
	return f->last_stamp_us;
}

int64_t
feed_mark(struct feed *f, int64_t now_us)
{
	if (now_us > f->last_stamp_us)
		f->last_stamp_us = now_us;
	return f->last_stamp_us;
}

/* How many events are released by now_us: one at start, then at the rate. */
static uint64_t
feed_released(const struct feed *f, int64_t now_us)
{
	double n;

	if (f->rate <= 0.0)
		return f->count;
	if (now_us < f->start_us)
		return 0;
	n = (double)(now_us - f->start_us) * f->rate / 1e6 + 1.0;
	return n >= (double)f->count ? f->count : (uint64_t)n;	/* floor */
}

void
feed_set_paused(struct feed *f, bool paused)
{
	f->paused = paused;
}

uint64_t
feed_ready(const struct feed *f, int64_t now_us)
{
	uint64_t released = feed_released(f, now_us);

	if (f->paused)
		return 0;
	return released > f->taken ? released - f->taken : 0;
}

int64_t
feed_next_release(const struct feed *f)
{
	double at;
	int64_t us;

	if (f->taken >= f->count || f->paused)
		return INT64_MAX;
	if (f->rate <= 0.0)
		return f->start_us;
	at = (double)f->taken * 1e6 / f->rate;
	us = (int64_t)at;
	return f->start_us + (us < at ? us + 1 : us);		/* ceil */
}

/* Appends the next event to f->buf, its sort drawn from what remains. */
static void
feed_make(struct feed *f, int64_t stamp_us)
{
	uint64_t left = f->left.new_keys + f->left.dups + f->left.invalid;
	uint64_t x = gen_rng_below(&f->rng, left);

	if (x < f->left.dups && family_keys(f->family) == 0)
		x = f->left.dups;		/* nothing to repeat yet */
	if (x < f->left.dups) {
		f->left.dups--;
		family_put_repeat(f->family, &f->buf, stamp_us);
		f->valid_sends++;
	} else if (x - f->left.dups < f->left.new_keys) {
		f->left.new_keys--;
		family_put_new(f->family, &f->buf, stamp_us);
		f->valid_sends++;
	} else {
		f->left.invalid--;
		family_put_invalid(f->family, &f->buf, stamp_us);
		f->invalid++;
	}
}

bool
feed_take(struct feed *f, int64_t now_us, struct feed_item *out)
{
	struct feed_slot *slot;
	int64_t stamp;

	if (feed_ready(f, now_us) == 0)
		return false;
	stamp = now_us > f->last_stamp_us ? now_us : f->last_stamp_us + 1;
	f->last_stamp_us = stamp;
	f->buf.len = 0;
	feed_make(f, stamp);
	slot = &f->ring[f->taken % FEED_RING];
	if (slot->cap < f->buf.len) {
		free(slot->text);
		slot->cap = f->buf.len < 256 ? 256 : f->buf.len;
		slot->text = xmalloc(slot->cap);
	}
	memcpy(slot->text, f->buf.data, f->buf.len);
	slot->len = f->buf.len;
	slot->index = f->taken++;
	slot->stamp_us = stamp;
	out->index = slot->index;
	out->stamp_us = stamp;
	out->text = slot->text;
	out->len = slot->len;
	return true;
}

/* Returns the first kept index whose stamp is after since_us (or f->taken). */
static uint64_t
feed_find_after(const struct feed *f, int64_t since_us)
{
	uint64_t lo = f->taken > FEED_RING ? f->taken - FEED_RING : 0;
	uint64_t hi = f->taken, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->ring[mid % FEED_RING].stamp_us > since_us)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

size_t
feed_poll(struct feed *f, int64_t since_us, size_t limit, int64_t now_us,
    feed_item_cb cb, void *arg, bool *more)
{
	struct feed_item item;
	uint64_t i = feed_find_after(f, since_us);
	size_t n = 0;

	for (; i < f->taken && n < limit; i++, n++) {
		const struct feed_slot *slot = &f->ring[i % FEED_RING];

		item.index = slot->index;
		item.stamp_us = slot->stamp_us;
		item.text = slot->text;
		item.len = slot->len;
		cb(arg, &item);
		f->redelivered++;
	}
	if (i < f->taken) {
		*more = true;		/* the limit stopped the lookback */
		return n;
	}
	if ((now_us > f->last_stamp_us ? now_us : f->last_stamp_us + 1) <=
	    since_us) {
		*more = false;		/* a cursor ahead of our clock */
		return n;
	}
	while (n < limit && feed_take(f, now_us, &item)) {
		cb(arg, &item);
		n++;
	}
	*more = feed_ready(f, now_us) > 0;
	return n;
}
