/*
 * interaction.c: the interaction family of the simulator, shaped like the
 * CXone Data Actions sink events of the tutorial cxpipe keeps:
 *
 *   {"interactionId":"...","timestamp":"<RFC 3339>","type":"call",
 *    "idempotencyKey":"...","attributes":{"duration":12,"disposition":"...",
 *    "queueName":"...","agentId":"..."}}
 *
 * Per valid key only a 32-byte record is kept; every string (key, ids,
 * timestamp text) is rebuilt from it, so memory grows with distinct keys only.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <err.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interaction.h"

#define IA_NONE		0xff		/* null disposition or queue */
#define IA_USEC		1000000LL
/* Early enough that a long run (0.06 s apart on average) stays in the past:
 * max_clock_skew rejects events from the future. */
#define IA_EPOCH_US	(1767600000LL * IA_USEC)	/* 2026-01-05T08:00:00Z */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Members of an event; the last four live under "attributes". */
enum ia_field {
	IF_IID, IF_TS, IF_TYPE, IF_KEY, IF_ATTRS,
	IF_DURATION, IF_DISPOSITION, IF_QUEUE, IF_AGENT, IF_COUNT
};

static const char *const ia_field_names[IF_COUNT] = {
	"interactionId", "timestamp", "type", "idempotencyKey", "attributes",
	"duration", "disposition", "queueName", "agentId"
};

static const char *const ia_types[] = { "call", "chat", "email", "callback" };

/* Longest duration per type, in seconds. */
static const uint32_t ia_max_duration[] = { 1800, 3600, 86400, 900 };

static const char *const ia_dispositions[] = {
	"Resolved", "Callback Scheduled", "Transferred", "Abandoned",
	"Voicemail", "Sale", "No Answer", "Escalated \"Tier 2\"",
	"R\u00e9solu", "Follow-up\\Pending",
	"\u304a\u554f\u3044\u5408\u308f\u305b\u5b8c\u4e86",
	"Wrong Number", "Customer Hung Up", "Busy", "Survey \U0001F44D"
};

static const char *const ia_queues[] = {
	"Sales", "Support", "Billing", "Support Tier 2", "VIP", "Ventas-ES",
	"Retention", "Technical Support EMEA", "Kundenservice \u00d6sterreich",
	"Overflow"
};

/* UTC offsets in minutes; index 0 is written "Z", index 6 "+00:00". */
static const int ia_offsets[] = { 0, 120, -300, 330, 60, -180, 0, -570 };

/* How an invalid event is damaged. */
enum ia_damage {
	ID_OMIT,	/* leave the member out */
	ID_REPLACE,	/* give the member one of the values */
	ID_KEY_SEP,	/* build the key with one of the values as separator */
	ID_EXTRA,	/* add one of the values as an extra member */
	ID_TOP_LEVEL	/* send one of the values instead of an object */
};

/* One way an event can fail the schema, and the texts that do it. */
struct ia_invalid_kind {
	const char		*name;
	enum ia_damage		 damage;
	enum ia_field		 field;
	const char *const	*values;	/* JSON texts, or key separators */
	unsigned		 nvalues;
};

static const char *const ia_empty_string[] = { "\"\"" };
static const char *const ia_bad_timestamps[] = {
	"\"yesterday at noon\"", "\"2026-13-01T10:00:00Z\"",
	"\"2026-11-32T10:00:00Z\"", "\"2026-11-23T25:00:00Z\"",
	"\"2026-11-23T10:15:30.123\"", "\"2026-02-30T10:00:00Z\"",
	"\"2026-11-23T10:15:30+01\""
};
static const char *const ia_bad_types[] = {
	"\"sms\"", "\"CALL\"", "\"\"", "\"voice\""
};
static const char *const ia_key_separators[] = { " ", ".", "\u00fc" };
static const char *const ia_extra_members[] = {
	"\"channel\":\"voice\"", "\"tenantId\":42", "\"Attributes\":{}"
};
static const char *const ia_not_numbers[] = {
	"\"120\"", "true", "{\"seconds\":120}", "[120]"
};
static const char *const ia_not_strings[] = {
	"5", "true", "{\"code\":\"x\"}", "[\"Sales\"]"
};
static const char *const ia_not_objects[] = { "\"none\"", "[]", "null", "7" };
static const char *const ia_bad_ids[] = {
	"123456789012", "null", "true", "[\"1\"]"
};
static const char *const ia_top_level[] = {
	NULL /* the event inside an array */, "42", "\"call\"", "null", "true"
};
static const char *const ia_negative[] = { "-1", "-120", "-3600" };

