/* Unit tests of the validate worker's row builders: every family's
 * MSG_RECORD_ROW in the layout of record.h, normalised times and numbers,
 * the [states] verdict and latency, and what is refused. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "jdoc.h"
#include "record.h"
#include "row.h"
#include "timestamp.h"
#include "tuple.h"
#include "validate.h"

static struct config	*conf;
static struct jdoc	*doc;	/* every test event is parsed into it */

/* Builds the row of text (an event that passed its schema) with rules;
 * received is the receipt time as text.  Returns the builder's result. */
static int
build(const struct family_rules *rules, const char *text, const char *received,
    struct buf *b, struct tuple *t, char *reason, size_t len,
    struct row_event *re)
{
	struct jdoc_error jerr;
	const struct jval *ts;
	char		 why[256];
	int		 r;

	memset(re, 0, sizeof(*re));
	re->doc = doc;
	re->ev = jdoc_parse(doc, text, strlen(text), 64, &jerr);
	if (re->ev == NULL) {
		fprintf(stderr, "  bad test event: %s\n", jerr.text);
		check_failures++;
		return -2;
	}
	re->source = "src";
	re->received = received;
	re->received_us = strtoll(received, NULL, 10);
	re->states = &conf->states;
	ts = jval_get(re->ev, "timestamp");
	if (ts == NULL || ts->type != JT_STRING || timestamp_parse(ts->u.s,
	    ts->n, &re->event_us, why, sizeof(why)) == -1) {
		fprintf(stderr, "  bad test timestamp\n");
		check_failures++;
		return -2;
	}
	buf_reset(b);
	reason[0] = '\0';
	r = rules->build_row(b, re, reason, len);
	if (r == 0) {
		CHECK(tuple_parse(t, b->data, b->len) == 0);
		CHECK(t->n == rules->nfields);
	}
	return r;
}

/* True when field i of t is the text want (NULL: SQL NULL). */
static int
field_is(const struct tuple *t, int i, const char *want)
{
	if (want == NULL || t->val[i] == NULL)
		return want == t->val[i];
	if (strcmp(t->val[i], want) == 0)
		return 1;
	fprintf(stderr, "  field %d is \"%s\", expected \"%s\"\n", i, t->val[i], want);
	return 0;
}

static void
test_interaction(void)
{
	struct buf		 b;
	struct tuple		 t;
	struct row_event	 re;
	char			 reason[512];
	struct obs_values	 o;

	buf_init(&b);
	CHECK(build(&interaction_rules, "{\"interactionId\":\"1\",\"timestamp\":"
	    "\"2026-11-23T10:15:30.123+01:00\",\"type\":\"call\",\"idempotencyKey\":"
	    "\"k1\",\"attributes\":{\"duration\":12.5,\"queueName\":\"Sales\"}}",
	    "1795425000000000", &b, &t, reason, sizeof(reason), &re) == 0);
	CHECK(field_is(&t, IX_SOURCE, "src"));
	CHECK(field_is(&t, IX_RECEIVED_US, "1795425000000000"));
	CHECK(field_is(&t, IX_INTERACTION_ID, "1"));
	CHECK(field_is(&t, IX_TIMESTAMP, "2026-11-23T10:15:30.123+01:00"));
	CHECK(field_is(&t, IX_TYPE, "call"));
	CHECK(field_is(&t, IX_IDEMPOTENCY_KEY, "k1"));
	CHECK(field_is(&t, IX_DURATION, "12.5"));
	CHECK(field_is(&t, IX_DISPOSITION, NULL));
	CHECK(field_is(&t, IX_QUEUE_NAME, "Sales"));
	CHECK(field_is(&t, IX_AGENT_ID, NULL));
	memset(&o, 0, sizeof(o));
	CHECK(interaction_rules.observe(re.ev, &o));
	CHECK(jval_str_eq(o.type, "call") && jval_str_eq(o.queue, "Sales"));

	CHECK(build(&interaction_rules, "{\"interactionId\":\"1\",\"timestamp\":"
	    "\"2026-11-23T10:15:30Z\",\"type\":\"call\",\"idempotencyKey\":\"k1\","
	    "\"attributes\":{\"agentId\":\"a\\u0000b\"}}", "0", &b, &t, reason,
	    sizeof(reason), &re) == -1);
	CHECK(strcmp(reason, "/attributes/agentId: a NUL character (\\u0000) "
	    "cannot be stored in PostgreSQL text") == 0);
	buf_free(&b);
}

