#include "autoconf.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"
#include "persist.h"
#include "snapshot.h"

/* One key's counts in the open window. */
struct snap_key {
	struct snap_key	*next;		/* hash chain */
	char		*json;		/* scope_value: [family, type, queue] */
	uint64_t	 count;
	uint64_t	 invalid;
};

struct snapshot {
	struct event_base	*base;
	struct persist		*persist;
	struct event		*ev_tick;
	int64_t			 interval_us;
	int64_t			 next_interval_us;
	size_t			 max_keys;

	int64_t			 win_start_us;	/* open window, 0: none yet */
	struct snap_key		**slots;
	size_t			 nslots;
	size_t			 nkeys;
	struct buf		 kb;		/* key being looked up */

	uint64_t		 windows;	/* closed with at least one row */
	uint64_t		 rows;
	uint64_t		 overflow;	/* events of keys past max_keys */
};

static int64_t
snapshot_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Appends s as a JSON string (or null); bytes >= 0x80 pass as they are,
 * validate has checked the event's UTF-8. */
static void
snapshot_add_json(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_add_str(b, "null");
		return;
	}
	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			buf_add(b, "\\", 1);
			buf_add(b, s, 1);
		} else if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

static uint64_t
snapshot_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Writes every key of the open window and empties the table. */
static void
snapshot_close_window(struct snapshot *s)
{
	struct persist_snapshot	 ps;
	struct snap_key		*k, *next;
	size_t			 i, rows = 0;

	memset(&ps, 0, sizeof(ps));
	ps.metric = "events";
	ps.scope_kind = "key";
	ps.window_start_us = s->win_start_us;
	ps.window_end_us = s->win_start_us + s->interval_us;
	ps.avg = ps.max = ps.p95 = NAN;
	for (i = 0; i < s->nslots; i++) {
		for (k = s->slots[i]; k != NULL; k = next) {
			next = k->next;
			ps.scope_value = k->json;
			ps.count = (int64_t)k->count;
			ps.invalid = (int64_t)k->invalid;
			ps.value = (double)(k->count + k->invalid);
			persist_snapshot(s->persist, &ps);
			rows++;
			free(k->json);
			free(k);
		}
		s->slots[i] = NULL;
	}
	s->nkeys = 0;
	s->rows += rows;
	if (rows > 0)
		s->windows++;
	s->win_start_us = 0;
}

/* Closes the open window if now is past its end, and opens the one now
 * falls in (a new interval takes effect here). */
static void
snapshot_roll(struct snapshot *s, int64_t now)
{
	if (s->win_start_us != 0 && now >= s->win_start_us + s->interval_us)
		snapshot_close_window(s);
	if (s->win_start_us == 0) {
		s->interval_us = s->next_interval_us;
		s->win_start_us = now - now % s->interval_us;
	}
}

/* Arms the timer for the end of the open window. */
static void
snapshot_arm(struct snapshot *s, int64_t now)
{
	struct timeval	 tv;
	int64_t		 d;

	d = s->win_start_us + s->interval_us - now;
	if (d < 1000)
		d = 1000;
	tv.tv_sec = d / 1000000;
	tv.tv_usec = d % 1000000;
	evtimer_add(s->ev_tick, &tv);
}

static void
snapshot_tick_cb(int fd, short what, void *arg)
{
	struct snapshot	*s = arg;
	int64_t		 now = snapshot_now_us();

	(void)fd;
	(void)what;
	snapshot_roll(s, now);
	snapshot_arm(s, now);
}

struct snapshot *
snapshot_new(struct event_base *base, struct persist *p, int64_t interval_ms,
    size_t max_keys)
{
	struct snapshot	*s;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->persist = p;
	s->nslots = 1024;
	s->slots = xcalloc(s->nslots, sizeof(*s->slots));
	buf_init(&s->kb);
	if ((s->ev_tick = evtimer_new(base, snapshot_tick_cb, s)) == NULL)
		fatalx("snapshot: cannot allocate the timer");
	snapshot_configure(s, interval_ms, max_keys);
	return s;
}

void
snapshot_free(struct snapshot *s)
{
	struct snap_key	*k, *next;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++)
		for (k = s->slots[i]; k != NULL; k = next) {
			next = k->next;
			free(k->json);
			free(k);
		}
	free(s->slots);
	event_free(s->ev_tick);
	buf_free(&s->kb);
	free(s);
}

void
snapshot_configure(struct snapshot *s, int64_t interval_ms, size_t max_keys)
{
	int64_t	 now = snapshot_now_us();

	s->next_interval_us = (interval_ms > 0 ? interval_ms : 60000) * 1000;
	s->max_keys = max_keys > 0 ? max_keys : 1;
	snapshot_roll(s, now);
	snapshot_arm(s, now);
}

/* Doubles the hash table when chains grow long. */
static void
snapshot_grow(struct snapshot *s)
{
	struct snap_key	**slots, *k, *next;
	size_t		 i, n = s->nslots * 2;

	slots = xcalloc(n, sizeof(*slots));
	for (i = 0; i < s->nslots; i++)
		for (k = s->slots[i]; k != NULL; k = next) {
			next = k->next;
			k->next = slots[snapshot_hash(k->json) & (n - 1)];
			slots[snapshot_hash(k->json) & (n - 1)] = k;
		}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
}

void
snapshot_observe(struct snapshot *s, const char *family, const char *type,
    const char *queue, bool valid)
{
	struct snap_key	*k;
	uint64_t	 h;

	snapshot_roll(s, snapshot_now_us());
	buf_reset(&s->kb);
	buf_add(&s->kb, "[", 1);
	snapshot_add_json(&s->kb, family);
	buf_add(&s->kb, ",", 1);
	snapshot_add_json(&s->kb, type);
	buf_add(&s->kb, ",", 1);
	snapshot_add_json(&s->kb, queue);
	buf_add(&s->kb, "]", 2);	/* with the NUL */
	h = snapshot_hash((const char *)s->kb.data);
	for (k = s->slots[h & (s->nslots - 1)]; k != NULL; k = k->next)
		if (strcmp(k->json, (const char *)s->kb.data) == 0)
			break;
	if (k == NULL) {
		if (s->nkeys >= s->max_keys) {
			s->overflow++;
			return;
		}
		if (s->nkeys >= 2 * s->nslots)
			snapshot_grow(s);
		k = xcalloc(1, sizeof(*k));
		k->json = xstrdup((const char *)s->kb.data);
		k->next = s->slots[h & (s->nslots - 1)];
		s->slots[h & (s->nslots - 1)] = k;
		s->nkeys++;
	}
	if (valid)
		k->count++;
	else
		k->invalid++;
}

void
snapshot_stats(const struct snapshot *s, struct buf *b)
{
	buf_printf(b, ",\"snapshot_interval_ms\":%" PRId64
	    ",\"snapshot_open_keys\":%zu,\"snapshot_windows\":%" PRIu64
	    ",\"snapshot_rows\":%" PRIu64 ",\"snapshot_overflow\":%" PRIu64,
	    s->interval_us / 1000, s->nkeys, s->windows, s->rows, s->overflow);
}
