#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "channel.h"
#include "log.h"
#include "master.h"
#include "tuple.h"
#include "xmalloc.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);				\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define CONTROL_MAX_ARGS	16
#define STATS_TIMEOUT_MS	2000
#define RELOAD_TIMEOUT_MS	5000

enum session_wait {
	WAIT_NONE = 0,
	WAIT_STATS,
	WAIT_STATUS,		/* status waits for ingest's streams */
	WAIT_RELOAD,
	WAIT_COMMAND		/* a command the alert worker answers */
};

/* One cxpipectl connection: one request, one reply. */
struct session {
	TAILQ_ENTRY(session)	 entry;
	struct control		*control;
	struct channel		*ch;
	enum session_wait	 wait;
	uint64_t		 id;		/* stats request id or generation */
	bool			 json;
	unsigned		 pending;	/* roles still to answer */
	json_t			*answers;	/* role -> stats object or error */
	struct event		*ev_timeout;
	bool			 done;
};

struct control {
	struct master		*m;
	int			 fd;
	char			 path[108];
	struct event		*ev_accept;
	uint64_t		 next_id;
	TAILQ_HEAD(, session)	 sessions;
};

static void	control_session_free(struct session *);
static void	control_arm_timeout(struct session *, int);

/* Sends the reply and closes the session once it is written. */
static void
control_reply(struct session *s, int status, const char *text)
{
	if (s->done)
		return;
	s->done = true;
	channel_send(s->ch, MSG_CLI_REPLY, (uint32_t)status, 0, text, strlen(text));
	channel_flush(s->ch, 1000);
	control_session_free(s);
}

