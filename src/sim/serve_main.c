/*
 * serve_main.c: "cxpipe-sim serve" runs a NICE CXone stand-in on one port
 * for cxpipe's tests and demo: its command line, the libwebsockets context
 * (one vhost for HTTP and WebSocket, TLS optional), the single-threaded
 * service loop, signals, the ready file and the once-a-second tick that
 * rewrites the manifests and ends a --duration run.  SIGUSR1 pauses every
 * feed (no event is sent; the manifests are written at once), SIGUSR2
 * resumes them.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "families.h"
#include "log.h"
#include "serve.h"
#include "serve_feed.h"

#define SERVE_MAX_COUNT		2000000000ULL
#define SERVE_MAX_RATE		1e6
#define SERVE_MAX_SECONDS	(100ULL * 365 * 24 * 3600)
#define SERVE_MAX_OVERSIZED	(64ULL * 1024 * 1024)

static volatile sig_atomic_t serve_stop;
static volatile sig_atomic_t serve_pause;	/* SIGUSR1 1, SIGUSR2 2 */
static struct lws_context *volatile serve_context;

static const struct option serve_longopts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "client-id", required_argument, NULL, 'I' },
	{ "client-secret", required_argument, NULL, 'S' },
	{ "username", required_argument, NULL, 'U' },
	{ "password", required_argument, NULL, 'P' },
	{ "expires-in", required_argument, NULL, 'e' },
	{ "rate-limit-first", required_argument, NULL, 'l' },
	{ "retry-after", required_argument, NULL, 'a' },
	{ "family", required_argument, NULL, 'f' },
	{ "count", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'r' },
	{ "dup-rate", required_argument, NULL, 'd' },
	{ "invalid-rate", required_argument, NULL, 'i' },
	{ "disconnect-every", required_argument, NULL, 'D' },
	{ "reject-subscribe", no_argument, NULL, 'R' },
	{ "ignore-subscribe", no_argument, NULL, 'A' },
	{ "oversized-every", required_argument, NULL, 'O' },
	{ "oversized-bytes", required_argument, NULL, 'B' },
	{ "binary-every", required_argument, NULL, 'N' },
	{ "stall-after", required_argument, NULL, 'H' },
	{ "ping-interval", required_argument, NULL, 'g' },
	{ "seed", required_argument, NULL, 's' },
	{ "manifest-dir", required_argument, NULL, 'm' },
	{ "duration", required_argument, NULL, 't' },
	{ "ready-file", required_argument, NULL, 'y' },
	{ "session-ttl", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

void
serve_usage(FILE *fp)
{
	fputs("usage: cxpipe-sim serve --port P [--bind ADDR]"
	    " [--tls-cert F --tls-key K]\n"
	    "           [--client-id ID --client-secret S]"
	    " [--username U --password PW]\n"
	    "           [--expires-in S] [--rate-limit-first K]"
	    " [--retry-after S]\n"
	    "           [--family F]... [--count N] [--rate EV_PER_S]"
	    " [--dup-rate R]\n"
	    "           [--invalid-rate R] [--disconnect-every M]"
	    " [--reject-subscribe]\n"
	    "           [--ignore-subscribe] [--oversized-every N]"
	    " [--oversized-bytes B]\n"
	    "           [--binary-every N] [--stall-after N]"
	    " [--ping-interval S]\n"
	    "           [--seed S] [--manifest-dir DIR] [--duration S]\n"
	    "           [--ready-file F] [--session-ttl S] [--verbose]\n", fp);
}

/* Prints the synopsis and what every option and endpoint does. */
static void
serve_help(FILE *fp)
{
	serve_usage(fp);
	fputs("\nA NICE CXone stand-in for tests: OAuth2 tokens, WebSocket "
	    "streams, REST polling\nand long polling on one port.\n\n"
	    "  --port P              port to listen on; 0 takes a free one "
	    "(see --ready-file)\n"
	    "  --bind ADDR           address to listen on (127.0.0.1)\n"
	    "  --tls-cert F --tls-key K\n"
	    "                        serve https and wss with this PEM "
	    "certificate and key\n"
	    "  --client-id ID --client-secret S\n"
	    "                        client credentials "
	    "(cxpipe-sim, cxpipe-sim-secret)\n"
	    "  --username U --password PW\n"
	    "                        access key of the password grant "
	    "(cxpipe-sim-key,\n"
	    "                        cxpipe-sim-key-secret)\n"
	    "  --expires-in S        life of an access token in seconds (3600)\n"
	    "  --rate-limit-first K  answer the first K token requests 429 (0)\n"
	    "  --retry-after S       their Retry-After in seconds (1)\n"
	    "  --session-ttl S       life of a long-poll session in seconds "
	    "(300)\n"
	    "  --family F            serve family F; repeat for more (all: "
	    "interaction,\n"
	    "                        analytics, agent_state, data_action)\n"
	    "  --count N             events per family over all connections "
	    "(1000)\n"
	    "  --rate EV_PER_S       events released per second per family "
	    "(0: all at once)\n"
	    "  --dup-rate R          share of repeated keys, 0..1 (0)\n"
	    "  --invalid-rate R      share of invalid events, 0..1 (0)\n"
	    "  --disconnect-every M  drop a WebSocket, without a close frame, "
	    "after M events\n"
	    "  --reject-subscribe    answer subscribe.reject and close with 1008\n"
	    "  --ignore-subscribe    never answer a subscribe: no ack, no events\n"
	    "  --oversized-every N   after every N events of a WebSocket, send a "
	    "text message\n"
	    "                        of --oversized-bytes (0: never)\n"
	    "  --oversized-bytes B   size of those messages, at least 128 "
	    "(2097152)\n"
	    "  --binary-every N      after every N events of a WebSocket, send a "
	    "binary frame\n"
	    "                        (0: never)\n"
	    "  --stall-after N       after N events a WebSocket hangs: nothing is "
	    "read or\n"
	    "                        written (no pongs), the socket stays open "
	    "(0: never)\n"
	    "  --ping-interval S     ping WebSocket clients every S seconds "
	    "(0: never)\n"
	    "  --seed S              seed of the events (1)\n"
	    "  --manifest-dir DIR    write DIR/FAMILY.json, what was sent, every "
	    "second and at exit\n"
	    "  --duration S          exit after S seconds (0: at SIGTERM or "
	    "SIGINT)\n"
	    "  --ready-file F        write the port to F once listening\n"
	    "  --verbose             log every request\n\n"
	    "endpoints: POST /oauth/token, GET /ws/FAMILY (WebSocket), "
	    "GET /poll/FAMILY,\n"
	    "POST /longpoll/sessions, GET /longpoll/sessions/ID/next, "
	    "GET /healthz\n", fp);
}

int64_t
serve_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SERVE_USEC + ts.tv_nsec / 1000;
}

