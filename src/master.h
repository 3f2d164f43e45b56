/*
 * The master process: config, supervision, signals, control socket.  It
 * never touches event data.  master.c owns the loop and the lifecycle,
 * supervise.c the worker processes, control.c the cxpipectl requests.
 */
#ifndef CXPIPE_MASTER_H
#define CXPIPE_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "proto.h"

struct event;
struct event_base;
struct channel;
struct control;

enum proc_state {
	PROC_STOPPED = 0,	/* not started, or exited during stop */
	PROC_STARTING,		/* forked, config sent, not ready yet */
	PROC_RUNNING,
	PROC_BACKOFF,		/* died; waiting to be restarted */
	PROC_FAILED,		/* restart storm; retrying at the longest delay */
	PROC_STOPPING		/* asked to drain */
};

#define PROC_RESTART_HISTORY	64

/* One worker process slot. */
struct proc {
	struct master	*master;
	enum role	 role;
	enum proc_state	 state;
	pid_t		 pid;
	struct channel	*ctl;
	struct timespec	 started;	/* CLOCK_MONOTONIC */
	time_t		 started_wall;
	uint64_t	 restarts;
	uint64_t	 generation;	/* config generation it runs */
	char		 last_exit[64];
	int64_t		 backoff_ms;
	struct timespec	 restart_at[PROC_RESTART_HISTORY];	/* ring */
	unsigned	 restart_idx;
	struct event	*ev_restart;
	bool		 restart_wanted;	/* exit was asked for (restart ROLE, reload) */
	bool		 drained;
	bool		 was_restarted;	/* the current process is a restart */
	/* For scripts/bench: when a killed worker was back in service. */
	struct timespec	 died_at;
	int64_t		 last_recovery_us;
};

struct master {
	struct event_base *base;
	const char	*conf_path;
	struct config	*conf;
	char		*conf_text;
	uint64_t	 generation;
	char		 self_exe[4096];
	bool		 foreground;
	int		 pidfile_fd;
	uid_t		 uid;		/* user= (or -1) */
	gid_t		 gid;
	time_t		 started;
	struct proc	 procs[ROLE_COUNT];
	struct control	*control;
	struct event	*ev_signals[6];
	int		 stopping;	/* 0 running, 1 draining, 2 exiting now */
	int		 stop_stage;	/* role being drained */
	struct event	*ev_stop_timeout;
	int		 exit_status;
};

/* master.c */
int	 master_main(const char *conf_path, bool foreground);
/* Reloads the config file; returns 0 or -1 with err set (nothing changed). */
int	 master_reload(struct master *, char *err, size_t errlen);
void	 master_stop(struct master *, const char *why);
void	 master_set_log_level(struct master *, int level);

/* supervise.c */
void	 supervise_init(struct master *);
void	 supervise_start(struct master *, enum role);
void	 supervise_start_all(struct master *);
void	 supervise_reap(struct master *);
/* Restarts a worker on request (drain, then exit, then start again). */
void	 supervise_restart(struct master *, enum role);
/* Sends a control message to every live worker. */
void	 supervise_broadcast(struct master *, uint16_t type, uint32_t flags,
	    uint64_t seq, const void *, size_t);
bool	 supervise_all_stopped(struct master *);
void	 supervise_kill_all(struct master *, int sig);
const char *proc_state_name(enum proc_state);
/* Handles a message a worker sent to the master. */
void	 supervise_dispatch(struct master *, struct proc *, uint16_t type,
	    uint32_t flags, uint64_t seq, const uint8_t *, size_t);

/* control.c */
struct control *control_open(struct master *, const char *path, char *err, size_t errlen);
void	 control_close(struct control *);
/* A worker answered a stats request. */
void	 control_stats_reply(struct control *, enum role, uint64_t id,
	    const uint8_t *, size_t);
/* A worker answered a config push. */
void	 control_config_result(struct control *, enum role, uint64_t generation,
	    int failed, const uint8_t *, size_t);

#endif
