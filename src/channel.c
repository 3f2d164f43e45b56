#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "channel.h"
#include "log.h"
#include "xmalloc.h"

#define CHANNEL_MAX_FDS		8	/* received but not yet dispatched */
#define CHANNEL_READ_CHUNK	65536

/* A descriptor to be sent with the frame that starts at out_off. */
struct pending_fd {
	size_t	 out_off;
	int	 fd;
};

struct channel {
	struct event_base	*base;
	int			 fd;
	char			 name[32];
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_resume;	/* dispatches buffered frames after a resume */
	struct evbuffer		*in;
	struct evbuffer		*out;
	channel_msg_cb		 msg_cb;
	channel_eof_cb		 eof_cb;
	channel_drain_cb	 drain_cb;
	size_t			 lowat;
	void			*arg;
	bool			 paused;
	bool			 closed;	/* EOF or error reported */
	int			 in_dispatch;	/* nesting depth of callbacks */
	bool			 free_pending;	/* channel_free called inside a callback */
	int			 rx_fds[CHANNEL_MAX_FDS];
	int			 rx_nfds;
	struct pending_fd	 tx_fds[CHANNEL_MAX_FDS];
	int			 tx_nfds;
};

static void	channel_read_cb(int, short, void *);
static void	channel_write_cb(int, short, void *);
static void	channel_resume_cb(int, short, void *);
static void	channel_dispatch(struct channel *);

struct channel *
channel_new(struct event_base *base, int fd, const char *name,
    channel_msg_cb msg_cb, channel_eof_cb eof_cb, void *arg)
{
	struct channel	*ch;

	ch = xcalloc(1, sizeof(*ch));
	ch->base = base;
	ch->fd = fd;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->msg_cb = msg_cb;
	ch->eof_cb = eof_cb;
	ch->arg = arg;
	ch->in = evbuffer_new();
	ch->out = evbuffer_new();
	ch->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, channel_read_cb, ch);
	ch->ev_write = event_new(base, fd, EV_WRITE, channel_write_cb, ch);
	ch->ev_resume = event_new(base, -1, 0, channel_resume_cb, ch);
	if (ch->in == NULL || ch->out == NULL || ch->ev_read == NULL ||
	    ch->ev_write == NULL || ch->ev_resume == NULL)
		fatalx("channel %s: cannot allocate events", name);
	event_add(ch->ev_read, NULL);
	return ch;
}

/* Releases everything; called when no callback of this channel is running. */
static void
channel_destroy(struct channel *ch)
{
	int	 i;

	event_free(ch->ev_read);
	event_free(ch->ev_write);
	event_free(ch->ev_resume);
	evbuffer_free(ch->in);
	evbuffer_free(ch->out);
	for (i = 0; i < ch->rx_nfds; i++)
		close(ch->rx_fds[i]);
	for (i = 0; i < ch->tx_nfds; i++)
		close(ch->tx_fds[i].fd);
	if (ch->fd != -1)
		close(ch->fd);
	free(ch);
}

void
channel_free(struct channel *ch)
{
	if (ch == NULL)
		return;
	if (ch->in_dispatch > 0) {
		ch->free_pending = true;
		ch->closed = true;
		event_del(ch->ev_read);
		event_del(ch->ev_write);
		return;
	}
	channel_destroy(ch);
}

void
channel_set_drain_cb(struct channel *ch, channel_drain_cb cb, size_t lowat)
{
	ch->drain_cb = cb;
	ch->lowat = lowat;
}

const char *
channel_name(const struct channel *ch)
{
	return ch->name;
}

int
channel_fd(const struct channel *ch)
{
	return ch->fd;
}

size_t
channel_pending(const struct channel *ch)
{
	return evbuffer_get_length(ch->out);
}

bool
channel_is_paused(const struct channel *ch)
{
	return ch->paused;
}

void
channel_pause(struct channel *ch, bool pause)
{
	if (ch->closed || ch->paused == pause)
		return;
	ch->paused = pause;
	if (pause)
		event_del(ch->ev_read);
	else {
		event_add(ch->ev_read, NULL);
		if (evbuffer_get_length(ch->in) > 0)
			event_active(ch->ev_resume, 0, 0);
	}
}

