/*
 * libcurl's multi_socket interface on a libevent base.  libcurl tells us,
 * through the socket callback, which sockets to watch for what, and through
 * the timer callback when it next wants to be called; we call
 * curl_multi_socket_action from the matching libevent callbacks and, after
 * every such call, read the finished transfers and hand them back.
 * Nothing here blocks: this libcurl resolves names on its threaded resolver
 * (curl_version_info: CURL_VERSION_ASYNCHDNS), see curl_loop_new.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curl_loop.h"
#include "log.h"
#include "xmalloc.h"

/* One transfer in the loop; the easy handle's CURLOPT_PRIVATE points here. */
struct curl_xfer {
	TAILQ_ENTRY(curl_xfer)	 entry;
	struct curl_loop	*loop;
	CURL			*easy;
	curl_done_cb		 cb;
	void			*arg;
};

/* One socket libcurl asked us to watch (its curl_multi_assign pointer). */
struct curl_sock {
	LIST_ENTRY(curl_sock)	 entry;
	struct curl_loop	*loop;
	curl_socket_t		 fd;
	int			 what;	/* CURL_POLL_* last asked for */
	struct event		*ev;	/* NULL while libcurl wants nothing */
};

struct curl_loop {
	struct event_base		*base;
	CURLM				*multi;
	struct event			*timer;
	TAILQ_HEAD(, curl_xfer)		 xfers;
	LIST_HEAD(, curl_sock)		 socks;
	int				 count;
	int				 running;	/* as libcurl last said */
};

static bool	curl_loop_warned_dns;

/* Logs a failed multi call; a socket libcurl has already dropped is no error. */
static void
curl_loop_check(const char *what, CURLMcode mc)
{
	if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET)
		log_warnx("curl: %s: %s", what, curl_multi_strerror(mc));
}

/* Hands every finished transfer back to its owner, one at a time. */
static void
curl_loop_collect(struct curl_loop *loop)
{
	struct curl_xfer	*x;
	CURLMsg			*msg;
	CURL			*easy;
	CURLcode		 result;
	curl_done_cb		 cb;
	void			*arg, *priv;
	int			 left;

	while ((msg = curl_multi_info_read(loop->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with curl_multi_remove_handle: copy what we need. */
		easy = msg->easy_handle;
		result = msg->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		curl_loop_check("remove", curl_multi_remove_handle(loop->multi, easy));
		x = priv;
		if (x == NULL || x->loop != loop || x->easy != easy) {
			log_warnx("curl: finished transfer the loop does not know");
			continue;
		}
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		TAILQ_REMOVE(&loop->xfers, x, entry);
		loop->count--;
		cb = x->cb;
		arg = x->arg;
		free(x);
		/* The callback may add and remove transfers; the next
		 * curl_multi_info_read still sees what is left. */
		cb(arg, easy, result);
	}
}

/* A watched socket is ready: tell libcurl, then collect. */
static void
curl_loop_socket_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_loop	*loop = arg;
	int			 action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_loop_check("socket action", curl_multi_socket_action(loop->multi,
	    fd, action, &loop->running));
	curl_loop_collect(loop);
}

/* libcurl's timeout expired: tell libcurl, then collect. */
static void
curl_loop_timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_loop	*loop = arg;

	(void)fd;
	(void)what;
	curl_loop_check("timeout action", curl_multi_socket_action(loop->multi,
	    CURL_SOCKET_TIMEOUT, 0, &loop->running));
	curl_loop_collect(loop);
}

/* CURLMOPT_TIMERFUNCTION: re-arms our one timer.  A zero timeout is
 * scheduled too, never acted on here: libcurl must not be re-entered. */
