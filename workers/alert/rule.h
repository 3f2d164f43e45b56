/*
 * The state machine of one alert (a rule and one scope value) and of a
 * rule's notification group.  Pure: times are passed in, nothing is sent;
 * alert.c evaluates, logs and delivers.
 *
 * inactive -> pending when the value crosses the warning threshold;
 * pending -> firing once it has held for `for`; firing -> resolved when it
 * no longer crosses it; pending -> inactive likewise.  Severity is critical
 * while the critical threshold is crossed.  An alert needs a notification
 * ("dirty") when it starts firing, when its severity rises, when it
 * resolves after a firing notification, and every repeat_interval while it
 * fires; a fall from critical to warning is not notified on its own.
 *
 * A group (one per rule) sends its dirty alerts together: group_wait after
 * the first one when nothing was sent for group_interval, otherwise
 * group_interval after the previous send.
 */
#ifndef CXPIPE_RULE_H
#define CXPIPE_RULE_H

#include <stdbool.h>
#include <stdint.h>

enum rule_state {
	RULE_INACTIVE = 0,
	RULE_PENDING,
	RULE_FIRING,
	RULE_RESOLVED
};

enum rule_severity {
	RULE_SEV_NONE = 0,
	RULE_SEV_WARNING,
	RULE_SEV_CRITICAL
};

enum rule_cmp {
	RULE_GT = 0,
	RULE_GE,
	RULE_LT,
	RULE_LE
};

/* What a rule compares and how long things take. */
struct rule_params {
	enum rule_cmp	 cmp;
	double		 warning;
	double		 critical;
	int64_t		 for_ms;
	int64_t		 repeat_ms;
};

/* One alert: a rule and one scope value. */
struct rule_alert {
	enum rule_state	 state;
	enum rule_severity severity;
	int64_t		 pending_since_ms;
	int64_t		 started_ms;	/* firing since (wall clock) */
	int64_t		 ended_ms;	/* resolved at, 0 while firing */
	int64_t		 notified_ms;	/* last notification, 0: never */
	enum rule_severity notified_sev;
	bool		 dirty;		/* a notification is due */
	double		 value;
	double		 threshold;	/* of the current severity */
};

struct rule_group {
	int64_t		 last_sent_ms;	/* 0: never */
	int64_t		 due_ms;	/* 0: nothing waiting */
};

/* Parses ">", ">=", "<", "<="; returns -1 on anything else. */
int		 rule_cmp_parse(const char *);
/* The severity value reaches under p. */
enum rule_severity rule_severity_of(const struct rule_params *, double value);
/* Steps a with a new value (have false: no value, the condition is false)
 * at now_ms; returns the state before the step. */
enum rule_state	 rule_step(struct rule_alert *, const struct rule_params *,
		    bool have, double value, int64_t now_ms);
/* True when a can be forgotten (inactive, or resolved and notified). */
bool		 rule_alert_done(const struct rule_alert *);
/* Records that a's notification went out at now_ms. */
void		 rule_alert_sent(struct rule_alert *, int64_t now_ms);
/* Arms g for a dirty alert at now_ms (no-op when already armed). */
void		 rule_group_arm(struct rule_group *, int64_t now_ms,
		    int64_t group_wait_ms, int64_t group_interval_ms);
/* True when g's dirty alerts are to be sent at now_ms; then records the
 * send. */
bool		 rule_group_flush(struct rule_group *, int64_t now_ms);

const char	*rule_state_name(enum rule_state);
const char	*rule_severity_name(enum rule_severity);

#endif
