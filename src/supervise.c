#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "log.h"
#include "master.h"
#include "xmalloc.h"

#define RAPID_DEATH_MS		2000	/* dying sooner than this after start is "rapid" */
#define BACKOFF_START_MS	100

/* The data channels between workers: each pair is one socketpair. */
static const enum role edges[][2] = {
	{ ROLE_INGEST, ROLE_VALIDATE },
	{ ROLE_VALIDATE, ROLE_PGSINK },
	{ ROLE_VALIDATE, ROLE_ALERT },
	{ ROLE_ALERT, ROLE_PGSINK },
};

static const char *state_names[] = {
	"stopped", "starting", "running", "backing-off", "failed", "stopping"
};

const char *
proc_state_name(enum proc_state s)
{
	return state_names[s];
}

static int64_t
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* True when the worker has a control channel that can take messages. */
static bool
proc_alive(const struct proc *p)
{
	return p->ctl != NULL && (p->state == PROC_STARTING ||
	    p->state == PROC_RUNNING || p->state == PROC_STOPPING);
}

static void	supervise_restart_cb(int, short, void *);

void
supervise_init(struct master *m)
{
	int	 r;

	for (r = 0; r < ROLE_COUNT; r++) {
		m->procs[r].master = m;
		m->procs[r].role = (enum role)r;
		m->procs[r].ev_restart = evtimer_new(m->base, supervise_restart_cb,
		    &m->procs[r]);
		m->procs[r].last_exit[0] = '\0';
	}
}

/* Control messages from one worker. */
static void
supervise_ctl_cb(struct channel *ch, const struct msg_hdr *h, const uint8_t *p,
    int fd, void *arg)
{
	struct proc	*pr = arg;
	struct master	*m = pr->master;

	if (fd != -1)
		close(fd);
	supervise_dispatch(m, pr, h->type, h->flags, h->seq, p, h->len);
}

/* The worker closed its control channel; its exit is handled on SIGCHLD. */
static void
supervise_ctl_eof_cb(struct channel *ch, const char *why, void *arg)
{
	struct proc	*pr = arg;

	log_debug("%s: control channel closed (%s)", role_name(pr->role), why);
	channel_free(pr->ctl);
	pr->ctl = NULL;
}

/* Makes one data channel between two live workers. */
static void
supervise_wire_edge(struct master *m, enum role a, enum role b)
{
	uint8_t	 peer;
	int	 sv[2];

	if (!proc_alive(&m->procs[a]) || !proc_alive(&m->procs[b]))
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair for %s-%s", role_name(a), role_name(b));
		return;
	}
	peer = (uint8_t)b;
	channel_send_fd(m->procs[a].ctl, MSG_CTL_ATTACH, 0, 0, &peer, 1, sv[0]);
	peer = (uint8_t)a;
	channel_send_fd(m->procs[b].ctl, MSG_CTL_ATTACH, 0, 0, &peer, 1, sv[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Gives a (re)started worker fresh channels to each live neighbour. */
static void
supervise_wire(struct master *m, enum role r)
{
	size_t	 i;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		if (edges[i][0] == r)
			supervise_wire_edge(m, r, edges[i][1]);
		else if (edges[i][1] == r)
			supervise_wire_edge(m, edges[i][0], r);
	}
}

void
supervise_start(struct master *m, enum role r)
{
	struct proc	*pr = &m->procs[r];
	char		 arg[64];
	char		*argv[3];
	int		 sv[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", role_name(r));
		pr->state = PROC_BACKOFF;
		pr->backoff_ms = m->conf->restart_backoff_max_ms;
		{
			struct timeval tv = { 1, 0 };
			evtimer_add(pr->ev_restart, &tv);
		}
		return;
	}
	snprintf(arg, sizeof(arg), "--worker=%s", role_name(r));
	argv[0] = (char *)"cxpiped";
	argv[1] = arg;
	argv[2] = NULL;
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", role_name(r));
		close(sv[0]);
		close(sv[1]);
		pr->state = PROC_BACKOFF;
		{
			struct timeval tv = { 1, 0 };
			evtimer_add(pr->ev_restart, &tv);
		}
		return;
	}
	if (pid == 0) {
		if (dup2(sv[1], PROTO_CTL_FD) == -1)
			_exit(127);
		execv(m->self_exe, argv);
		_exit(127);
	}
	close(sv[1]);
	if (evutil_make_socket_nonblocking(sv[0]) == -1)
		log_warn("%s: non-blocking control channel", role_name(r));
	pr->pid = pid;
	pr->state = PROC_STARTING;
	pr->drained = false;
	pr->restart_wanted = false;
	clock_gettime(CLOCK_MONOTONIC, &pr->started);
	pr->started_wall = time(NULL);
	pr->ctl = channel_new(m->base, sv[0], role_name(r), supervise_ctl_cb,
	    supervise_ctl_eof_cb, pr);
	pr->generation = m->generation;
	channel_send(pr->ctl, MSG_CTL_CONFIG, CONFIG_F_INITIAL, m->generation,
	    m->conf_text, strlen(m->conf_text));
	supervise_wire(m, r);
	log_info("%s: started, pid %ld", role_name(r), (long)pid);
}

