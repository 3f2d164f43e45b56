/*
 * serve_analytics.c: the analytics family of the simulator (shape in
 * families.h): interaction, agent and queue events of CXone analytics, as
 * the analytics tutorial subscribes to them.  Per key one 40-byte record is
 * kept; the event text is rebuilt from it.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "families.h"
#include "log.h"
#include "xmalloc.h"

static const char *const an_event_types[] = { "interaction", "agent", "queue" };
static const char *const an_states[] = {
	"queued", "active", "held", "wrapup", "ended"
};
static const char *const an_queues[] = {
	"Sales", "Support", "Billing", "Support Tier 2", "VIP", "Ventas-ES",
	"Retention", "Technical Support EMEA", "Kundenservice \u00d6sterreich",
	"Overflow"
};

static const char *const an_bad_event_types[] = {
	"\"contact\"", "\"INTERACTION\"", "\"\""
};
static const char *const an_bad_states[] = { "\"ACTIVE\"", "\"\"", "\"gone\"" };
static const char *const an_bad_timestamps[] = {
	"\"yesterday at noon\"", "\"2026-13-01T10:00:00Z\"",
	"\"2026-11-23T25:00:00Z\"", "1795420800"
};
static const char *const an_not_numbers[] = {
	"\"120\"", "true", "null", "[30]", "{\"seconds\":5}"
};
static const char *const an_negative[] = { "-1", "-42.5" };
static const char *const an_not_strings[] = {
	"123456789012", "null", "true", "[\"70013\"]"
};
static const char *const an_top_level[] = {
	NULL, "42", "\"interaction\"", "null"
};

#define OMIT(name, member)	{ name, FD_OMIT, NULL, member, NULL, 0 }
#define BAD(name, member, values) \
	{ name, FD_REPLACE, NULL, member, values, FAMILY_NELEM(values) }
static const struct family_kind an_kinds[] = {
	OMIT("missing_interactionId", "interactionId"),
	OMIT("missing_timestamp", "timestamp"),
	OMIT("missing_eventType", "eventType"),
	OMIT("missing_lastUpdated", "lastUpdated"),
	OMIT("missing_handleTime", "handleTime"),
	BAD("bad_eventType_enum", "eventType", an_bad_event_types),
	BAD("bad_state_enum", "state", an_bad_states),
	BAD("bad_timestamp", "timestamp", an_bad_timestamps),
	BAD("handleTime_not_number", "handleTime", an_not_numbers),
	BAD("waitTime_not_number", "waitTime", an_not_numbers),
	BAD("negative_queueTime", "queueTime", an_negative),
	BAD("interactionId_not_string", "interactionId", an_not_strings),
	BAD("agentId_not_string", "agentId", an_not_strings),
	{ "not_an_object", FD_TOP_LEVEL, NULL, NULL, an_top_level,
	    FAMILY_NELEM(an_top_level) },
};
#undef OMIT
#undef BAD
#define AN_NKINDS	FAMILY_NELEM(an_kinds)

/* What was last sent for one key; times in half seconds. */
struct an_key {
	int64_t		ts_us;
	int64_t		updated_us;
	uint32_t	interaction;
	uint32_t	sends;
	uint32_t	handle;
	uint32_t	wait;
	uint32_t	queue_time;
	uint16_t	agent;
	uint8_t		event_type;
	uint8_t		state;
	uint8_t		queue;
};

struct analytics {
	uint64_t	 rng;
	uint64_t	 salt;
	struct an_key	*keys;
	uint64_t	 nkeys;
	uint64_t	 cap;
	uint32_t	 interactions;
	uint64_t	 invalid_sent[AN_NKINDS];
	uint64_t	 invalid_total;
};

static void *
analytics_create(uint64_t seed, uint64_t new_keys)
{
	struct analytics *an = xcalloc(1, sizeof(*an));

	an->rng = gen_mix64(seed ^ 0x616e616c79746963ULL);
	an->salt = gen_mix64(an->rng);
	an->cap = new_keys > 0 ? new_keys : 1;
	an->keys = xcalloc(an->cap, sizeof(*an->keys));
	return an;
}

static void
analytics_destroy(void *impl)
{
	struct analytics *an = impl;

	if (an == NULL)
		return;
	free(an->keys);
	free(an);
}

static uint64_t
analytics_keys(const void *impl)
{
	return ((const struct analytics *)impl)->nkeys;
}

static size_t
analytics_invalid_kinds(void)
{
	return AN_NKINDS;
}

static const char *
analytics_invalid_name(size_t kind)
{
	return an_kinds[kind].name;
}

static uint64_t
analytics_invalid_sent(const void *impl, size_t kind)
{
	return ((const struct analytics *)impl)->invalid_sent[kind];
}

/* Writes an interaction's id, a CXone-like contact number, into out. */
static void
analytics_format_id(const struct analytics *an, uint32_t interaction,
    char *out, size_t size)
{
	snprintf(out, size, "%" PRIu64,
	    (uint64_t)(200000000000ULL + an->salt % 700000000000ULL +
	    interaction));
}