static void
test_analytics(void)
{
	struct buf		 b;
	struct tuple		 t;
	struct row_event	 re;
	char			 reason[512];
	struct obs_values	 o;

	buf_init(&b);
	CHECK(build(&analytics_rules, "{\"eventType\":\"interaction\","
	    "\"interactionId\":\"200000000001\",\"timestamp\":"
	    "\"2026-11-23T10:15:30.1234567-05:00\",\"state\":\"active\","
	    "\"handleTime\":90.5,\"waitTime\":0,\"queueTime\":0.1,\"queueName\":"
	    "\"Kundenservice \\u00d6sterreich\",\"agentId\":\"70013\",\"lastUpdated\":"
	    "\"2026-11-23T15:15:31Z\"}", "1795445000000000", &b, &t, reason,
	    sizeof(reason), &re) == 0);
	CHECK(field_is(&t, AN_SOURCE, "src"));
	CHECK(field_is(&t, AN_RECEIVED_US, "1795445000000000"));
	CHECK(field_is(&t, AN_INTERACTION_ID, "200000000001"));
	CHECK(field_is(&t, AN_EVENT_TIME, "2026-11-23T15:15:30.123456Z"));
	CHECK(field_is(&t, AN_EVENT_TYPE, "interaction"));
	CHECK(field_is(&t, AN_STATE, "active"));
	CHECK(field_is(&t, AN_HANDLE_TIME, "90.5"));
	CHECK(field_is(&t, AN_WAIT_TIME, "0"));
	CHECK(field_is(&t, AN_QUEUE_TIME, "0.1"));
	CHECK(field_is(&t, AN_QUEUE_NAME, "Kundenservice \xc3\x96sterreich"));
	CHECK(field_is(&t, AN_AGENT_ID, "70013"));
	CHECK(field_is(&t, AN_LAST_UPDATED, "2026-11-23T15:15:31.000000Z"));
	memset(&o, 0, sizeof(o));
	CHECK(analytics_rules.observe(re.ev, &o));
	CHECK(jval_str_eq(o.type, "interaction"));
	CHECK(o.handle_time != NULL && jval_str_eq(o.agent, "70013"));

	/* Only active interactions are observed. */
	CHECK(build(&analytics_rules, "{\"eventType\":\"queue\",\"interactionId\":"
	    "\"2\",\"timestamp\":\"2026-11-23T10:15:30Z\",\"state\":\"active\"}",
	    "0", &b, &t, reason, sizeof(reason), &re) == 0);
	CHECK(!analytics_rules.observe(re.ev, &o));
	CHECK(field_is(&t, AN_HANDLE_TIME, NULL));
	CHECK(field_is(&t, AN_LAST_UPDATED, NULL));
	CHECK(build(&analytics_rules, "{\"eventType\":\"interaction\",\"interactionId\":"
	    "\"2\",\"timestamp\":\"2026-11-23T10:15:30Z\",\"state\":\"held\"}",
	    "0", &b, &t, reason, sizeof(reason), &re) == 0);
	CHECK(!analytics_rules.observe(re.ev, &o));

	/* A schema that lets a key member go is no excuse for a NULL key. */
	CHECK(build(&analytics_rules, "{\"eventType\":\"interaction\","
	    "\"timestamp\":\"2026-11-23T10:15:30Z\",\"state\":\"held\"}",
	    "0", &b, &t, reason, sizeof(reason), &re) == -1);
	CHECK(strncmp(reason, "/interactionId: a string is required", 36) == 0);
	CHECK(build(&analytics_rules, "{\"eventType\":\"interaction\",\"interactionId\":"
	    "\"2\",\"timestamp\":\"2026-11-23T10:15:30Z\",\"state\":\"held\","
	    "\"lastUpdated\":\"2026-02-30T00:00:00Z\"}", "0", &b, &t, reason,
	    sizeof(reason), &re) == -1);
	CHECK(strcmp(reason, "/lastUpdated: \"2026-02-30T00:00:00Z\" is not a valid "
	    "RFC 3339 date-time (no such day in that month)") == 0);
	buf_free(&b);
}

