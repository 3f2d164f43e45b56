#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eval.h"
#include "log.h"
#include "xmalloc.h"

/* One alert of a rule: a scope value and its state. */
struct eval_alert {
	char			*scope;
	char			 fp[17];
	bool			 seen;		/* evaluated this tick */
	struct rule_alert	 a;
};

/* A rule as evaluated: its config, parameters, group and alerts (sorted
 * by scope value). */
struct eval_rule {
	const struct rule_conf	*conf;
	enum eval_scope		 scope;
	struct rule_params	 p;
	unsigned		 window_s;
	struct rule_group	 group;
	struct eval_alert	*alerts;
	size_t			 nalerts, cap;
};

struct eval {
	struct agg		*agg[EVAL_NSCOPES];
	struct eval_rule	*rules;
	int			 nrules;
	size_t			 max_keys;
	int64_t			 group_wait_ms, group_interval_ms;
	uint64_t		 transitions, notifications, oversized;
};

static const char *const scope_names[EVAL_NSCOPES] = {
	"global", "queue", "agent", "action", "type"
};

int
eval_scope_parse(const char *s)
{
	int	 i;

	for (i = 0; i < EVAL_NSCOPES; i++)
		if (strcmp(s, scope_names[i]) == 0)
			return i;
	return -1;
}

const char *
eval_scope_name(enum eval_scope s)
{
	return scope_names[s];
}

void
eval_fingerprint(const char *rule, const char *scope, char out[17])
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*p;

	for (p = rule; ; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ULL;
		if (*p == '\0')
			break;
	}
	for (p = scope; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

struct eval *
eval_new(void)
{
	return xcalloc(1, sizeof(struct eval));
}

/* Frees a rule's alerts. */
static void
eval_rule_clear(struct eval_rule *r)
{
	size_t	 i;

	for (i = 0; i < r->nalerts; i++)
		free(r->alerts[i].scope);
	free(r->alerts);
	r->alerts = NULL;
	r->nalerts = r->cap = 0;
}

void
eval_free(struct eval *e)
{
	int	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nrules; i++)
		eval_rule_clear(&e->rules[i]);
	free(e->rules);
	for (i = 0; i < EVAL_NSCOPES; i++)
		agg_free(e->agg[i]);
	free(e);
}

void
eval_configure(struct eval *e, const struct config *conf)
{
	struct eval_rule	*rules, *r, *o;
	unsigned		 need[EVAL_NSCOPES];
	int			 i, j, s;

	for (s = 0; s < EVAL_NSCOPES; s++)
		need[s] = 60;
	rules = xcalloc((size_t)conf->nrules + 1, sizeof(*rules));
	for (i = 0; i < conf->nrules; i++) {
		r = &rules[i];
		r->conf = &conf->rules[i];
		r->scope = (enum eval_scope)eval_scope_parse(r->conf->scope);
		r->p.cmp = (enum rule_cmp)rule_cmp_parse(r->conf->comparison);
		r->p.warning = r->conf->warning_v;
		r->p.critical = r->conf->critical_v;
		r->p.for_ms = r->conf->for_ms;
		r->p.repeat_ms = r->conf->repeat_interval_ms;
		r->window_s = (unsigned)(r->conf->window_ms / 1000);
		if (r->window_s > need[r->scope])
			need[r->scope] = r->window_s;
		if (strcmp(r->conf->metric, "active_agents") == 0 &&
		    r->window_s > need[EVAL_AGENT])
			need[EVAL_AGENT] = r->window_s;
		/* An unchanged rule keeps its alerts and its group. */
		for (j = 0; j < e->nrules; j++) {
			o = &e->rules[j];
			if (o->conf == NULL ||
			    strcmp(o->conf->name, r->conf->name) != 0 ||
			    strcmp(o->conf->metric, r->conf->metric) != 0 ||
			    o->scope != r->scope || o->window_s != r->window_s)
				continue;
			r->alerts = o->alerts;
			r->nalerts = o->nalerts;
			r->cap = o->cap;
			r->group = o->group;
			o->alerts = NULL;
			o->nalerts = o->cap = 0;
		}
	}
	for (j = 0; j < e->nrules; j++)
		eval_rule_clear(&e->rules[j]);
	free(e->rules);
	e->rules = rules;
	e->nrules = conf->nrules;
	e->max_keys = (size_t)conf->alert_max_keys;
	e->group_wait_ms = conf->alert_group_wait_ms;
	e->group_interval_ms = conf->alert_group_interval_ms;
	for (s = 0; s < EVAL_NSCOPES; s++) {
		/* A longer ring starts empty; a key limit changes in place. */
		if (e->agg[s] != NULL && agg_seconds(e->agg[s]) < need[s]) {
			agg_free(e->agg[s]);
			e->agg[s] = NULL;
		}
		if (e->agg[s] == NULL)
			e->agg[s] = agg_new(e->max_keys, need[s]);
		else
			agg_set_max_keys(e->agg[s], e->max_keys);
	}
}

