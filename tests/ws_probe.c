/*
 * ws_probe.c: a small WebSocket client for the tests of "cxpipe-sim serve".
 * It connects with a bearer token (in the Authorization header or as
 * ?access_token=), sends a subscribe message, prints every text frame it
 * receives on a line of its own, and stops after COUNT events (frames after
 * the subscribe answer; 0: no limit) or when the connection ends.
 *
 * usage: ws_probe [--expect-close CODE] [--expect-status CODE] [--timeout S]
 *            [--subscribe JSON] URL TOKEN header|query COUNT
 *
 * Exits 0 when COUNT events came, when the connection was closed with
 * --expect-close's code (1006: dropped without a close frame), or when the
 * handshake was refused with --expect-status's HTTP status; 1 otherwise,
 * also after --timeout seconds (default 30); 2 on a usage error.  How the
 * connection ended goes to stderr: "ws_probe: closed CODE REASON" or
 * "ws_probe: connection error: ... (HTTP N)".
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define PROBE_MAX_MESSAGE	(1 << 20)

struct probe {
	const char		*token;
	bool			 in_header;
	const char		*subscribe;
	unsigned long		 want;		/* events, 0: no limit */
	unsigned long		 events;
	bool			 answered;	/* the subscribe answer came */
	bool			 subscribed;
	bool			 done;		/* enough events: closing */
	bool			 finished;	/* the connection is over */
	bool			 timed_out;
	int			 close_code;
	char			 close_reason[128];
	int			 http_status;
	char			 error[256];
	char			*rx;
	size_t			 rx_len;
	struct lws_context	*context;
	lws_sorted_usec_list_t	 deadline;
};

static struct probe probe;

static void
probe_usage(void)
{
	fputs("usage: ws_probe [--expect-close CODE] [--expect-status CODE]"
	    " [--timeout S]\n"
	    "           [--subscribe JSON] URL TOKEN header|query COUNT\n",
	    stderr);
	exit(2);
}

/* Prints a complete message and counts it unless it answers the subscribe. */
static void
probe_message(struct lws *wsi)
{
	fwrite(probe.rx, 1, probe.rx_len, stdout);
	fputc('\n', stdout);
	probe.rx[probe.rx_len] = '\0';
	if (!probe.answered &&
	    strstr(probe.rx, "\"type\":\"subscribe.") != NULL)
		probe.answered = true;
	else if (++probe.events == probe.want) {
		probe.done = true;
		lws_callback_on_writable(wsi);
	}
}

/* Gathers fragments; prints each whole message. */
static void
probe_receive(struct lws *wsi, const void *in, size_t len)
{
	if (lws_is_first_fragment(wsi))
		probe.rx_len = 0;
	if (probe.rx_len + len < PROBE_MAX_MESSAGE) {
		memcpy(probe.rx + probe.rx_len, in, len);
		probe.rx_len += len;
	}
	if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi) &&
	    !lws_frame_is_binary(wsi))
		probe_message(wsi);
}

static int
probe_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	unsigned char buf[LWS_PRE + 1024];
	const unsigned char *p = in;
	char **hp;
	size_t n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (!probe.in_header)
			break;
		hp = in;
		*hp += lws_snprintf(*hp, len, "Authorization: Bearer %s\x0d\x0a",
		    probe.token);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (probe.done) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
			    (unsigned char *)"enough", 6);
			return -1;
		}
		if (probe.subscribed)
			break;
		probe.subscribed = true;
		n = strlen(probe.subscribe);
		if (n > sizeof(buf) - LWS_PRE)
			return -1;
		memcpy(buf + LWS_PRE, probe.subscribe, n);
		if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		probe_receive(wsi, in, len);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			probe.close_code = p[0] << 8 | p[1];
			snprintf(probe.close_reason, sizeof(probe.close_reason),
			    "%.*s", (int)(len - 2), (const char *)p + 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		probe.http_status = (int)lws_http_client_http_response(wsi);
		snprintf(probe.error, sizeof(probe.error), "%s",
		    in != NULL ? (const char *)in : "unknown");
		probe.finished = true;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (probe.close_code == 0 && !probe.done)
			probe.close_code = LWS_CLOSE_STATUS_ABNORMAL_CLOSE;
		probe.finished = true;
		break;
	default:
		break;
	}
	return 0;
}

