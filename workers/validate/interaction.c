/* The interaction family (CXone Data Actions sink events) as table rows. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "record.h"
#include "validate.h"

/* Adds a string member, or NULL when it is absent or null.  Returns -1
 * when the string holds a NUL, which PostgreSQL text cannot store. */
static int
add_opt_string(struct buf *b, json_t *obj, const char *key)
{
	json_t	*v = obj != NULL ? json_object_get(obj, key) : NULL;

	if (!json_is_string(v)) {
		tuple_add_null(b);
		return 0;
	}
	if (strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	tuple_add(b, json_string_value(v), json_string_length(v));
	return 0;
}

/* Adds a number member as PostgreSQL numeric text, or NULL. */
static void
add_opt_number(struct buf *b, json_t *obj, const char *key)
{
	json_t	*v = obj != NULL ? json_object_get(obj, key) : NULL;
	char	 num[64];

	if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	else {
		tuple_add_null(b);
		return;
	}
	tuple_add_str(b, num);
}

int
interaction_build_row(struct buf *b, const char *source, const char *received_us,
    json_t *ev, char *reason, size_t len)
{
	json_t		*attrs = json_object_get(ev, "attributes");
	const char	*bad = NULL;

	if (!json_is_object(attrs))
		attrs = NULL;
	tuple_add_str(b, source);
	tuple_add_str(b, received_us);
	if (add_opt_string(b, ev, "interactionId") == -1)
		bad = "/interactionId";
	else if (add_opt_string(b, ev, "timestamp") == -1)
		bad = "/timestamp";
	else if (add_opt_string(b, ev, "type") == -1)
		bad = "/type";
	else if (add_opt_string(b, ev, "idempotencyKey") == -1)
		bad = "/idempotencyKey";
	add_opt_number(b, attrs, "duration");
	if (bad == NULL && add_opt_string(b, attrs, "disposition") == -1)
		bad = "/attributes/disposition";
	else if (bad == NULL && add_opt_string(b, attrs, "queueName") == -1)
		bad = "/attributes/queueName";
	else if (bad == NULL && add_opt_string(b, attrs, "agentId") == -1)
		bad = "/attributes/agentId";
	if (bad != NULL) {
		snprintf(reason, len, "%s: a NUL character (\\u0000) cannot be "
		    "stored in PostgreSQL text", bad);
		return -1;
	}
	return 0;
}

void
interaction_obs_keys(json_t *ev, const char **type, const char **queue)
{
	json_t	*attrs = json_object_get(ev, "attributes");

	*type = json_string_value(json_object_get(ev, "type"));
	*queue = json_is_object(attrs) ?
	    json_string_value(json_object_get(attrs, "queueName")) : NULL;
}