/* Returns the event for k as a new JSON object, members in shape order. */
static json_t *
analytics_event(const struct analytics *an, const struct an_key *k)
{
	json_t *o = json_object();
	char id[32];

	analytics_format_id(an, k->interaction, id, sizeof(id));
	json_object_set_new(o, "eventType",
	    json_string(an_event_types[k->event_type]));
	json_object_set_new(o, "interactionId", json_string(id));
	json_object_set_new(o, "timestamp", family_time_json(k->ts_us));
	json_object_set_new(o, "state", json_string(an_states[k->state]));
	json_object_set_new(o, "handleTime", family_json_half(k->handle));
	json_object_set_new(o, "waitTime", family_json_half(k->wait));
	json_object_set_new(o, "queueTime", family_json_half(k->queue_time));
	json_object_set_new(o, "queueName", json_string(an_queues[k->queue]));
	json_object_set_new(o, "agentId", family_agent_json(k->agent));
	json_object_set_new(o, "lastUpdated", family_time_json(k->updated_us));
	return o;
}

/* Returns up to max seconds in half seconds, a fifth of them with .5. */
static uint32_t
analytics_roll_halves(struct analytics *an, uint32_t max)
{
	uint32_t v = (uint32_t)gen_rng_below(&an->rng, max + 1) * 2;

	return gen_rng_chance(&an->rng, 0.2) ? v + 1 : v;
}

/* Draws a fresh event's members (all but its times and interaction). */
static void
analytics_roll(struct analytics *an, struct an_key *k)
{
	double x = (double)(gen_rng_next(&an->rng) >> 11) * 0x1.0p-53;

	k->event_type = x < 0.6 ? 0 : x < 0.85 ? 1 : 2;
	k->state = (uint8_t)gen_rng_below(&an->rng, FAMILY_NELEM(an_states));
	k->wait = analytics_roll_halves(an, 300);
	k->queue_time = analytics_roll_halves(an, 600);
	k->handle = k->state == 0 ? 0 : analytics_roll_halves(an, 1800);
	k->agent = (uint16_t)(1 + gen_rng_below(&an->rng, 400));
	k->queue = (uint8_t)gen_rng_below(&an->rng, FAMILY_NELEM(an_queues));
}

/* A key never sent before; often another event of the last interaction. */
static void
analytics_put_new(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct analytics *an = impl;
	struct an_key *k;
	json_t *o;

	if (an->nkeys == an->cap) {
		an->keys = xreallocarray(an->keys, an->cap * 2,
		    sizeof(*an->keys));
		an->cap *= 2;
	}
	k = &an->keys[an->nkeys++];
	if (an->interactions == 0 || !gen_rng_chance(&an->rng, 0.3))
		an->interactions++;
	k->interaction = an->interactions;
	k->ts_us = k->updated_us = now_us;
	k->sends = 1;
	analytics_roll(an, k);
	o = analytics_event(an, k);
	family_put_json(b, o);
	json_decref(o);
}

/* An earlier key again: a later state, more handle time, a new lastUpdated. */
static void
analytics_put_repeat(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct analytics *an = impl;
	uint64_t recent = an->nkeys < 1000 ? an->nkeys : 1000;
	struct an_key *k;
	json_t *o;

	if (an->nkeys == 0)
		fatalx("analytics: a repeat before any key");
	k = &an->keys[gen_rng_chance(&an->rng, 0.5) ?
	    an->nkeys - 1 - gen_rng_below(&an->rng, recent) :
	    gen_rng_below(&an->rng, an->nkeys)];
	if (k->state + 1u < FAMILY_NELEM(an_states))
		k->state++;
	k->handle += 2 * (uint32_t)(1 + gen_rng_below(&an->rng, 120));
	k->updated_us = now_us;
	k->sends++;
	o = analytics_event(an, k);
	family_put_json(b, o);
	json_decref(o);
}

/* An event that fails the schema in the next way. */
static void
analytics_put_invalid(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct analytics *an = impl;
	uint64_t n = an->invalid_total;
	const struct family_kind *kind = &an_kinds[n % AN_NKINDS];
	struct an_key k = { .interaction = 0x80000000u + (uint32_t)n };
	json_t *o;

	k.ts_us = k.updated_us = now_us;
	analytics_roll(an, &k);
	o = family_damage(analytics_event(an, &k), kind,
	    (unsigned)(n / AN_NKINDS));
	family_put_json(b, o);
	json_decref(o);
	an->invalid_sent[n % AN_NKINDS]++;
	an->invalid_total++;
}

/* "interactionId|timestamp|eventType": the last event sent, and sends. */
static void
analytics_put_manifest_key(const void *impl, uint64_t index, struct gen_buf *b)
{
	const struct analytics *an = impl;
	const struct an_key *k = &an->keys[index];
	const char *parts[3];
	json_t *o = analytics_event(an, k);

	parts[0] = json_string_value(json_object_get(o, "interactionId"));
	parts[1] = json_string_value(json_object_get(o, "timestamp"));
	parts[2] = an_event_types[k->event_type];
	family_put_key_member(b, o, parts, 3, k->sends);
}

const struct family_ops family_analytics_ops = {
	analytics_create, analytics_destroy, analytics_keys,
	analytics_put_new, analytics_put_repeat, analytics_put_invalid,
	analytics_keys, analytics_put_manifest_key, NULL,
	analytics_invalid_kinds, analytics_invalid_name,
	analytics_invalid_sent
};