void
eval_observe(struct eval *e, const struct eval_obs *ob, int64_t now_s)
{
	int	 s;

	for (s = 0; s < EVAL_NSCOPES; s++)
		if (ob->key[s] != NULL && e->agg[s] != NULL &&
		    agg_observe(e->agg[s], ob->key[s], &ob->o, now_s) == -1)
			e->oversized++;
}

/* The value of a rule's metric over a window's sums; false when there is
 * none (no timed values seen). */
static bool
eval_metric(const struct eval *e, const struct eval_rule *r,
    const struct agg_summary *s, int64_t now_s, double *v)
{
	const char	*m = r->conf->metric;
	enum agg_timed	 t;
	size_t		 n;

	if (strcmp(m, "event_rate") == 0) {
		*v = (double)s->count / r->window_s;
		return true;
	}
	if (strcmp(m, "event_count") == 0) {
		*v = (double)s->count;
		return true;
	}
	if (strcmp(m, "rejected_transitions") == 0) {
		*v = (double)s->rejected;
		return true;
	}
	if (strcmp(m, "invalid_rate") == 0) {
		*v = s->count ? (double)s->invalid / (double)s->count : 0;
		return s->count > 0;
	}
	if (strcmp(m, "active_agents") == 0) {
		n = agg_active(e->agg[EVAL_AGENT], now_s, r->window_s);
		*v = (double)n;
		return true;
	}
	if (strncmp(m, "handle_time", 11) == 0)
		t = AGG_HANDLE;
	else if (strncmp(m, "wait_time", 9) == 0)
		t = AGG_WAIT;
	else if (strncmp(m, "queue_time", 10) == 0)
		t = AGG_QUEUE;
	else
		t = AGG_LATENCY;
	m = strrchr(m, '_') + 1;
	if (strcmp(m, "avg") == 0)
		return agg_avg(s, t, v);
	if (strcmp(m, "max") == 0) {
		*v = s->max[t];
		return s->n[t] > 0;
	}
	return agg_quantile(s, t, strcmp(m, "p50") == 0 ? 0.50 :
	    strcmp(m, "p99") == 0 ? 0.99 : 0.95, v);
}

/* Finds the alert of scope in r, or where it would go. */
static struct eval_alert *
eval_find(struct eval_rule *r, const char *scope, size_t *at)
{
	size_t	 lo = 0, hi = r->nalerts, mid;
	int	 c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(r->alerts[mid].scope, scope)) == 0)
			return &r->alerts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

/* Logs a transition of one alert. */
static void
eval_log(struct eval *e, const struct eval_rule *r, const struct eval_alert *x,
    enum rule_state before)
{
	if (x->a.state == before)
		return;
	e->transitions++;
	log_info("alert %s %s%s%s: %s -> %s, %s, value %g, threshold %g, "
	    "fingerprint %s", r->conf->name, scope_names[r->scope],
	    r->scope == EVAL_GLOBAL ? "" : "=", x->scope,
	    rule_state_name(before), rule_state_name(x->a.state),
	    rule_severity_name(x->a.severity), x->a.value, x->a.threshold, x->fp);
}

/* Context of the per-key callback of one rule's evaluation. */
struct eval_pass {
	struct eval		*e;
	struct eval_rule	*r;
	int64_t			 now_s, wall_ms;
};

/* Steps the alert of one scope value with its window's sums. */
static void
eval_key_cb(void *arg, const char *key, const struct agg_summary *s)
{
	struct eval_pass	*ps = arg;
	struct eval_rule	*r = ps->r;
	struct eval_alert	*x, nx;
	enum rule_state		 before;
	size_t			 at = 0;
	double			 v = 0;
	bool			 have;

	have = eval_metric(ps->e, r, s, ps->now_s, &v);
	if ((x = eval_find(r, key, &at)) == NULL) {
		if (!have || rule_severity_of(&r->p, v) == RULE_SEV_NONE)
			return;
		memset(&nx, 0, sizeof(nx));
		nx.scope = xstrdup(key);
		eval_fingerprint(r->conf->name, key, nx.fp);
		if (r->nalerts == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 8;
			r->alerts = xreallocarray(r->alerts, r->cap,
			    sizeof(*r->alerts));
		}
		memmove(&r->alerts[at + 1], &r->alerts[at],
		    (r->nalerts - at) * sizeof(*r->alerts));
		r->alerts[at] = nx;
		r->nalerts++;
		x = &r->alerts[at];
	}
	x->seen = true;
	before = rule_step(&x->a, &r->p, have, v, ps->wall_ms);
	eval_log(ps->e, r, x, before);
}

/* Evaluates one rule: every scope value with events, then the alerts whose
 * scope value had none. */
