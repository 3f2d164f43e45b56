/* The analytics family (interaction, agent and queue events) as rows of
 * analytics_events. */
#include "autoconf.h"

#include <string.h>

#include "record.h"
#include "row.h"
#include "validate.h"

static int
analytics_build_row(struct buf *b, struct row_event *re, char *reason,
    size_t len)
{
	json_t	*ev = re->json;

	row_add_receipt(b, re);
	if (row_add_required(b, ev, "interactionId", "/interactionId", reason, len) == -1)
		return -1;
	row_add_instant(b, re->event_us);
	if (row_add_required(b, ev, "eventType", "/eventType", reason, len) == -1 ||
	    row_add_required(b, ev, "state", "/state", reason, len) == -1)
		return -1;
	row_add_number(b, ev, "handleTime");
	row_add_number(b, ev, "waitTime");
	row_add_number(b, ev, "queueTime");
	if (row_add_string(b, ev, "queueName", "/queueName", reason, len) == -1 ||
	    row_add_string(b, ev, "agentId", "/agentId", reason, len) == -1 ||
	    row_add_time(b, ev, "lastUpdated", "/lastUpdated", reason, len) == -1)
		return -1;
	return 0;
}

/* Only active interactions feed the aggregates, by queue. */
static bool
analytics_obs_keys(json_t *ev, const char **type, const char **queue)
{
	const char	*et = json_string_value(json_object_get(ev, "eventType"));
	const char	*st = json_string_value(json_object_get(ev, "state"));

	if (et == NULL || st == NULL || strcmp(et, "interaction") != 0 ||
	    strcmp(st, "active") != 0)
		return false;
	*type = et;
	*queue = json_string_value(json_object_get(ev, "queueName"));
	return true;
}

const struct family_rules analytics_rules = {
	AN_NFIELDS, analytics_build_row, analytics_obs_keys
};
