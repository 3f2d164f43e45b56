/*
 * Unit tests of the alert rule state machine (workers/alert/rule.c) and of
 * the aggregates it is fed from (workers/alert/agg.c).
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "../../workers/alert/agg.h"
#include "../../workers/alert/rule.h"

/* warning 10, critical 20, for 2 s, repeat 60 s, >: the lifecycle. */
static void
test_lifecycle(void)
{
	struct rule_params	 p = { RULE_GT, 10, 20, 2000, 60000 };
	struct rule_alert	 a;
	int64_t			 t = 1000;

	memset(&a, 0, sizeof(a));
	CHECK(rule_step(&a, &p, true, 5, t) == RULE_INACTIVE);
	CHECK(a.state == RULE_INACTIVE && rule_alert_done(&a));
	rule_step(&a, &p, true, 12, t += 1000);
	CHECK(a.state == RULE_PENDING && !a.dirty);
	rule_step(&a, &p, true, 12, t += 1000);
	CHECK(a.state == RULE_PENDING);
	rule_step(&a, &p, true, 12, t += 1000);
	CHECK(a.state == RULE_FIRING && a.dirty &&
	    a.severity == RULE_SEV_WARNING && a.threshold == 10);
	rule_alert_sent(&a, t);
	rule_step(&a, &p, true, 13, t += 1000);
	CHECK(!a.dirty);				/* no repeat */
	rule_step(&a, &p, true, 25, t += 1000);
	CHECK(a.dirty && a.severity == RULE_SEV_CRITICAL && a.threshold == 20);
	rule_alert_sent(&a, t);
	rule_step(&a, &p, true, 15, t += 1000);
	CHECK(!a.dirty && a.severity == RULE_SEV_WARNING);	/* falls: quiet */
	rule_step(&a, &p, true, 15, t += 60000);
	CHECK(a.dirty);					/* repeat_interval */
	rule_alert_sent(&a, t);
	rule_step(&a, &p, false, 0, t += 1000);
	CHECK(a.state == RULE_RESOLVED && a.dirty && a.ended_ms == t);
	CHECK(!rule_alert_done(&a));
	rule_alert_sent(&a, t);
	CHECK(rule_alert_done(&a));
}

/* A pending alert that ends before `for` is never notified; neither is a
 * firing one that resolves before its first notification. */
static void
test_quiet(void)
{
	struct rule_params	 p = { RULE_LT, 5, 2, 5000, 60000 };
	struct rule_alert	 a;

	memset(&a, 0, sizeof(a));
	rule_step(&a, &p, true, 4, 0);
	CHECK(a.state == RULE_PENDING);
	rule_step(&a, &p, true, 6, 1000);
	CHECK(a.state == RULE_INACTIVE && !a.dirty);
	p.for_ms = 0;
	rule_step(&a, &p, true, 1, 2000);
	CHECK(a.state == RULE_FIRING && a.severity == RULE_SEV_CRITICAL);
	rule_step(&a, &p, true, 9, 3000);
	CHECK(a.state == RULE_RESOLVED && !a.dirty && rule_alert_done(&a));
	CHECK(rule_cmp_parse(">=") == RULE_GE && rule_cmp_parse("=") == -1);
}

/* group_wait first, then group_interval after a send. */
static void
test_group(void)
{
	struct rule_group	 g;

	memset(&g, 0, sizeof(g));
	CHECK(!rule_group_flush(&g, 100));
	rule_group_arm(&g, 1000, 30000, 300000);
	CHECK(!rule_group_flush(&g, 30999));
	CHECK(rule_group_flush(&g, 31000));
	rule_group_arm(&g, 40000, 30000, 300000);
	CHECK(g.due_ms == 331000);
	CHECK(!rule_group_flush(&g, 330000) && rule_group_flush(&g, 331000));
	rule_group_arm(&g, 700000, 30000, 300000);
	CHECK(g.due_ms == 730000);
}

/* Sums, maxima, percentiles within the documented error, windows slide,
 * keys are bounded. */
static void
test_agg(void)
{
	struct agg		*t = agg_new(3, 10);
	struct agg_summary	 s;
	struct agg_obs		 o;
	double			 v;
	int			 i;

	memset(&o, 0, sizeof(o));
	o.has[AGG_HANDLE] = true;
	for (i = 1; i <= 100; i++) {
		o.v[AGG_HANDLE] = i;		/* 1..100 s */
		o.rejected = i % 10 == 0;
		CHECK(agg_observe(t, "q1", &o, 100 + i % 5) == 0);
	}
	CHECK(agg_query(t, "q1", 104, 10, &s));
	CHECK(s.count == 100 && s.rejected == 10 && s.n[AGG_HANDLE] == 100);
	CHECK(agg_avg(&s, AGG_HANDLE, &v) && fabs(v - 50.5) < 1e-3);
	CHECK(s.max[AGG_HANDLE] == 100);
	CHECK(agg_quantile(&s, AGG_HANDLE, 0.95, &v) && v >= 95 / 2.0 &&
	    v <= 100);
	CHECK(!agg_avg(&s, AGG_WAIT, &v));
	/* Older times count at the newest second: all but i = 1, 2, 3 are at 104. */
	CHECK(agg_query(t, "q1", 106, 3, &s) && s.count == 97);
	CHECK(agg_query(t, "q1", 200, 10, &s) && s.count == 0);
	CHECK(agg_bin(0) == 0 && agg_bin(0.0015) == 1 && agg_bin(1e9) ==
	    AGG_BINS - 1);
	agg_observe(t, "q2", &o, 300);
	agg_observe(t, "q3", &o, 300);
	agg_observe(t, "q4", &o, 300);		/* evicts q1 */
	CHECK(agg_keys(t) == 3 && agg_evictions(t) == 1);
	CHECK(!agg_query(t, "q1", 300, 10, &s));
	CHECK(agg_active(t, 300, 10) == 3 && agg_active(t, 311, 10) == 0);
	agg_free(t);
}

int
main(void)
{
	test_lifecycle();
	test_quiet();
	test_group();
	test_agg();
	return CHECK_DONE();
}