/* Reports EOF or an error once. */
static void
channel_fail(struct channel *ch, const char *why)
{
	if (ch->closed)
		return;
	ch->closed = true;
	event_del(ch->ev_read);
	event_del(ch->ev_write);
	ch->in_dispatch++;
	if (ch->eof_cb != NULL)
		ch->eof_cb(ch, why, ch->arg);
	ch->in_dispatch--;
	if (ch->free_pending && ch->in_dispatch == 0)
		channel_destroy(ch);
}

/* Queues a frame header; the caller adds the payload. */
static int
channel_queue_hdr(struct channel *ch, uint16_t type, uint32_t flags,
    uint64_t seq, size_t len)
{
	struct msg_hdr	 h;

	if (ch->closed)
		return -1;
	if (len > PROTO_MAX_PAYLOAD)
		fatalx("channel %s: %s payload of %zu bytes exceeds the limit",
		    ch->name, proto_type_name(type), len);
	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)len;
	h.version = PROTO_VERSION;
	h.type = type;
	h.flags = flags;
	h.seq = seq;
	evbuffer_add(ch->out, &h, sizeof(h));
	return 0;
}

/* Starts writing if nothing is waiting for the socket yet. */
static void
channel_kick(struct channel *ch)
{
	if (!event_pending(ch->ev_write, EV_WRITE, NULL))
		event_add(ch->ev_write, NULL);
}

int
channel_send(struct channel *ch, uint16_t type, uint32_t flags, uint64_t seq,
    const void *payload, size_t len)
{
	return channel_send2(ch, type, flags, seq, payload, len, NULL, 0);
}

int
channel_send2(struct channel *ch, uint16_t type, uint32_t flags, uint64_t seq,
    const void *p1, size_t l1, const void *p2, size_t l2)
{
	if (channel_queue_hdr(ch, type, flags, seq, l1 + l2) == -1)
		return -1;
	if (l1 > 0)
		evbuffer_add(ch->out, p1, l1);
	if (l2 > 0)
		evbuffer_add(ch->out, p2, l2);
	channel_kick(ch);
	return 0;
}

int
channel_send_fd(struct channel *ch, uint16_t type, uint32_t flags,
    uint64_t seq, const void *payload, size_t len, int fd)
{
	int	 dupfd;

	if (ch->closed)
		return -1;
	if (ch->tx_nfds == CHANNEL_MAX_FDS) {
		log_warnx("channel %s: too many descriptors queued", ch->name);
		return -1;
	}
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("channel %s: dup", ch->name);
		return -1;
	}
	ch->tx_fds[ch->tx_nfds].out_off = evbuffer_get_length(ch->out);
	ch->tx_fds[ch->tx_nfds++].fd = dupfd;
	return channel_send(ch, type, flags, seq, payload, len);
}

/* Writes queued bytes; a frame that carries a descriptor goes out with
 * sendmsg so that the descriptor travels with its first byte. */
static int
channel_write_some(struct channel *ch)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	size_t		 limit, have;
	ssize_t		 n;
	int		 i;

	for (;;) {
		have = evbuffer_get_length(ch->out);
		if (have == 0)
			return 0;
		if (ch->tx_nfds > 0 && ch->tx_fds[0].out_off == 0) {
			/* Up to the next frame with a descriptor of its own. */
			limit = ch->tx_nfds > 1 ? ch->tx_fds[1].out_off : have;
			if (limit > 4096)
				limit = 4096;
			iov.iov_base = evbuffer_pullup(ch->out, (ssize_t)limit);
			iov.iov_len = limit;
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
			memcpy(CMSG_DATA(c), &ch->tx_fds[0].fd, sizeof(int));
			n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL);
			if (n > 0) {
				close(ch->tx_fds[0].fd);
				memmove(&ch->tx_fds[0], &ch->tx_fds[1],
				    sizeof(ch->tx_fds[0]) * (size_t)(ch->tx_nfds - 1));
				ch->tx_nfds--;
			}
		} else {
			limit = ch->tx_nfds > 0 ? ch->tx_fds[0].out_off : have;
			iov.iov_len = limit < 262144 ? limit : 262144;
			iov.iov_base = evbuffer_pullup(ch->out, (ssize_t)iov.iov_len);
			n = send(ch->fd, iov.iov_base, iov.iov_len, MSG_NOSIGNAL);
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == EINTR)
				continue;
			return -1;
		}
		evbuffer_drain(ch->out, (size_t)n);
		for (i = 0; i < ch->tx_nfds; i++)
			ch->tx_fds[i].out_off -= (size_t)n;
	}
}