struct serve *
serve_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* Parses a whole decimal number in [0, max] into *out. */
static bool
serve_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	*out = v;
	return errno == 0 && *end == '\0' && v <= max;
}

/* Parses a number in [0, max] into *out. */
static bool
serve_parse_double(const char *s, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= 0.0 &&
	    *out <= max;
}

/* Takes one option's value into opt; false if the value is bad. */
static bool
serve_take_option(int ch, const char *arg, struct serve_options *opt,
    bool *any_family)
{
	uint64_t port;
	enum family_id family;

	switch (ch) {
	case 'p':
		if (!serve_parse_uint(arg, 65535, &port))
			return false;
		opt->port = (int)port;
		return true;
	case 'b':
		opt->bind = arg;
		return true;
	case 'C':
		opt->tls_cert = arg;
		return true;
	case 'K':
		opt->tls_key = arg;
		return true;
	case 'I':
		opt->client_id = arg;
		return true;
	case 'S':
		opt->client_secret = arg;
		return true;
	case 'U':
		opt->username = arg;
		return true;
	case 'P':
		opt->password = arg;
		return true;
	case 'e':
		return serve_parse_uint(arg, SERVE_MAX_SECONDS,
		    &opt->expires_in) && opt->expires_in > 0;
	case 'l':
		return serve_parse_uint(arg, UINT32_MAX, &opt->rate_limit_first);
	case 'a':
		return serve_parse_uint(arg, SERVE_MAX_SECONDS,
		    &opt->retry_after);
	case 'f':
		if (!family_lookup(arg, &family))
			return false;
		if (!*any_family)
			memset(opt->families, 0, sizeof(opt->families));
		*any_family = true;
		opt->families[family] = true;
		return true;
	case 'c':
		return serve_parse_uint(arg, SERVE_MAX_COUNT, &opt->count);
	case 'r':
		return serve_parse_double(arg, SERVE_MAX_RATE, &opt->rate);
	case 'd':
		return serve_parse_double(arg, 1.0, &opt->dup_rate);
	case 'i':
		return serve_parse_double(arg, 1.0, &opt->invalid_rate);
	case 'D':
		return serve_parse_uint(arg, SERVE_MAX_COUNT,
		    &opt->disconnect_every);
	case 'R':
		opt->reject_subscribe = true;
		return true;
	case 'A':
		opt->ignore_subscribe = true;
		return true;
	case 'O':
		return serve_parse_uint(arg, SERVE_MAX_COUNT,
		    &opt->oversized_every);
	case 'B':
		return serve_parse_uint(arg, SERVE_MAX_OVERSIZED,
		    &opt->oversized_bytes) && opt->oversized_bytes >= 128;
	case 'N':
		return serve_parse_uint(arg, SERVE_MAX_COUNT,
		    &opt->binary_every);
	case 'H':
		return serve_parse_uint(arg, SERVE_MAX_COUNT,
		    &opt->stall_after);
	case 'g':
		return serve_parse_uint(arg, SERVE_MAX_SECONDS,
		    &opt->ping_interval);
	case 's':
		return serve_parse_uint(arg, INT64_MAX, &opt->seed);
	case 'm':
		opt->manifest_dir = arg;
		return true;
	case 't':
		return serve_parse_uint(arg, SERVE_MAX_SECONDS, &opt->duration);
	case 'y':
		opt->ready_file = arg;
		return true;
	case 'T':
		return serve_parse_uint(arg, SERVE_MAX_SECONDS,
		    &opt->session_ttl) && opt->session_ttl > 0;
	case 'v':
		opt->verbose = true;
		return true;
	}
	return false;
}

