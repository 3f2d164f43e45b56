/* The data_action family as rows of data_action_events, each with the UTC
 * minute it is counted in. */
#include "autoconf.h"

#include <stdio.h>

#include "record.h"
#include "row.h"
#include "timestamp.h"
#include "validate.h"

static int
data_action_build_row(struct buf *b, struct row_event *re, char *reason,
    size_t len)
{
	const struct jval *data = jval_get(re->ev, "data");

	if (data == NULL || data->type != JT_OBJECT) {
		snprintf(reason, len, "/data: the event has no data object");
		return -1;
	}
	row_add_receipt(b, re);
	if (row_add_required(b, data, "actionId", "/data/actionId", reason, len) == -1 ||
	    row_add_required(b, data, "eventType", "/data/eventType", reason, len) == -1)
		return -1;
	row_add_instant(b, re->event_us);
	row_add_instant(b, timestamp_minute(re->event_us));
	return 0;
}

/* Observed by event type (data.eventType). */
static bool
data_action_observe(const struct jval *ev, struct obs_values *o)
{
	const struct jval *data = jval_get(ev, "data");

	o->type = row_string(jval_get(data, "eventType"));
	o->action = row_string(jval_get(data, "actionId"));
	return o->type != NULL;
}

const struct family_rules data_action_rules = {
	DA_NFIELDS, data_action_build_row, data_action_observe
};
