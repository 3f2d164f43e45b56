/*
 * families.c: the table of event families (their shapes are described in
 * families.h), dispatch to each family's generator, and the helpers the
 * generators share: timestamps, ids, JSON output and the damage that makes
 * an event invalid.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "families.h"
#include "interaction.h"
#include "log.h"
#include "xmalloc.h"

struct family {
	const struct family_ops	*ops;
	void			*impl;
};

/* The interaction family is interaction.c; these adapt it to family_ops. */
static void *
family_ia_create(uint64_t seed, uint64_t new_keys)
{
	return interaction_new(seed, new_keys);
}

static void
family_ia_destroy(void *impl)
{
	interaction_free(impl);
}

static uint64_t
family_ia_keys(const void *impl)
{
	return interaction_keys(impl);
}

static void
family_ia_put_new(void *impl, struct gen_buf *b, int64_t now_us)
{
	(void)now_us;
	interaction_put_new(impl, b);
}

static void
family_ia_put_repeat(void *impl, struct gen_buf *b, int64_t now_us)
{
	(void)now_us;
	interaction_put_repeat(impl, b);
}

static void
family_ia_put_invalid(void *impl, struct gen_buf *b, int64_t now_us)
{
	(void)now_us;
	interaction_put_invalid(impl, b);
}

static void
family_ia_put_manifest_key(const void *impl, uint64_t index, struct gen_buf *b)
{
	interaction_put_manifest_key(impl, index, b);
}

static uint64_t
family_ia_invalid_sent(const void *impl, size_t kind)
{
	return interaction_invalid_sent(impl, kind);
}

static const struct family_ops family_interaction_ops = {
	family_ia_create, family_ia_destroy, family_ia_keys,
	family_ia_put_new, family_ia_put_repeat, family_ia_put_invalid,
	family_ia_keys, family_ia_put_manifest_key, NULL,
	interaction_invalid_kinds, interaction_invalid_name,
	family_ia_invalid_sent
};

static const struct {
	const char		*name;
	const struct family_ops	*ops;
} family_table[FAMILY_COUNT] = {
	{ "interaction", &family_interaction_ops },
	{ "analytics", &family_analytics_ops },
	{ "agent_state", &family_agent_state_ops },
	{ "data_action", &family_data_action_ops },
};

const char *
family_name(enum family_id id)
{
	return family_table[id].name;
}

bool
family_lookup(const char *name, enum family_id *out)
{
	int i;

	for (i = 0; i < FAMILY_COUNT; i++)
		if (strcmp(name, family_table[i].name) == 0) {
			*out = (enum family_id)i;
			return true;
		}
	return false;
}

struct family *
family_new(enum family_id id, uint64_t seed, uint64_t new_keys)
{
	struct family *f = xcalloc(1, sizeof(*f));

	f->ops = family_table[id].ops;
	f->impl = f->ops->create(seed, new_keys);
	return f;
}

void
family_free(struct family *f)
{
	if (f == NULL)
		return;
	f->ops->destroy(f->impl);
	free(f);
}

uint64_t
family_keys(const struct family *f)
{
	return f->ops->keys(f->impl);
}

void
family_put_new(struct family *f, struct gen_buf *b, int64_t now_us)
{
	f->ops->put_new(f->impl, b, now_us);
}

void
family_put_repeat(struct family *f, struct gen_buf *b, int64_t now_us)
{
	f->ops->put_repeat(f->impl, b, now_us);
}

void
family_put_invalid(struct family *f, struct gen_buf *b, int64_t now_us)
{
	f->ops->put_invalid(f->impl, b, now_us);
}

uint64_t
family_manifest_keys(const struct family *f)
{
	return f->ops->manifest_keys(f->impl);
}

void
family_put_manifest_key(const struct family *f, uint64_t index,
    struct gen_buf *b)
{
	f->ops->put_manifest_key(f->impl, index, b);
}

void
family_put_manifest_extra(const struct family *f, struct gen_buf *b)
{
	if (f->ops->put_manifest_extra != NULL)
		f->ops->put_manifest_extra(f->impl, b);
}

