/*
 * ws_client_probe: drives one ws_client (workers/ingest/ws_client.h) on a
 * libevent loop against a WebSocket server such as `cxpipe-sim serve`, and
 * prints what it saw as key=value pairs on one line.  The token comes from
 * the server's OAuth endpoint through a plain blocking libcurl call (a test
 * tool may block).  tests/ws_client.sh runs it.
 *
 * Exit status: 0 when the goal was met (--expect events, --expect-state or
 * --expect-error) before --timeout, 1 when not, 2 on bad usage.
 */
#include "autoconf.h"

#include <sys/resource.h>

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "tuple.h"
#include "xmalloc.h"
#include "../workers/ingest/ws_client.h"

#define PROBE_MAX_HEADERS	8
#define PROBE_SEEN_BITS		20	/* 1M slots for message hashes */

struct probe {
	struct event_base	*base;
	struct ws_thread	*t;
	struct ws_client	*c;
	struct event		*ev_timeout;
	struct event		*ev_settle;
	struct event		*ev_resume;
	struct event		*ev_sample;
	const char		*token_url;
	const char		*client_id;
	const char		*client_secret;
	const char		*ca_file;
	uint64_t		 expect;
	const char		*expect_state;
	const char		*expect_error;
	uint32_t		 settle_ms;
	uint64_t		 pause_every;
	uint64_t		 hold_every;
	uint32_t		 pause_ms;
	uint64_t		 restart_after;	/* ws_client_stop, then start */
	uint64_t		 free_after;	/* ws_client_free in the callback */
	struct ws_conf		*conf;
	bool			 verbose;
	bool			 goal;
	bool			 settling;
	bool			 held_once;	/* the next message was held once */
	uint64_t		 messages;
	uint64_t		 distinct;
	uint64_t		 dead_letters;
	uint64_t		 token_fetches;
	uint64_t		 pauses;
	uint64_t		 restarts;
	size_t			 max_queued;
	long			 rss_start_kb;	/* when the first message came */
	long			 rss_max_kb;
	uint64_t		*seen;		/* open-addressing set of hashes */
	struct buf		 closes;
	struct buf		 states;
	char			 last_error[256];
	char			 last_dead[256];
};

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint64_t
probe_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ull;
	return h == 0 ? 1 : h;
}

/* Adds h to the set; true when it was not there. */
static bool
probe_seen_add(struct probe *pr, uint64_t h)
{
	size_t mask = ((size_t)1 << PROBE_SEEN_BITS) - 1, i = h & mask;

	while (pr->seen[i] != 0) {
		if (pr->seen[i] == h)
			return false;
		i = (i + 1) & mask;
	}
	pr->seen[i] = h;
	return true;
}