/* Reads the command line into opt; returns -1 to go on, else an exit status. */
static int
serve_parse_options(int argc, char **argv, struct serve_options *opt)
{
	bool any_family = false, have_port = false;
	struct feed_plan plan;
	int ch, li = 0, i;

	memset(opt, 0, sizeof(*opt));
	opt->bind = "127.0.0.1";
	opt->client_id = "cxpipe-sim";
	opt->client_secret = "cxpipe-sim-secret";
	opt->username = "cxpipe-sim-key";
	opt->password = "cxpipe-sim-key-secret";
	opt->expires_in = 3600;
	opt->retry_after = 1;
	opt->session_ttl = 300;
	opt->count = 1000;
	opt->oversized_bytes = 2 * 1024 * 1024;
	opt->seed = 1;
	for (i = 0; i < FAMILY_COUNT; i++)
		opt->families[i] = true;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", serve_longopts, &li)) !=
	    -1) {
		if (ch == 'h') {
			serve_help(stdout);
			return SERVE_EXIT_OK;
		}
		if (ch == ':') {
			fprintf(stderr, "cxpipe-sim: serve: %s needs a value\n",
			    argv[optind - 1]);
			goto usage;
		}
		if (ch == '?') {
			fprintf(stderr, "cxpipe-sim: serve: unknown option %s\n",
			    argv[optind - 1]);
			goto usage;
		}
		have_port |= ch == 'p';
		if (!serve_take_option(ch, optarg, opt, &any_family)) {
			fprintf(stderr, "cxpipe-sim: serve: bad value '%s' for "
			    "--%s\n", optarg, serve_longopts[li].name);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cxpipe-sim: serve: unexpected argument '%s'\n",
		    argv[optind]);
		goto usage;
	}
	if (!have_port) {
		fputs("cxpipe-sim: serve: --port is required\n", stderr);
		goto usage;
	}
	if ((opt->tls_cert == NULL) != (opt->tls_key == NULL)) {
		fputs("cxpipe-sim: serve: --tls-cert and --tls-key go "
		    "together\n", stderr);
		goto usage;
	}
	if (opt->reject_subscribe && opt->ignore_subscribe) {
		fputs("cxpipe-sim: serve: --reject-subscribe and "
		    "--ignore-subscribe exclude each other\n", stderr);
		goto usage;
	}
	if (opt->dup_rate + opt->invalid_rate > 1.0 + 1e-9) {
		fputs("cxpipe-sim: serve: --dup-rate and --invalid-rate add up "
		    "past 1\n", stderr);
		goto usage;
	}
	if (!feed_plan_split(opt->count, opt->dup_rate, opt->invalid_rate,
	    &plan)) {
		fputs("cxpipe-sim: serve: repeats need at least one new key; "
		    "lower --dup-rate or --invalid-rate\n", stderr);
		goto usage;
	}
	return -1;