#define KIND(name, damage, field, values) \
	{ name, damage, field, values, NELEM(values) }
static const struct ia_invalid_kind ia_invalid_kinds[] = {
	{ "missing_interactionId", ID_OMIT, IF_IID, NULL, 1 },
	{ "missing_timestamp", ID_OMIT, IF_TS, NULL, 1 },
	{ "missing_type", ID_OMIT, IF_TYPE, NULL, 1 },
	{ "missing_idempotencyKey", ID_OMIT, IF_KEY, NULL, 1 },
	KIND("empty_interactionId", ID_REPLACE, IF_IID, ia_empty_string),
	KIND("bad_timestamp", ID_REPLACE, IF_TS, ia_bad_timestamps),
	KIND("bad_type_enum", ID_REPLACE, IF_TYPE, ia_bad_types),
	KIND("bad_idempotency_pattern", ID_KEY_SEP, IF_KEY, ia_key_separators),
	KIND("extra_property", ID_EXTRA, IF_COUNT, ia_extra_members),
	KIND("duration_not_number", ID_REPLACE, IF_DURATION, ia_not_numbers),
	KIND("disposition_not_string", ID_REPLACE, IF_DISPOSITION,
	    ia_not_strings),
	KIND("queueName_not_string", ID_REPLACE, IF_QUEUE, ia_not_strings),
	KIND("agentId_not_string", ID_REPLACE, IF_AGENT, ia_not_strings),
	KIND("attributes_not_object", ID_REPLACE, IF_ATTRS, ia_not_objects),
	KIND("interactionId_not_string", ID_REPLACE, IF_IID, ia_bad_ids),
	KIND("not_an_object", ID_TOP_LEVEL, IF_COUNT, ia_top_level),
	KIND("negative_duration", ID_REPLACE, IF_DURATION, ia_negative),
};
#undef KIND
#define IA_NKINDS	NELEM(ia_invalid_kinds)

/* Lines that are not JSON texts at all (two more are built from events). */
static const char *const ia_garbage_texts[] = {
	"{\"a\":", "hello world", "HTTP/1.1 502 Bad Gateway",
	"<html><body>503 Service Unavailable</body></html>",
	"{'interactionId': 'x', 'type': 'call'}", "}{", "NaN",
	"{\"interactionId\":\"1\" \"type\":\"call\"}", "{\"a\":1}{\"b\":2}",
	"[1, 2", "undefined", "{\"duration\": 12,}"
};

/* What was last sent for one valid idempotency key (32 bytes). */
struct ia_key {
	int64_t		ts_us;		/* instant, microseconds since the epoch */
	uint32_t	interaction;	/* names interactionId, picks type */
	uint32_t	sends;
	int32_t		duration;	/* seconds, -1 for null */
	uint16_t	agent;		/* 0 for null */
	uint8_t		ts_style;	/* fraction digits/3 (bits 0-1), offset (2-4) */
	uint8_t		disposition;	/* IA_NONE for null */
	uint8_t		queue;		/* IA_NONE for null */
};

