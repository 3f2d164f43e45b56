/*
 * serve_data_action.c: the data_action family of the simulator (shape in
 * families.h): the data-action events the rollup tutorial counts per
 * action, event type and time bucket.  The manifest holds the counts per
 * (actionId, eventType, minute); only the last events are kept, to repeat.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "families.h"
#include "log.h"
#include "xmalloc.h"

#define DA_RECENT	256		/* events a repeat can pick from */
#define DA_MINUTE_US	(60 * FAMILY_USEC)

static const char *const da_actions[] = {
	"da-lookup-customer", "da-create-ticket", "da-send-sms",
	"da-update-crm", "da-check-balance", "da-schedule-callback",
	"da-verify-identity", "da-post-survey"
};
static const char *const da_types[] = {
	"started", "completed", "failed", "timeout"
};

static const char *const da_bad_types[] = { "\"evt\"", "\"EVENT\"", "\"\"" };
static const char *const da_bad_timestamps[] = {
	"\"yesterday at noon\"", "\"2026-11-23T10:61:00Z\"", "1795420800"
};
static const char *const da_not_objects[] = { "\"x\"", "[]", "null", "3" };
static const char *const da_not_strings[] = { "42", "null", "true", "[]" };
static const char *const da_empty[] = { "\"\"" };
static const char *const da_top_level[] = { NULL, "\"event\"", "0", "null" };

#define OMIT(name, parent, member) \
	{ name, FD_OMIT, parent, member, NULL, 0 }
#define BAD(name, parent, member, values) \
	{ name, FD_REPLACE, parent, member, values, FAMILY_NELEM(values) }
static const struct family_kind da_kinds[] = {
	OMIT("missing_type", NULL, "type"),
	OMIT("missing_timestamp", NULL, "timestamp"),
	OMIT("missing_data", NULL, "data"),
	OMIT("missing_actionId", "data", "actionId"),
	OMIT("missing_eventType", "data", "eventType"),
	BAD("bad_type", NULL, "type", da_bad_types),
	BAD("bad_timestamp", NULL, "timestamp", da_bad_timestamps),
	BAD("data_not_object", NULL, "data", da_not_objects),
	BAD("actionId_not_string", "data", "actionId", da_not_strings),
	BAD("eventType_not_string", "data", "eventType", da_not_strings),
	BAD("empty_actionId", "data", "actionId", da_empty),
	{ "not_an_object", FD_TOP_LEVEL, NULL, NULL, da_top_level,
	    FAMILY_NELEM(da_top_level) },
};
#undef OMIT
#undef BAD
#define DA_NKINDS	FAMILY_NELEM(da_kinds)

struct da_event {
	int64_t	ts_us;
	uint8_t	action;
	uint8_t	type;
};

/* Events and frames per (minute, action, type). */
struct da_bucket {
	int64_t		minute_us;
	uint32_t	count;
	uint32_t	sends;
	uint8_t		action;
	uint8_t		type;
};

struct data_action {
	uint64_t		 rng;
	struct da_event		 recent[DA_RECENT];
	uint64_t		 events;	/* valid events made */
	struct da_bucket	*buckets;	/* minutes never decrease */
	uint64_t		 nbuckets;
	uint64_t		 cap;
	uint64_t		 invalid_sent[DA_NKINDS];
	uint64_t		 invalid_total;
};

static void *
data_action_create(uint64_t seed, uint64_t new_keys)
{
	struct data_action *da = xcalloc(1, sizeof(*da));

	(void)new_keys;
	da->rng = gen_mix64(seed ^ 0x6461746161637469ULL);
	da->cap = 64;
	da->buckets = xcalloc(da->cap, sizeof(*da->buckets));
	return da;
}

static void
data_action_destroy(void *impl)
{
	struct data_action *da = impl;

	if (da == NULL)
		return;
	free(da->buckets);
	free(da);
}

static uint64_t
data_action_keys(const void *impl)
{
	return ((const struct data_action *)impl)->events;
}

static uint64_t
data_action_manifest_keys(const void *impl)
{
	return ((const struct data_action *)impl)->nbuckets;
}

static size_t
data_action_invalid_kinds(void)
{
	return DA_NKINDS;
}

static const char *
data_action_invalid_name(size_t kind)
{
	return da_kinds[kind].name;
}

static uint64_t
data_action_invalid_sent(const void *impl, size_t kind)
{
	return ((const struct data_action *)impl)->invalid_sent[kind];
}

