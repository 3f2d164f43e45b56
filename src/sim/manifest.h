/*
 * manifest.h: reading a manifest of "cxpipe-sim generate" or "serve" (one
 * family; families.h and serve_manifest.c describe them).  Interaction keys
 * become struct manifest_key, the other families' struct manifest_entry.
 */
#ifndef CXPIPE_SIM_MANIFEST_H
#define CXPIPE_SIM_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct manifest_chunk;

/* One key of the manifest; NULL strings and !has_duration mean null. */
struct manifest_key {
	const char	*key;
	const char	*interaction_id;
	const char	*type;
	const char	*disposition;
	const char	*queue_name;
	const char	*agent_id;
	int64_t		 ts_us;		/* the timestamp's instant, µs since epoch */
	int64_t		 duration;
	int64_t		 sends;
	bool		 has_duration;
	bool		 seen;		/* for the caller */
};

/*
 * One key of an analytics, agent_state or data_action manifest.  key is
 * made from the key's fields by manifest_entry_key (so that a row's fields
 * find it), the values are text as in the manifest (numbers as JSON wrote
 * them), times are µs since the epoch.
 */
struct manifest_entry {
	const char	*key;
	const char	*v[8];		/* MV_* */
	int64_t		 t[2];		/* MT_* */
	int64_t		 sends;
	int64_t		 count;		/* data_action: distinct events */
	bool		 seen;
};

/* analytics */
enum { MV_AN_INTERACTION_ID, MV_AN_EVENT_TYPE, MV_AN_STATE, MV_AN_HANDLE_TIME,
	MV_AN_WAIT_TIME, MV_AN_QUEUE_TIME, MV_AN_QUEUE_NAME, MV_AN_AGENT_ID };
/* agent_state */
enum { MV_AS_AGENT_ID, MV_AS_PREVIOUS_STATE, MV_AS_CURRENT_STATE,
	MV_AS_REASON_CODE };
/* data_action */
enum { MV_DA_ACTION_ID, MV_DA_EVENT_TYPE };
/* times: the event's timestamp (data_action: its minute), lastUpdated */
enum { MT_TIME, MT_LAST_UPDATED };

/* agent_state's "current": an agent's state after its last change. */
struct manifest_current {
	const char	*agent_id;
	const char	*state;
	int64_t		 since;		/* its newest key's time, or INT64_MIN */
	bool		 seen;
};

struct manifest {
	int			 family;	/* enum family_id (families.h) */
	struct manifest_key	*keys;		/* sorted by key once loaded */
	size_t			 nkeys;
	size_t			 cap;
	struct manifest_chunk	*chunks;	/* the strings */
	bool			 have_counts;	/* invalid_total and garbage */
	uint64_t		 invalid_total;
	uint64_t		 garbage;
	struct manifest_entry	*entries;	/* sorted by key once loaded */
	size_t			 nentries;
	size_t			 ecap;
	bool			 have_odd;	/* agent_state */
	uint64_t		 odd_transitions;
	struct manifest_current	*current;	/* sorted by agent_id */
	size_t			 ncurrent;
	size_t			 ccap;
};

/* Loads the manifest at path into *m (zeroed by the caller); false after printing why not. */
bool manifest_load(const char *path, struct manifest *m);

/* Returns the entry for key, or NULL. */
struct manifest_key *manifest_find(const struct manifest *m, const char *key);

/* Writes the lookup key of an entry into out: the texts and the times (as
 * decimal µs) in the family's key order, joined by \x1f.  False when it
 * does not fit. */
bool manifest_entry_key(int family, const char *a, const char *b, int64_t t,
    char *out, size_t size);

/* Returns the entry for a lookup key, or NULL. */
struct manifest_entry *manifest_find_entry(const struct manifest *m,
    const char *key);

/* Returns an agent's "current" member, or NULL. */
struct manifest_current *manifest_find_current(const struct manifest *m,
    const char *agent_id);

/* Frees what manifest_load allocated, also after a failed load. */
void manifest_free(struct manifest *m);

/* Parses RFC 3339 date-time text into microseconds since the epoch. */
bool manifest_parse_timestamp(const char *s, int64_t *out);

#endif
