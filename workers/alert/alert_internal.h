/* The alert worker's state, shared by alert.c (channels, rules, delivery)
 * and alert_cmd.c (the cxpipectl commands it answers). */
#ifndef CXPIPE_ALERT_INTERNAL_H
#define CXPIPE_ALERT_INTERNAL_H

#include <stdint.h>
#include <sys/time.h>

#include "tuple.h"

struct worker;

struct alert {
	struct window	*win;		/* NULL until the first config */
	struct channel	*obs;		/* from validate, NULL between attaches */
	uint64_t	 observations;	/* well-formed MSG_OBS_EVENT received */
	uint64_t	 invalid;	/* of which for events that failed validation */
	uint64_t	 malformed;	/* MSG_OBS_EVENT that could not be read */
	uint64_t	 oversized;	/* keys too long to keep in a window */
	uint64_t	 silenced;	/* notifications a silence held back */
	uint64_t	 obs_seq;	/* highest event sequence observed */
	uint64_t	 replayed;	/* observations of events seen before */
	struct eval	*ev;		/* aggregates and rules */
	struct curl_loop *curl;
	struct webhook_set *hooks;
	struct silence_set *silences;
	struct event	*ev_tick;
	struct timeval	 tick;
	struct persist	*persist;	/* records for pgsink (persist.h) */
	struct snapshot	*snap;		/* metric snapshots (snapshot.h) */
	int		 pgsink_fd;	/* attached before the first config */
};

/* Seconds on the monotonic clock of the windows. */
int64_t	 alert_now_s(void);
/* Runs alerts, silence, silences or unsilence (worker_ops.command). */
int	 alert_command(struct worker *, int argc, char **argv, struct buf *);

#endif