usage:
	serve_usage(stderr);
	return SERVE_EXIT_USAGE;
}

/* Passes libwebsockets' own log lines on to ours. */
static void
serve_lws_log(int level, const char *line)
{
	int n = (int)strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", n, line);
	else
		log_debug("lws: %.*s", n, line);
}

/* Routes each callback of the one protocol to the HTTP or WebSocket side. */
static int
serve_protocol_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct serve *s = serve_of(wsi);
	struct serve_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_RECEIVE_PONG:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL:
		return serve_ws_cb(s, wsi, reason, pss, in, len);
	case LWS_CALLBACK_TIMER:
		if (pss != NULL && pss->kind == SK_WS)
			return serve_ws_cb(s, wsi, reason, pss, in, len);
		if (pss == NULL)
			return 0;
		/* FALLTHROUGH */
	default:
		return serve_http_cb(s, wsi, reason, pss, in, len);
	}
}

/* lws 4.1 has no LWS_PROTOCOL_LIST_TERM: the list ends by hand. */
static const struct lws_protocols serve_protocols[] = {
	{ "cxone-events", serve_protocol_cb, sizeof(struct serve_pss), 65536,
	    0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Records SIGUSR1 (pause) or SIGUSR2 (resume) for the loop. */
static void
serve_pause_cb(int sig)
{
	serve_pause = sig == SIGUSR1 ? 1 : 2;
	if (serve_context != NULL)
		lws_cancel_service(serve_context);
}

/* Pauses or resumes every feed as the last SIGUSR1 or SIGUSR2 asked. */
static void
serve_apply_pause(struct serve *s)
{
	bool paused = serve_pause == 1;
	int i;

	serve_pause = 0;
	for (i = 0; i < FAMILY_COUNT; i++)
		if (s->feeds[i] != NULL)
			feed_set_paused(s->feeds[i], paused);
	if (paused)
		serve_manifest_write(s, true);
	else	/* held long polls and idle streams take the events due */
		lws_callback_on_writable_all_protocol(s->context,
		    &serve_protocols[0]);
	log_info("serve: %s (%s)", paused ? "paused: no events are sent, "
	    "manifests written" : "resumed", paused ? "SIGUSR1" : "SIGUSR2");
}

/* Records a signal for the loop; a second one ends the process at once. */
static void
serve_signal_cb(int sig)
{
	if (serve_stop != 0)
		_exit(128 + sig);
	serve_stop = sig;
	if (serve_context != NULL)
		lws_cancel_service(serve_context);
}

/* The tick: ends a --duration run and rewrites changed manifests. */
static void
serve_tick_cb(lws_sorted_usec_list_t *sul)
{
	struct serve *s = lws_container_of(sul, struct serve, tick);
	int64_t now = serve_now_us(), end, took, delay = SERVE_USEC;

	end = s->start_us + (int64_t)s->opt.duration * SERVE_USEC;
	if (s->opt.duration > 0 && now >= end) {
		serve_stop = SIGALRM;
		lws_cancel_service(s->context);	/* or poll() sleeps on */
		return;
	}
	if (s->opt.manifest_dir != NULL && now >= s->manifest_due_us) {
		serve_manifest_write(s, false);
		took = serve_now_us() - now;
		/* a huge manifest must not eat the loop: 10% of the time */
		s->manifest_due_us = now + (took * 10 > SERVE_USEC ?
		    took * 10 : SERVE_USEC);
	}
	if (s->opt.duration > 0 && end - now < delay)
		delay = end - now;
	lws_sul_schedule(s->context, 0, &s->tick, serve_tick_cb, delay);
}

/* Writes the port into the ready file, through a temporary name. */
static int
serve_write_ready(const struct serve *s)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->opt.ready_file);
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_warn("serve: cannot create %s", tmp);
		return -1;
	}
	fprintf(fp, "%d\n", s->port);
	if (fclose(fp) != 0 || rename(tmp, s->opt.ready_file) == -1) {
		log_warn("serve: cannot write %s", s->opt.ready_file);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Checks the files and directory named on the command line. */
static int
serve_check_paths(const struct serve_options *o)
{
	if (o->tls_cert != NULL && access(o->tls_cert, R_OK) == -1) {
		log_warn("serve: cannot read --tls-cert %s", o->tls_cert);
		return -1;
	}
	if (o->tls_key != NULL && access(o->tls_key, R_OK) == -1) {
		log_warn("serve: cannot read --tls-key %s", o->tls_key);
		return -1;
	}
	if (o->manifest_dir != NULL && mkdir(o->manifest_dir, 0755) == -1 &&
	    errno != EEXIST) {
		log_warn("serve: cannot create --manifest-dir %s",
		    o->manifest_dir);
		return -1;
	}
	return 0;
}

/* Makes the lws context with its one vhost; -1 after logging why not. */
static int
serve_listen(struct serve *s)
{
	const struct serve_options *o = &s->opt;
	struct lws_context_creation_info info;
	const char *host = o->bind;

	memset(&info, 0, sizeof(info));
	info.port = o->port;
	info.iface = o->bind;
	info.protocols = serve_protocols;
	info.user = s;
	info.vhost_name = "cxpipe-sim";
	info.server_string = "cxpipe-sim";
	info.alpn = "http/1.1";
	if (strchr(o->bind, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (o->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
	}
	if ((s->context = lws_create_context(&info)) == NULL) {
		log_warnx("serve: cannot listen on %s port %d (in use? a bad "
		    "address or TLS file?)", o->bind, o->port);
		return -1;
	}
	s->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(s->context,
	    "cxpipe-sim"));
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		host = "127.0.0.1";
	snprintf(s->base_uri, sizeof(s->base_uri), "%s://%s%s%s:%d/",
	    o->tls_cert != NULL ? "https" : "http",
	    strchr(host, ':') != NULL ? "[" : "", host,
	    strchr(host, ':') != NULL ? "]" : "", s->port);
	return 0;
}

/* Makes a feed for each family served (the options were checked). */
static void
serve_make_feeds(struct serve *s)
{
	struct feed_plan plan;
	int i;

	feed_plan_split(s->opt.count, s->opt.dup_rate, s->opt.invalid_rate,
	    &plan);
	for (i = 0; i < FAMILY_COUNT; i++)
		if (s->opt.families[i])
			s->feeds[i] = feed_new((enum family_id)i, s->opt.seed,
			    &plan, s->opt.rate, s->start_us);
}

/* Frees everything serve_run made. */
static void
serve_cleanup(struct serve *s)
{
	int i;

	if (s->context != NULL) {
		serve_context = NULL;
		lws_context_destroy(s->context);
	}
	for (i = 0; i < FAMILY_COUNT; i++)
		feed_free(s->feeds[i]);
	serve_tokens_free(s->tokens);
	serve_sessions_free(s->sessions);
	free(s->out.data);
}

int
serve_run(int argc, char **argv)
{
	struct serve s;
	struct sigaction sa;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = serve_parse_options(argc, argv, &s.opt)) != -1)
		return rc;
	log_init("cxpipe-sim", "stderr");
	log_set_level(s.opt.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	lws_set_log_level(s.opt.verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	    LLL_ERR, serve_lws_log);
	s.start_us = serve_now_us();
	serve_make_feeds(&s);
	s.tokens = serve_tokens_new();
	s.sessions = serve_sessions_new();
	if (serve_check_paths(&s.opt) == -1 || serve_listen(&s) == -1) {
		serve_cleanup(&s);
		return SERVE_EXIT_FAIL;
	}
	serve_context = s.context;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = serve_signal_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = serve_pause_cb;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	serve_tick_cb(&s.tick);
	rc = SERVE_EXIT_OK;
	if (s.opt.ready_file != NULL && serve_write_ready(&s) == -1)
		rc = SERVE_EXIT_FAIL;
	else
		log_info("serve: listening on %s (count %llu per family, rate "
		    "%g/s)", s.base_uri, (unsigned long long)s.opt.count,
		    s.opt.rate);
	while (rc == SERVE_EXIT_OK && serve_stop == 0) {
		if (lws_service(s.context, 0) < 0) {
			log_warnx("serve: the service loop failed");
			rc = SERVE_EXIT_FAIL;
		}
		if (serve_pause != 0)
			serve_apply_pause(&s);
	}
	if (serve_stop != 0)
		log_info("serve: stopping (%s)", serve_stop == SIGALRM ?
		    "--duration is over" : strsignal(serve_stop));
	if (serve_manifest_write(&s, true) == -1)
		rc = SERVE_EXIT_FAIL;
	serve_cleanup(&s);
	return rc;
}