static void
test_agent_state(void)
{
	struct buf		 b;
	struct tuple		 t;
	struct row_event	 re;
	char			 reason[512];
	struct obs_values	 o;

	buf_init(&b);
	CHECK(build(&agent_state_rules, "{\"type\":\"agent.state.change\","
	    "\"agentId\":\"70013\",\"previousState\":\"Available\",\"currentState\":"
	    "\"Busy\",\"timestamp\":\"2026-11-23T10:15:30.25Z\",\"reasonCode\":"
	    "\"InboundCall\"}", "1795428931000000", &b, &t, reason, sizeof(reason),
	    &re) == 0);
	CHECK(field_is(&t, AS_SOURCE, "src"));
	CHECK(field_is(&t, AS_RECEIVED_US, "1795428931000000"));
	CHECK(field_is(&t, AS_AGENT_ID, "70013"));
	CHECK(field_is(&t, AS_EVENT_TIME, "2026-11-23T10:15:30.250000Z"));
	CHECK(field_is(&t, AS_PREVIOUS_STATE, "Available"));
	CHECK(field_is(&t, AS_CURRENT_STATE, "Busy"));
	CHECK(field_is(&t, AS_REASON_CODE, "InboundCall"));
	CHECK(field_is(&t, AS_VERDICT, "accepted"));
	CHECK(field_is(&t, AS_LATENCY_US, "750000"));
	CHECK(!re.rejected);
	memset(&o, 0, sizeof(o));
	CHECK(agent_state_rules.observe(re.ev, &o));
	CHECK(jval_str_eq(o.state, "Busy") && o.queue == NULL && o.agent != NULL);

	/* Outside the matrix: stored, verdict rejected; received before the
	 * event time: a negative latency. */
	CHECK(build(&agent_state_rules, "{\"type\":\"agent.state.change\","
	    "\"agentId\":\"70013\",\"previousState\":\"LoggedOut\",\"currentState\":"
	    "\"Busy\",\"timestamp\":\"2026-11-23T10:15:30Z\"}", "1795428929500000",
	    &b, &t, reason, sizeof(reason), &re) == 0);
	CHECK(field_is(&t, AS_REASON_CODE, NULL));
	CHECK(field_is(&t, AS_VERDICT, "rejected"));
	CHECK(field_is(&t, AS_LATENCY_US, "-500000"));
	CHECK(re.rejected);

	CHECK(build(&agent_state_rules, "{\"type\":\"agent.state.change\","
	    "\"agentId\":\"70013\",\"previousState\":\"Busy\\u0000\",\"currentState\":"
	    "\"Busy\",\"timestamp\":\"2026-11-23T10:15:30Z\"}", "0",
	    &b, &t, reason, sizeof(reason), &re) == -1);
	CHECK(strncmp(reason, "/previousState: a NUL character", 31) == 0);
	buf_free(&b);
}

static void
test_data_action(void)
{
	struct buf		 b;
	struct tuple		 t;
	struct row_event	 re;
	char			 reason[512];
	struct obs_values	 o;

	buf_init(&b);
	CHECK(build(&data_action_rules, "{\"type\":\"event\",\"timestamp\":"
	    "\"2026-11-24T00:59:59.999999+01:00\",\"data\":{\"actionId\":"
	    "\"da-send-sms\",\"eventType\":\"failed\",\"extra\":[1]}}",
	    "1795445000000000", &b, &t, reason, sizeof(reason), &re) == 0);
	CHECK(field_is(&t, DA_SOURCE, "src"));
	CHECK(field_is(&t, DA_RECEIVED_US, "1795445000000000"));
	CHECK(field_is(&t, DA_ACTION_ID, "da-send-sms"));
	CHECK(field_is(&t, DA_EVENT_TYPE, "failed"));
	CHECK(field_is(&t, DA_EVENT_TIME, "2026-11-23T23:59:59.999999Z"));
	CHECK(field_is(&t, DA_BUCKET, "2026-11-23T23:59:00.000000Z"));
	memset(&o, 0, sizeof(o));
	CHECK(data_action_rules.observe(re.ev, &o));
	CHECK(jval_str_eq(o.type, "failed") && o.queue == NULL && o.action != NULL);

	CHECK(build(&data_action_rules, "{\"type\":\"event\",\"timestamp\":"
	    "\"2026-11-24T00:00:00Z\",\"data\":[]}", "0", &b, &t, reason,
	    sizeof(reason), &re) == -1);
	CHECK(strncmp(reason, "/data: ", 7) == 0);
	buf_free(&b);
}

/* Numbers as the shortest numeric text that reads back the same. */
static void
test_numbers(void)
{
	static const struct {
		const char	*json;
		const char	*want;
	} cases[] = {
		{ "{\"n\":0}", "0" }, { "{\"n\":-7}", "-7" },
		{ "{\"n\":2.5}", "2.5" }, { "{\"n\":0.1}", "0.1" },
		{ "{\"n\":1e300}", "1e+300" }, { "{\"n\":1.7976931348623157e308}",
		    "1.7976931348623157e+308" },
		{ "{\"n\":9223372036854775807}", "9223372036854775807" },
		{ "{\"n\":0.30000000000000004}", "0.30000000000000004" },
		{ "{\"n\":\"5\"}", NULL }, { "{\"n\":null}", NULL }, { "{}", NULL },
	};
	struct buf	 b;
	struct tuple	 t;
	struct jdoc_error err;
	const struct jval *j;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = jdoc_parse(doc, cases[i].json, strlen(cases[i].json), 64,
		    &err);
		CHECK(j != NULL);
		buf_reset(&b);
		row_add_number(&b, j, "n");
		CHECK(tuple_parse(&t, b.data, b.len) == 0 && t.n == 1);
		CHECK(field_is(&t, 0, cases[i].want));
	}
	buf_free(&b);
}

int
main(void)
{
	char	 err[256];

	conf = config_parse_text("", "test.conf", err, sizeof(err));
	CHECK(conf != NULL);
	if (conf == NULL)
		return 1;
	doc = jdoc_new();
	test_interaction();
	test_analytics();
	test_agent_state();
	test_data_action();
	test_numbers();
	config_free(conf);
	jdoc_free(doc);
	return CHECK_DONE();
}