static int
curl_loop_timer_set_cb(CURLM *multi, long timeout_ms, void *clientp)
{
	struct curl_loop	*loop = clientp;
	struct timeval		 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(loop->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(loop->timer, &tv) == 0 ? 0 : -1;
}

/* Stops watching a socket and forgets it. */
static void
curl_loop_sock_free(struct curl_sock *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	LIST_REMOVE(s, entry);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: creates, updates or deletes the socket's event. */
static int
curl_loop_socket_set_cb(CURL *easy, curl_socket_t fd, int what, void *clientp,
    void *socketp)
{
	struct curl_loop	*loop = clientp;
	struct curl_sock	*s = socketp;
	short			 kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			curl_loop_sock_free(s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->loop = loop;
		s->fd = fd;
		s->what = -1;
		LIST_INSERT_HEAD(&loop->socks, s, entry);
		curl_loop_check("assign", curl_multi_assign(loop->multi, fd, s));
	}
	if (s->what == what && s->ev != NULL)
		return 0;
	if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	s->what = what;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (kind == EV_PERSIST)		/* CURL_POLL_NONE: known, not watched */
		return 0;
	s->ev = event_new(loop->base, fd, kind, curl_loop_socket_event_cb, loop);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1) {
		log_warnx("curl: cannot watch socket %d", (int)fd);
		return -1;	/* libcurl fails the transfers on this socket */
	}
	return 0;
}

/* Notes once whether name resolution can block this loop. */
static void
curl_loop_check_resolver(void)
{
	const curl_version_info_data	*v;

	if (curl_loop_warned_dns)
		return;
	curl_loop_warned_dns = true;
	v = curl_version_info(CURLVERSION_NOW);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("libcurl %s resolves names synchronously: a slow DNS "
		    "server stalls this worker (use IP addresses in URLs)",
		    v->version);
}

struct curl_loop *
curl_loop_new(struct event_base *base)
{
	struct curl_loop	*loop;
	CURLcode		 rc;

	/* Reference-counted by libcurl, and thread-safe in this version. */
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("curl_global_init: %s", curl_easy_strerror(rc));
	curl_loop_check_resolver();
	loop = xcalloc(1, sizeof(*loop));
	loop->base = base;
	TAILQ_INIT(&loop->xfers);
	LIST_INIT(&loop->socks);
	if ((loop->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	if ((loop->timer = evtimer_new(base, curl_loop_timer_event_cb, loop)) == NULL)
		fatalx("curl loop: evtimer_new failed");
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, curl_loop_socket_set_cb);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, curl_loop_timer_set_cb);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
	return loop;
}

void
curl_loop_free(struct curl_loop *loop)
{
	struct curl_xfer	*x;

	if (loop == NULL)
		return;
	while ((x = TAILQ_FIRST(&loop->xfers)) != NULL)
		curl_loop_remove(loop, x->easy);
	/* Closing cached connections calls the socket callback once more. */
	curl_multi_cleanup(loop->multi);
	while (!LIST_EMPTY(&loop->socks))
		curl_loop_sock_free(LIST_FIRST(&loop->socks));
	event_free(loop->timer);
	free(loop);
	curl_global_cleanup();
}

int
curl_loop_add(struct curl_loop *loop, CURL *easy, curl_done_cb cb, void *arg)
{
	struct curl_xfer	*x;
	CURLMcode		 mc;

	x = xcalloc(1, sizeof(*x));
	x->loop = loop;
	x->easy = easy;
	x->cb = cb;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	/* This arms the timer at 0: the transfer starts on the next loop turn. */
	if ((mc = curl_multi_add_handle(loop->multi, easy)) != CURLM_OK) {
		log_warnx("curl: cannot start a transfer: %s", curl_multi_strerror(mc));
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&loop->xfers, x, entry);
	loop->count++;
	return 0;
}

void
curl_loop_remove(struct curl_loop *loop, CURL *easy)
{
	struct curl_xfer	*x;

	/* Searched, not read from CURLOPT_PRIVATE: a handle outside the loop
	 * may carry its owner's pointer there. */
	TAILQ_FOREACH(x, &loop->xfers, entry)
		if (x->easy == easy)
			break;
	if (x == NULL)
		return;
	/* Also drops a completion message still queued for this handle. */
	curl_loop_check("remove", curl_multi_remove_handle(loop->multi, easy));
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	TAILQ_REMOVE(&loop->xfers, x, entry);
	loop->count--;
	free(x);
}

int
curl_loop_count(const struct curl_loop *loop)
{
	return loop->count;
}

struct event_base *
curl_loop_base(const struct curl_loop *loop)
{
	return loop->base;
}
