/*
 * Silences: a rule (optionally one scope value) whose notifications are not
 * delivered until a time.  Kept in a JSON file under spool_dir, rewritten
 * with an atomic rename on every change, read at start: silences survive a
 * restart of the alert worker and of the daemon.
 */
#ifndef CXPIPE_SILENCE_H
#define CXPIPE_SILENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "tuple.h"

struct silence_set;

/* Reads the file at path (missing: no silences). */
struct silence_set *silence_set_load(const char *path);
void		 silence_set_free(struct silence_set *);
/* Adds a silence of rule (scope NULL: every scope value) until until_s
 * (epoch seconds); returns its id, or -1 with the reason in err (the file
 * could not be written). */
long long	 silence_add(struct silence_set *, const char *rule,
		    const char *scope, int64_t until_s, const char *comment,
		    int64_t now_s, char *err, size_t errlen);
/* Removes silence id; returns 0, or -1 when there is none. */
int		 silence_remove(struct silence_set *, long long id,
		    int64_t now_s, char *err, size_t errlen);
/* True when a live silence covers rule and scope at now_s. */
bool		 silence_match(const struct silence_set *, const char *rule,
		    const char *scope, int64_t now_s);
/* Appends one line per live silence (or a JSON array when json). */
void		 silence_list(const struct silence_set *, int64_t now_s,
		    bool json, struct buf *);

#endif
