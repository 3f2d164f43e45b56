#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "daemon.h"
#include "log.h"
#include "master.h"
#include "preflight.h"
#include "xmalloc.h"

static void	master_signal_cb(int, short, void *);
static void	master_stop_timeout_cb(int, short, void *);

/* Sends STOP to the next live worker in pipeline order, or finishes. */
static void
master_stop_next(struct master *m)
{
	struct proc	*pr;

	while (m->stop_stage < ROLE_COUNT) {
		pr = &m->procs[m->stop_stage];
		evtimer_del(pr->ev_restart);
		if (pr->pid != 0 && pr->ctl != NULL) {
			pr->state = PROC_STOPPING;
			log_debug("stop: draining %s", role_name(pr->role));
			channel_send(pr->ctl, MSG_CTL_STOP, 0, 0, NULL, 0);
			return;
		}
		if (pr->pid != 0)
			kill(pr->pid, SIGTERM);
		m->stop_stage++;
	}
	if (supervise_all_stopped(m))
		event_base_loopexit(m->base, NULL);
}

/*
 * Stops the daemon: ingest stops accepting and waits until everything it
 * spooled is committed, then validate, pgsink and alert drain in turn.
 * Called with why == NULL when the worker being drained reports it is done;
 * a second request (why != NULL) ends everything at once.
 */
void
master_stop(struct master *m, const char *why)
{
	struct timeval	 tv;

	if (why == NULL) {
		if (m->stopping == 1) {
			m->stop_stage++;
			master_stop_next(m);
		}
		return;
	}
	if (m->stopping >= 1) {
		log_warnx("stop requested again (%s): exiting now", why);
		m->stopping = 2;
		m->exit_status = 1;
		supervise_kill_all(m, SIGKILL);
		event_base_loopexit(m->base, NULL);
		return;
	}
	log_info("stopping (%s): draining the pipeline", why);
	m->stopping = 1;
	m->stop_stage = ROLE_INGEST;
	tv.tv_sec = m->conf->stop_timeout_ms / 1000;
	tv.tv_usec = (m->conf->stop_timeout_ms % 1000) * 1000;
	evtimer_add(m->ev_stop_timeout, &tv);
	master_stop_next(m);
}

static void
master_stop_timeout_cb(int fd, short what, void *arg)
{
	struct master	*m = arg;

	log_warnx("stop: not drained after %lld ms; killing the workers "
	    "(the spool keeps what was not committed)",
	    (long long)m->conf->stop_timeout_ms);
	m->stopping = 2;
	m->exit_status = 1;
	supervise_kill_all(m, SIGKILL);
	event_base_loopexit(m->base, NULL);
}

void
master_set_log_level(struct master *m, int level)
{
	log_set_level((enum log_level)level);
	supervise_broadcast(m, MSG_CTL_LOG_LEVEL, (uint32_t)level, 0, NULL, 0);
}

int
master_reload(struct master *m, char *err, size_t errlen)
{
	struct config	*c;
	char		*text, why[512];
	int		 mask, r;

	if ((c = config_load(m->conf_path, &text, err, errlen)) == NULL) {
		log_warnx("reload refused, nothing changed: %s", err);
		return -1;
	}
	if (preflight_check(c, err, errlen) == -1) {
		log_warnx("reload refused, nothing changed: %s", err);
		config_free(c);
		free(text);
		return -1;
	}
	mask = config_diff(m->conf, c, why, sizeof(why));
	if (mask & RELOAD_DAEMON) {
		snprintf(err, errlen, "%s: %s changed, which only a daemon restart "
		    "applies; reload refused, nothing changed", m->conf_path, why);
		log_warnx("%s", err);
		config_free(c);
		free(text);
		return -1;
	}
	config_free(m->conf);
	free(m->conf_text);
	m->conf = c;
	m->conf_text = text;
	m->generation++;
	log_set_level((enum log_level)c->log_level_num);
	log_info("reload: generation %llu", (unsigned long long)m->generation);
	for (r = 0; r < ROLE_COUNT; r++) {
		struct proc *pr = &m->procs[r];
		if (mask & (1 << r)) {
			log_info("reload: restarting %s for settings that cannot "
			    "change live", role_name((enum role)r));
			supervise_restart(m, (enum role)r);
		} else if (pr->ctl != NULL && pr->pid != 0)
			channel_send(pr->ctl, MSG_CTL_CONFIG, 0, m->generation,
			    text, strlen(text));
	}
	return 0;
}

static void
master_signal_cb(int sig, short what, void *arg)
{
	struct master	*m = arg;
	char		 err[1024];

	switch (sig) {
	case SIGCHLD:
		supervise_reap(m);
		if (m->stopping == 1) {
			if (m->stop_stage < ROLE_COUNT &&
			    m->procs[m->stop_stage].pid == 0) {
				m->stop_stage++;
				master_stop_next(m);
			} else if (supervise_all_stopped(m))
				event_base_loopexit(m->base, NULL);
		}
		break;
	case SIGHUP:
		master_reload(m, err, sizeof(err));
		break;
	case SIGUSR1:
		if (log_reopen() == -1)
			log_warn("reopening the log");
		supervise_broadcast(m, MSG_CTL_LOG_REOPEN, 0, 0, NULL, 0);
		break;
	case SIGTERM:
		master_stop(m, "SIGTERM");
		break;
	case SIGINT:
		master_stop(m, "SIGINT");
		break;
	}
}

