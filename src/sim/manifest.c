/*
 * manifest.c: reads the manifest that "cxpipe-sim generate" or "serve"
 * wrote into compact records sorted by key, for verify to look rows up in
 * (interaction keys here, the other families' in manifest_families.c).
 *
 * The file is mapped and read one member at a time: jansson parses each key's
 * entry (not the whole file, whose tree would take gigabytes at a million
 * keys), and pages already read are given back as the reader moves on.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "families.h"
#include "manifest.h"
#include "manifest_internal.h"

#define MANIFEST_CHUNK_SIZE	(1 << 20)
#define MANIFEST_DROP_BYTES	(8 << 20)	/* give back mapped input */

/* A block of the arena that holds the manifest's strings. */
struct manifest_chunk {
	struct manifest_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

/* Where the reader stands in the mapped file. */
struct manifest_cursor {
	const char	*base;
	const char	*p;
	const char	*end;
	size_t		 dropped;	/* bytes already given back */
	char		 why[JSON_ERROR_TEXT_LENGTH];	/* jansson's complaint */
};

/* Copies s (n bytes) into the manifest's arena; returns the copy. */
const char *
manifest_save_string(struct manifest *m, const char *s, size_t n)
{
	struct manifest_chunk *c = m->chunks;
	size_t size;
	char *copy;

	if (c == NULL || c->size - c->used < n + 1) {
		size = n + 1 > MANIFEST_CHUNK_SIZE ? n + 1 : MANIFEST_CHUNK_SIZE;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			err(1, "out of memory");
		c->next = m->chunks;
		c->used = 0;
		c->size = size;
		m->chunks = c;
	}
	copy = c->data + c->used;
	memcpy(copy, s, n);
	copy[n] = '\0';
	c->used += n + 1;
	return copy;
}

void
manifest_free(struct manifest *m)
{
	struct manifest_chunk *c;

	while ((c = m->chunks) != NULL) {
		m->chunks = c->next;
		free(c);
	}
	free(m->keys);
	m->keys = NULL;
	m->nkeys = m->cap = 0;
	free(m->entries);
	m->entries = NULL;
	m->nentries = m->ecap = 0;
	free(m->current);
	m->current = NULL;
	m->ncurrent = m->ccap = 0;
}

/* Reads exactly n digits at *sp as a number, moving *sp past them. */
static bool
manifest_read_digits(const char **sp, int n, int *out)
{
	const char *s = *sp;

	for (*out = 0; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return false;
		*out = *out * 10 + (*s - '0');
	}
	*sp = s;
	return true;
}

/* Parses RFC 3339 date-time text into microseconds since the epoch. */
bool
manifest_parse_timestamp(const char *s, int64_t *out)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, digits = 0, leap;
	int64_t frac = 0, scale = 100000;
	struct tm tm;

	if (!manifest_read_digits(&s, 4, &y) || *s++ != '-' ||
	    !manifest_read_digits(&s, 2, &mo) || *s++ != '-' ||
	    !manifest_read_digits(&s, 2, &d))
		return false;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return false;
	s++;
	if (!manifest_read_digits(&s, 2, &h) || *s++ != ':' ||
	    !manifest_read_digits(&s, 2, &mi) || *s++ != ':' ||
	    !manifest_read_digits(&s, 2, &sec))
		return false;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits < 6) {
				frac += (*s - '0') * scale;
				scale /= 10;
			} else if (digits == 6 && *s >= '5')
				frac++;		/* round, as PostgreSQL does */
		}
		if (digits == 0)
			return false;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (!manifest_read_digits(&s, 2, &oh) || *s++ != ':' ||
		    !manifest_read_digits(&s, 2, &om))
			return false;
	} else
		return false;
	leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;	/* 60 rolls over to the next minute */
	*out = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) *
	    1000000 + frac;
	return true;
}

/* Copies a string-or-null member of o; false if it is something else. */
static bool
manifest_take_string(struct manifest *m, json_t *o, const char *name,
    bool nullable, const char **out)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	if (nullable && json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	*out = manifest_save_string(m, json_string_value(v),
	    json_string_length(v));
	return true;
}