/* Returns the event as a new JSON object, members in shape order. */
static json_t *
data_action_event(const struct da_event *e)
{
	json_t *o = json_object(), *data = json_object();

	json_object_set_new(o, "type", json_string("event"));
	json_object_set_new(o, "timestamp", family_time_json(e->ts_us));
	json_object_set_new(data, "actionId",
	    json_string(da_actions[e->action]));
	json_object_set_new(data, "eventType", json_string(da_types[e->type]));
	json_object_set_new(o, "data", data);
	return o;
}

/* Counts one frame of e in its bucket; fresh tells a new event from a repeat. */
static void
data_action_count(struct data_action *da, const struct da_event *e, bool fresh)
{
	int64_t minute = e->ts_us - e->ts_us % DA_MINUTE_US;
	struct da_bucket *bk;
	uint64_t i;

	for (i = da->nbuckets; i > 0 && da->buckets[i - 1].minute_us >= minute;
	    i--) {
		bk = &da->buckets[i - 1];
		if (bk->minute_us == minute && bk->action == e->action &&
		    bk->type == e->type) {
			bk->count += fresh;
			bk->sends++;
			return;
		}
	}
	if (da->nbuckets == da->cap) {
		da->buckets = xreallocarray(da->buckets, da->cap * 2,
		    sizeof(*da->buckets));
		da->cap *= 2;
	}
	bk = &da->buckets[da->nbuckets++];
	bk->minute_us = minute;
	bk->action = e->action;
	bk->type = e->type;
	bk->count = 1;
	bk->sends = 1;
}

/* Draws an action and an event type: mostly started and completed. */
static void
data_action_roll(struct data_action *da, struct da_event *e)
{
	double x = (double)(gen_rng_next(&da->rng) >> 11) * 0x1.0p-53;

	e->action = (uint8_t)gen_rng_below(&da->rng, FAMILY_NELEM(da_actions));
	e->type = x < 0.45 ? 0 : x < 0.85 ? 1 : x < 0.95 ? 2 : 3;
}

static void
data_action_put_new(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct data_action *da = impl;
	struct da_event *e = &da->recent[da->events % DA_RECENT];
	json_t *o;

	e->ts_us = now_us;
	data_action_roll(da, e);
	da->events++;
	data_action_count(da, e, true);
	o = data_action_event(e);
	family_put_json(b, o);
	json_decref(o);
}

/* One of the last events again, the same text. */
static void
data_action_put_repeat(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct data_action *da = impl;
	uint64_t recent = da->events < DA_RECENT ? da->events : DA_RECENT;
	const struct da_event *e;
	json_t *o;

	(void)now_us;
	if (da->events == 0)
		fatalx("data_action: a repeat before any event");
	e = &da->recent[(da->events - 1 - gen_rng_below(&da->rng, recent)) %
	    DA_RECENT];
	data_action_count(da, e, false);
	o = data_action_event(e);
	family_put_json(b, o);
	json_decref(o);
}

/* An event that fails the schema in the next way; counted in no bucket. */
static void
data_action_put_invalid(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct data_action *da = impl;
	uint64_t n = da->invalid_total;
	const struct family_kind *kind = &da_kinds[n % DA_NKINDS];
	struct da_event e = { .ts_us = now_us };
	json_t *o;

	data_action_roll(da, &e);
	o = family_damage(data_action_event(&e), kind,
	    (unsigned)(n / DA_NKINDS));
	family_put_json(b, o);
	json_decref(o);
	da->invalid_sent[n % DA_NKINDS]++;
	da->invalid_total++;
}

/* "actionId|eventType|minute": {actionId, eventType, minute, count, sends}. */
static void
data_action_put_manifest_key(const void *impl, uint64_t index,
    struct gen_buf *b)
{
	const struct data_action *da = impl;
	const struct da_bucket *bk = &da->buckets[index];
	time_t secs = (time_t)(bk->minute_us / FAMILY_USEC);
	const char *parts[3];
	char minute[32];
	struct tm tm;
	json_t *o = json_object();

	gmtime_r(&secs, &tm);
	strftime(minute, sizeof(minute), "%Y-%m-%dT%H:%M:00Z", &tm);
	parts[0] = da_actions[bk->action];
	parts[1] = da_types[bk->type];
	parts[2] = minute;
	json_object_set_new(o, "actionId", json_string(parts[0]));
	json_object_set_new(o, "eventType", json_string(parts[1]));
	json_object_set_new(o, "minute", json_string(minute));
	json_object_set_new(o, "count", json_integer(bk->count));
	family_put_key_member(b, o, parts, 3, bk->sends);
}

const struct family_ops family_data_action_ops = {
	data_action_create, data_action_destroy, data_action_keys,
	data_action_put_new, data_action_put_repeat, data_action_put_invalid,
	data_action_manifest_keys, data_action_put_manifest_key, NULL,
	data_action_invalid_kinds, data_action_invalid_name,
	data_action_invalid_sent
};