size_t
family_invalid_kinds(const struct family *f)
{
	return f->ops->invalid_kinds();
}

const char *
family_invalid_name(const struct family *f, size_t kind)
{
	return f->ops->invalid_name(kind);
}

uint64_t
family_invalid_sent(const struct family *f, size_t kind)
{
	return f->ops->invalid_sent(f->impl, kind);
}

/* Writes an instant as RFC 3339 UTC text with microseconds into out. */
void
family_format_time(int64_t us, char *out, size_t size)
{
	time_t secs = (time_t)(us / FAMILY_USEC);
	long frac = (long)(us % FAMILY_USEC);
	struct tm tm;

	if (frac < 0) {
		frac += FAMILY_USEC;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
}

/* Appends an instant as quoted RFC 3339 text. */
void
family_put_time(struct gen_buf *b, int64_t us)
{
	char text[40];

	family_format_time(us, text, sizeof(text));
	gen_buf_put(b, "\"", 1);
	gen_buf_puts(b, text);
	gen_buf_put(b, "\"", 1);
}

/* Returns an instant as a JSON string (a new reference). */
json_t *
family_time_json(int64_t us)
{
	char text[40];

	family_format_time(us, text, sizeof(text));
	return json_string(text);
}

/* Writes agent number agent's id, the same text in every family, into out. */
void
family_format_agent(unsigned agent, char *out, size_t size)
{
	snprintf(out, size, "%u", 70000 + 13 * agent);
}

/* Returns agent number agent's id as a JSON string (a new reference). */
json_t *
family_agent_json(unsigned agent)
{
	char text[24];

	family_format_agent(agent, text, sizeof(text));
	return json_string(text);
}

/* Returns a count of half seconds as a JSON number: whole, or with .5. */
json_t *
family_json_half(uint32_t halves)
{
	if (halves % 2 == 0)
		return json_integer(halves / 2);
	return json_real(halves / 2.0);
}

/* Appends what jansson writes, for json_dump_callback. */
static int
family_dump_cb(const char *buffer, size_t size, void *data)
{
	gen_buf_put(data, buffer, size);
	return 0;
}

/* Appends v as compact JSON, members in the order they were set. */
void
family_put_json(struct gen_buf *b, const json_t *v)
{
	json_dump_callback(v, family_dump_cb, b,
	    JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* Damages event as kind says (variant picks the value); returns the result. */
json_t *
family_damage(json_t *event, const struct family_kind *kind, unsigned variant)
{
	const char *text = kind->nvalues > 0 ?
	    kind->values[variant % kind->nvalues] : NULL;
	json_t *target = event, *v, *array;

	if (kind->parent != NULL)
		target = json_object_get(event, kind->parent);
	switch (kind->damage) {
	case FD_OMIT:
		json_object_del(target, kind->member);
		break;
	case FD_REPLACE:
		if ((v = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL)
			fatalx("family: bad damage value %s", text);
		json_object_set_new(target, kind->member, v);
		break;
	case FD_TOP_LEVEL:
		if (text == NULL) {
			array = json_array();
			json_array_append_new(array, event);
			return array;
		}
		json_decref(event);
		if ((v = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL)
			fatalx("family: bad damage value %s", text);
		return v;
	}
	return event;
}

/*
 * Appends the manifest member "part|part|...": entry with "sends" added;
 * takes the reference to entry.
 */
void
family_put_key_member(struct gen_buf *b, json_t *entry,
    const char *const *parts, size_t nparts, uint64_t sends)
{
	struct gen_buf key = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < nparts; i++) {
		if (i > 0)
			gen_buf_put(&key, "|", 1);
		gen_buf_puts(&key, parts[i]);
	}
	gen_buf_put(&key, "", 1);
	gen_buf_put_json_string(b, key.data);
	free(key.data);
	gen_buf_put(b, ":", 1);
	json_object_set_new(entry, "sends", json_integer((json_int_t)sends));
	family_put_json(b, entry);
	json_decref(entry);
}