static size_t
probe_curl_write(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* Fetches a token with a blocking POST; NULL (and a message) on failure.
 * The caller frees the result. */
static char *
probe_fetch_token(struct probe *pr)
{
	CURL		*h;
	struct buf	 body;
	char		*id, *secret, *form, *tok = NULL;
	json_t		*j;
	long		 code = 0;
	CURLcode	 rc;

	if ((h = curl_easy_init()) == NULL)
		return NULL;
	buf_init(&body);
	id = curl_easy_escape(h, pr->client_id, 0);
	secret = curl_easy_escape(h, pr->client_secret, 0);
	form = xasprintf("grant_type=client_credentials&client_id=%s"
	    "&client_secret=%s", id, secret);
	curl_free(id);
	curl_free(secret);
	curl_easy_setopt(h, CURLOPT_URL, pr->token_url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, probe_curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (pr->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, pr->ca_file);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200) {
		fprintf(stderr, "probe: token request: %s, HTTP %ld\n",
		    curl_easy_strerror(rc), code);
	} else if ((j = json_loadb((const char *)body.data, body.len, 0,
	    NULL)) != NULL) {
		if (json_is_string(json_object_get(j, "access_token")))
			tok = xstrdup(json_string_value(json_object_get(j,
			    "access_token")));
		json_decref(j);
	}
	if (tok == NULL && rc == CURLE_OK && code == 200)
		fprintf(stderr, "probe: no access_token in the answer\n");
	curl_easy_cleanup(h);
	free(form);
	buf_free(&body);
	if (tok != NULL)
		pr->token_fetches++;
	return tok;
}

/* The goal is met: wait settle_ms for anything extra, then stop. */
static void
probe_goal(struct probe *pr)
{
	struct timeval tv;

	if (pr->goal)
		return;
	pr->goal = true;
	tv.tv_sec = pr->settle_ms / 1000;
	tv.tv_usec = (pr->settle_ms % 1000) * 1000;
	evtimer_add(pr->ev_settle, &tv);
}

static void
probe_settle_cb(int fd, short what, void *arg)
{
	struct probe *pr = arg;

	event_base_loopexit(pr->base, NULL);
}

static void
probe_timeout_cb(int fd, short what, void *arg)
{
	struct probe *pr = arg;

	fprintf(stderr, "probe: timeout\n");
	event_base_loopexit(pr->base, NULL);
}

static void
probe_resume_cb(int fd, short what, void *arg)
{
	struct probe *pr = arg;

	ws_client_resume(pr->c);
}

/* The resident set size now, in kB (0 if unknown). */
static long
probe_rss_kb(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Samples how many events wait between the threads. */
static void
probe_sample_queue(struct probe *pr)
{
	struct ws_status st;

	ws_client_status(pr->c, &st);
	if (st.queued > pr->max_queued)
		pr->max_queued = st.queued;
}

/* Every 100 ms: the queue and the memory. */
static void
probe_sample_cb(int fd, short what, void *arg)
{
	struct probe	*pr = arg;
	long		 rss;

	probe_sample_queue(pr);
	if (pr->rss_start_kb == 0)
		return;
	rss = probe_rss_kb();
	if (rss > pr->rss_max_kb)
		pr->rss_max_kb = rss;
}

/* Pauses now and resumes after pause_ms. */
static void
probe_pause(struct probe *pr)
{
	struct timeval tv = { pr->pause_ms / 1000, (pr->pause_ms % 1000) * 1000 };

	pr->pauses++;
	ws_client_pause(pr->c);
	evtimer_add(pr->ev_resume, &tv);
}

static int	probe_event_cb(struct ws_client *, const struct ws_event *,
		    void *);

/* A new client with a fresh token, started. */
static void
probe_client_start(struct probe *pr, bool bad_token)
{
	char err[256], *tok;

	pr->c = ws_client_new(pr->t, pr->conf, probe_event_cb, pr, err,
	    sizeof(err));
	if (pr->c == NULL)
		fatalx("ws_client_new: %s", err);
	tok = bad_token ? xstrdup("not-a-valid-token") : probe_fetch_token(pr);
	if (tok == NULL)
		fatalx("no token");
	ws_client_start(pr->c, tok);
	free(tok);
}

static int
probe_event_cb(struct ws_client *c, const struct ws_event *ev, void *arg)
{
	struct probe	*pr = arg;
	char		*tok;
	uint64_t	 total;

	probe_sample_queue(pr);
	switch (ev->type) {
	case WS_EVENT_MESSAGE:
		if (pr->hold_every > 0 && !pr->held_once &&
		    (pr->messages + 1) % pr->hold_every == 0) {
			pr->held_once = true;
			probe_pause(pr);
			return WS_HOLD;
		}
		pr->held_once = false;
		if (pr->messages++ == 0)
			pr->rss_start_kb = pr->rss_max_kb = probe_rss_kb();
		if (probe_seen_add(pr, probe_hash(ev->data, ev->len)))
			pr->distinct++;
		if (pr->verbose)
			fprintf(stderr, "probe: message %.*s\n",
			    (int)(ev->len > 120 ? 120 : ev->len), ev->data);
		if (pr->pause_every > 0 && pr->messages % pr->pause_every == 0)
			probe_pause(pr);
		if (pr->restart_after > 0 &&
		    pr->messages % pr->restart_after == 0)
			ws_client_stop(c);
		if (pr->free_after > 0 && pr->messages % pr->free_after == 0) {
			/* Events read but not delivered go with it. */
			pr->restarts++;
			ws_client_free(c);
			probe_client_start(pr, false);
			return WS_TAKEN;
		}
		break;
	case WS_EVENT_DEAD_LETTER:
		pr->dead_letters++;
		snprintf(pr->last_dead, sizeof(pr->last_dead), "%s", ev->reason);
		break;
	case WS_EVENT_STATE:
		buf_printf(&pr->states, "%s%s", pr->states.len ? "," : "",
		    ws_state_name(ev->state));
		if (ev->close_code != 0)
			buf_printf(&pr->closes, "%s%d", pr->closes.len ? "," : "",
			    ev->close_code);
		if (*ev->reason != '\0')
			snprintf(pr->last_error, sizeof(pr->last_error), "%s",
			    ev->reason);
		if (ev->state == WS_STATE_IDLE && pr->restart_after > 0) {
			pr->restarts++;
			if ((tok = probe_fetch_token(pr)) != NULL) {
				ws_client_start(c, tok);
				free(tok);
			}
		}
		if (pr->expect_state != NULL &&
		    strcmp(pr->expect_state, ws_state_name(ev->state)) == 0)
			probe_goal(pr);
		if (pr->expect_error != NULL &&
		    strstr(ev->reason, pr->expect_error) != NULL)
			probe_goal(pr);
		break;
	case WS_EVENT_TOKEN_REJECTED:
		if ((tok = probe_fetch_token(pr)) != NULL) {
			ws_client_set_token(c, tok);
			free(tok);
		}
		break;
	}
	total = pr->messages + pr->dead_letters;
	if (pr->expect > 0 && total >= pr->expect)
		probe_goal(pr);
	return WS_TAKEN;
}

static void
probe_usage(void)
{
	fprintf(stderr, "usage: ws_client_probe --url WS_URL --token-url URL "
	    "--client-id ID --client-secret S\n"
	    "\t[--token-in header|query] [--subscribe JSON] [--ack TYPE] "
	    "[--ack-timeout MS]\n"
	    "\t[--max-message BYTES] [--header 'Name: value'] [--queue N]\n"
	    "\t[--ping-interval MS] [--idle-timeout MS] [--backoff-base MS] "
	    "[--backoff-cap MS] [--stable MS]\n"
	    "\t[--expect N] [--expect-state STATE] [--expect-error TEXT] "
	    "[--settle MS] [--timeout S]\n"
	    "\t[--pause-every N] [--hold-every N] [--pause-ms MS] "
	    "[--bad-token] [--verbose]\n"
	    "\t[--restart-after N] [--free-after N] [--ca-file PEM] "
	    "[--ws-ca-file PEM]\n");
	exit(2);
}

static uint64_t
probe_num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		probe_usage();
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-url", required_argument, NULL, 'T' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "client-secret", required_argument, NULL, 's' },
		{ "token-in", required_argument, NULL, 'n' },
		{ "subscribe", required_argument, NULL, 'S' },
		{ "ack", required_argument, NULL, 'a' },
		{ "ack-timeout", required_argument, NULL, 'A' },
		{ "max-message", required_argument, NULL, 'm' },
		{ "header", required_argument, NULL, 'H' },
		{ "queue", required_argument, NULL, 'q' },
		{ "ping-interval", required_argument, NULL, 'p' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "backoff-base", required_argument, NULL, 'b' },
		{ "backoff-cap", required_argument, NULL, 'B' },
		{ "stable", required_argument, NULL, 'x' },
		{ "expect", required_argument, NULL, 'e' },
		{ "expect-state", required_argument, NULL, 'E' },
		{ "expect-error", required_argument, NULL, 'R' },
		{ "settle", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pause-every", required_argument, NULL, 'P' },
		{ "hold-every", required_argument, NULL, 'h' },
		{ "pause-ms", required_argument, NULL, 'M' },
		{ "bad-token", no_argument, NULL, 'X' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "ws-ca-file", required_argument, NULL, 'W' },
		{ "restart-after", required_argument, NULL, 'r' },
		{ "free-after", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe		 pr;
	struct ws_conf		 conf;
	struct ws_status	 st;
	struct rusage		 ru;
	struct timeval		 tv, second = { 0, 100000 };
	const char		*headers[PROBE_MAX_HEADERS];
	char			 err[256];
	uint32_t		 timeout_s = 30;
	bool			 bad_token = false;
	size_t			 i;
	int			 ch, rc;

	memset(&pr, 0, sizeof(pr));
	memset(&conf, 0, sizeof(conf));
	conf.name = "probe";
	conf.headers = headers;
	pr.settle_ms = 500;
	pr.pause_ms = 200;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': conf.url = optarg; break;
		case 'T': pr.token_url = optarg; break;
		case 'i': pr.client_id = optarg; break;
		case 's': pr.client_secret = optarg; break;
		case 'n':
			if (strcmp(optarg, "query") == 0)
				conf.token_in = WS_TOKEN_IN_QUERY;
			else if (strcmp(optarg, "header") != 0)
				probe_usage();
			break;
		case 'S': conf.subscribe = optarg; break;
		case 'a': conf.ack_type = optarg; break;
		case 'A': conf.ack_timeout_ms = (uint32_t)probe_num(optarg); break;
		case 'm': conf.max_message_bytes = probe_num(optarg); break;
		case 'H':
			if (conf.nheaders == PROBE_MAX_HEADERS)
				probe_usage();
			headers[conf.nheaders++] = optarg;
			break;
		case 'q': conf.queue_max_messages = (uint32_t)probe_num(optarg); break;
		case 'p': conf.ping_interval_ms = (uint32_t)probe_num(optarg); break;
		case 'I': conf.idle_timeout_ms = (uint32_t)probe_num(optarg); break;
		case 'b': conf.backoff_base_ms = (uint32_t)probe_num(optarg); break;
		case 'B': conf.backoff_cap_ms = (uint32_t)probe_num(optarg); break;
		case 'x': conf.stable_ms = (uint32_t)probe_num(optarg); break;
		case 'e': pr.expect = probe_num(optarg); break;
		case 'E': pr.expect_state = optarg; break;
		case 'R': pr.expect_error = optarg; break;
		case 'l': pr.settle_ms = (uint32_t)probe_num(optarg); break;
		case 't': timeout_s = (uint32_t)probe_num(optarg); break;
		case 'P': pr.pause_every = probe_num(optarg); break;
		case 'h': pr.hold_every = probe_num(optarg); break;
		case 'M': pr.pause_ms = (uint32_t)probe_num(optarg); break;
		case 'X': bad_token = true; break;
		case 'C': conf.ca_file = pr.ca_file = optarg; break;
		case 'W': conf.ca_file = optarg; break;
		case 'r': pr.restart_after = probe_num(optarg); break;
		case 'f': pr.free_after = probe_num(optarg); break;
		case 'v': pr.verbose = true; break;
		default: probe_usage();
		}
	}
	if (conf.url == NULL || pr.token_url == NULL || pr.client_id == NULL ||
	    pr.client_secret == NULL || optind != argc)
		probe_usage();

	signal(SIGPIPE, SIG_IGN);
	log_init("probe", "stderr");
	log_set_level(pr.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Touched now, so that the memory measured later is the client's. */
	pr.seen = xreallocarray(NULL, (size_t)1 << PROBE_SEEN_BITS,
	    sizeof(uint64_t));
	for (i = 0; i < (size_t)1 << PROBE_SEEN_BITS; i++)
		((volatile uint64_t *)pr.seen)[i] = 0;
	buf_init(&pr.closes);
	buf_init(&pr.states);
	pr.base = event_base_new();
	if (pr.base == NULL)
		fatalx("event_base_new");
	pr.ev_timeout = evtimer_new(pr.base, probe_timeout_cb, &pr);
	pr.ev_settle = evtimer_new(pr.base, probe_settle_cb, &pr);
	pr.ev_resume = evtimer_new(pr.base, probe_resume_cb, &pr);
	pr.ev_sample = event_new(pr.base, -1, EV_PERSIST, probe_sample_cb, &pr);
	if ((pr.t = ws_thread_new(pr.base, err, sizeof(err))) == NULL)
		fatalx("ws_thread_new: %s", err);
	pr.conf = &conf;
	probe_client_start(&pr, bad_token);

	tv.tv_sec = timeout_s;
	tv.tv_usec = 0;
	evtimer_add(pr.ev_timeout, &tv);
	evtimer_add(pr.ev_sample, &second);
	event_base_dispatch(pr.base);

	ws_client_status(pr.c, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("goal=%s messages=%" PRIu64 " distinct=%" PRIu64
	    " dead_letters=%" PRIu64 " bytes=%" PRIu64 " frames=%" PRIu64
	    " reconnects=%" PRIu64 " token_rejects=%" PRIu64
	    " token_fetches=%" PRIu64 " pauses=%" PRIu64 " restarts=%" PRIu64
	    " max_queued=%zu"
	    " rss_growth_kb=%ld max_rss_kb=%ld state=%s closes=%s states=%s\n",
	    pr.goal ? "yes" : "no", pr.messages, pr.distinct, pr.dead_letters,
	    st.bytes, st.frames, st.reconnects, st.token_rejects,
	    pr.token_fetches, pr.pauses, pr.restarts, pr.max_queued,
	    pr.rss_max_kb - pr.rss_start_kb, ru.ru_maxrss,
	    ws_state_name(st.state), pr.closes.len ? (char *)pr.closes.data : "-",
	    pr.states.len ? (char *)pr.states.data : "-");
	printf("last_error=%s\nlast_dead_letter=%s\n", pr.last_error,
	    pr.last_dead);
	rc = pr.goal ? 0 : 1;

	ws_client_free(pr.c);
	ws_thread_free(pr.t);
	event_free(pr.ev_timeout);
	event_free(pr.ev_settle);
	event_free(pr.ev_resume);
	event_free(pr.ev_sample);
	event_base_free(pr.base);
	buf_free(&pr.closes);
	buf_free(&pr.states);
	free(pr.seen);
	curl_global_cleanup();
	return rc;
}
