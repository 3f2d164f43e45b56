/*
 * REST transports of a [stream]: delta polling (transport = poll: GET
 * poll_url?updatedSince=CURSOR every poll_interval) and comet-style long
 * polling (transport = longpoll: a session, then next-event requests that
 * answer 200 with events or 304 after longpoll_timeout).  Both run on the
 * worker's curl_loop.  The poll cursor advances only past items that are in
 * the spool, and it is saved beside the spool, so a restart leaves no gap.
 */
#ifndef CXPIPE_POLL_H
#define CXPIPE_POLL_H

#include <stddef.h>

#include "config.h"
#include "proto.h"
#include "tuple.h"

struct ingest;
struct poller;

struct poller	*poller_new(struct ingest *, const char *name, enum family,
		    const struct stream_conf *, char *err, size_t errlen);
void		 poller_free(struct poller *);
/* A (new) token; the first one starts polling.  base is the token's
 * resource_server_base_uri, for URLs given as paths. */
void		 poller_set_token(struct poller *, const char *token, const char *base);
/* The spool has room again. */
void		 poller_kick(struct poller *);
void		 poller_stats(struct poller *, struct buf *);
/* Set by the owner: called when the resource refuses the token (401). */
void		 poller_on_unauthorized(struct poller *, void (*)(void *), void *);

#endif