/* Adds the manifest entry name: o; returns an error text or NULL. */
static const char *
manifest_add_key(struct manifest *m, json_t *name, json_t *o)
{
	struct manifest_key *k;
	json_t *v;

	if (!json_is_string(name) || !json_is_object(o))
		return "a key entry is not \"string\": {object}";
	if (m->nkeys == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4096;
		if ((m->keys = realloc(m->keys, m->cap * sizeof(*k))) == NULL)
			err(1, "out of memory");
	}
	k = &m->keys[m->nkeys];
	memset(k, 0, sizeof(*k));
	k->key = manifest_save_string(m, json_string_value(name),
	    json_string_length(name));
	if (!manifest_take_string(m, o, "interactionId", false,
	    &k->interaction_id) ||
	    !manifest_take_string(m, o, "type", false, &k->type) ||
	    !manifest_take_string(m, o, "disposition", true, &k->disposition) ||
	    !manifest_take_string(m, o, "queue_name", true, &k->queue_name) ||
	    !manifest_take_string(m, o, "agent_id", true, &k->agent_id))
		return "interactionId, type, disposition, queue_name or "
		    "agent_id is missing or not a string";
	v = json_object_get(o, "timestamp");
	if (!json_is_string(v) ||
	    !manifest_parse_timestamp(json_string_value(v), &k->ts_us))
		return "timestamp is missing or not RFC 3339";
	v = json_object_get(o, "duration");
	if (!json_is_null(v) && !json_is_integer(v))
		return "duration is missing or not an integer or null";
	k->has_duration = json_is_integer(v);
	k->duration = json_integer_value(v);
	v = json_object_get(o, "sends");
	if (!json_is_integer(v) || (k->sends = json_integer_value(v)) < 1)
		return "sends is missing or not a positive integer";
	m->nkeys++;
	return NULL;
}

/* Skips white space and gives back mapped pages already read. */
static void
manifest_skip_space(struct manifest_cursor *c)
{
	size_t done;

	while (c->p < c->end && strchr(" \t\r\n", *c->p) != NULL)
		c->p++;
	done = (size_t)(c->p - c->base);
	if (done - c->dropped >= MANIFEST_DROP_BYTES) {
		done &= ~((size_t)sysconf(_SC_PAGESIZE) - 1);
		madvise((char *)c->base + c->dropped, done - c->dropped,
		    MADV_DONTNEED);
		c->dropped = done;
	}
}