static void
channel_write_cb(int fd, short what, void *arg)
{
	struct channel	*ch = arg;
	int		 r;

	r = channel_write_some(ch);
	if (r == -1) {
		channel_fail(ch, strerror(errno));
		return;
	}
	if (r == 1)
		event_add(ch->ev_write, NULL);
	if (ch->drain_cb != NULL && evbuffer_get_length(ch->out) <= ch->lowat) {
		ch->in_dispatch++;
		ch->drain_cb(ch, ch->arg);
		ch->in_dispatch--;
		if (ch->free_pending && ch->in_dispatch == 0)
			channel_destroy(ch);
	}
}

int
channel_flush(struct channel *ch, int timeout_ms)
{
	struct pollfd	 pfd;
	int		 r;

	while (!ch->closed && evbuffer_get_length(ch->out) > 0) {
		r = channel_write_some(ch);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		pfd.fd = ch->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
	}
	return 0;
}

/* Reads available bytes, collecting any passed descriptors. */
static ssize_t
channel_read_some(struct channel *ch)
{
	struct msghdr	 mh;
	struct iovec	 iov[2];
	struct evbuffer_iovec vec[2];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * CHANNEL_MAX_FDS)];
	} cm;
	struct cmsghdr	*c;
	int		 nvec, i, nfd, *fds;
	size_t		 left;
	ssize_t		 n;

	nvec = evbuffer_reserve_space(ch->in, CHANNEL_READ_CHUNK, vec, 2);
	if (nvec <= 0)
		return -1;
	for (i = 0; i < nvec; i++) {
		iov[i].iov_base = vec[i].iov_base;
		iov[i].iov_len = vec[i].iov_len;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)nvec;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		fds = (int *)CMSG_DATA(c);
		for (i = 0; i < nfd; i++) {
			if (ch->rx_nfds == CHANNEL_MAX_FDS) {
				close(fds[i]);
				continue;
			}
			ch->rx_fds[ch->rx_nfds++] = fds[i];
		}
	}
	left = (size_t)n;
	for (i = 0; i < nvec; i++) {
		vec[i].iov_len = left < vec[i].iov_len ? left : vec[i].iov_len;
		left -= vec[i].iov_len;
	}
	evbuffer_commit_space(ch->in, vec, nvec);
	return n;
}

static void
channel_read_cb(int fd, short what, void *arg)
{
	struct channel	*ch = arg;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 16 && !ch->paused && !ch->closed; i++) {
		n = channel_read_some(ch);
		if (n == 0) {
			channel_dispatch(ch);
			if (!ch->free_pending)
				channel_fail(ch, "peer closed");
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			channel_fail(ch, strerror(errno));
			return;
		}
		if (n < CHANNEL_READ_CHUNK)
			break;
	}
	channel_dispatch(ch);
}

static void
channel_resume_cb(int fd, short what, void *arg)
{
	channel_dispatch(arg);
}

/* Hands every complete frame to the callback until paused or freed. */
static void
channel_dispatch(struct channel *ch)
{
	struct msg_hdr	 h;
	uint8_t		*p;
	int		 fd;

	ch->in_dispatch++;
	while (!ch->paused && !ch->free_pending) {
		if (evbuffer_copyout(ch->in, &h, sizeof(h)) != (ssize_t)sizeof(h))
			break;
		if (h.version != PROTO_VERSION || h.len > PROTO_MAX_PAYLOAD ||
		    h.type == MSG_NONE || h.type >= MSG_TYPE_MAX) {
			log_warnx("channel %s: bad frame (version %u, type %u, "
			    "length %u): closing", ch->name, h.version, h.type, h.len);
			ch->in_dispatch--;
			channel_fail(ch, "protocol error");
			return;
		}
		if (evbuffer_get_length(ch->in) < sizeof(h) + h.len)
			break;
		p = evbuffer_pullup(ch->in, (ssize_t)(sizeof(h) + h.len));
		fd = -1;
		if (h.type == MSG_CTL_ATTACH && ch->rx_nfds > 0) {
			fd = ch->rx_fds[0];
			memmove(&ch->rx_fds[0], &ch->rx_fds[1],
			    sizeof(int) * (size_t)(ch->rx_nfds - 1));
			ch->rx_nfds--;
		}
		ch->msg_cb(ch, &h, p + sizeof(h), fd, ch->arg);
		evbuffer_drain(ch->in, sizeof(h) + h.len);
	}
	ch->in_dispatch--;
	if (ch->free_pending && ch->in_dispatch == 0)
		channel_destroy(ch);
}
