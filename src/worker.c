#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <jansson.h>

#include "channel.h"
#include "log.h"
#include "worker.h"
#include "xmalloc.h"

struct worker {
	const struct worker_ops	*ops;
	void			*arg;
	struct event_base	*base;
	struct channel		*ctl;
	struct config		*conf;
	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	struct event		*ev_sigusr1;
	int			 stopping;
	int			 exit_status;
};

struct event_base *
worker_base(struct worker *w)
{
	return w->base;
}

void *
worker_arg(struct worker *w)
{
	return w->arg;
}

const struct config *
worker_config(struct worker *w)
{
	return w->conf;
}

void
worker_drained(struct worker *w)
{
	channel_send(w->ctl, MSG_CTL_DRAINED, 0, 0, NULL, 0);
	channel_flush(w->ctl, 1000);
	event_base_loopexit(w->base, NULL);
}

/* Parses and applies a config pushed by the master, and answers. */
static void
worker_apply_config(struct worker *w, const struct msg_hdr *h,
    const uint8_t *p)
{
	struct config	*c;
	char		 err[1024], *text;
	int		 r;

	text = xstrndup((const char *)p, h->len);
	c = config_parse_text(text, "config", err, sizeof(err));
	free(text);
	if (c == NULL) {
		log_warnx("config generation %llu rejected: %s",
		    (unsigned long long)h->seq, err);
		channel_send(w->ctl, MSG_CTL_CONFIG_RESULT, 1, h->seq, err, strlen(err));
		if (h->flags & CONFIG_F_INITIAL)
			exit(1);
		return;
	}
	if ((h->flags & CONFIG_F_INITIAL) && log_init(role_name(w->ops->role), c->log) == -1)
		log_warn("log %s", c->log);
	log_set_level((enum log_level)c->log_level_num);
	r = w->ops->configure(w, c, (h->flags & CONFIG_F_INITIAL) ? NULL : w->conf,
	    err, sizeof(err));
	if (r == -1) {
		log_warnx("config generation %llu not applied: %s",
		    (unsigned long long)h->seq, err);
		config_free(c);
		if (h->flags & CONFIG_F_INITIAL)
			exit(1);
		channel_send(w->ctl, MSG_CTL_CONFIG_RESULT, 1, h->seq, err, strlen(err));
		if (w->conf != NULL)
			log_set_level((enum log_level)w->conf->log_level_num);
		return;
	}
	config_free(w->conf);
	w->conf = c;
	if (h->flags & CONFIG_F_INITIAL)
		channel_send(w->ctl, MSG_CTL_READY, 0, h->seq, NULL, 0);
	else
		channel_send(w->ctl, MSG_CTL_CONFIG_RESULT, 0, h->seq, NULL, 0);
}

#define WORKER_MAX_ARGS	16

/* Runs a command relayed by the master in a stats request's payload
 * (NUL-terminated arguments) and answers {"status":N,"text":"..."}. */
static void
worker_run_command(struct worker *w, const struct msg_hdr *h, const uint8_t *p)
{
	char		*argv[WORKER_MAX_ARGS], *args;
	struct buf	 out;
	json_t		*o;
	char		*text;
	size_t		 off = 0;
	int		 argc = 0, status;

	buf_init(&out);
	args = xmalloc(h->len);
	memcpy(args, p, h->len);
	while (off < h->len && argc < WORKER_MAX_ARGS) {
		argv[argc++] = args + off;
		off += strnlen(args + off, h->len - off) + 1;
	}
	if (args[h->len - 1] != '\0' || off != h->len ||
	    w->ops->command == NULL || w->conf == NULL) {
		buf_add_str(&out, w->conf == NULL ? "not configured yet\n" :
		    "malformed command\n");
		status = 1;
	} else
		status = w->ops->command(w, argc, argv, &out);
	buf_add(&out, "", 1);
	o = json_pack("{s:i,s:s}", "status", status, "text",
	    (const char *)out.data);
	if (o == NULL)
		o = json_pack("{s:i,s:s}", "status", 1, "text",
		    "reply is not UTF-8\n");
	text = json_dumps(o, JSON_COMPACT);
	channel_send(w->ctl, MSG_CTL_STATS, 0, h->seq, text, strlen(text));
	free(text);
	json_decref(o);
	free(args);
	buf_free(&out);
}

/* Starts a drain once; a second request exits at once. */
static void
worker_begin_stop(struct worker *w)
{
	if (w->stopping++) {
		log_info("second stop request: exiting now");
		event_base_loopexit(w->base, NULL);
		return;
	}
	w->ops->stop(w);
}

