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
	const struct jval *ev = re->ev;

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
analytics_observe(const struct jval *ev, struct obs_values *o)
{
	const struct jval *et = jval_get(ev, "eventType");

	if (!jval_str_eq(et, "interaction") ||
	    !jval_str_eq(jval_get(ev, "state"), "active"))
		return false;
	o->type = et;
	o->queue = row_string(jval_get(ev, "queueName"));
	o->agent = row_string(jval_get(ev, "agentId"));
	o->state = row_string(jval_get(ev, "state"));
	o->handle_time = jval_get(ev, "handleTime");
	o->wait_time = jval_get(ev, "waitTime");
	o->queue_time = jval_get(ev, "queueTime");
	return true;
}

const struct family_rules analytics_rules = {
	AN_NFIELDS, analytics_build_row, analytics_observe
};