void
supervise_start_all(struct master *m)
{
	int	 r;

	for (r = 0; r < ROLE_COUNT; r++)
		supervise_start(m, (enum role)r);
}

static void
supervise_restart_cb(int fd, short what, void *arg)
{
	struct proc	*pr = arg;
	struct master	*m = pr->master;

	if (m->stopping)
		return;
	supervise_start(m, pr->role);
}

/* Counts restarts inside restart_period, including this one. */
static unsigned
supervise_recent_restarts(struct master *m, struct proc *pr,
    const struct timespec *now)
{
	unsigned	 i, n = 0;

	pr->restart_at[pr->restart_idx++ % PROC_RESTART_HISTORY] = *now;
	for (i = 0; i < PROC_RESTART_HISTORY && i < pr->restart_idx; i++)
		if (ms_between(&pr->restart_at[i], now) < m->conf->restart_period_ms)
			n++;
	return n;
}

/* Decides when a dead worker comes back: at once, after a backoff, or as failed. */
static void
supervise_schedule(struct master *m, struct proc *pr)
{
	struct timespec	 now;
	struct timeval	 tv;
	int64_t		 uptime, delay;
	unsigned	 recent;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pr->died_at = now;
	if (pr->restart_wanted) {
		supervise_start(m, pr->role);
		return;
	}
	pr->restarts++;
	uptime = ms_between(&pr->started, &now);
	recent = supervise_recent_restarts(m, pr, &now);
	/* Dying again soon after a restart means restarting does not help:
	 * back off.  A first death, or one after a good run, restarts at once. */
	if (uptime >= RAPID_DEATH_MS || !pr->was_restarted)
		pr->backoff_ms = 0;
	else
		pr->backoff_ms = pr->backoff_ms == 0 ? BACKOFF_START_MS :
		    pr->backoff_ms * 2;
	if (pr->backoff_ms > m->conf->restart_backoff_max_ms)
		pr->backoff_ms = m->conf->restart_backoff_max_ms;
	delay = pr->backoff_ms;
	if (recent > (unsigned)m->conf->restart_max) {
		if (m->conf->storm_action == STORM_EXIT) {
			log_warnx("%s: %u restarts within %lld s: failed; "
			    "on_restart_storm = exit", role_name(pr->role), recent,
			    (long long)(m->conf->restart_period_ms / 1000));
			pr->state = PROC_FAILED;
			m->exit_status = 1;
			master_stop(m, "restart storm");
			return;
		}
		if (pr->state != PROC_FAILED)
			log_warnx("%s: %u restarts within %lld s: marked failed, "
			    "retrying every %lld ms", role_name(pr->role), recent,
			    (long long)(m->conf->restart_period_ms / 1000),
			    (long long)m->conf->restart_backoff_max_ms);
		pr->state = PROC_FAILED;
		delay = pr->backoff_ms = m->conf->restart_backoff_max_ms;
	} else
		pr->state = PROC_BACKOFF;
	pr->was_restarted = true;
	if (delay == 0) {
		supervise_start(m, pr->role);
		return;
	}
	log_info("%s: restarting in %lld ms", role_name(pr->role), (long long)delay);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(pr->ev_restart, &tv);
}

