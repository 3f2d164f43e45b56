/* Unit tests of channels: framing, large payloads, fd passing, flow control,
 * protocol errors and EOF, on a real libevent loop over a socketpair. */
#include "autoconf.h"

#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "check.h"
#include "log.h"

struct rx {
	int		 frames;
	uint64_t	 seq_sum;
	size_t		 bytes;
	int		 bad_payloads;
	int		 fd;
	int		 eofs;
	char		 why[64];
	struct channel	*ch;
	int		 pause_after;
};

static void
rx_cb(struct channel *ch, const struct msg_hdr *h, const uint8_t *p, int fd,
    void *arg)
{
	struct rx	*rx = arg;
	uint32_t	 i;

	rx->frames++;
	rx->seq_sum += h->seq;
	rx->bytes += h->len;
	for (i = 0; i < h->len; i++)
		if (p[i] != (uint8_t)(h->seq + i)) {
			rx->bad_payloads++;
			break;
		}
	if (fd != -1)
		rx->fd = fd;
	if (rx->pause_after != 0 && rx->frames == rx->pause_after)
		channel_pause(ch, true);
}

static void
eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct rx	*rx = arg;

	rx->eofs++;
	snprintf(rx->why, sizeof(rx->why), "%s", why);
}

/* Fills a payload whose bytes depend on seq, so corruption is visible. */
static uint8_t *
payload(uint64_t seq, size_t n)
{
	uint8_t	*p = malloc(n ? n : 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seq + i);
	return p;
}

static void
run(struct event_base *base, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void
test_frames(void)
{
	struct event_base	*base = event_base_new();
	struct channel		*a, *b;
	struct rx		 ra, rb;
	uint64_t		 seq, want = 0;
	uint8_t			*p;
	int			 sv[2];
	size_t			 n, total = 0;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.fd = rb.fd = -1;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	a = channel_new(base, sv[0], "a", rx_cb, eof_cb, &ra);
	b = channel_new(base, sv[1], "b", rx_cb, eof_cb, &rb);
	for (seq = 1; seq <= 2000; seq++) {
		n = (seq * 7919) % 3000;
		if (seq == 1000)
			n = 4 * 1024 * 1024;
		p = payload(seq, n);
		CHECK(channel_send(a, MSG_EVENT_RAW, 0, seq, p, n) == 0);
		free(p);
		want += seq;
		total += n;
	}
	run(base, 500);
	CHECK(rb.frames == 2000);
	CHECK(rb.seq_sum == want);
	CHECK(rb.bytes == total);
	CHECK(rb.bad_payloads == 0);
	CHECK(channel_pending(a) == 0);

	/* Flow control: a paused reader dispatches nothing more until resumed. */
	rb.frames = 0;
	rb.pause_after = 10;
	for (seq = 1; seq <= 100; seq++)
		channel_send(a, MSG_EVENT_RAW, 0, seq, NULL, 0);
	run(base, 200);
	CHECK(rb.frames == 10);
	CHECK(channel_is_paused(b));
	rb.pause_after = 0;
	channel_pause(b, false);
	run(base, 200);
	CHECK(rb.frames == 100);

	/* EOF: closing one end reports it once on the other. */
	channel_free(a);
	run(base, 100);
	CHECK(rb.eofs == 1);
	channel_free(b);
	event_base_free(base);
}

static void
test_fd_passing(void)
{
	struct event_base	*base = event_base_new();
	struct channel		*a, *b;
	struct rx		 ra, rb;
	int			 sv[2], pfd[2];
	char			 c = 0;
	uint8_t			 peer = 1;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.fd = rb.fd = -1;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CHECK(pipe(pfd) == 0);
	a = channel_new(base, sv[0], "a", rx_cb, eof_cb, &ra);
	b = channel_new(base, sv[1], "b", rx_cb, eof_cb, &rb);
	channel_send(a, MSG_EVENT_RAW, 0, 5, NULL, 0);
	CHECK(channel_send_fd(a, MSG_CTL_ATTACH, 0, 0, &peer, 1, pfd[1]) == 0);
	close(pfd[1]);
	run(base, 200);
	CHECK(rb.frames == 2);
	CHECK(rb.fd >= 0);
	if (rb.fd >= 0) {
		CHECK(write(rb.fd, "x", 1) == 1);
		CHECK(read(pfd[0], &c, 1) == 1 && c == 'x');
		close(rb.fd);
	}
	close(pfd[0]);
	channel_free(a);
	channel_free(b);
	event_base_free(base);
}

static void
test_bad_frame(void)
{
	struct event_base	*base = event_base_new();
	struct channel		*b;
	struct rx		 rb;
	struct msg_hdr		 h;
	int			 sv[2];

	memset(&rb, 0, sizeof(rb));
	rb.fd = -1;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	b = channel_new(base, sv[1], "b", rx_cb, eof_cb, &rb);
	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION + 1;
	h.type = MSG_EVENT_RAW;
	CHECK(write(sv[0], &h, sizeof(h)) == (ssize_t)sizeof(h));
	run(base, 100);
	CHECK(rb.frames == 0);
	CHECK(rb.eofs == 1);
	CHECK(strcmp(rb.why, "protocol error") == 0);
	close(sv[0]);
	channel_free(b);
	event_base_free(base);
}

int
main(void)
{
	log_init("test", "stderr");
	log_set_level(LOG_LEVEL_ERROR);
	test_frames();
	test_fd_passing();
	test_bad_frame();
	return CHECK_DONE();
}