/* The --timeout is over. */
static void
probe_deadline_cb(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	probe.timed_out = true;
	probe.finished = true;
	lws_cancel_service(probe.context);
}

/* lws 4.1 has no LWS_PROTOCOL_LIST_TERM: the list ends by hand. */
static const struct lws_protocols probe_protocols[] = {
	{ "probe", probe_cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Parses a whole number into *out or exits with usage. */
static unsigned long
probe_number(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		probe_usage();
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "expect-close", required_argument, NULL, 'c' },
		{ "expect-status", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "subscribe", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	const char *prot, *address, *upath;
	unsigned long timeout = 30;
	int expect_close = -1, expect_status = -1, port, ch, rc;
	char url[1024], path[2048];

	probe.subscribe = "{\"type\":\"subscribe\",\"events\":[\"*\"]}";
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			expect_close = (int)probe_number(optarg);
			break;
		case 's':
			expect_status = (int)probe_number(optarg);
			break;
		case 't':
			timeout = probe_number(optarg);
			break;
		case 'j':
			probe.subscribe = optarg;
			break;
		default:
			probe_usage();
		}
	}
	if (argc - optind != 4 || (strcmp(argv[optind + 2], "header") != 0 &&
	    strcmp(argv[optind + 2], "query") != 0))
		probe_usage();
	probe.token = argv[optind + 1];
	probe.in_header = strcmp(argv[optind + 2], "header") == 0;
	probe.want = probe_number(argv[optind + 3]);
	snprintf(url, sizeof(url), "%s", argv[optind]);
	if (lws_parse_uri(url, &prot, &address, &port, &upath) != 0 ||
	    (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0)) {
		fprintf(stderr, "ws_probe: not a ws:// or wss:// URL: %s\n",
		    argv[optind]);
		return 2;
	}
	snprintf(path, sizeof(path), "/%s%s%s", upath,
	    probe.in_header ? "" : strchr(upath, '?') ? "&access_token=" :
	    "?access_token=", probe.in_header ? "" : probe.token);
	if ((probe.rx = malloc(PROBE_MAX_MESSAGE + 1)) == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	lws_set_log_level(LLL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = probe_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((probe.context = lws_create_context(&info)) == NULL) {
		fputs("ws_probe: cannot create the lws context\n", stderr);
		return 1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = probe.context;
	ci.address = address;
	ci.port = port;
	ci.path = path;
	ci.host = address;
	ci.origin = address;
	ci.local_protocol_name = "probe";
	if (strcmp(prot, "wss") == 0)
		ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	lws_sul_schedule(probe.context, 0, &probe.deadline, probe_deadline_cb,
	    (lws_usec_t)timeout * LWS_US_PER_SEC);
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "ws_probe: cannot connect to %s\n", argv[optind]);
		probe.finished = true;
	}
	while (!probe.finished)
		if (lws_service(probe.context, 0) < 0)
			break;
	fflush(stdout);

	rc = 1;
	if (probe.want > 0 && probe.events >= probe.want)
		rc = 0;
	if (probe.timed_out)
		fprintf(stderr, "ws_probe: timeout after %lus, %lu events\n",
		    timeout, probe.events);
	else if (probe.error[0] != '\0') {
		fprintf(stderr, "ws_probe: connection error: %s (HTTP %d)\n",
		    probe.error, probe.http_status);
		if (probe.http_status == expect_status)
			rc = 0;
	} else if (probe.close_code != 0) {
		fprintf(stderr, "ws_probe: closed %d %s\n", probe.close_code,
		    probe.close_reason);
		if (probe.close_code == expect_close)
			rc = 0;
	}
	lws_context_destroy(probe.context);
	free(probe.rx);
	return rc;
}
