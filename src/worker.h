/*
 * The frame every worker process runs in: its libevent loop, the control
 * channel to the master on PROTO_CTL_FD, config delivery and reload, stats
 * requests, log control and the drain-then-exit stop.  Each role supplies
 * its ops; the frame calls them on the loop.
 */
#ifndef CXPIPE_WORKER_H
#define CXPIPE_WORKER_H

#include <stddef.h>

#include "config.h"
#include "proto.h"
#include "tuple.h"

struct event_base;
struct worker;

struct worker_ops {
	enum role	 role;
	/* Applies a config: old is NULL the first time.  Returns 0, or -1 with
	 * err set (the old config stays in force). */
	int		(*configure)(struct worker *, const struct config *conf,
			    const struct config *old, char *err, size_t errlen);
	/* A new channel end to a neighbour, replacing any previous one. */
	void		(*attach)(struct worker *, enum role peer, int fd);
	/* Appends this worker's counters as JSON members ("k": v, ...). */
	void		(*stats)(struct worker *, struct buf *);
	/* Runs a command the master relays from cxpipectl (argv[0] is the
	 * command); writes the reply text to out and returns the exit status
	 * for cxpipectl.  NULL: the role takes no commands. */
	int		(*command)(struct worker *, int argc, char **argv,
			    struct buf *out);
	/* Begins draining; the role calls worker_drained() when done. */
	void		(*stop)(struct worker *);
	/* Frees the role's state at exit. */
	void		(*shutdown)(struct worker *);
};

/* Runs a worker until stopped; returns the process exit status. */
int			 worker_main(const struct worker_ops *, void *arg);
struct event_base	*worker_base(struct worker *);
void			*worker_arg(struct worker *);
const struct config	*worker_config(struct worker *);
/* Tells the master this worker is drained, then leaves the loop. */
void			 worker_drained(struct worker *);

#ifdef CXPIPE_TEST_HOOKS
/* Test hook: exits at start when CXPIPE_TEST_CRASH_ROLE names this role
 * (and, if CXPIPE_TEST_CRASH_FILE is set, while that file exists). */
void			 worker_test_crash_hook(enum role);
#endif

#endif