struct interaction {
	uint64_t	 rng;
	uint64_t	 salt;			/* from the seed: names ids */
	char		 tag[9];		/* from the seed: names keys */
	struct ia_key	*keys;
	uint64_t	 nkeys;
	uint64_t	 maxkeys;
	uint32_t	 interactions;
	int64_t		 clock_us;
	uint64_t	 invalid_sent[IA_NKINDS];
	uint64_t	 invalid_total;
	uint64_t	 garbage;
};

/* One event about to be written: typed values plus the damage to do. */
struct ia_event {
	const struct ia_key	*key;
	const char		*key_text;
	const char		*raw[IF_COUNT];	/* replaces a member's value */
	bool			 omit[IF_COUNT];
	const char		*extra;		/* an extra top-level member */
	bool			 reorder;
	bool			 spaced;
};

struct interaction *
interaction_new(uint64_t seed, uint64_t max_keys)
{
	struct interaction *ia;

	if ((ia = calloc(1, sizeof(*ia))) == NULL ||
	    (max_keys > 0 && (ia->keys = calloc(max_keys,
	    sizeof(*ia->keys))) == NULL))
		err(1, "cannot allocate room for %" PRIu64 " keys", max_keys);
	ia->maxkeys = max_keys;
	ia->rng = seed;
	ia->salt = gen_mix64(seed ^ 0x6378706970652d73ULL);
	snprintf(ia->tag, sizeof(ia->tag), "%08" PRIx32,
	    (uint32_t)(ia->salt >> 32));
	ia->clock_us = IA_EPOCH_US + (int64_t)(ia->salt % 3600) * IA_USEC;
	return ia;
}

void
interaction_free(struct interaction *ia)
{
	if (ia == NULL)
		return;
	free(ia->keys);
	free(ia);
}

uint64_t
interaction_keys(const struct interaction *ia)
{
	return ia->nkeys;
}

size_t
interaction_invalid_kinds(void)
{
	return IA_NKINDS;
}

const char *
interaction_invalid_name(size_t kind)
{
	return ia_invalid_kinds[kind].name;
}

uint64_t
interaction_invalid_sent(const struct interaction *ia, size_t kind)
{
	return ia->invalid_sent[kind];
}

/* Appends an instant as quoted RFC 3339 text in the given style. */
static void
interaction_put_timestamp(struct gen_buf *b, int64_t ts_us, unsigned style)
{
	unsigned digits = (style & 3) * 3, offset_index = style >> 2;
	int offset = ia_offsets[offset_index];
	int64_t local_us = ts_us + (int64_t)offset * 60 * IA_USEC;
	time_t secs = (time_t)(local_us / IA_USEC);
	uint64_t frac = (uint64_t)(local_us % IA_USEC);
	struct tm tm;

	gmtime_r(&secs, &tm);
	gen_buf_put(b, "\"", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_year + 1900, 4);
	gen_buf_put(b, "-", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_mon + 1, 2);
	gen_buf_put(b, "-", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_mday, 2);
	gen_buf_put(b, "T", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_hour, 2);
	gen_buf_put(b, ":", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_min, 2);
	gen_buf_put(b, ":", 1);
	gen_buf_put_uint(b, (uint64_t)tm.tm_sec, 2);
	if (digits > 0) {
		gen_buf_put(b, ".", 1);
		gen_buf_put_uint(b, digits == 3 ? frac / 1000 : frac,
		    (int)digits);
	}
	if (offset_index == 0)
		gen_buf_put(b, "Z", 1);
	else {
		gen_buf_put(b, offset < 0 ? "-" : "+", 1);
		offset = offset < 0 ? -offset : offset;
		gen_buf_put_uint(b, (uint64_t)offset / 60, 2);
		gen_buf_put(b, ":", 1);
		gen_buf_put_uint(b, (uint64_t)offset % 60, 2);
	}
	gen_buf_put(b, "\"", 1);
}

