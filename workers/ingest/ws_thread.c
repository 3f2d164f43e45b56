/*
 * The lws thread of the ingest worker and the two queues that connect it
 * to the libevent loop.
 *
 * libevent -> lws: a command is a few bits (and maybe a token) on the
 * client, the client goes on cmdq, and lws_cancel_service() makes the lws
 * thread run LWS_CALLBACK_EVENT_WAIT_CANCELLED, where cmdq is emptied.  It
 * is the only lws call made from the libevent thread.
 *
 * lws -> libevent: events go on one FIFO; the push that finds it empty
 * writes the eventfd, and the libevent side swaps the whole FIFO out when
 * it fires.  Each stream has a budget of queued events (count and bytes):
 * past it the lws thread stops reading that socket, and the libevent side
 * asks it to read again once half the budget is free.
 */
#include "autoconf.h"

#include <sys/eventfd.h>
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "xmalloc.h"
#include "ws_thread.h"

#define WS_FD_LIMIT	128	/* sockets of one lws thread: streams and its pipe */
#define WS_RX_BUFFER	16384	/* largest chunk lws hands to the callback */
#define WS_TIMEOUT_SECS	15	/* connect and upgrade */
#define WS_STOP_WAIT_MS	1000	/* for the streams' close handshakes at stop */

/* lws log lines, from either thread, go to our log at debug level. */
static void
ws_thread_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_debug("lws: %.*s", (int)n, line);
}

/* lws thread: acts on every queued command. */
static void
ws_thread_commands(struct ws_thread *t)
{
	struct ws_client	*c;
	unsigned		 cmd;
	char			*token;
	bool			 paused;

	for (;;) {
		pthread_mutex_lock(&t->mtx);
		c = TAILQ_FIRST(&t->cmdq);
		if (c == NULL) {
			if (t->stop)
				t->l_stop = true;
			pthread_mutex_unlock(&t->mtx);
			return;
		}
		TAILQ_REMOVE(&t->cmdq, c, cmd_entry);
		c->on_cmdq = false;
		cmd = c->cmd;
		c->cmd = 0;
		token = c->cmd_token;
		c->cmd_token = NULL;
		paused = c->cmd_paused;
		if (cmd & WS_CMD_UNTHROTTLE)
			c->throttled = false;
		pthread_mutex_unlock(&t->mtx);
		ws_conn_command(c, cmd, token, paused);
	}
}

/* The protocol callback of every lws connection; runs on the lws thread. */
static int
ws_thread_lws_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct ws_thread	*t = lws_context_user(lws_get_context(wsi));
	struct ws_client	*c;

	if (t == NULL || t->l_destroying)
		return 0;
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		ws_thread_commands(t);
		return 0;
	}
	c = lws_get_opaque_user_data(wsi);
	if (c == NULL)
		return 0;
	return ws_conn_callback(c, wsi, reason, in, len);
}

/* The lws thread: lws's own service loop until ws_thread_free(). */
static void *
ws_thread_main(void *arg)
{
	struct ws_thread *t = arg;

	while (!t->l_stop) {
		if (lws_service(t->ctx, 0) < 0) {
			log_warnx("websocket thread: lws_service failed; "
			    "streams stop");
			break;
		}
	}
	return NULL;
}

