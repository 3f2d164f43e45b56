#include "autoconf.h"

#include <string.h>

#include "rule.h"

int
rule_cmp_parse(const char *s)
{
	if (strcmp(s, ">") == 0)
		return RULE_GT;
	if (strcmp(s, ">=") == 0)
		return RULE_GE;
	if (strcmp(s, "<") == 0)
		return RULE_LT;
	if (strcmp(s, "<=") == 0)
		return RULE_LE;
	return -1;
}

/* True when value crosses threshold t under cmp. */
static bool
rule_crosses(enum rule_cmp cmp, double value, double t)
{
	switch (cmp) {
	case RULE_GT:
		return value > t;
	case RULE_GE:
		return value >= t;
	case RULE_LT:
		return value < t;
	case RULE_LE:
		return value <= t;
	}
	return false;
}

enum rule_severity
rule_severity_of(const struct rule_params *p, double value)
{
	if (rule_crosses(p->cmp, value, p->critical))
		return RULE_SEV_CRITICAL;
	if (rule_crosses(p->cmp, value, p->warning))
		return RULE_SEV_WARNING;
	return RULE_SEV_NONE;
}

enum rule_state
rule_step(struct rule_alert *a, const struct rule_params *p, bool have,
    double value, int64_t now_ms)
{
	enum rule_state		 before = a->state;
	enum rule_severity	 sev;

	sev = have ? rule_severity_of(p, value) : RULE_SEV_NONE;
	if (have)
		a->value = value;
	if (sev == RULE_SEV_NONE) {
		if (a->state == RULE_PENDING)
			a->state = RULE_INACTIVE;
		else if (a->state == RULE_FIRING) {
			a->state = RULE_RESOLVED;
			a->ended_ms = now_ms;
			/* Only a firing that was told of is told of its end. */
			a->dirty = a->notified_ms != 0;
		}
		return before;
	}
	a->severity = sev;
	a->threshold = sev == RULE_SEV_CRITICAL ? p->critical : p->warning;
	switch (a->state) {
	case RULE_INACTIVE:
	case RULE_RESOLVED:
		a->state = RULE_PENDING;
		a->pending_since_ms = now_ms;
		a->notified_ms = 0;
		a->notified_sev = RULE_SEV_NONE;
		a->dirty = false;
		a->ended_ms = 0;
		/* FALLTHROUGH */
	case RULE_PENDING:
		if (now_ms - a->pending_since_ms >= p->for_ms) {
			a->state = RULE_FIRING;
			a->started_ms = now_ms;
			a->dirty = true;
		}
		break;
	case RULE_FIRING:
		if (sev > a->notified_sev && a->notified_ms != 0)
			a->dirty = true;
		else if (a->notified_ms != 0 &&
		    now_ms - a->notified_ms >= p->repeat_ms)
			a->dirty = true;
		break;
	}
	return before;
}

bool
rule_alert_done(const struct rule_alert *a)
{
	return a->state == RULE_INACTIVE ||
	    (a->state == RULE_RESOLVED && !a->dirty);
}

void
rule_alert_sent(struct rule_alert *a, int64_t now_ms)
{
	a->dirty = false;
	a->notified_ms = now_ms;
	a->notified_sev = a->severity;
}

void
rule_group_arm(struct rule_group *g, int64_t now_ms, int64_t group_wait_ms,
    int64_t group_interval_ms)
{
	int64_t	 due;

	if (g->due_ms != 0)
		return;
	if (g->last_sent_ms == 0 ||
	    now_ms - g->last_sent_ms >= group_interval_ms)
		due = now_ms + group_wait_ms;
	else
		due = g->last_sent_ms + group_interval_ms;
	g->due_ms = due > 0 ? due : 1;
}

bool
rule_group_flush(struct rule_group *g, int64_t now_ms)
{
	if (g->due_ms == 0 || now_ms < g->due_ms)
		return false;
	g->due_ms = 0;
	g->last_sent_ms = now_ms;
	return true;
}

const char *
rule_state_name(enum rule_state s)
{
	static const char *const names[] = { "inactive", "pending", "firing",
	    "resolved" };

	return names[s];
}

const char *
rule_severity_name(enum rule_severity s)
{
	static const char *const names[] = { "none", "warning", "critical" };

	return names[s];
}
