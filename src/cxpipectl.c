/*
 * cxpipectl: a thin client.  It checks the arguments, sends one request over
 * the control socket, prints the daemon's reply and exits with its status.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "tuple.h"

#define EXIT_USAGE	2
#define EXIT_UNREACHABLE 3
#define REPLY_TIMEOUT_MS 30000
#define DEFAULT_SOCKET	"/run/cxpipe/cxpipe.sock"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxpipectl [-s SOCKET] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  status [--json]        the daemon and its workers: pid, state, uptime, restarts\n"
	    "  stats [--json]         per-worker counters: accepted, valid, rejected, committed, ...\n"
	    "  reload                 re-read the config file (a bad file changes nothing)\n"
	    "  restart ROLE           restart one worker: ingest, validate, pgsink or alert\n"
	    "  stop                   drain the pipeline and stop the daemon\n"
	    "  log-level LEVEL        error, warn, info or debug\n"
	    "  alerts [--json]        pending and firing alerts with their values\n"
	    "  silence RULE[:SCOPE] DURATION [--comment TEXT]\n"
	    "                         hold back a rule's notifications (DURATION: 90s, 15m, 2h, 1d)\n"
	    "  silences [--json]      the silences in force\n"
	    "  unsilence ID           end a silence\n"
	    "\n"
	    "options:\n"
	    "  -s SOCKET              control socket (default $CXPIPE_SOCKET or " DEFAULT_SOCKET ")\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n"
	    "\n"
	    "exit status: 0 ok, 1 refused by the daemon, 2 usage, 3 daemon not reachable\n");
}

/* True when s is a duration the alert worker takes: digits, then
 * nothing or one of s, m, h, d. */
static bool
check_duration(const char *s)
{
	size_t	 n = strspn(s, "0123456789");

	return n > 0 && n < 10 && (s[n] == '\0' ||
	    (strchr("smhd", s[n]) != NULL && s[n + 1] == '\0'));
}

/* Checks a command line before anything is sent; returns 0 when it is valid. */
static int
check_args(int argc, char **argv)
{
	const char	*cmd = argv[0];
	bool		 json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "stats") == 0 ||
	    strcmp(cmd, "alerts") == 0 || strcmp(cmd, "silences") == 0)
		return argc == 1 || json ? 0 : -1;
	if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "stop") == 0)
		return argc == 1 ? 0 : -1;
	if (strcmp(cmd, "silence") == 0)
		return (argc == 3 || (argc == 5 &&
		    strcmp(argv[3], "--comment") == 0)) &&
		    argv[1][0] != '\0' && argv[1][0] != ':' &&
		    check_duration(argv[2]) ? 0 : -1;
	if (strcmp(cmd, "unsilence") == 0)
		return argc == 2 && argv[1][0] != '\0' &&
		    strspn(argv[1], "0123456789") == strlen(argv[1]) ? 0 : -1;
	if (strcmp(cmd, "restart") == 0)
		return argc == 2 && role_parse(argv[1]) != -1 ? 0 : -1;
	if (strcmp(cmd, "log-level") == 0)
		return argc == 2 && (strcmp(argv[1], "error") == 0 ||
		    strcmp(argv[1], "warn") == 0 || strcmp(argv[1], "info") == 0 ||
		    strcmp(argv[1], "debug") == 0) ? 0 : -1;
	return -1;
}

/* Writes all of p, or returns -1. */
static int
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes within the reply timeout, or returns -1. */
static int
read_all(int fd, void *p, size_t n)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		*c = p;
	ssize_t		 r;

	while (n > 0) {
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0)
			return -1;
		if ((r = read(fd, c, n)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_un	 sun;
	struct msg_hdr		 h;
	struct buf		 req;
	const char		*sock;
	char			*reply;
	int			 ch, fd, i;

	if ((sock = getenv("CXPIPE_SOCKET")) == NULL || *sock == '\0')
		sock = DEFAULT_SOCKET;
	while ((ch = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cxpipectl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || check_args(argc, argv) == -1) {
		if (argc > 0)
			fprintf(stderr, "cxpipectl: bad command or arguments: %s\n", argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "cxpipectl: socket path too long: %s\n", sock);
		return EXIT_USAGE;
	}
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "cxpipectl: cannot reach cxpiped at %s: %s\n",
		    sock, strerror(errno));
		return EXIT_UNREACHABLE;
	}
	buf_init(&req);
	for (i = 0; i < argc; i++)
		buf_add(&req, argv[i], strlen(argv[i]) + 1);
	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)req.len;
	h.version = PROTO_VERSION;
	h.type = MSG_CLI_REQUEST;
	if (write_all(fd, &h, sizeof(h)) == -1 || write_all(fd, req.data, req.len) == -1) {
		fprintf(stderr, "cxpipectl: sending to %s: %s\n", sock, strerror(errno));
		return EXIT_UNREACHABLE;
	}
	buf_free(&req);
	if (read_all(fd, &h, sizeof(h)) == -1 || h.version != PROTO_VERSION ||
	    h.type != MSG_CLI_REPLY || h.len > PROTO_MAX_PAYLOAD) {
		fprintf(stderr, "cxpipectl: no valid reply from cxpiped at %s\n", sock);
		return EXIT_UNREACHABLE;
	}
	reply = malloc((size_t)h.len + 1);
	if (reply == NULL || read_all(fd, reply, h.len) == -1) {
		fprintf(stderr, "cxpipectl: reply from %s cut short\n", sock);
		return EXIT_UNREACHABLE;
	}
	close(fd);
	reply[h.len] = '\0';
	fputs(reply, h.flags == 0 ? stdout : stderr);
	free(reply);
	return (int)h.flags;
}
