/*
 * serve_agent_state.c: the agent_state family of the simulator (shape in
 * families.h): agent.state.change events as the agent-monitor tutorial
 * receives them.  Each of a fixed crew of agents moves from the state it is
 * in, mostly along a sane matrix and now and then outside it.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "families.h"
#include "log.h"
#include "xmalloc.h"

#define AS_AGENTS	60
#define AS_ODD_SHARE	0.03

enum as_state {
	AS_AVAILABLE, AS_BUSY, AS_AWAY, AS_ON_BREAK, AS_LOGGED_OUT, AS_NSTATES
};

static const char *const as_states[AS_NSTATES] = {
	"Available", "Busy", "Away", "OnBreak", "LoggedOut"
};

#define B(s)	(1u << (s))
/* Where each state may sanely go next. */
static const unsigned as_sane[AS_NSTATES] = {
	[AS_AVAILABLE] = B(AS_BUSY) | B(AS_AWAY) | B(AS_ON_BREAK) |
	    B(AS_LOGGED_OUT),
	[AS_BUSY] = B(AS_AVAILABLE) | B(AS_AWAY),
	[AS_AWAY] = B(AS_AVAILABLE) | B(AS_ON_BREAK) | B(AS_LOGGED_OUT),
	[AS_ON_BREAK] = B(AS_AVAILABLE) | B(AS_LOGGED_OUT),
	[AS_LOGGED_OUT] = B(AS_AVAILABLE),
};
#undef B

/* Reason codes per state entered; every state has at least two. */
static const char *const as_reasons[AS_NSTATES][4] = {
	[AS_AVAILABLE] = { "Ready", "ManualAvailable" },
	[AS_BUSY] = { "InboundCall", "OutboundCall", "Chat", "Email" },
	[AS_AWAY] = { "Meeting", "Training", "Coaching" },
	[AS_ON_BREAK] = { "Lunch", "ShortBreak", "Personal" },
	[AS_LOGGED_OUT] = { "EndOfShift", "SystemLogout", "Forced" },
};

static const char *const as_bad_types[] = {
	"\"agent.state.changed\"", "\"AGENT.STATE.CHANGE\"", "\"\""
};
static const char *const as_bad_states[] = {
	"\"Lunch\"", "\"available\"", "\"\"", "\"Offline\""
};
static const char *const as_not_strings[] = {
	"70013", "null", "true", "[\"70013\"]"
};
static const char *const as_bad_timestamps[] = {
	"\"yesterday at noon\"", "\"2026-02-30T10:00:00Z\"",
	"\"2026-11-23 10:15\"", "1795420800"
};
static const char *const as_top_level[] = {
	NULL, "\"agent.state.change\"", "7", "null"
};

#define OMIT(name, member)	{ name, FD_OMIT, NULL, member, NULL, 0 }
#define BAD(name, member, values) \
	{ name, FD_REPLACE, NULL, member, values, FAMILY_NELEM(values) }
static const struct family_kind as_kinds[] = {
	OMIT("missing_type", "type"),
	OMIT("missing_agentId", "agentId"),
	OMIT("missing_previousState", "previousState"),
	OMIT("missing_currentState", "currentState"),
	OMIT("missing_timestamp", "timestamp"),
	BAD("bad_type", "type", as_bad_types),
	BAD("unknown_currentState", "currentState", as_bad_states),
	BAD("unknown_previousState", "previousState", as_bad_states),
	BAD("agentId_not_string", "agentId", as_not_strings),
	BAD("bad_timestamp", "timestamp", as_bad_timestamps),
	BAD("reasonCode_not_string", "reasonCode", as_not_strings),
	{ "not_an_object", FD_TOP_LEVEL, NULL, NULL, as_top_level,
	    FAMILY_NELEM(as_top_level) },
};
#undef OMIT
#undef BAD
#define AS_NKINDS	FAMILY_NELEM(as_kinds)