/* Appends an interaction's quoted id: a CXone-like number, or a GUID. */
static void
interaction_put_id(struct gen_buf *b, const struct interaction *ia,
    uint32_t interaction)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = gen_mix64(ia->salt ^ interaction), l = gen_mix64(h);
	char guid[36];
	int i;

	gen_buf_put(b, "\"", 1);
	if (h % 5 != 0) {
		gen_buf_put_uint(b, 100000000000ULL +
		    ia->salt % 800000000000ULL + interaction, 0);
		gen_buf_put(b, "\"", 1);
		return;
	}
	h = gen_mix64(ia->salt + interaction);	/* one-to-one in interaction */
	for (i = 0; i < 36; i++) {
		uint64_t *src = i < 18 ? &h : &l;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			guid[i] = '-';
			continue;
		}
		guid[i] = hex[*src & 15];
		*src >>= 4;
	}
	gen_buf_put(b, guid, sizeof(guid));
	gen_buf_put(b, "\"", 1);
}

/* Returns the index of an interaction's type, the same for all its events. */
static size_t
interaction_type_of(const struct interaction *ia, uint32_t interaction)
{
	return gen_mix64(ia->salt + 7 * (uint64_t)interaction) %
	    NELEM(ia_types);
}

/* Writes the text of valid key number index into out. */
static void
interaction_format_key(const struct interaction *ia, uint64_t index,
    char *out, size_t size)
{
	snprintf(out, size, "ik-%s_%" PRIu64, ia->tag, index);
}

/* Appends one member's value as JSON, taken from the key record. */
static void
interaction_put_value(struct gen_buf *b, const struct interaction *ia,
    const struct ia_key *k, const char *key_text, enum ia_field f)
{
	switch (f) {
	case IF_IID:
		interaction_put_id(b, ia, k->interaction);
		break;
	case IF_TS:
		interaction_put_timestamp(b, k->ts_us, k->ts_style);
		break;
	case IF_TYPE:
		gen_buf_put_json_string(b,
		    ia_types[interaction_type_of(ia, k->interaction)]);
		break;
	case IF_KEY:
		gen_buf_put_json_string(b, key_text);
		break;
	case IF_DURATION:
		if (k->duration < 0)
			gen_buf_puts(b, "null");
		else
			gen_buf_put_uint(b, (uint64_t)k->duration, 0);
		break;
	case IF_DISPOSITION:
		if (k->disposition == IA_NONE)
			gen_buf_puts(b, "null");
		else
			gen_buf_put_json_string(b,
			    ia_dispositions[k->disposition]);
		break;
	case IF_QUEUE:
		if (k->queue == IA_NONE)
			gen_buf_puts(b, "null");
		else
			gen_buf_put_json_string(b, ia_queues[k->queue]);
		break;
	case IF_AGENT:
		if (k->agent == 0) {
			gen_buf_puts(b, "null");
			break;
		}
		gen_buf_put(b, "\"", 1);
		gen_buf_put_uint(b, 70000 + 13 * (uint64_t)k->agent, 0);
		gen_buf_put(b, "\"", 1);
		break;
	case IF_ATTRS:
	case IF_COUNT:
		break;
	}
}

/* Appends an object of the members in order[0..n) that ev does not omit. */
static void
interaction_put_object(struct gen_buf *b, const struct interaction *ia,
    const struct ia_event *ev, const enum ia_field *order, size_t n,
    bool top)
{
	static const enum ia_field attrs[] = {
		IF_DURATION, IF_DISPOSITION, IF_QUEUE, IF_AGENT
	};
	static const enum ia_field attrs_rev[] = {
		IF_AGENT, IF_QUEUE, IF_DISPOSITION, IF_DURATION
	};
	bool first = true;
	size_t i;

	gen_buf_put(b, "{", 1);
	for (i = 0; i < n; i++) {
		enum ia_field f = order[i];

		if (ev->omit[f])
			continue;
		if (!first)
			gen_buf_puts(b, ev->spaced ? ", " : ",");
		first = false;
		gen_buf_put_json_string(b, ia_field_names[f]);
		gen_buf_puts(b, ev->spaced ? ": " : ":");
		if (ev->raw[f] != NULL)
			gen_buf_puts(b, ev->raw[f]);
		else if (f == IF_ATTRS)
			interaction_put_object(b, ia, ev,
			    ev->reorder ? attrs_rev : attrs, 4, false);
		else
			interaction_put_value(b, ia, ev->key, ev->key_text, f);
	}
	if (top && ev->extra != NULL) {
		if (!first)
			gen_buf_put(b, ",", 1);
		gen_buf_puts(b, ev->extra);
	}
	gen_buf_put(b, "}", 1);
}