static void
control_replyf(struct session *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
control_replyf(struct session *s, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	control_reply(s, status, text);
	free(text);
}

static int64_t
uptime_s(const struct proc *pr, time_t now)
{
	return pr->pid != 0 ? (int64_t)(now - pr->started_wall) : 0;
}

/* One line per stream of ingest's stats: state, counters, token expiry. */
static void
control_render_streams(struct buf *b, json_t *streams)
{
	json_t		*st, *tr, *oa;
	const char	*err;
	size_t		 i;

	if (json_array_size(streams) == 0)
		return;
	buf_printf(b, "\n%-12s %-16s %10s %10s %8s  %s\n", "STREAM", "STATE",
	    "MESSAGES", "RECONNECTS", "TOKEN", "LAST ERROR");
	json_array_foreach(streams, i, st) {
		tr = json_object_get(st, "transport");
		oa = json_object_get(st, "oauth");
		err = json_string_value(json_object_get(tr, "last_error"));
		if (err == NULL || *err == '\0')
			err = json_string_value(json_object_get(oa, "last_error"));
		buf_printf(b, "%-12s %-16s %10lld %10lld %7llds  %s\n",
		    json_string_value(json_object_get(st, "name")),
		    json_string_value(json_object_get(tr, "state")) ?
		    json_string_value(json_object_get(tr, "state")) : "authenticating",
		    (long long)json_integer_value(json_object_get(st, "messages")),
		    (long long)json_integer_value(json_object_get(tr, "reconnects")),
		    (long long)json_integer_value(json_object_get(oa, "expires_in")),
		    err != NULL && *err != '\0' ? err : "-");
	}
}

/* `status`: the master's view of the daemon and of every worker, and the
 * streams as ingest reports them (streams NULL when it did not answer). */
static void
control_status_finish(struct session *s, json_t *streams)
{
	struct master	*m = s->control->m;
	struct buf	 b;
	time_t		 now = time(NULL);
	json_t		*o, *ws, *w;
	char		*text;
	int		 r;

	o = json_object();
	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "config", json_string(m->conf_path));
	json_object_set_new(o, "generation", json_integer((json_int_t)m->generation));
	json_object_set_new(o, "uptime_s", json_integer(now - m->started));
	json_object_set_new(o, "state", json_string(m->stopping ? "stopping" : "running"));
	ws = json_array();
	for (r = 0; r < ROLE_COUNT; r++) {
		const struct proc *pr = &m->procs[r];
		w = json_object();
		json_object_set_new(w, "role", json_string(role_name(pr->role)));
		json_object_set_new(w, "pid", json_integer(pr->pid));
		json_object_set_new(w, "state", json_string(proc_state_name(pr->state)));
		json_object_set_new(w, "uptime_s", json_integer(uptime_s(pr, now)));
		json_object_set_new(w, "restarts", json_integer((json_int_t)pr->restarts));
		json_object_set_new(w, "generation", json_integer((json_int_t)pr->generation));
		json_object_set_new(w, "last_exit", pr->last_exit[0] ?
		    json_string(pr->last_exit) : json_null());
		json_object_set_new(w, "last_recovery_us",
		    json_integer(pr->last_recovery_us));
		json_array_append_new(ws, w);
	}
	json_object_set_new(o, "workers", ws);
	json_object_set_new(o, "streams", streams != NULL ?
	    json_incref(streams) : json_array());
	if (s->json) {
		text = json_dumps(o, JSON_INDENT(2));
		control_replyf(s, 0, "%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	buf_init(&b);
	buf_printf(&b, "cxpiped %s, pid %ld, %s, config %s, generation %llu, up %llds\n",
	    PACKAGE_VERSION, (long)getpid(), m->stopping ? "stopping" : "running",
	    m->conf_path, (unsigned long long)m->generation,
	    (long long)(now - m->started));
	buf_printf(&b, "%-9s %-8s %-12s %8s %8s %4s  %s\n", "ROLE", "PID", "STATE",
	    "UPTIME", "RESTARTS", "GEN", "LAST EXIT");
	for (r = 0; r < ROLE_COUNT; r++) {
		const struct proc *pr = &m->procs[r];
		buf_printf(&b, "%-9s %-8ld %-12s %7llds %8llu %4llu  %s\n",
		    role_name(pr->role), (long)pr->pid, proc_state_name(pr->state),
		    (long long)uptime_s(pr, now), (unsigned long long)pr->restarts,
		    (unsigned long long)pr->generation,
		    pr->last_exit[0] ? pr->last_exit : "-");
	}
	control_render_streams(&b, streams);
	buf_add(&b, "", 1);
	control_reply(s, 0, (const char *)b.data);
	buf_free(&b);
	json_decref(o);
}

/* `status`: asks ingest for its streams first, if it is there to ask. */
static void
control_status(struct session *s)
{
	struct proc	*pr = &s->control->m->procs[ROLE_INGEST];

	if (pr->ctl == NULL || pr->pid == 0 || pr->state != PROC_RUNNING) {
		control_status_finish(s, NULL);
		return;
	}
	s->wait = WAIT_STATUS;
	s->id = ++s->control->next_id;
	s->pending = 1u << ROLE_INGEST;
	channel_send(pr->ctl, MSG_CTL_STATS_REQUEST, 0, s->id, NULL, 0);
	control_arm_timeout(s, STATS_TIMEOUT_MS);
}

/* Renders one JSON value of a stats object as text. */
static void
control_render_value(struct buf *b, json_t *v)
{
	char	*t;

	if (json_is_string(v))
		buf_add_str(b, json_string_value(v));
	else {
		t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (t != NULL)
			buf_add_str(b, t);
		free(t);
	}
}

/* Sends the gathered stats, as JSON or as one block per worker. */
static void
control_stats_finish(struct session *s)
{
	struct buf	 b;
	const char	*role, *k;
	json_t		*o, *v;
	char		*text;

	if (s->json) {
		text = json_dumps(s->answers, JSON_INDENT(2));
		control_replyf(s, 0, "%s\n", text);
		free(text);
		return;
	}
	buf_init(&b);
	json_object_foreach(s->answers, role, o) {
		buf_printf(&b, "%s:\n", role);
		json_object_foreach(o, k, v) {
			if (strcmp(k, "role") == 0)
				continue;
			buf_printf(&b, "  %-24s ", k);
			control_render_value(&b, v);
			buf_add_str(&b, "\n");
		}
	}
	buf_add(&b, "", 1);
	control_reply(s, 0, (const char *)b.data);
	buf_free(&b);
}

static void
control_timeout_cb(int fd, short what, void *arg)
{
	struct session	*s = arg;
	int		 r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (s->pending & (1u << r))
			json_object_set_new(s->answers, role_name((enum role)r),
			    json_pack("{s:s}", "error", "no answer in time"));
	if (s->wait == WAIT_COMMAND)
		control_reply(s, 1, "the alert worker did not answer in time\n");
	else if (s->wait == WAIT_STATUS)
		control_status_finish(s, NULL);
	else if (s->wait == WAIT_STATS)
		control_stats_finish(s);
	else
		control_replyf(s, 1, "reload: generation %llu sent, but not every "
		    "worker confirmed it in time\n", (unsigned long long)s->id);
}

static void
control_arm_timeout(struct session *s, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	s->ev_timeout = evtimer_new(s->control->m->base, control_timeout_cb, s);
	evtimer_add(s->ev_timeout, &tv);
}

/* `stats`: asks every live worker for its counters and waits for them. */
static void
control_stats(struct session *s)
{
	struct master	*m = s->control->m;
	int		 r;

	s->wait = WAIT_STATS;
	s->id = ++s->control->next_id;
	s->answers = json_object();
	for (r = 0; r < ROLE_COUNT; r++) {
		struct proc *pr = &m->procs[r];
		if (pr->ctl == NULL || pr->pid == 0 || pr->state == PROC_STARTING) {
			json_object_set_new(s->answers, role_name((enum role)r),
			    json_pack("{s:s}", "state", proc_state_name(pr->state)));
			continue;
		}
		s->pending |= 1u << r;
		channel_send(pr->ctl, MSG_CTL_STATS_REQUEST, 0, s->id, NULL, 0);
	}
	if (s->pending == 0) {
		control_stats_finish(s);
		return;
	}
	control_arm_timeout(s, STATS_TIMEOUT_MS);
}

void
control_stats_reply(struct control *c, enum role r, uint64_t id,
    const uint8_t *p, size_t len)
{
	struct session	*s;
	json_error_t	 jerr;
	json_t		*o;

	TAILQ_FOREACH(s, &c->sessions, entry) {
		if ((s->wait != WAIT_STATS && s->wait != WAIT_STATUS &&
		    s->wait != WAIT_COMMAND) || s->id != id ||
		    !(s->pending & (1u << r)))
			continue;
		if (s->wait == WAIT_COMMAND) {
			o = json_loadb((const char *)p, len, 0, &jerr);
			control_reply(s, o != NULL ? (int)json_integer_value(
			    json_object_get(o, "status")) : 1, o != NULL &&
			    json_string_value(json_object_get(o, "text")) != NULL ?
			    json_string_value(json_object_get(o, "text")) :
			    "malformed answer from the alert worker\n");
			json_decref(o);
			return;
		}
		if (s->wait == WAIT_STATUS) {
			o = json_loadb((const char *)p, len, 0, &jerr);
			control_status_finish(s, json_object_get(o, "streams"));
			json_decref(o);
			return;
		}
		if ((o = json_loadb((const char *)p, len, 0, &jerr)) == NULL)
			o = json_pack("{s:s}", "error", jerr.text);
		json_object_set_new(s->answers, role_name(r), o);
		s->pending &= ~(1u << r);
		if (s->pending == 0)
			control_stats_finish(s);
		return;
	}
}

/* `reload`: re-reads the file; waits for the workers that apply it live. */
static void
control_reload(struct session *s)
{
	struct master	*m = s->control->m;
	char		 err[1024];
	int		 r;

	if (master_reload(m, err, sizeof(err)) == -1) {
		control_replyf(s, 1, "%s\n", err);
		return;
	}
	s->wait = WAIT_RELOAD;
	s->id = m->generation;
	s->answers = json_object();
	for (r = 0; r < ROLE_COUNT; r++) {
		struct proc *pr = &m->procs[r];
		if (pr->ctl != NULL && pr->pid != 0 && !pr->restart_wanted &&
		    pr->state != PROC_STARTING)
			s->pending |= 1u << r;
	}
	if (s->pending == 0) {
		control_replyf(s, 0, "reloaded: generation %llu\n",
		    (unsigned long long)s->id);
		return;
	}
	control_arm_timeout(s, RELOAD_TIMEOUT_MS);
}

void
control_config_result(struct control *c, enum role r, uint64_t generation,
    int failed, const uint8_t *p, size_t len)
{
	struct session	*s, *next;

	TAILQ_FOREACH_SAFE(s, &c->sessions, entry, next) {
		if (s->wait != WAIT_RELOAD || s->id != generation ||
		    !(s->pending & (1u << r)))
			continue;
		s->pending &= ~(1u << r);
		if (failed)
			json_object_set_new(s->answers, role_name(r),
			    json_stringn((const char *)p, len));
		if (s->pending != 0)
			continue;
		if (json_object_size(s->answers) == 0)
			control_replyf(s, 0, "reloaded: generation %llu\n",
			    (unsigned long long)generation);
		else {
			char *t = json_dumps(s->answers, JSON_COMPACT);
			control_replyf(s, 1, "reload: generation %llu not applied "
			    "by every worker: %s\n", (unsigned long long)generation, t);
			free(t);
		}
	}
}

/* alerts, silence, silences, unsilence: relayed to the alert worker as
 * a stats request that carries the arguments. */
static void
control_alert_command(struct session *s, int argc, char **argv)
{
	struct proc	*pr = &s->control->m->procs[ROLE_ALERT];
	struct buf	 b;
	int		 i;

	if (pr->ctl == NULL || pr->pid == 0 || pr->state != PROC_RUNNING) {
		control_replyf(s, 1, "the alert worker is %s\n",
		    proc_state_name(pr->state));
		return;
	}
	buf_init(&b);
	for (i = 0; i < argc; i++)
		buf_add(&b, argv[i], strlen(argv[i]) + 1);
	s->wait = WAIT_COMMAND;
	s->id = ++s->control->next_id;
	s->pending = 1u << ROLE_ALERT;
	channel_send(pr->ctl, MSG_CTL_STATS_REQUEST, 0, s->id, b.data, b.len);
	buf_free(&b);
	control_arm_timeout(s, STATS_TIMEOUT_MS);
}

/* Runs one request: argv[0] is the command. */
static void
control_run(struct session *s, int argc, char **argv)
{
	struct master	*m = s->control->m;
	int		 r;

	s->json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (strcmp(argv[0], "status") == 0 && (argc == 1 || s->json))
		control_status(s);
	else if (strcmp(argv[0], "stats") == 0 && (argc == 1 || s->json))
		control_stats(s);
	else if (strcmp(argv[0], "reload") == 0 && argc == 1)
		control_reload(s);
	else if (strcmp(argv[0], "alerts") == 0 ||
	    strcmp(argv[0], "silence") == 0 ||
	    strcmp(argv[0], "silences") == 0 ||
	    strcmp(argv[0], "unsilence") == 0)
		control_alert_command(s, argc, argv);
	else if (strcmp(argv[0], "restart") == 0 && argc == 2) {
		if ((r = role_parse(argv[1])) == -1) {
			control_replyf(s, 2, "restart: unknown role \"%s\" "
			    "(ingest, validate, pgsink or alert)\n", argv[1]);
			return;
		}
		if (m->stopping) {
			control_reply(s, 1, "the daemon is stopping\n");
			return;
		}
		supervise_restart(m, (enum role)r);
		control_replyf(s, 0, "restarting %s\n", argv[1]);
	} else if (strcmp(argv[0], "stop") == 0 && argc == 1) {
		control_reply(s, 0, "stopping\n");
		master_stop(m, "cxpipectl stop");
	} else if (strcmp(argv[0], "log-level") == 0 && argc == 2) {
		if ((r = log_level_parse(argv[1])) == -1) {
			control_replyf(s, 2, "log-level: unknown level \"%s\" "
			    "(error, warn, info or debug)\n", argv[1]);
			return;
		}
		master_set_log_level(m, r);
		control_replyf(s, 0, "log level %s\n", argv[1]);
	} else
		control_replyf(s, 2, "unknown command or arguments: %s\n", argv[0]);
}

/* Splits the request payload into NUL-terminated arguments. */
static int
control_split_args(const uint8_t *p, size_t len, char **argv, int max)
{
	size_t	 off = 0;
	int	 argc = 0;

	if (len == 0 || p[len - 1] != '\0')
		return -1;
	while (off < len && argc < max) {
		argv[argc++] = (char *)(p + off);
		off += strlen((const char *)p + off) + 1;
	}
	return off == len ? argc : -1;
}

static void
control_session_msg_cb(struct channel *ch, const struct msg_hdr *h,
    const uint8_t *p, int fd, void *arg)
{
	struct session	*s = arg;
	char		*argv[CONTROL_MAX_ARGS];
	int		 argc;

	if (fd != -1)
		close(fd);
	if (h->type != MSG_CLI_REQUEST || s->wait != WAIT_NONE || s->done) {
		control_reply(s, 2, "protocol error\n");
		return;
	}
	if ((argc = control_split_args(p, h->len, argv, CONTROL_MAX_ARGS)) <= 0) {
		control_reply(s, 2, "malformed request\n");
		return;
	}
	control_run(s, argc, argv);
}

static void
control_session_eof_cb(struct channel *ch, const char *why, void *arg)
{
	control_session_free(arg);
}

static void
control_session_free(struct session *s)
{
	TAILQ_REMOVE(&s->control->sessions, s, entry);
	if (s->ev_timeout != NULL)
		event_free(s->ev_timeout);
	if (s->answers != NULL)
		json_decref(s->answers);
	channel_free(s->ch);
	free(s);
}

/* Root, the daemon's user, and members (primary or supplementary) of the
 * daemon's group may talk to it: the same people the socket's 0660 admits. */
static bool
control_peer_allowed(const struct ucred *cred)
{
	struct passwd	*pw;
	gid_t		 groups[256];
	int		 n = 256, i;

	if (cred->uid == 0 || cred->uid == geteuid() || cred->gid == getegid())
		return true;
	if ((pw = getpwuid(cred->uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == getegid())
			return true;
	return false;
}

/* Accepts a client whose credentials allow it (control_peer_allowed). */
static void
control_accept_cb(int lfd, short what, void *arg)
{
	struct control	*c = arg;
	struct session	*s;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control socket: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    !control_peer_allowed(&cred)) {
		log_warnx("control socket: refused a client (uid %ld)",
		    len == sizeof(cred) ? (long)cred.uid : -1L);
		close(fd);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->control = c;
	s->ch = channel_new(c->m->base, fd, "cxpipectl", control_session_msg_cb,
	    control_session_eof_cb, s);
	TAILQ_INSERT_TAIL(&c->sessions, s, entry);
}

struct control *
control_open(struct master *m, const char *path, char *err, size_t errlen)
{
	struct control		*c;
	struct sockaddr_un	 sun;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* A socket nobody answers on is stale; one that answers is not ours. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "control socket %s is in use by "
			    "another process", path);
			return NULL;
		}
		close(probe);
	}
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 ||
	    (m->uid != (uid_t)-1 && chown(path, m->uid, m->gid) == -1) ||
	    listen(fd, 16) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->fd = fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
	TAILQ_INIT(&c->sessions);
	c->ev_accept = event_new(m->base, fd, EV_READ | EV_PERSIST, control_accept_cb, c);
	event_add(c->ev_accept, NULL);
	return c;
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->sessions))
		control_session_free(TAILQ_FIRST(&c->sessions));
	event_free(c->ev_accept);
	close(c->fd);
	unlink(c->path);
	free(c);
}