/* libevent thread: delivers everything the lws thread queued. */
static void
ws_thread_wake_cb(int fd, short what, void *arg)
{
	struct ws_thread	*t = arg;
	struct ws_msgq		 q;
	struct ws_msg		*m;
	uint64_t		 v;

	if (read(fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("websocket thread: eventfd read");
	TAILQ_INIT(&q);
	pthread_mutex_lock(&t->mtx);
	TAILQ_CONCAT(&q, &t->events, entry);
	pthread_mutex_unlock(&t->mtx);
	while ((m = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, m, entry);
		ws_client_dispatch(m->c, m);
	}
}

/* A seed for the backoff jitter that differs between processes. */
static uint64_t
ws_thread_seed(void)
{
	uint64_t	 seed;
	struct timespec	 ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    ((uint64_t)getpid() << 40);
}

struct ws_thread *
ws_thread_new(struct event_base *base, char *err, size_t errlen)
{
	struct ws_thread			*t;
	struct lws_context_creation_info	 info;
	int					 rc;

	t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->wake_fd = -1;
	pthread_mutex_init(&t->mtx, NULL);
	TAILQ_INIT(&t->events);
	TAILQ_INIT(&t->cmdq);
	TAILQ_INIT(&t->clients);
	backoff_rng_seed(&t->rng, ws_thread_seed());

	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->wake_fd == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	t->ev_wake = event_new(base, t->wake_fd, EV_READ | EV_PERSIST,
	    ws_thread_wake_cb, t);
	if (t->ev_wake == NULL || event_add(t->ev_wake, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the eventfd");
		goto fail;
	}

	lws_set_log_level(LLL_ERR | LLL_WARN, ws_thread_lws_log);
	t->protocols[0].name = "cxpipe-stream";
	t->protocols[0].callback = ws_thread_lws_cb;
	t->protocols[0].rx_buffer_size = WS_RX_BUFFER;
	/* protocols[1] stays zero: 4.1 has no LWS_PROTOCOL_LIST_TERM. */
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = t->protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = t;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = WS_FD_LIMIT;
	info.timeout_secs = WS_TIMEOUT_SECS;
	t->ctx = lws_create_context(&info);
	if (t->ctx == NULL) {
		snprintf(err, errlen, "cannot create the libwebsockets context");
		goto fail;
	}
	rc = pthread_create(&t->tid, NULL, ws_thread_main, t);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		goto fail;
	}
	t->started = true;
	return t;

fail:
	ws_thread_free(t);
	return NULL;
}

/* Frees every client and gives their connections up to WS_STOP_WAIT_MS to
 * close cleanly (1000), handling the lws thread's events directly. */
static void
ws_thread_close_all(struct ws_thread *t)
{
	struct ws_client	*c, *next;
	struct ws_msgq		 q;
	struct ws_msg		*m;
	int			 waited;

	for (c = TAILQ_FIRST(&t->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		ws_client_free(c);
	}
	for (waited = 0; !TAILQ_EMPTY(&t->clients) && waited < WS_STOP_WAIT_MS;
	    waited += 10) {
		TAILQ_INIT(&q);
		pthread_mutex_lock(&t->mtx);
		TAILQ_CONCAT(&q, &t->events, entry);
		pthread_mutex_unlock(&t->mtx);
		while ((m = TAILQ_FIRST(&q)) != NULL) {
			TAILQ_REMOVE(&q, m, entry);
			ws_client_dispatch(m->c, m);
		}
		if (!TAILQ_EMPTY(&t->clients))
			usleep(10 * 1000);
	}
}

void
ws_thread_free(struct ws_thread *t)
{
	struct ws_client	*c;
	struct ws_msg		*m;
	struct ws_vhost		*v;

	if (t == NULL)
		return;
	if (t->started) {
		ws_thread_close_all(t);
		pthread_mutex_lock(&t->mtx);
		t->stop = true;
		pthread_mutex_unlock(&t->mtx);
		lws_cancel_service(t->ctx);
		pthread_join(t->tid, NULL);
	}
	/* The lws thread is gone: its state belongs to this thread now, and
	 * the callbacks of the context's last closes must do nothing. */
	t->l_destroying = true;
	if (t->ctx != NULL)
		lws_context_destroy(t->ctx);
	while ((m = TAILQ_FIRST(&t->events)) != NULL) {
		TAILQ_REMOVE(&t->events, m, entry);
		free(m);
	}
	while ((c = TAILQ_FIRST(&t->clients)) != NULL)
		ws_client_destroy(c);
	while ((v = t->vhosts) != NULL) {
		t->vhosts = v->next;
		free(v->ca_file);
		free(v);
	}
	if (t->ev_wake != NULL)
		event_free(t->ev_wake);
	if (t->wake_fd != -1)
		close(t->wake_fd);
	pthread_mutex_destroy(&t->mtx);
	free(t);
}

void
ws_thread_command(struct ws_client *c, unsigned cmd, const char *token,
    bool paused)
{
	struct ws_thread *t = c->t;

	pthread_mutex_lock(&t->mtx);
	c->cmd |= cmd;
	if (token != NULL) {
		free(c->cmd_token);
		c->cmd_token = xstrdup(token);
	}
	if (cmd & WS_CMD_FLOW)
		c->cmd_paused = paused;
	if (!c->on_cmdq) {
		TAILQ_INSERT_TAIL(&t->cmdq, c, cmd_entry);
		c->on_cmdq = true;
	}
	pthread_mutex_unlock(&t->mtx);
	lws_cancel_service(t->ctx);
}

void
ws_thread_release(struct ws_client *c, struct ws_msg *m)
{
	struct ws_thread	*t = c->t;
	bool			 wake = false;

	pthread_mutex_lock(&t->mtx);
	c->inflight--;
	c->inflight_bytes -= m->len;
	if (c->throttled && !c->dying && !(c->cmd & WS_CMD_UNTHROTTLE) &&
	    c->inflight <= c->queue_max_messages / 2 &&
	    c->inflight_bytes <= c->queue_max_bytes / 2) {
		c->cmd |= WS_CMD_UNTHROTTLE;
		if (!c->on_cmdq) {
			TAILQ_INSERT_TAIL(&t->cmdq, c, cmd_entry);
			c->on_cmdq = true;
		}
		wake = true;
	}
	pthread_mutex_unlock(&t->mtx);
	free(m);
	if (wake)
		lws_cancel_service(t->ctx);
}

struct ws_msg *
ws_msg_new(enum ws_msg_type type, const void *data, size_t len,
    const char *reason)
{
	struct ws_msg	*m;
	size_t		 rlen = reason == NULL ? 0 : strlen(reason);
	char		*r;

	m = xmalloc(sizeof(*m) + len + 1 + rlen + 1);
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->len = len;
	m->full_len = len;
	if (len > 0)
		memcpy(m->data, data, len);
	m->data[len] = '\0';
	r = m->data + len + 1;
	if (rlen > 0)
		memcpy(r, reason, rlen);
	r[rlen] = '\0';
	m->reason = r;
	return m;
}

bool
ws_thread_push(struct ws_client *c, struct ws_msg *m)
{
	struct ws_thread	*t = c->t;
	bool			 was_empty, over = false;
	uint64_t		 one = 1;

	m->c = c;
	m->frames = c->l.frames;
	m->reconnects = c->l.attempts > 0 ? c->l.attempts - 1 : 0;
	pthread_mutex_lock(&t->mtx);
	was_empty = TAILQ_EMPTY(&t->events);
	TAILQ_INSERT_TAIL(&t->events, m, entry);
	if (m->type != WS_MSG_GONE) {
		c->inflight++;
		c->inflight_bytes += m->len;
		if (c->inflight >= c->queue_max_messages ||
		    c->inflight_bytes >= c->queue_max_bytes) {
			c->throttled = true;
			over = true;
		}
	}
	pthread_mutex_unlock(&t->mtx);
	if (was_empty && write(t->wake_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		log_warn("websocket thread: eventfd write");
	return over;
}

struct lws_vhost *
ws_thread_vhost(struct ws_thread *t, const char *ca_file)
{
	struct lws_context_creation_info	 info;
	struct ws_vhost				*v;
	char					 name[32];
	int					 n = 0;

	if (ca_file == NULL)
		return lws_get_vhost_by_name(t->ctx, "default");
	for (v = t->vhosts; v != NULL; v = v->next, n++)
		if (strcmp(v->ca_file, ca_file) == 0)
			return v->vh;
	snprintf(name, sizeof(name), "ca-%d", n);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = t->protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.vhost_name = name;
	info.client_ssl_ca_filepath = ca_file;
	info.gid = -1;
	info.uid = -1;
	v = xcalloc(1, sizeof(*v));
	v->vh = lws_create_vhost(t->ctx, &info);
	if (v->vh == NULL) {
		free(v);
		return NULL;
	}
	v->ca_file = xstrdup(ca_file);
	v->next = t->vhosts;
	t->vhosts = v;
	return v->vh;
}