/* Appends the whole event object. */
static void
interaction_put_event(struct gen_buf *b, const struct interaction *ia,
    const struct ia_event *ev)
{
	static const enum ia_field order[] = {
		IF_IID, IF_TS, IF_TYPE, IF_KEY, IF_ATTRS
	};
	static const enum ia_field order_rev[] = {
		IF_KEY, IF_TYPE, IF_IID, IF_ATTRS, IF_TS
	};

	interaction_put_object(b, ia, ev, ev->reorder ? order_rev : order, 5,
	    true);
}

/* Sets a key's instant, cut to the precision its style prints. */
static void
interaction_set_time(struct ia_key *k, int64_t ts_us, unsigned style)
{
	static const int64_t unit[] = { IA_USEC, 1000, 1 };

	k->ts_style = (uint8_t)style;
	k->ts_us = ts_us - ts_us % unit[style & 3];
}

/* Picks a timestamp style: mostly milliseconds and Z, sometimes not. */
static unsigned
interaction_roll_style(struct interaction *ia)
{
	unsigned digits = gen_rng_chance(&ia->rng, 0.6) ? 1 :
	    gen_rng_chance(&ia->rng, 0.5) ? 0 : 2;
	unsigned offset = gen_rng_chance(&ia->rng, 0.75) ? 0 :
	    1 + (unsigned)gen_rng_below(&ia->rng, NELEM(ia_offsets) - 1);

	return digits | offset << 2;
}

/* Draws fresh attributes for a key, about one in ten of each null. */
static void
interaction_roll_attributes(struct interaction *ia, struct ia_key *k)
{
	uint64_t *rng = &ia->rng;
	size_t t = interaction_type_of(ia, k->interaction);

	k->duration = gen_rng_chance(rng, 0.1) ? -1 :
	    (int32_t)gen_rng_below(rng, ia_max_duration[t] + 1);
	k->disposition = gen_rng_chance(rng, 0.1) ? IA_NONE :
	    (uint8_t)gen_rng_below(rng, NELEM(ia_dispositions));
	k->queue = gen_rng_chance(rng, 0.1) ? IA_NONE :
	    (uint8_t)gen_rng_below(rng, NELEM(ia_queues));
	k->agent = gen_rng_chance(rng, 0.15) ? 0 :
	    (uint16_t)(1 + gen_rng_below(rng, 400));
}

/* Fills ev to send k correctly, in one of several spellings. */
static void
interaction_init_event(struct interaction *ia, struct ia_event *ev,
    const struct ia_key *k, const char *key_text)
{
	bool nulls[IF_COUNT] = { false };
	int f;

	memset(ev, 0, sizeof(*ev));
	ev->key = k;
	ev->key_text = key_text;
	ev->reorder = gen_rng_chance(&ia->rng, 0.2);
	ev->spaced = gen_rng_chance(&ia->rng, 0.1);
	nulls[IF_DURATION] = k->duration < 0;
	nulls[IF_DISPOSITION] = k->disposition == IA_NONE;
	nulls[IF_QUEUE] = k->queue == IA_NONE;
	nulls[IF_AGENT] = k->agent == 0;
	/* a null attribute may also be left out, or all of "attributes" */
	for (f = IF_DURATION; f <= IF_AGENT; f++)
		ev->omit[f] = nulls[f] && gen_rng_chance(&ia->rng, 0.3);
	ev->omit[IF_ATTRS] = nulls[IF_DURATION] && nulls[IF_DISPOSITION] &&
	    nulls[IF_QUEUE] && nulls[IF_AGENT] &&
	    gen_rng_chance(&ia->rng, 0.5);
}