/* What was last sent for one key (agent, timestamp). */
struct as_key {
	int64_t		ts_us;
	uint32_t	sends;
	uint8_t		agent;
	uint8_t		previous;
	uint8_t		current;
	uint8_t		reason;
	bool		odd;
};

struct agent_state {
	uint64_t	 rng;
	struct as_key	*keys;
	uint64_t	 nkeys;
	uint64_t	 cap;
	uint64_t	 odd;			/* keys outside the matrix */
	uint8_t		 state[AS_AGENTS + 1];	/* each agent's state now */
	bool		 seen[AS_AGENTS + 1];
	uint64_t	 invalid_sent[AS_NKINDS];
	uint64_t	 invalid_total;
};

static void *
agent_state_create(uint64_t seed, uint64_t new_keys)
{
	struct agent_state *as = xcalloc(1, sizeof(*as));
	int i;

	as->rng = gen_mix64(seed ^ 0x6167656e74737461ULL);
	as->cap = new_keys > 0 ? new_keys : 1;
	as->keys = xcalloc(as->cap, sizeof(*as->keys));
	for (i = 0; i <= AS_AGENTS; i++)
		as->state[i] = AS_LOGGED_OUT;
	return as;
}

static void
agent_state_destroy(void *impl)
{
	struct agent_state *as = impl;

	if (as == NULL)
		return;
	free(as->keys);
	free(as);
}

static uint64_t
agent_state_keys(const void *impl)
{
	return ((const struct agent_state *)impl)->nkeys;
}

static size_t
agent_state_invalid_kinds(void)
{
	return AS_NKINDS;
}

static const char *
agent_state_invalid_name(size_t kind)
{
	return as_kinds[kind].name;
}

static uint64_t
agent_state_invalid_sent(const void *impl, size_t kind)
{
	return ((const struct agent_state *)impl)->invalid_sent[kind];
}

/* How many reason codes state s has. */
static unsigned
agent_state_nreasons(unsigned s)
{
	unsigned n = 0;

	while (n < FAMILY_NELEM(as_reasons[s]) && as_reasons[s][n] != NULL)
		n++;
	return n;
}

/* Returns the event for k as a new JSON object, members in shape order. */
static json_t *
agent_state_event(const struct as_key *k)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("agent.state.change"));
	json_object_set_new(o, "agentId", family_agent_json(k->agent));
	json_object_set_new(o, "previousState",
	    json_string(as_states[k->previous]));
	json_object_set_new(o, "currentState",
	    json_string(as_states[k->current]));
	json_object_set_new(o, "timestamp", family_time_json(k->ts_us));
	json_object_set_new(o, "reasonCode",
	    json_string(as_reasons[k->current][k->reason]));
	return o;
}

/* Picks the n-th set bit of mask, counting from 0. */
static unsigned
agent_state_nth_bit(unsigned mask, unsigned n)
{
	unsigned s;

	for (s = 0; s < AS_NSTATES; s++)
		if ((mask & (1u << s)) != 0 && n-- == 0)
			return s;
	return 0;
}

/* Moves an agent on from the state it is in; sets k's states and reason. */
static void
agent_state_move(struct agent_state *as, struct as_key *k)
{
	unsigned from = as->state[k->agent], mask = as_sane[from];

	k->odd = gen_rng_chance(&as->rng, AS_ODD_SHARE);
	if (k->odd)
		mask = ((1u << AS_NSTATES) - 1) & ~mask;
	k->previous = (uint8_t)from;
	k->current = (uint8_t)agent_state_nth_bit(mask, (unsigned)
	    gen_rng_below(&as->rng, (uint64_t)__builtin_popcount(mask)));
	k->reason = (uint8_t)gen_rng_below(&as->rng,
	    agent_state_nreasons(k->current));
}

