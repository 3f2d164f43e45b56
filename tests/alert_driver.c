/*
 * alert_driver: plays master and validate for one alert worker, from a
 * script on standard input, one command a line:
 *
 *   obs F T Q V H W QT AGENT ACTION VERDICT LAT STATE
 *                      one MSG_OBS_EVENT ("-" is NULL; fields of record.h)
 *   obs4 F T Q V       one observation in the first, 4-field layout
 *   agents N PREFIX    N observations, agents PREFIX0 .. PREFIX(N-1)
 *   sleep MS           keeps answering nothing, just waits
 *   cmd ARG...         a command (alerts, silence, ...): prints its answer
 *   stats              prints the worker's stats JSON
 *   rss                prints the worker's VmRSS in kB
 *   kill               SIGKILLs the worker and starts a new one
 *
 * usage: alert_driver CXPIPED_BINARY CONFIG_FILE
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "tuple.h"
#include "xmalloc.h"

struct drv {
	const char	*bin;
	char		*conf;
	pid_t		 pid;
	int		 ctl;
	int		 data;
	uint64_t	 next_id;
};

static void
die(const char *what)
{
	fprintf(stderr, "alert_driver: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Writes all of p to fd (blocking). */
static void
drv_write(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };
				poll(&pfd, 1, 1000);
				continue;
			}
			die("write");
		}
		c += w;
		n -= (size_t)w;
	}
}

/* Sends one frame, with fd passed along when it is not -1. */
static void
drv_send(int sock, uint16_t type, uint32_t flags, uint64_t seq,
    const void *p, size_t len, int fd)
{
	struct msg_hdr	 h;
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;

	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)len;
	h.version = PROTO_VERSION;
	h.type = type;
	h.flags = flags;
	h.seq = seq;
	if (fd == -1) {
		drv_write(sock, &h, sizeof(h));
		drv_write(sock, p, len);
		return;
	}
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &mh, 0) != (ssize_t)sizeof(h))
		die("sendmsg");
	drv_write(sock, p, len);
}

/* Reads exactly n bytes from fd within 10 s. */
static void
drv_read(int fd, void *p, size_t n)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		*c = p;
	ssize_t		 r;

	while (n > 0) {
		if (poll(&pfd, 1, 10000) <= 0) {
			fprintf(stderr, "alert_driver: no answer in 10 s\n");
			exit(1);
		}
		if ((r = read(fd, c, n)) <= 0) {
			if (r == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			fprintf(stderr, "alert_driver: the worker went away\n");
			exit(1);
		}
		c += r;
		n -= (size_t)r;
	}
}

/* Waits for a control frame of type (and seq, unless 0); returns its
 * payload as a string (caller frees). */
static char *
drv_wait(struct drv *d, uint16_t type, uint64_t seq)
{
	struct msg_hdr	 h;
	char		*p;

	for (;;) {
		drv_read(d->ctl, &h, sizeof(h));
		p = xmalloc((size_t)h.len + 1);
		drv_read(d->ctl, p, h.len);
		p[h.len] = '\0';
		if (h.type == type && (seq == 0 || h.seq == seq))
			return p;
		free(p);
	}
}

