/*
 * families.h: the four event families the simulator sends, in one place.
 * Every timestamp is RFC 3339 text; agent ids are the same numeric strings
 * in every family ("70013", "70026", ...).
 *
 * interaction (interaction.c; exactly what "cxpipe-sim generate" writes):
 *   {"interactionId":"<digits or GUID>","timestamp":"...","type":
 *    "call"|"chat"|"email"|"callback","idempotencyKey":"ik-<tag>_<n>",
 *    "attributes":{"duration":<seconds|null>,"disposition":<text|null>,
 *    "queueName":<text|null>,"agentId":<text|null>}}
 *   key: idempotencyKey.  A repeat sends a key again with other attributes.
 *
 * analytics (serve_analytics.c):
 *   {"eventType":"interaction"|"agent"|"queue","interactionId":"<digits>",
 *    "timestamp":"...","state":"queued"|"active"|"held"|"wrapup"|"ended",
 *    "handleTime":<n>,"waitTime":<n>,"queueTime":<n>,"queueName":"...",
 *    "agentId":"...","lastUpdated":"..."}
 *   Times are seconds, numbers >= 0 (whole or .5).  Every member is
 *   required and never null.  key: (interactionId, timestamp, eventType).
 *   A repeat keeps the key and sends a later state, more handle time and
 *   a later lastUpdated.
 *
 * agent_state (serve_agent_state.c):
 *   {"type":"agent.state.change","agentId":"...","previousState":S,
 *    "currentState":S,"timestamp":"...","reasonCode":"..."}
 *   S is Available, Busy, Away, OnBreak or LoggedOut.  Each agent moves
 *   from the state it is in, mostly along LoggedOut->Available,
 *   Available->Busy|Away|OnBreak|LoggedOut, Busy->Available|Away,
 *   Away->Available|OnBreak|LoggedOut, OnBreak->Available|LoggedOut; about
 *   3% of the changes leave that matrix (LoggedOut->Busy, Busy->Busy, ...):
 *   they are schema-valid and counted as "odd_transitions" in the manifest.
 *   key: (agentId, timestamp).  A repeat keeps the key and sends another
 *   reasonCode.
 *
 * data_action (serve_data_action.c):
 *   {"type":"event","timestamp":"...","data":{"actionId":"da-...",
 *    "eventType":"started"|"completed"|"failed"|"timeout"}}
 *   counted per (actionId, eventType, UTC minute of timestamp).  A repeat
 *   sends an earlier event again, byte for byte.
 *
 * Outside interaction, "timestamp" is the wall-clock time the event was
 * made, with microseconds, strictly increasing within a family (so keys
 * never collide); everything else follows from the seed.  Invalid events of
 * every family are valid JSON that lacks a required member, has one of the
 * wrong type or value, or is no object at all; the manifest counts them by
 * kind.
 */
#ifndef CXPIPE_SIM_FAMILIES_H
#define CXPIPE_SIM_FAMILIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "generate.h"

enum family_id {
	FAMILY_INTERACTION,
	FAMILY_ANALYTICS,
	FAMILY_AGENT_STATE,
	FAMILY_DATA_ACTION,
	FAMILY_COUNT
};

struct family;

/* The family's name as in URLs and manifests. */
const char *family_name(enum family_id id);

/* Finds a family by name; false when there is none. */
bool family_lookup(const char *name, enum family_id *out);

/* Returns the generator of a family for seed, with room for new_keys new keys. */
struct family *family_new(enum family_id id, uint64_t seed, uint64_t new_keys);
void family_free(struct family *f);

/* How many earlier events a repeat can pick from. */
uint64_t family_keys(const struct family *f);

/* Each appends one event to b; now_us stamps the families that use it. */
void family_put_new(struct family *f, struct gen_buf *b, int64_t now_us);
void family_put_repeat(struct family *f, struct gen_buf *b, int64_t now_us);
void family_put_invalid(struct family *f, struct gen_buf *b, int64_t now_us);

/* The manifest's "keys" members: how many, and the member for each index. */
uint64_t family_manifest_keys(const struct family *f);
void family_put_manifest_key(const struct family *f, uint64_t index,
    struct gen_buf *b);

/* Appends further top-level manifest members, each led by ",\n". */
void family_put_manifest_extra(const struct family *f, struct gen_buf *b);

/* The kinds of invalid event, by name, and how many of each were sent. */
size_t family_invalid_kinds(const struct family *f);
const char *family_invalid_name(const struct family *f, size_t kind);
uint64_t family_invalid_sent(const struct family *f, size_t kind);

/*
 * What each family implements; the generators above dispatch through it.
 * impl is the family's own state.
 */
struct family_ops {
	void		*(*create)(uint64_t seed, uint64_t new_keys);
	void		 (*destroy)(void *impl);
	uint64_t	 (*keys)(const void *impl);
	void		 (*put_new)(void *impl, struct gen_buf *b, int64_t now_us);
	void		 (*put_repeat)(void *impl, struct gen_buf *b,
			    int64_t now_us);
	void		 (*put_invalid)(void *impl, struct gen_buf *b,
			    int64_t now_us);
	uint64_t	 (*manifest_keys)(const void *impl);
	void		 (*put_manifest_key)(const void *impl, uint64_t index,
			    struct gen_buf *b);
	void		 (*put_manifest_extra)(const void *impl,
			    struct gen_buf *b);	/* may be NULL */
	size_t		 (*invalid_kinds)(void);
	const char	*(*invalid_name)(size_t kind);
	uint64_t	 (*invalid_sent)(const void *impl, size_t kind);
};

extern const struct family_ops family_analytics_ops;
extern const struct family_ops family_agent_state_ops;
extern const struct family_ops family_data_action_ops;

/* How an invalid event is damaged. */
enum family_damage {
	FD_OMIT,	/* leave the member out */
	FD_REPLACE,	/* give the member one of the values */
	FD_TOP_LEVEL	/* send one of the values (NULL: the event in []) */
};

/* One kind of invalid event: the member (inside parent, if any) and the texts. */
struct family_kind {
	const char		*name;
	enum family_damage	 damage;
	const char		*parent;	/* NULL for the top level */
	const char		*member;
	const char *const	*values;	/* JSON texts */
	unsigned		 nvalues;
};

/* Helpers shared by the family generators (families.c). */
void family_put_time(struct gen_buf *b, int64_t us);
void family_format_time(int64_t us, char *out, size_t size);
json_t *family_time_json(int64_t us);
void family_format_agent(unsigned agent, char *out, size_t size);
json_t *family_agent_json(unsigned agent);
void family_put_json(struct gen_buf *b, const json_t *v);
json_t *family_damage(json_t *event, const struct family_kind *kind,
    unsigned variant);
void family_put_key_member(struct gen_buf *b, json_t *entry,
    const char *const *parts, size_t nparts, uint64_t sends);
json_t *family_json_half(uint32_t halves);

#define FAMILY_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define FAMILY_USEC	1000000LL

#endif
