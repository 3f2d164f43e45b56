/* The agent_state family (agent.state.change) as rows of
 * agent_state_changes, with the [states] matrix's verdict. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>

#include "record.h"
#include "row.h"
#include "validate.h"

static int
agent_state_build_row(struct buf *b, struct row_event *re, char *reason,
    size_t len)
{
	const struct jval *ev = re->ev;
	const char	*from, *to;
	char		 latency[32];

	row_add_receipt(b, re);
	if (row_add_required(b, ev, "agentId", "/agentId", reason, len) == -1)
		return -1;
	row_add_instant(b, re->event_us);
	if (row_add_required(b, ev, "previousState", "/previousState", reason, len) == -1 ||
	    row_add_required(b, ev, "currentState", "/currentState", reason, len) == -1 ||
	    row_add_string(b, ev, "reasonCode", "/reasonCode", reason, len) == -1)
		return -1;
	/* Both are strings without a NUL, or the row was refused above. */
	from = jval_cstr(re->doc, jval_get(ev, "previousState"));
	to = jval_cstr(re->doc, jval_get(ev, "currentState"));
	re->rejected = !config_states_allowed(re->states, from, to);
	tuple_add_str(b, re->rejected ? "rejected" : "accepted");
	snprintf(latency, sizeof(latency), "%" PRId64,
	    re->received_us - re->event_us);
	tuple_add_str(b, latency);
	return 0;
}

/* Observed by the state the agent is now in. */
static bool
agent_state_observe(const struct jval *ev, struct obs_values *o)
{
	o->type = row_string(jval_get(ev, "type"));
	o->agent = row_string(jval_get(ev, "agentId"));
	o->state = row_string(jval_get(ev, "currentState"));
	return o->type != NULL;
}

const struct family_rules agent_state_rules = {
	AS_NFIELDS, agent_state_build_row, agent_state_observe
};