/* Advances the stream clock by up to 0.12 s and returns it. */
static int64_t
interaction_tick(struct interaction *ia)
{
	ia->clock_us += (int64_t)gen_rng_below(&ia->rng, 120000);
	return ia->clock_us;
}

/* Sends a key never sent before; often an interaction's next event. */
void
interaction_put_new(struct interaction *ia, struct gen_buf *b)
{
	struct ia_key *k;
	struct ia_event ev;
	char key_text[48];

	if (ia->nkeys == ia->maxkeys)
		errx(1, "interaction: more new keys than planned");
	k = &ia->keys[ia->nkeys];
	if (ia->interactions == 0 || !gen_rng_chance(&ia->rng, 0.25))
		ia->interactions++;
	k->interaction = ia->interactions;
	interaction_set_time(k, interaction_tick(ia),
	    interaction_roll_style(ia));
	interaction_roll_attributes(ia, k);
	k->sends = 1;
	interaction_format_key(ia, ia->nkeys++, key_text, sizeof(key_text));
	interaction_init_event(ia, &ev, k, key_text);
	interaction_put_event(b, ia, &ev);
}

/* Sends an earlier key again: other attributes, sometimes a later time. */
void
interaction_put_repeat(struct interaction *ia, struct gen_buf *b)
{
	uint64_t recent = ia->nkeys < 1000 ? ia->nkeys : 1000, index;
	struct ia_key *k;
	struct ia_event ev;
	char key_text[48];
	int32_t old_duration;

	if (ia->nkeys == 0)
		errx(1, "interaction: a repeat before any key");
	/* half the repeats hit one of the last thousand keys */
	index = gen_rng_chance(&ia->rng, 0.5) ?
	    ia->nkeys - 1 - gen_rng_below(&ia->rng, recent) :
	    gen_rng_below(&ia->rng, ia->nkeys);
	k = &ia->keys[index];
	old_duration = k->duration;
	interaction_roll_attributes(ia, k);
	if (k->duration == old_duration)
		k->duration = old_duration < 0 ? 30 : old_duration + 1;
	/* at least a second later, so it is later at any precision */
	if (gen_rng_chance(&ia->rng, 0.5))
		interaction_set_time(k, k->ts_us + IA_USEC + (int64_t)
		    gen_rng_below(&ia->rng, 300 * IA_USEC),
		    interaction_roll_style(ia));
	k->sends++;
	interaction_format_key(ia, index, key_text, sizeof(key_text));
	interaction_init_event(ia, &ev, k, key_text);
	interaction_put_event(b, ia, &ev);
}

