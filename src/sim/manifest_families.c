/*
 * manifest_families.c: the keys of analytics, agent_state and data_action
 * manifests (shapes in families.h and serve_*.c), and agent_state's
 * "current", as compact entries sorted by a lookup key made from the
 * fields a table row has too (manifest_entry_key).
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

#include <jansson.h>

#include "families.h"
#include "manifest.h"
#include "manifest_internal.h"

bool
manifest_entry_key(int family, const char *a, const char *b, int64_t t,
    char *out, size_t size)
{
	int n;

	switch (family) {
	case FAMILY_ANALYTICS:		/* interactionId, timestamp, eventType */
		n = snprintf(out, size, "%s\x1f%" PRId64 "\x1f%s", a, t, b);
		break;
	case FAMILY_AGENT_STATE:	/* agentId, timestamp */
		n = snprintf(out, size, "%s\x1f%" PRId64, a, t);
		break;
	default:			/* actionId, eventType, minute */
		n = snprintf(out, size, "%s\x1f%s\x1f%" PRId64, a, b, t);
		break;
	}
	return n >= 0 && (size_t)n < size;
}

/* Copies string member name of o into *out; false if it is no string. */
static bool
manifest_entry_string(struct manifest *m, json_t *o, const char *name,
    const char **out)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return false;
	*out = manifest_save_string(m, json_string_value(v),
	    json_string_length(v));
	return true;
}

/* Copies number member name of o as JSON text; false if it is no number. */
static bool
manifest_entry_number(struct manifest *m, json_t *o, const char *name,
    const char **out)
{
	json_t *v = json_object_get(o, name);
	char *text;

	if (!json_is_number(v) ||
	    (text = json_dumps(v, JSON_ENCODE_ANY)) == NULL)
		return false;
	*out = manifest_save_string(m, text, strlen(text));
	free(text);
	return true;
}

/* Parses time member name of o into *out; false if it is not RFC 3339. */
static bool
manifest_entry_time(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) &&
	    manifest_parse_timestamp(json_string_value(v), out);
}

/* Reads an analytics entry: the event last sent. */
static const char *
manifest_entry_analytics(struct manifest *m, json_t *o,
    struct manifest_entry *e)
{
	const char **v = e->v;

	if (!manifest_entry_string(m, o, "interactionId",
	    &v[MV_AN_INTERACTION_ID]) ||
	    !manifest_entry_string(m, o, "eventType", &v[MV_AN_EVENT_TYPE]) ||
	    !manifest_entry_string(m, o, "state", &v[MV_AN_STATE]) ||
	    !manifest_entry_string(m, o, "queueName", &v[MV_AN_QUEUE_NAME]) ||
	    !manifest_entry_string(m, o, "agentId", &v[MV_AN_AGENT_ID]))
		return "interactionId, eventType, state, queueName or agentId "
		    "is missing or not a string";
	if (!manifest_entry_number(m, o, "handleTime", &v[MV_AN_HANDLE_TIME]) ||
	    !manifest_entry_number(m, o, "waitTime", &v[MV_AN_WAIT_TIME]) ||
	    !manifest_entry_number(m, o, "queueTime", &v[MV_AN_QUEUE_TIME]))
		return "handleTime, waitTime or queueTime is missing or not a "
		    "number";
	if (!manifest_entry_time(o, "timestamp", &e->t[MT_TIME]) ||
	    !manifest_entry_time(o, "lastUpdated", &e->t[MT_LAST_UPDATED]))
		return "timestamp or lastUpdated is missing or not RFC 3339";
	return NULL;
}

/* Reads an agent_state entry: the change last sent. */
static const char *
manifest_entry_agent_state(struct manifest *m, json_t *o,
    struct manifest_entry *e)
{
	const char **v = e->v;

	if (!manifest_entry_string(m, o, "agentId", &v[MV_AS_AGENT_ID]) ||
	    !manifest_entry_string(m, o, "previousState",
	    &v[MV_AS_PREVIOUS_STATE]) ||
	    !manifest_entry_string(m, o, "currentState",
	    &v[MV_AS_CURRENT_STATE]) ||
	    !manifest_entry_string(m, o, "reasonCode", &v[MV_AS_REASON_CODE]))
		return "agentId, previousState, currentState or reasonCode is "
		    "missing or not a string";
	if (!manifest_entry_time(o, "timestamp", &e->t[MT_TIME]))
		return "timestamp is missing or not RFC 3339";
	return NULL;
}

/* Reads a data_action entry: a bucket and its count of distinct events. */
static const char *
manifest_entry_data_action(struct manifest *m, json_t *o,
    struct manifest_entry *e)
{
	json_t *count = json_object_get(o, "count");