static void
eval_rule_tick(struct eval *e, struct eval_rule *r, int64_t now_s,
    int64_t wall_ms)
{
	struct eval_pass	 ps = { e, r, now_s, wall_ms };
	struct agg_summary	 zero;
	struct eval_alert	*x;
	size_t			 i;

	for (i = 0; i < r->nalerts; i++)
		r->alerts[i].seen = false;
	if (r->scope == EVAL_GLOBAL) {
		agg_query(e->agg[EVAL_GLOBAL], "", now_s, r->window_s, &zero);
		eval_key_cb(&ps, "", &zero);
	} else
		agg_foreach(e->agg[r->scope], now_s, r->window_s, eval_key_cb,
		    &ps);
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < r->nalerts; i++) {
		x = &r->alerts[i];
		if (!x->seen) {
			enum rule_state before = rule_step(&x->a, &r->p,
			    eval_metric(e, r, &zero, now_s, &x->a.value),
			    x->a.value, wall_ms);
			eval_log(e, r, x, before);
		}
		if (x->a.dirty)
			rule_group_arm(&r->group, wall_ms, e->group_wait_ms,
			    e->group_interval_ms);
	}
}

/* Sends the dirty alerts of r and forgets those that are done. */
static void
eval_rule_flush(struct eval *e, struct eval_rule *r, int64_t wall_ms,
    eval_notify_cb cb, void *arg)
{
	struct eval_note	 n;
	struct eval_alert	*x;
	size_t			 i, j;

	if (rule_group_flush(&r->group, wall_ms)) {
		for (i = 0; i < r->nalerts; i++) {
			x = &r->alerts[i];
			if (!x->a.dirty)
				continue;
			n.rule = r->conf->name;
			n.scope_kind = scope_names[r->scope];
			n.scope = x->scope;
			n.fingerprint = x->fp;
			n.labels = r->conf->labels;
			n.alert = &x->a;
			if (!cb(arg, &n)) {
				rule_group_arm(&r->group, wall_ms,
				    e->group_wait_ms, e->group_interval_ms);
				continue;
			}
			e->notifications++;
			rule_alert_sent(&x->a, wall_ms);
		}
	}
	for (i = j = 0; i < r->nalerts; i++) {
		if (rule_alert_done(&r->alerts[i].a)) {
			free(r->alerts[i].scope);
			continue;
		}
		r->alerts[j++] = r->alerts[i];
	}
	r->nalerts = j;
}

void
eval_tick(struct eval *e, int64_t now_s, int64_t wall_ms, eval_notify_cb cb,
    void *arg)
{
	int	 i;

	for (i = 0; i < e->nrules; i++) {
		eval_rule_tick(e, &e->rules[i], now_s, wall_ms);
		eval_rule_flush(e, &e->rules[i], wall_ms, cb, arg);
	}
}

void
eval_alerts_json(const struct eval *e, struct buf *b)
{
	const struct eval_rule	*r;
	const struct eval_alert	*x;
	json_t			*arr = json_array(), *o;
	char			*t;
	size_t			 i;
	int			 k;

	for (k = 0; k < e->nrules; k++) {
		r = &e->rules[k];
		for (i = 0; i < r->nalerts; i++) {
			x = &r->alerts[i];
			if (x->a.state != RULE_PENDING && x->a.state != RULE_FIRING)
				continue;
			o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:s,s:I}",
			    "rule", r->conf->name, "scope_kind",
			    scope_names[r->scope], "scope", x->scope, "state", rule_state_name(x->a.state),
			    "severity", rule_severity_name(x->a.severity),
			    "value", x->a.value, "threshold", x->a.threshold,
			    "fingerprint", x->fp, "since_ms",
			    (json_int_t)(x->a.state == RULE_FIRING ?
			    x->a.started_ms : x->a.pending_since_ms));
			if (o != NULL)
				json_array_append_new(arr, o);
		}
	}
	t = json_dumps(arr, JSON_COMPACT);
	buf_add_str(b, t != NULL ? t : "[]");
	free(t);
	json_decref(arr);
}

void
eval_stats(const struct eval *e, struct buf *b)
{
	int	 s;

	buf_printf(b, "\"rules\":%d,\"transitions\":%llu,\"notifications\":%llu,"
	    "\"scope_keys\":{", e->nrules, (unsigned long long)e->transitions,
	    (unsigned long long)e->notifications);
	for (s = 0; s < EVAL_NSCOPES; s++)
		buf_printf(b, "%s\"%s\":%zu", s ? "," : "", scope_names[s],
		    e->agg[s] != NULL ? agg_keys(e->agg[s]) : 0);
	buf_add_str(b, "},\"scope_evictions\":{");
	for (s = 0; s < EVAL_NSCOPES; s++)
		buf_printf(b, "%s\"%s\":%llu", s ? "," : "", scope_names[s],
		    e->agg[s] != NULL ?
		    (unsigned long long)agg_evictions(e->agg[s]) : 0ULL);
	buf_printf(b, "}");
}
