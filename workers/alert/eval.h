/*
 * The alert worker's aggregates and rules: one aggregate table (agg.h) per
 * scope (global, queue, agent, action, type), every [rule] evaluated over
 * them on a timer, each alert (rule and scope value) stepped through the
 * state machine of rule.h, every transition logged, and the notifications
 * a rule's group lets out handed to a callback (which applies silences and
 * queues webhooks).
 */
#ifndef CXPIPE_EVAL_H
#define CXPIPE_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "agg.h"
#include "config.h"
#include "rule.h"
#include "tuple.h"

enum eval_scope {
	EVAL_GLOBAL = 0,
	EVAL_QUEUE,
	EVAL_AGENT,
	EVAL_ACTION,
	EVAL_TYPE,
	EVAL_NSCOPES
};

/* One observation as the scopes see it; NULL members are absent. */
struct eval_obs {
	const char	*key[EVAL_NSCOPES];	/* key[EVAL_GLOBAL] is "" */
	struct agg_obs	 o;
};

/* A notification: what the webhook body says. */
struct eval_note {
	const char		*rule;
	const char		*scope_kind;
	const char		*scope;		/* the scope value, "" for global */
	const char		*fingerprint;
	const char		*labels;	/* or NULL */
	const struct rule_alert	*alert;
};

/* Returns false when the notification was held back (a silence): the
 * alert stays due and is offered again at the group's next send. */
typedef bool (*eval_notify_cb)(void *arg, const struct eval_note *);

struct eval;

struct eval	*eval_new(void);
void		 eval_free(struct eval *);
/* Applies a config's rules and key limit; alerts of rules whose metric,
 * scope and window are unchanged are kept. */
void		 eval_configure(struct eval *, const struct config *);
void		 eval_observe(struct eval *, const struct eval_obs *,
		    int64_t now_s);
/* Evaluates every rule at now_s (monotonic) and wall_ms (epoch ms), and
 * sends the notifications that are due. */
void		 eval_tick(struct eval *, int64_t now_s, int64_t wall_ms,
		    eval_notify_cb, void *arg);
/* Appends a JSON array of the pending and firing alerts. */
void		 eval_alerts_json(const struct eval *, struct buf *);
/* Appends counters as JSON members. */
void		 eval_stats(const struct eval *, struct buf *);
/* The fingerprint of a rule and scope value: 16 hex digits. */
void		 eval_fingerprint(const char *rule, const char *scope,
		    char out[17]);
/* Parses a scope name; -1 when unknown. */
int		 eval_scope_parse(const char *);
const char	*eval_scope_name(enum eval_scope);

#endif