/* Sends an event with a fresh key that fails the schema in the next way. */
void
interaction_put_invalid(struct interaction *ia, struct gen_buf *b)
{
	uint64_t n = ia->invalid_total;
	const struct ia_invalid_kind *kind = &ia_invalid_kinds[n % IA_NKINDS];
	unsigned v = (unsigned)(n / IA_NKINDS % kind->nvalues);
	struct ia_key k = { .interaction = 0x80000000u + (uint32_t)n };
	struct ia_event ev;
	char key_text[64];

	interaction_set_time(&k, interaction_tick(ia),
	    interaction_roll_style(ia));
	do	/* all attributes present, so each can be damaged */
		interaction_roll_attributes(ia, &k);
	while (k.duration < 0 || k.disposition == IA_NONE ||
	    k.queue == IA_NONE || k.agent == 0);
	snprintf(key_text, sizeof(key_text), "bad-%s_%" PRIu64, ia->tag, n);
	memset(&ev, 0, sizeof(ev));
	ev.key = &k;
	ev.key_text = key_text;
	ev.reorder = gen_rng_chance(&ia->rng, 0.2);
	switch (kind->damage) {
	case ID_OMIT:
		ev.omit[kind->field] = true;
		break;
	case ID_REPLACE:
		ev.raw[kind->field] = kind->values[v];
		break;
	case ID_KEY_SEP:
		snprintf(key_text, sizeof(key_text), "bad%s%s%s%" PRIu64,
		    kind->values[v], ia->tag, kind->values[v], n);
		break;
	case ID_EXTRA:
		ev.extra = kind->values[v];
		break;
	case ID_TOP_LEVEL:
		break;
	}
	if (kind->damage != ID_TOP_LEVEL)
		interaction_put_event(b, ia, &ev);
	else if (kind->values[v] != NULL)
		gen_buf_puts(b, kind->values[v]);
	else {
		gen_buf_put(b, "[", 1);
		interaction_put_event(b, ia, &ev);
		gen_buf_put(b, "]", 1);
	}
	ia->invalid_sent[kind - ia_invalid_kinds]++;
	ia->invalid_total++;
}

/* Sends a line that is no JSON text: fixed junk, or a broken event. */
void
interaction_put_garbage(struct interaction *ia, struct gen_buf *b)
{
	uint64_t variant = ia->garbage % (NELEM(ia_garbage_texts) + 2);
	struct ia_key k = { .interaction = 0xc0000000u + (uint32_t)ia->garbage };
	struct ia_event ev;
	char key_text[48];
	size_t start = b->len, cut;

	ia->garbage++;
	if (variant < NELEM(ia_garbage_texts)) {
		gen_buf_puts(b, ia_garbage_texts[variant]);
		return;
	}
	interaction_set_time(&k, ia->clock_us, interaction_roll_style(ia));
	interaction_roll_attributes(ia, &k);
	snprintf(key_text, sizeof(key_text), "junk-%s_%" PRIu64, ia->tag,
	    ia->garbage);
	interaction_init_event(ia, &ev, &k, key_text);
	interaction_put_event(b, ia, &ev);
	if (variant == NELEM(ia_garbage_texts)) {
		/* a trailing comma before the closing brace */
		b->data[b->len - 1] = ',';
		gen_buf_put(b, "}", 1);
		return;
	}
	/* cut short, never inside a UTF-8 sequence */
	cut = 1 + gen_rng_below(&ia->rng, b->len - start - 1);
	while (cut > 1 && ((unsigned char)b->data[start + cut] & 0xc0) == 0x80)
		cut--;
	b->len = start + cut;
}

void
interaction_put_manifest_key(const struct interaction *ia, uint64_t index,
    struct gen_buf *b)
{
	static const enum ia_field fields[] = {
		IF_IID, IF_TS, IF_TYPE, IF_DURATION, IF_DISPOSITION, IF_QUEUE,
		IF_AGENT
	};
	static const char *const names[] = {
		"interactionId", "timestamp", "type", "duration",
		"disposition", "queue_name", "agent_id"
	};
	const struct ia_key *k = &ia->keys[index];
	char key_text[48];
	size_t f;

	interaction_format_key(ia, index, key_text, sizeof(key_text));
	gen_buf_put_json_string(b, key_text);
	for (f = 0; f < NELEM(fields); f++) {
		gen_buf_puts(b, f == 0 ? ":{\"" : ",\"");
		gen_buf_puts(b, names[f]);
		gen_buf_puts(b, "\":");
		interaction_put_value(b, ia, k, key_text, fields[f]);
	}
	gen_buf_puts(b, ",\"sends\":");
	gen_buf_put_uint(b, k->sends, 0);
	gen_buf_puts(b, "}");
}