/* Starts the worker, configures it and attaches a validate channel. */
static void
drv_start(struct drv *d)
{
	int	 sv[2], dv[2];
	uint8_t	 role = ROLE_VALIDATE;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv) == -1)
		die("socketpair");
	if ((d->pid = fork()) == -1)
		die("fork");
	if (d->pid == 0) {
		if (dup2(sv[1], PROTO_CTL_FD) == -1)
			_exit(126);
		execl(d->bin, d->bin, "--worker=alert", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	d->ctl = sv[0];
	drv_send(d->ctl, MSG_CTL_CONFIG, CONFIG_F_INITIAL, 1, d->conf,
	    strlen(d->conf), -1);
	free(drv_wait(d, MSG_CTL_READY, 0));
	drv_send(d->ctl, MSG_CTL_ATTACH, 0, 0, &role, 1, dv[1]);
	close(dv[1]);
	d->data = dv[0];
}

/* Sends one observation of n fields from words ("-" is NULL). */
static void
drv_obs(struct drv *d, char **w, int n)
{
	struct buf	 b;
	int		 i;

	buf_init(&b);
	for (i = 0; i < n; i++)
		tuple_add_str(&b, w[i] == NULL || strcmp(w[i], "-") == 0 ?
		    NULL : w[i]);
	drv_send(d->data, MSG_OBS_EVENT, 0, 0, b.data, b.len, -1);
	buf_free(&b);
}

/* Runs one script line. */
static void
drv_line(struct drv *d, char *line)
{
	char		*w[32], *p, *ans, buf[64];
	struct buf	 b;
	int		 n = 0, i, count;
	FILE		*f;

	for (p = strtok(line, " \t\n"); p != NULL && n < 32;
	    p = strtok(NULL, " \t\n"))
		w[n++] = p;
	if (n == 0 || w[0][0] == '#')
		return;
	if (strcmp(w[0], "obs") == 0 && n == 13)
		drv_obs(d, w + 1, 12);
	else if (strcmp(w[0], "obs4") == 0 && n == 5)
		drv_obs(d, w + 1, 4);
	else if (strcmp(w[0], "agents") == 0 && n == 3) {
		char *f12[12] = { "agent_state", "agent.state.change", "-",
		    "1", "-", "-", "-", NULL, "-", "accepted", "1000", "Available" };
		count = atoi(w[1]);
		for (i = 0; i < count; i++) {
			snprintf(buf, sizeof(buf), "%s%d", w[2], i);
			f12[7] = buf;
			drv_obs(d, f12, 12);
		}
	} else if (strcmp(w[0], "sleep") == 0 && n == 2)
		usleep((useconds_t)atoi(w[1]) * 1000);
	else if (strcmp(w[0], "cmd") == 0 && n >= 2) {
		buf_init(&b);
		for (i = 1; i < n; i++)
			buf_add(&b, w[i], strlen(w[i]) + 1);
		drv_send(d->ctl, MSG_CTL_STATS_REQUEST, 0, ++d->next_id,
		    b.data, b.len, -1);
		buf_free(&b);
		ans = drv_wait(d, MSG_CTL_STATS, d->next_id);
		printf("%s\n", ans);
		free(ans);
	} else if (strcmp(w[0], "stats") == 0) {
		drv_send(d->ctl, MSG_CTL_STATS_REQUEST, 0, ++d->next_id, "", 0, -1);
		ans = drv_wait(d, MSG_CTL_STATS, d->next_id);
		printf("%s\n", ans);
		free(ans);
	} else if (strcmp(w[0], "rss") == 0) {
		snprintf(buf, sizeof(buf), "/proc/%ld/status", (long)d->pid);
		if ((f = fopen(buf, "r")) == NULL)
			die(buf);
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (strncmp(buf, "VmRSS:", 6) == 0)
				printf("rss %ld\n", strtol(buf + 6, NULL, 10));
		fclose(f);
	} else if (strcmp(w[0], "kill") == 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		close(d->ctl);
		close(d->data);
		drv_start(d);
	} else {
		fprintf(stderr, "alert_driver: bad line: %s\n", w[0]);
		exit(2);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct drv	 d;
	char		 line[4096];
	FILE		*f;
	size_t		 n;

	if (argc != 3) {
		fprintf(stderr, "usage: alert_driver CXPIPED CONFIG\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&d, 0, sizeof(d));
	d.bin = argv[1];
	if ((f = fopen(argv[2], "r")) == NULL)
		die(argv[2]);
	d.conf = xmalloc(1 << 20);
	n = fread(d.conf, 1, (1 << 20) - 1, f);
	d.conf[n] = '\0';
	fclose(f);
	drv_start(&d);
	while (fgets(line, sizeof(line), stdin) != NULL)
		drv_line(&d, line);
	drv_send(d.ctl, MSG_CTL_STOP, 0, 0, "", 0, -1);
	free(drv_wait(&d, MSG_CTL_DRAINED, 0));
	waitpid(d.pid, NULL, 0);
	free(d.conf);
	return 0;
}
