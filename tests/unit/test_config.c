/* Unit tests of the config parser: values, defaults, errors with file:line. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "config_keys.h"

/* Parses text; returns the config or NULL with err filled. */
static struct config *
parse(const char *text, char *err, size_t len)
{
	err[0] = '\0';
	return config_parse_text(text, "test.conf", err, len);
}

/* Expects text to fail with an error that starts with prefix. */
static void
expect_error(const char *text, const char *prefix)
{
	struct config	*c;
	char		 err[512];

	c = parse(text, err, sizeof(err));
	CHECK(c == NULL);
	if (strncmp(err, prefix, strlen(prefix)) != 0) {
		fprintf(stderr, "  error \"%s\" does not start with \"%s\"\n", err, prefix);
		check_failures++;
	}
	config_free(c);
}

static void
test_defaults(void)
{
	struct config	*c;
	char		 err[512];

	c = parse("", err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(strcmp(c->spool_dir, "/var/lib/cxpipe/spool") == 0);
	CHECK(c->batch_size == 500);
	CHECK(c->batch_delay_ms == 20);
	CHECK(c->spool_max_bytes == 1024LL * 1024 * 1024);
	CHECK(c->restart_period_ms == 60000);
	CHECK(c->http_listen == NULL);
	CHECK(c->spool_sync_mode == SPOOL_SYNC_INTERVAL);
	CHECK(c->storm_action == STORM_RETRY);
	config_free(c);
}

static void
test_values(void)
{
	struct config	*c;
	char		 err[512];

	c = parse("# comment\n[cxpipe]\nspool_dir = /tmp/s\nspool_max_bytes = 64M\n"
	    "restart_period = 2m\nstop_timeout = 1500ms\nspool_sync = always\n"
	    "on_restart_storm = exit\nlog_level = debug\n\n"
	    "[postgres]\nconninfo = host=/tmp dbname=x\nbatch_size = 1000\n"
	    "batch_delay_ms = 5\n[http]\nlisten = 127.0.0.1:8080\n"
	    "token_file = /etc/t\nmax_body = 512K\n"
	    "[source replay]\ntype = ndjson\npath = /tmp/f.ndjson\n", err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(strcmp(c->spool_dir, "/tmp/s") == 0);
	CHECK(c->spool_max_bytes == 64LL * 1024 * 1024);
	CHECK(c->restart_period_ms == 120000);
	CHECK(c->stop_timeout_ms == 1500);
	CHECK(c->spool_sync_mode == SPOOL_SYNC_ALWAYS);
	CHECK(c->storm_action == STORM_EXIT);
	CHECK(strcmp(c->pg_conninfo, "host=/tmp dbname=x") == 0);
	CHECK(c->batch_size == 1000);
	CHECK(c->batch_delay_ms == 5);
	CHECK(c->http_max_body == 512 * 1024);
	CHECK(c->nsources == 1);
	CHECK(strcmp(c->sources[0].name, "replay") == 0);
	CHECK(strcmp(c->sources[0].family, "interaction") == 0);
	CHECK(c->sources[0].lineno == 19);
	config_free(c);
}

static void
test_errors(void)
{
	expect_error("[cxpipe]\nspool_dir = /x\nbogus = 1\n", "test.conf:3: unknown key \"bogus\"");
	expect_error("\n[nope]\na = b\n", "test.conf:2: unknown section [nope]");
	expect_error("[postgres]\nbatch_size = ten\n", "test.conf:2: batch_size: \"ten\" is not a valid integer");
	expect_error("[postgres]\nbatch_size = 0\n", "test.conf:2: batch_size: 0 is out of range");
	expect_error("[cxpipe]\nspool_max_bytes = 12Q\n", "test.conf:2: spool_max_bytes");
	expect_error("[cxpipe]\nspool_sync = sometimes\n", "test.conf:2: spool_sync: \"sometimes\" is not one of");
	expect_error("[cxpipe]\nthis is not ini\n", "test.conf:2: syntax error");
	expect_error("[http]\nlisten = 127.0.0.1:80\n", "test.conf:1: [http] listen needs token_file");
	expect_error("[http]\nlisten = nowhere\ntoken_file = /t\n", "test.conf:1: listen: \"nowhere\" is not ADDRESS:PORT");
	expect_error("[source a]\ntype = ndjson\npath = /x\n[source a]\npath = /y\n", "test.conf:4: [source a]: the name is used twice (first at line 1)");
	expect_error("[source a]\ntype = ndjson\n", "test.conf:1: [source a] needs path");
	expect_error("[cxpipe]\nspool_dir = relative\n", "test.conf:1: spool_dir must be an absolute path");
	{
		char	 text[600];
		memset(text, 'x', sizeof(text));
		memcpy(text, "[cxpipe]\nlog = ", 15);
		text[sizeof(text) - 2] = '\n';
		text[sizeof(text) - 1] = '\0';
		expect_error(text, "test.conf:2: line longer than");
	}
}

/* [stream NAME] sections: defaults, checks by transport and grant, and one
 * namespace shared with [source NAME]. */
static void
test_streams(void)
{
	struct config	*c;
	char		 err[512];

	c = parse("[stream agents]\nfamily = agent_state\ntoken_url = https://auth/token\n"
	    "client_id = app\nclient_secret_file = /etc/s\nws_url = /ws/agent_state\n"
	    "subscribe = {\"type\":\"subscribe\"}\n"
	    "[stream poller]\nfamily = interaction\ntransport = poll\ntoken_url = http://a/t\n"
	    "client_id = app\nclient_secret_env = CX_SECRET\npoll_url = /poll/interaction\n",
	    err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(c->nstreams == 2);
	CHECK(strcmp(c->streams[0].name, "agents") == 0);
	CHECK(strcmp(c->streams[0].transport, "websocket") == 0);
	CHECK(strcmp(c->streams[0].token_in, "header") == 0);
	CHECK(strcmp(c->streams[0].ack, "subscribe.ack") == 0);
	CHECK(c->streams[0].token_refresh_margin_ms == 60000);
	CHECK(c->streams[0].max_message_bytes == 1024 * 1024);
	CHECK(c->streams[1].lineno == 8);
	CHECK(strcmp(c->streams[1].cursor_param, "updatedSince") == 0);
	config_free(c);

	expect_error("[stream s]\nfamily = interaction\ntoken_url = https://a/t\nclient_id = x\n"
	    "client_secret_file = /s\n", "test.conf:1: [stream s] transport = websocket needs ws_url");
	expect_error("[stream s]\nfamily = interaction\ntoken_url = https://a/t\nclient_id = x\n"
	    "client_secret_file = /s\nclient_secret_env = E\nws_url = wss://x/\n",
	    "test.conf:1: [stream s] needs exactly one of client_secret_file and client_secret_env");
	expect_error("[stream s]\nfamily = interaction\ntoken_url = https://a/t\nclient_id = x\n"
	    "client_secret_file = /s\ngrant = password\nws_url = wss://x/\n",
	    "test.conf:1: [stream s] grant = password needs access_key_id");
	expect_error("[stream s]\nfamily = interaction\ntoken_url = https://a/t\nclient_id = x\n"
	    "client_secret_file = /s\nws_url = wss://x/\nsubscribe = {oops\n",
	    "test.conf:1: [stream s] subscribe is not a JSON object");
	expect_error("[stream s]\nfamily = voice\n", "test.conf:2: family: \"voice\" is not one of");
	expect_error("[source x]\ntype = ndjson\npath = /f\n\n[stream x]\nfamily = interaction\n",
	    "test.conf:5: [stream x]: the name is used twice (first at line 1)");
	expect_error("[stream]\n", "test.conf:1: [stream] needs a name");
}

/* [validate] settings and the [states] matrix: default, replaced, errors. */
static void
test_validate_states(void)
{
	struct config	*c;
	char		 err[512];

	c = parse("", err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(c->max_clock_skew_ms == 300000);
	CHECK(c->max_depth == 64);
	CHECK(!c->states.configured);
	CHECK(c->states.n == 5);
	CHECK(config_states_allowed(&c->states, "LoggedOut", "Available"));
	CHECK(config_states_allowed(&c->states, "Available", "OnBreak"));
	CHECK(config_states_allowed(&c->states, "Busy", "Away"));
	CHECK(config_states_allowed(&c->states, "Away", "LoggedOut"));
	CHECK(config_states_allowed(&c->states, "OnBreak", "LoggedOut"));
	CHECK(!config_states_allowed(&c->states, "LoggedOut", "Busy"));
	CHECK(!config_states_allowed(&c->states, "Busy", "Busy"));
	CHECK(!config_states_allowed(&c->states, "Busy", "OnBreak"));
	CHECK(!config_states_allowed(&c->states, "OnBreak", "Away"));
	CHECK(!config_states_allowed(&c->states, "Offline", "Available"));
	CHECK(!config_states_allowed(&c->states, "Available", "available"));
	config_free(c);

	c = parse("[validate]\nmax_clock_skew = 90\nmax_depth = 8\n"
	    "[states]\n# comment\nAvailable = Busy ,Lunch\nLunch=Available\n"
	    "[postgres]\nbatch_size = 3\n", err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(c->max_clock_skew_ms == 90000);
	CHECK(c->max_depth == 8);
	CHECK(c->states.configured);
	CHECK(c->states.n == 3);
	CHECK(c->states.lineno[0] == 6);
	CHECK(config_states_allowed(&c->states, "Available", "Lunch"));
	CHECK(config_states_allowed(&c->states, "Available", "Busy"));
	CHECK(config_states_allowed(&c->states, "Lunch", "Available"));
	/* A section replaces the default whole. */
	CHECK(!config_states_allowed(&c->states, "Busy", "Available"));
	CHECK(!config_states_allowed(&c->states, "LoggedOut", "Available"));
	config_free(c);

	c = parse("[validate]\nmax_clock_skew = 1500ms\n", err, sizeof(err));
	CHECK(c != NULL && c->max_clock_skew_ms == 1500);
	config_free(c);

	expect_error("[validate]\nmax_depth = 0\n", "test.conf:2: max_depth: 0 is out of range");
	expect_error("[validate]\nmax_depth = 513\n", "test.conf:2: max_depth: 513 is out of range");
	expect_error("[validate]\nmax_clock_skew = soon\n", "test.conf:2: max_clock_skew: \"soon\" is not a valid duration");
	expect_error("[validate]\nclock = 1\n", "test.conf:2: unknown key \"clock\" in [validate]");
	expect_error("[states]\nAvailable = Busy\nBusy =\n",
	    "test.conf:3: [states] Busy: empty list");
	expect_error("[states]\nAvailable = Busy Away\n",
	    "test.conf:2: [states] Available: \"Busy Away\" is not a state name");
	expect_error("[states]\nAvailable = Busy,,Away\n",
	    "test.conf:2: [states] Available: \"\" is not a state name");
	expect_error("[states]\nAvailable = Busy,\n",
	    "test.conf:2: [states] Available: \"\" is not a state name");
	expect_error("[states]\nAvailable = Busy, Busy\n",
	    "test.conf:2: [states] Available: Busy is listed twice");
	expect_error("[states]\nAvailable = Busy\nBusy = Away\nAvailable = Away\n",
	    "test.conf:4: [states] Available is listed twice (first at line 2)");
	expect_error("[states]\n9lives = Busy\n",
	    "test.conf:2: [states] \"9lives\" is not a state name");
	c = parse("[states]\n[cxpipe]\nlog = stderr\n", err, sizeof(err));
	CHECK(c != NULL && !c->states.configured && c->states.n == 5);
	config_free(c);
	expect_error("[states]\nAvailable\n", "test.conf:2: syntax error");
}

static void
test_diff(void)
{
	struct config	*a, *b;
	char		 err[512], why[256];
	int		 mask;

	a = parse("[postgres]\nbatch_size = 10\n", err, sizeof(err));
	b = parse("[postgres]\nbatch_size = 20\nconninfo = host=/x\n", err, sizeof(err));
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	mask = config_diff(a, b, why, sizeof(why));
	CHECK(mask == RELOAD_PGSINK);
	config_free(b);
	b = parse("[cxpipe]\nspool_dir = /elsewhere\n[postgres]\nbatch_size = 10\n", err, sizeof(err));
	mask = config_diff(a, b, why, sizeof(why));
	CHECK(mask & RELOAD_DAEMON);
	CHECK(strstr(why, "cxpipe.spool_dir") != NULL);
	config_free(b);
	b = parse("[postgres]\nbatch_size = 10\n[validate]\nmax_depth = 9\n"
	    "max_clock_skew = 1h\n[states]\nAvailable = Busy\n", err, sizeof(err));
	CHECK(b != NULL);
	if (b != NULL)
		CHECK(config_diff(a, b, why, sizeof(why)) == RELOAD_LIVE);
	config_free(a);
	config_free(b);
}

/* Every key in the table is documented and its default parses. */
static void
test_table(void)
{
	size_t	 i;

	for (i = 0; i < config_nkeys; i++) {
		CHECK(config_keys[i].doc != NULL && strlen(config_keys[i].doc) > 10);
		CHECK(config_key_find(config_keys[i].section, config_keys[i].name) ==
		    &config_keys[i]);
	}
}

int
main(void)
{
	test_defaults();
	test_values();
	test_errors();
	test_streams();
	test_validate_states();
	test_diff();
	test_table();
	return CHECK_DONE();
}