/* Describes a wait status for logs and `cxpipectl status`. */
static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "status 0x%x", status);
}

void
supervise_reap(struct master *m)
{
	struct proc	*pr;
	pid_t		 pid;
	int		 status, r;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		pr = NULL;
		for (r = 0; r < ROLE_COUNT; r++)
			if (m->procs[r].pid == pid)
				pr = &m->procs[r];
		if (pr == NULL)
			continue;
		describe_exit(status, pr->last_exit, sizeof(pr->last_exit));
		pr->pid = 0;
		if (pr->ctl != NULL) {
			channel_free(pr->ctl);
			pr->ctl = NULL;
		}
		if (m->stopping) {
			log_info("%s: exited (%s)", role_name(pr->role), pr->last_exit);
			pr->state = PROC_STOPPED;
			continue;
		}
		if (pr->restart_wanted)
			log_info("%s: exited (%s) for a restart", role_name(pr->role),
			    pr->last_exit);
		else
			log_warnx("%s: died (%s)", role_name(pr->role), pr->last_exit);
		supervise_schedule(m, pr);
	}
}

void
supervise_restart(struct master *m, enum role r)
{
	struct proc	*pr = &m->procs[r];

	if (pr->state == PROC_BACKOFF || pr->state == PROC_FAILED ||
	    pr->state == PROC_STOPPED) {
		evtimer_del(pr->ev_restart);
		pr->backoff_ms = 0;
		supervise_start(m, r);
		return;
	}
	if (pr->ctl == NULL) {
		/* Its channel is gone; SIGCHLD is on the way. */
		pr->restart_wanted = true;
		return;
	}
	pr->restart_wanted = true;
	pr->state = PROC_STOPPING;
	/* A second stop makes the worker exit at once: nothing is lost, the
	 * spool holds every event until it is committed. */
	channel_send(pr->ctl, MSG_CTL_STOP, 0, 0, NULL, 0);
	channel_send(pr->ctl, MSG_CTL_STOP, 0, 0, NULL, 0);
}

void
supervise_broadcast(struct master *m, uint16_t type, uint32_t flags,
    uint64_t seq, const void *p, size_t len)
{
	int	 r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (proc_alive(&m->procs[r]))
			channel_send(m->procs[r].ctl, type, flags, seq, p, len);
}

bool
supervise_all_stopped(struct master *m)
{
	int	 r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (m->procs[r].pid != 0)
			return false;
	return true;
}

void
supervise_kill_all(struct master *m, int sig)
{
	int	 r;

	for (r = 0; r < ROLE_COUNT; r++) {
		evtimer_del(m->procs[r].ev_restart);
		if (m->procs[r].pid != 0)
			kill(m->procs[r].pid, sig);
	}
}

void
supervise_dispatch(struct master *m, struct proc *pr, uint16_t type,
    uint32_t flags, uint64_t seq, const uint8_t *p, size_t len)
{
	struct timespec	 now;

	switch (type) {
	case MSG_CTL_READY:
		if (pr->state == PROC_STARTING)
			pr->state = PROC_RUNNING;
		if (pr->died_at.tv_sec != 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			pr->last_recovery_us = (int64_t)(now.tv_sec - pr->died_at.tv_sec) *
			    1000000 + (now.tv_nsec - pr->died_at.tv_nsec) / 1000;
			pr->died_at.tv_sec = 0;
		}
		log_debug("%s: ready (generation %llu)", role_name(pr->role),
		    (unsigned long long)seq);
		break;
	case MSG_CTL_CONFIG_RESULT:
		if (flags == 0)
			pr->generation = seq;
		control_config_result(m->control, pr->role, seq, (int)flags, p, len);
		break;
	case MSG_CTL_STATS:
		control_stats_reply(m->control, pr->role, seq, p, len);
		break;
	case MSG_CTL_DRAINED:
		pr->drained = true;
		log_debug("%s: drained", role_name(pr->role));
		if (m->stopping == 1 && (enum role)m->stop_stage == pr->role)
			master_stop(m, NULL);
		break;
	default:
		log_warnx("%s: unexpected %s on the control channel",
		    role_name(pr->role), proto_type_name(type));
		break;
	}
}