/* Consumes ch after white space; false if something else comes. */
static bool
manifest_expect(struct manifest_cursor *c, char ch)
{
	manifest_skip_space(c);
	if (c->p == c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* Parses the JSON value at the cursor; returns it (caller decrefs) or NULL. */
static json_t *
manifest_next_value(struct manifest_cursor *c)
{
	json_error_t error;
	json_t *v;

	manifest_skip_space(c);
	v = json_loadb(c->p, (size_t)(c->end - c->p),
	    JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &error);
	if (v != NULL)
		c->p += error.position;
	else
		snprintf(c->why, sizeof(c->why), "%s", error.text);
	return v;
}

/* Reads the "keys" object; returns an error text or NULL. */
static const char *
manifest_read_keys(struct manifest_cursor *c, struct manifest *m)
{
	const char *error = NULL;
	json_t *name, *entry;

	if (!manifest_expect(c, '{'))
		return "\"keys\" is not an object";
	if (manifest_expect(c, '}'))
		return NULL;
	do {
		if ((name = manifest_next_value(c)) == NULL ||
		    !manifest_expect(c, ':') ||
		    (entry = manifest_next_value(c)) == NULL) {
			json_decref(name);
			return "bad JSON in \"keys\"";
		}
		error = m->family == FAMILY_INTERACTION ?
		    manifest_add_key(m, name, entry) :
		    manifest_add_entry(m, name, entry);
		json_decref(name);
		json_decref(entry);
	} while (error == NULL && manifest_expect(c, ','));
	if (error == NULL && !manifest_expect(c, '}'))
		error = "expected , or } in \"keys\"";
	return error;
}

/* Takes the "family" member; it must come before "keys". */
static const char *
manifest_read_family(struct manifest *m, json_t *v)
{
	enum family_id id;

	if (!json_is_string(v) || !family_lookup(json_string_value(v), &id))
		return "family is not one of interaction, analytics, "
		    "agent_state, data_action";
	if (id != FAMILY_INTERACTION && m->nkeys > 0)
		return "family comes after the keys";
	m->family = (int)id;
	return NULL;
}

/* Reads the top-level members; returns an error text or NULL. */
static const char *
manifest_read_top(struct manifest_cursor *c, struct manifest *m)
{
	const char *error = NULL, *s;
	json_t *name, *v;
	bool have_invalid = false, have_garbage = false;

	if (!manifest_expect(c, '{'))
		return "not a JSON object";
	while (error == NULL) {
		if ((name = manifest_next_value(c)) == NULL ||
		    !json_is_string(name) || !manifest_expect(c, ':')) {
			json_decref(name);
			return "bad JSON";
		}
		s = json_string_value(name);
		if (strcmp(s, "keys") == 0)
			error = manifest_read_keys(c, m);
		else if ((v = manifest_next_value(c)) == NULL)
			error = "bad JSON";
		else {
			if (strcmp(s, "family") == 0)
				error = manifest_read_family(m, v);
			else if (strcmp(s, "current") == 0)
				error = manifest_add_current(m, v);
			else if (strcmp(s, "odd_transitions") == 0) {
				m->have_odd = json_is_integer(v) &&
				    json_integer_value(v) >= 0;
				m->odd_transitions =
				    (uint64_t)json_integer_value(v);
			} else if (strcmp(s, "invalid_total") == 0) {
				have_invalid = json_is_integer(v) &&
				    json_integer_value(v) >= 0;
				m->invalid_total = (uint64_t)json_integer_value(v);
			} else if (strcmp(s, "garbage") == 0) {
				have_garbage = json_is_integer(v) &&
				    json_integer_value(v) >= 0;
				m->garbage = (uint64_t)json_integer_value(v);
			}
			json_decref(v);
		}
		json_decref(name);
		if (error == NULL && !manifest_expect(c, ','))
			break;
	}
	if (error == NULL && !manifest_expect(c, '}'))
		error = "expected , or } after a member";
	if (error == NULL) {
		manifest_skip_space(c);
		if (c->p != c->end)
			error = "text after the manifest object";
	}
	m->have_counts = have_invalid && have_garbage;
	return error;
}

/* Orders keys by their text, for qsort and bsearch. */
static int
manifest_compare_keys(const void *a, const void *b)
{
	return strcmp(((const struct manifest_key *)a)->key,
	    ((const struct manifest_key *)b)->key);
}

/* Loads and sorts the manifest at path; false after printing why not. */
bool
manifest_load(const char *path, struct manifest *m)
{
	struct manifest_cursor c;
	struct stat st;
	const char *error;
	char why[256];
	void *map;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		warn("manifest %s", path);
		if (fd != -1)
			close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		warnx("manifest %s: not a regular file, or empty", path);
		close(fd);
		return false;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		warn("manifest %s: mmap", path);
		return false;
	}
	c.base = c.p = map;
	c.end = c.base + st.st_size;
	c.dropped = 0;
	c.why[0] = '\0';
	error = manifest_read_top(&c, m);
	if (error != NULL)
		warnx("manifest %s: near byte %zu: %s%s%s", path,
		    (size_t)(c.p - c.base), error, c.why[0] ? ": " : "", c.why);
	munmap(map, (size_t)st.st_size);
	if (error != NULL)
		return false;
	if ((error = manifest_finish_entries(m, why, sizeof(why))) != NULL) {
		warnx("manifest %s: %s", path, error);
		return false;
	}
	if (m->nkeys > 0)
		qsort(m->keys, m->nkeys, sizeof(*m->keys),
		    manifest_compare_keys);
	for (i = 1; i < m->nkeys; i++)
		if (strcmp(m->keys[i - 1].key, m->keys[i].key) == 0) {
			warnx("manifest %s: key %s appears twice", path,
			    m->keys[i].key);
			return false;
		}
	return true;
}

/* Finds key's entry by binary search; the keys are sorted by manifest_load. */
struct manifest_key *
manifest_find(const struct manifest *m, const char *key)
{
	struct manifest_key probe;

	if (m->nkeys == 0)
		return NULL;
	probe.key = key;
	return bsearch(&probe, m->keys, m->nkeys, sizeof(probe),
	    manifest_compare_keys);
}