/* A state change of some agent, a key never sent before. */
static void
agent_state_put_new(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct agent_state *as = impl;
	struct as_key *k;
	json_t *o;

	if (as->nkeys == as->cap) {
		as->keys = xreallocarray(as->keys, as->cap * 2,
		    sizeof(*as->keys));
		as->cap *= 2;
	}
	k = &as->keys[as->nkeys++];
	k->agent = (uint8_t)(1 + gen_rng_below(&as->rng, AS_AGENTS));
	k->ts_us = now_us;
	k->sends = 1;
	agent_state_move(as, k);
	as->state[k->agent] = k->current;
	as->seen[k->agent] = true;
	as->odd += k->odd;
	o = agent_state_event(k);
	family_put_json(b, o);
	json_decref(o);
}

/* An earlier change again, with another reason code. */
static void
agent_state_put_repeat(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct agent_state *as = impl;
	uint64_t recent = as->nkeys < 1000 ? as->nkeys : 1000;
	struct as_key *k;
	unsigned n;
	json_t *o;

	(void)now_us;
	if (as->nkeys == 0)
		fatalx("agent_state: a repeat before any key");
	k = &as->keys[gen_rng_chance(&as->rng, 0.5) ?
	    as->nkeys - 1 - gen_rng_below(&as->rng, recent) :
	    gen_rng_below(&as->rng, as->nkeys)];
	n = agent_state_nreasons(k->current);
	k->reason = (uint8_t)((k->reason + 1 +
	    gen_rng_below(&as->rng, n - 1)) % n);
	k->sends++;
	o = agent_state_event(k);
	family_put_json(b, o);
	json_decref(o);
}

/* An event that fails the schema in the next way; no agent moves. */
static void
agent_state_put_invalid(void *impl, struct gen_buf *b, int64_t now_us)
{
	struct agent_state *as = impl;
	uint64_t n = as->invalid_total;
	const struct family_kind *kind = &as_kinds[n % AS_NKINDS];
	struct as_key k = { .ts_us = now_us };
	json_t *o;

	k.agent = (uint8_t)(1 + gen_rng_below(&as->rng, AS_AGENTS));
	agent_state_move(as, &k);
	o = family_damage(agent_state_event(&k), kind,
	    (unsigned)(n / AS_NKINDS));
	family_put_json(b, o);
	json_decref(o);
	as->invalid_sent[n % AS_NKINDS]++;
	as->invalid_total++;
}

/* "agentId|timestamp": the last event sent for the key, and sends. */
static void
agent_state_put_manifest_key(const void *impl, uint64_t index,
    struct gen_buf *b)
{
	const struct agent_state *as = impl;
	const struct as_key *k = &as->keys[index];
	json_t *o = agent_state_event(k);
	const char *parts[2];

	parts[0] = json_string_value(json_object_get(o, "agentId"));
	parts[1] = json_string_value(json_object_get(o, "timestamp"));
	family_put_key_member(b, o, parts, 2, k->sends);
}

/* The count of odd transitions, and each agent's state after the last change. */
static void
agent_state_put_manifest_extra(const void *impl, struct gen_buf *b)
{
	const struct agent_state *as = impl;
	bool first = true;
	char id[24];
	int i;

	gen_buf_puts(b, ",\n\"odd_transitions\":");
	gen_buf_put_uint(b, as->odd, 0);
	gen_buf_puts(b, ",\n\"current\":{");
	for (i = 1; i <= AS_AGENTS; i++) {
		if (!as->seen[i])
			continue;
		family_format_agent((unsigned)i, id, sizeof(id));
		gen_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		gen_buf_put_json_string(b, id);
		gen_buf_put(b, ":", 1);
		gen_buf_put_json_string(b, as_states[as->state[i]]);
	}
	gen_buf_puts(b, "\n}");
}

const struct family_ops family_agent_state_ops = {
	agent_state_create, agent_state_destroy, agent_state_keys,
	agent_state_put_new, agent_state_put_repeat, agent_state_put_invalid,
	agent_state_keys, agent_state_put_manifest_key,
	agent_state_put_manifest_extra,
	agent_state_invalid_kinds, agent_state_invalid_name,
	agent_state_invalid_sent
};
