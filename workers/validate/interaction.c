/* The interaction family (CXone Data Actions sink events) as table rows. */
#include "autoconf.h"

#include "record.h"
#include "row.h"
#include "validate.h"

/* The row of cxone_events; the timestamp stays the text as received. */
static int
interaction_build_row(struct buf *b, struct row_event *re, char *reason,
    size_t len)
{
	const struct jval *ev = re->ev, *attrs = jval_get(ev, "attributes");

	row_add_receipt(b, re);
	if (row_add_string(b, ev, "interactionId", "/interactionId", reason, len) == -1 ||
	    row_add_string(b, ev, "timestamp", "/timestamp", reason, len) == -1 ||
	    row_add_string(b, ev, "type", "/type", reason, len) == -1 ||
	    row_add_string(b, ev, "idempotencyKey", "/idempotencyKey", reason, len) == -1)
		return -1;
	row_add_number(b, attrs, "duration");
	if (row_add_string(b, attrs, "disposition", "/attributes/disposition",
	    reason, len) == -1 ||
	    row_add_string(b, attrs, "queueName", "/attributes/queueName",
	    reason, len) == -1 ||
	    row_add_string(b, attrs, "agentId", "/attributes/agentId",
	    reason, len) == -1)
		return -1;
	return 0;
}

/* Observed by type and queue. */
static bool
interaction_observe(const struct jval *ev, struct obs_values *o)
{
	const struct jval *attrs = jval_get(ev, "attributes");

	o->type = row_string(jval_get(ev, "type"));
	o->queue = row_string(jval_get(attrs, "queueName"));
	o->agent = row_string(jval_get(attrs, "agentId"));
	o->handle_time = jval_get(attrs, "duration");
	return o->type != NULL;
}

const struct family_rules interaction_rules = {
	IX_NFIELDS, interaction_build_row, interaction_observe
};
