/* manifest.h: reading a "cxpipe-sim generate" manifest (interaction family). */
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

struct manifest {
	struct manifest_key	*keys;		/* sorted by key once loaded */
	size_t			 nkeys;
	size_t			 cap;
	struct manifest_chunk	*chunks;	/* the strings */
	bool			 have_counts;	/* invalid_total and garbage */
	uint64_t		 invalid_total;
	uint64_t		 garbage;
};

/* Loads the manifest at path into *m (zeroed by the caller); false after printing why not. */
bool manifest_load(const char *path, struct manifest *m);

/* Returns the entry for key, or NULL. */
struct manifest_key *manifest_find(const struct manifest *m, const char *key);

/* Frees what manifest_load allocated, also after a failed load. */
void manifest_free(struct manifest *m);

/* Parses RFC 3339 date-time text into microseconds since the epoch. */
bool manifest_parse_timestamp(const char *s, int64_t *out);

#endif