	if (!manifest_entry_string(m, o, "actionId", &e->v[MV_DA_ACTION_ID]) ||
	    !manifest_entry_string(m, o, "eventType", &e->v[MV_DA_EVENT_TYPE]))
		return "actionId or eventType is missing or not a string";
	if (!manifest_entry_time(o, "minute", &e->t[MT_TIME]))
		return "minute is missing or not RFC 3339";
	if (!json_is_integer(count) || (e->count = json_integer_value(count)) < 1)
		return "count is missing or not a positive integer";
	return NULL;
}

const char *
manifest_add_entry(struct manifest *m, json_t *name, json_t *o)
{
	struct manifest_entry *e;
	const char *error;
	char key[1024];
	json_t *v;
	bool fits;

	if (!json_is_string(name) || !json_is_object(o))
		return "a key entry is not \"string\": {object}";
	if (m->nentries == m->ecap) {
		m->ecap = m->ecap ? m->ecap * 2 : 4096;
		if ((m->entries = realloc(m->entries, m->ecap * sizeof(*e))) ==
		    NULL)
			err(1, "out of memory");
	}
	e = &m->entries[m->nentries];
	memset(e, 0, sizeof(*e));
	if (m->family == FAMILY_ANALYTICS)
		error = manifest_entry_analytics(m, o, e);
	else if (m->family == FAMILY_AGENT_STATE)
		error = manifest_entry_agent_state(m, o, e);
	else
		error = manifest_entry_data_action(m, o, e);
	if (error != NULL)
		return error;
	v = json_object_get(o, "sends");
	if (!json_is_integer(v) || (e->sends = json_integer_value(v)) < 1)
		return "sends is missing or not a positive integer";
	fits = manifest_entry_key(m->family, e->v[0], e->v[1], e->t[MT_TIME],
	    key, sizeof(key));
	if (!fits)
		return "a key is too long";
	e->key = manifest_save_string(m, key, strlen(key));
	m->nentries++;
	return NULL;
}

const char *
manifest_add_current(struct manifest *m, json_t *o)
{
	struct manifest_current *c;
	const char *agent;
	json_t *state;

	if (!json_is_object(o))
		return "\"current\" is not an object";
	json_object_foreach(o, agent, state) {
		if (!json_is_string(state))
			return "a state in \"current\" is not a string";
		if (m->ncurrent == m->ccap) {
			m->ccap = m->ccap ? m->ccap * 2 : 64;
			if ((m->current = realloc(m->current,
			    m->ccap * sizeof(*c))) == NULL)
				err(1, "out of memory");
		}
		c = &m->current[m->ncurrent++];
		c->agent_id = manifest_save_string(m, agent, strlen(agent));
		c->state = manifest_save_string(m, json_string_value(state),
		    json_string_length(state));
		c->since = INT64_MIN;
		c->seen = false;
	}
	return NULL;
}

/* Orders entries by their lookup key. */
static int
manifest_compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct manifest_entry *)a)->key,
	    ((const struct manifest_entry *)b)->key);
}

/* Orders "current" by agent. */
static int
manifest_compare_current(const void *a, const void *b)
{
	return strcmp(((const struct manifest_current *)a)->agent_id,
	    ((const struct manifest_current *)b)->agent_id);
}

const char *
manifest_finish_entries(struct manifest *m, char *buf, size_t size)
{
	struct manifest_current *c;
	size_t i;

	if (m->nentries > 0)
		qsort(m->entries, m->nentries, sizeof(*m->entries),
		    manifest_compare_entries);
	for (i = 1; i < m->nentries; i++)
		if (strcmp(m->entries[i - 1].key, m->entries[i].key) == 0) {
			snprintf(buf, size, "an entry appears twice (%s)",
			    m->entries[i].v[0]);
			return buf;
		}
	if (m->ncurrent > 0)
		qsort(m->current, m->ncurrent, sizeof(*m->current),
		    manifest_compare_current);
	if (m->family != FAMILY_AGENT_STATE)
		return NULL;
	/* each agent's newest change: agent_states.since */
	for (i = 0; i < m->nentries; i++) {
		c = manifest_find_current(m, m->entries[i].v[MV_AS_AGENT_ID]);
		if (c != NULL && m->entries[i].t[MT_TIME] > c->since)
			c->since = m->entries[i].t[MT_TIME];
	}
	return NULL;
}

struct manifest_entry *
manifest_find_entry(const struct manifest *m, const char *key)
{
	struct manifest_entry probe;

	if (m->nentries == 0)
		return NULL;
	probe.key = key;
	return bsearch(&probe, m->entries, m->nentries, sizeof(probe),
	    manifest_compare_entries);
}

struct manifest_current *
manifest_find_current(const struct manifest *m, const char *agent_id)
{
	struct manifest_current probe;

	if (m->ncurrent == 0)
		return NULL;
	probe.agent_id = agent_id;
	return bsearch(&probe, m->current, m->ncurrent, sizeof(probe),
	    manifest_compare_current);
}
