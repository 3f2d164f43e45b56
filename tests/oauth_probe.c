/*
 * Drives one oauth token source on a libevent loop against a real token
 * endpoint (tests/oauth.sh points it at `cxpipe-sim serve`) and prints what
 * happens: one line per token, then the final state and counters.  Secrets
 * come from the environment, never from the command line, and are never
 * printed; neither are the tokens.
 */
#include "autoconf.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "../workers/ingest/curl_loop.h"
#include "../workers/ingest/oauth.h"
#include "log.h"
#include "tuple.h"

struct probe {
	struct event_base	*base;
	struct oauth		*oauth;
	int			 want;		/* stop after this many tokens */
	int			 invalidate_at;	/* invalidate after this token */
	int			 tokens;
	struct timespec		 t0;
};

static void
probe_usage(void)
{
	fputs("usage: oauth_probe --url URL [--grant client_credentials|password]\n"
	    "    [--client-id ID] [--username U] [--scope S] [--tenant T]\n"
	    "    [--ca-file FILE]\n"
	    "    [--margin S] [--backoff-base MS] [--backoff-cap MS]\n"
	    "    [--timeout-ms MS] [--tokens N] [--invalidate-at N] [--duration MS]\n"
	    "secrets from the environment: OAUTH_CLIENT_SECRET, OAUTH_PASSWORD\n",
	    stderr);
	exit(2);
}

static long long
probe_elapsed_ms(const struct probe *p)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)(ts.tv_sec - p->t0.tv_sec) * 1000 +
	    (ts.tv_nsec - p->t0.tv_nsec) / 1000000;
}

/* Prints one line per token (never the token) and stops when enough came. */
static void
probe_token_cb(void *arg, const char *token, time_t expires_at)
{
	struct probe	*p = arg;
	const char	*base = oauth_base_uri(p->oauth);

	p->tokens++;
	printf("token %d t_ms=%lld expires_in=%lld current=%s base_uri=%s\n",
	    p->tokens, probe_elapsed_ms(p), (long long)(expires_at - time(NULL)),
	    oauth_token(p->oauth) == token ? "yes" : "no",
	    base != NULL ? base : "-");
	fflush(stdout);
	if (p->tokens == p->invalidate_at) {
		printf("invalidate t_ms=%lld\n", probe_elapsed_ms(p));
		oauth_invalidate(p->oauth);
		printf("after-invalidate token=%s\n",
		    oauth_token(p->oauth) != NULL ? "yes" : "no");
	}
	if (p->want > 0 && p->tokens >= p->want)
		event_base_loopbreak(p->base);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "grant", required_argument, NULL, 'g' },
		{ "client-id", required_argument, NULL, 'c' },
		{ "username", required_argument, NULL, 'U' },
		{ "scope", required_argument, NULL, 's' },
		{ "tenant", required_argument, NULL, 'T' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "margin", required_argument, NULL, 'm' },
		{ "backoff-base", required_argument, NULL, 'b' },
		{ "backoff-cap", required_argument, NULL, 'B' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "tokens", required_argument, NULL, 'n' },
		{ "invalidate-at", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct oauth_conf	 c;
	struct probe		 p;
	struct curl_loop	*loop;
	struct timeval		 tv;
	struct buf		 b;
	long			 duration_ms = 10000;
	int			 ch;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.name = "probe";
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': c.token_url = optarg; break;
		case 'g':
			if (strcmp(optarg, "password") == 0)
				c.grant = OAUTH_GRANT_PASSWORD;
			else if (strcmp(optarg, "client_credentials") != 0)
				probe_usage();
			break;
		case 'c': c.client_id = optarg; break;
		case 'U': c.username = optarg; break;
		case 's': c.scope = optarg; break;
		case 'T': c.tenant = optarg; break;
		case 'C': c.ca_file = optarg; break;
		case 'm': c.refresh_margin_s = atoi(optarg); break;
		case 'b': c.backoff_base_ms = atoi(optarg); break;
		case 'B': c.backoff_cap_ms = atoi(optarg); break;
		case 't': c.timeout_ms = atol(optarg); break;
		case 'n': p.want = atoi(optarg); break;
		case 'i': p.invalidate_at = atoi(optarg); break;
		case 'd': duration_ms = atol(optarg); break;
		default: probe_usage();
		}
	}
	if (c.token_url == NULL || optind != argc)
		probe_usage();
	c.client_secret = getenv("OAUTH_CLIENT_SECRET");
	c.password = getenv("OAUTH_PASSWORD");
	if (log_init("oauth-probe", "stderr") == -1)
		return 1;
	log_set_level(LOG_LEVEL_DEBUG);

	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	p.base = event_base_new();
	loop = curl_loop_new(p.base);
	p.oauth = oauth_new(loop, &c, probe_token_cb, &p);
	oauth_start(p.oauth);
	tv.tv_sec = duration_ms / 1000;
	tv.tv_usec = (duration_ms % 1000) * 1000;
	event_base_loopexit(p.base, &tv);
	event_base_dispatch(p.base);

	buf_init(&b);
	oauth_stats(p.oauth, &b);
	buf_add(&b, "", 1);
	printf("final t_ms=%lld tokens=%d stats=%s\n", probe_elapsed_ms(&p),
	    p.tokens, (char *)b.data);
	printf("last_error: %s\n", oauth_last_error(p.oauth) != NULL ?
	    oauth_last_error(p.oauth) : "-");
	buf_free(&b);
	oauth_free(p.oauth);
	curl_loop_free(loop);
	event_base_free(p.base);
	return 0;
}