/* Creates the directory that will hold path, owned by the daemon's user. */
static int
master_mkdir_for(struct master *m, const char *path, char *err, size_t errlen)
{
	char	*copy = xstrdup(path), *dir = dirname(copy);
	int	 r;

	r = daemon_mkdirs(dir, 0755, m->uid, m->gid);
	if (r == -1)
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	free(copy);
	return r;
}

/* Everything before the loop: directories, pidfile, detach, socket, privileges. */
static int
master_setup(struct master *m, char *err, size_t errlen)
{
	struct config	*c = m->conf;
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM, SIGINT, SIGPIPE };
	size_t		 i;
	ssize_t		 n;

	m->uid = (uid_t)-1;
	m->gid = (gid_t)-1;
	if (c->user != NULL && geteuid() == 0 &&
	    daemon_lookup_user(c->user, &m->uid, &m->gid, err, errlen) == -1)
		return -1;
	if (daemon_mkdirs(c->spool_dir, 0750, m->uid, m->gid) == -1) {
		snprintf(err, errlen, "spool_dir %s: %s", c->spool_dir, strerror(errno));
		return -1;
	}
	if (master_mkdir_for(m, c->control_socket, err, errlen) == -1 ||
	    master_mkdir_for(m, c->pidfile, err, errlen) == -1)
		return -1;
	if ((m->pidfile_fd = daemon_pidfile_lock(c->pidfile, err, errlen)) == -1)
		return -1;
	if ((n = readlink("/proc/self/exe", m->self_exe, sizeof(m->self_exe) - 1)) == -1) {
		snprintf(err, errlen, "readlink /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	m->self_exe[n] = '\0';
	if (!m->foreground)
		daemon_detach();
	if (daemon_pidfile_write(m->pidfile_fd) == -1) {
		snprintf(err, errlen, "writing %s: %s", c->pidfile, strerror(errno));
		return -1;
	}
	if ((m->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigs[i] == SIGPIPE) {
			signal(SIGPIPE, SIG_IGN);
			continue;
		}
		m->ev_signals[i] = evsignal_new(m->base, sigs[i], master_signal_cb, m);
		event_add(m->ev_signals[i], NULL);
	}
	m->ev_stop_timeout = evtimer_new(m->base, master_stop_timeout_cb, m);
	if ((m->control = control_open(m, c->control_socket, err, errlen)) == NULL)
		return -1;
	if (m->uid != (uid_t)-1 && log_file_chown(m->uid, m->gid) == -1) {
		snprintf(err, errlen, "log %s: chown to %s: %s", c->log, c->user,
		    strerror(errno));
		return -1;
	}
	if (m->uid != (uid_t)-1 && daemon_drop_privileges(c->user, m->uid, m->gid) == -1) {
		snprintf(err, errlen, "cannot switch to user %s", c->user);
		return -1;
	}
	return 0;
}

/* Frees what the master holds; the workers are gone by now. */
static void
master_teardown(struct master *m)
{
	size_t	 i;
	int	 r;

	control_close(m->control);
	for (r = 0; r < ROLE_COUNT; r++) {
		if (m->procs[r].ctl != NULL)
			channel_free(m->procs[r].ctl);
		if (m->procs[r].ev_restart != NULL)
			event_free(m->procs[r].ev_restart);
	}
	for (i = 0; i < sizeof(m->ev_signals) / sizeof(m->ev_signals[0]); i++)
		if (m->ev_signals[i] != NULL)
			event_free(m->ev_signals[i]);
	if (m->ev_stop_timeout != NULL)
		event_free(m->ev_stop_timeout);
	if (unlink(m->conf->pidfile) == -1 && errno != ENOENT)
		log_warn("removing %s", m->conf->pidfile);
	close(m->pidfile_fd);
	event_base_free(m->base);
	config_free(m->conf);
	free(m->conf_text);
}

int
master_main(const char *conf_path, bool foreground)
{
	struct master	 m;
	char		 err[1024];

	memset(&m, 0, sizeof(m));
	m.conf_path = conf_path;
	m.foreground = foreground;
	m.pidfile_fd = -1;
	m.generation = 1;
	m.started = time(NULL);
	if ((m.conf = config_load(conf_path, &m.conf_text, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxpiped: %s\n", err);
		return 1;
	}
	if (log_init("master", m.conf->log) == -1) {
		fprintf(stderr, "cxpiped: log %s: %s\n", m.conf->log, strerror(errno));
		config_free(m.conf);
		free(m.conf_text);
		return 1;
	}
	log_set_level((enum log_level)m.conf->log_level_num);
	if (preflight_check(m.conf, err, sizeof(err)) == -1 ||
	    master_setup(&m, err, sizeof(err)) == -1) {
		log_warnx("start-up failed: %s", err);
		if (foreground || m.pidfile_fd == -1)
			fprintf(stderr, "cxpiped: %s\n", err);
		daemon_ready(err);
		config_free(m.conf);
		free(m.conf_text);
		return 1;
	}
	/* Release the caller first: workers must not inherit its stderr. */
	daemon_ready(NULL);
	supervise_init(&m);
	supervise_start_all(&m);
	log_info("cxpiped %s started (config %s, generation %llu)", PACKAGE_VERSION,
	    conf_path, (unsigned long long)m.generation);

	event_base_dispatch(m.base);

	m.stopping = 2;
	supervise_kill_all(&m, SIGKILL);
	while (!supervise_all_stopped(&m)) {
		usleep(10000);
		supervise_reap(&m);
	}
	log_info("stopped");
	master_teardown(&m);
	return m.exit_status;
}