/* Answers a stats request with this worker's counters. */
static void
worker_send_stats(struct worker *w, uint64_t id)
{
	struct buf	 b;

	buf_init(&b);
	buf_printf(&b, "{\"role\":\"%s\",\"pid\":%ld", role_name(w->ops->role),
	    (long)getpid());
	if (w->conf != NULL && w->ops->stats != NULL) {
		buf_add_str(&b, ",");
		w->ops->stats(w, &b);
	}
	buf_add_str(&b, "}");
	channel_send(w->ctl, MSG_CTL_STATS, 0, id, b.data, b.len);
	buf_free(&b);
}

/* Dispatches one message from the master. */
static void
worker_ctl_cb(struct channel *ch, const struct msg_hdr *h, const uint8_t *p,
    int fd, void *arg)
{
	struct worker	*w = arg;

	switch (h->type) {
	case MSG_CTL_CONFIG:
		worker_apply_config(w, h, p);
		break;
	case MSG_CTL_ATTACH:
		if (fd == -1 || h->len != 1 || p[0] >= ROLE_COUNT) {
			log_warnx("attach message without a descriptor or peer");
			if (fd != -1)
				close(fd);
			break;
		}
		w->ops->attach(w, (enum role)p[0], fd);
		break;
	case MSG_CTL_STATS_REQUEST:
		if (h->len > 0)
			worker_run_command(w, h, p);
		else
			worker_send_stats(w, h->seq);
		break;
	case MSG_CTL_STOP:
		worker_begin_stop(w);
		break;
	case MSG_CTL_LOG_LEVEL:
		if (h->flags <= LOG_LEVEL_DEBUG)
			log_set_level((enum log_level)h->flags);
		break;
	case MSG_CTL_LOG_REOPEN:
		if (log_reopen() == -1)
			log_warn("reopening the log");
		break;
	default:
		log_warnx("control: unexpected %s from master", proto_type_name(h->type));
		break;
	}
}

/* EOF on the master's channel: the master is gone, so is this worker. */
static void
worker_ctl_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct worker	*w = arg;

	log_warnx("master channel closed (%s): exiting", why);
	w->exit_status = 1;
	event_base_loopexit(w->base, NULL);
}

static void
worker_signal_cb(int sig, short what, void *arg)
{
	struct worker	*w = arg;

	if (sig == SIGUSR1) {
		if (log_reopen() == -1)
			log_warn("reopening the log");
		return;
	}
	worker_begin_stop(w);
}

int
worker_main(const struct worker_ops *ops, void *arg)
{
	struct worker	 w;

	memset(&w, 0, sizeof(w));
	w.ops = ops;
	w.arg = arg;
	log_set_role(role_name(ops->role));
	signal(SIGPIPE, SIG_IGN);
#ifdef CXPIPE_TEST_HOOKS
	worker_test_crash_hook(ops->role);
#endif
	if ((w.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	w.ctl = channel_new(w.base, PROTO_CTL_FD, "master", worker_ctl_cb,
	    worker_ctl_eof_cb, &w);
	w.ev_sigterm = evsignal_new(w.base, SIGTERM, worker_signal_cb, &w);
	w.ev_sigint = evsignal_new(w.base, SIGINT, worker_signal_cb, &w);
	w.ev_sigusr1 = evsignal_new(w.base, SIGUSR1, worker_signal_cb, &w);
	event_add(w.ev_sigterm, NULL);
	event_add(w.ev_sigint, NULL);
	event_add(w.ev_sigusr1, NULL);

	event_base_dispatch(w.base);

	if (ops->shutdown != NULL)
		ops->shutdown(&w);
	channel_free(w.ctl);
	event_free(w.ev_sigterm);
	event_free(w.ev_sigint);
	event_free(w.ev_sigusr1);
	config_free(w.conf);
	event_base_free(w.base);
	return w.exit_status;
}

#ifdef CXPIPE_TEST_HOOKS
void
worker_test_crash_hook(enum role r)
{
	const char	*s = getenv("CXPIPE_TEST_CRASH_ROLE");
	const char	*f = getenv("CXPIPE_TEST_CRASH_FILE");

	if (s != NULL && strcmp(s, role_name(r)) == 0 &&
	    (f == NULL || access(f, F_OK) == 0)) {
		log_warnx("test hook: crashing at start as asked by CXPIPE_TEST_CRASH_ROLE");
		_exit(70);
	}
}
#endif
