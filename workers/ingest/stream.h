/*
 * [stream NAME] sources of the ingest worker: a CXone real-time stream
 * behind an OAuth2 token.  transport = websocket runs on the worker's lws
 * thread (ws_client.h); poll and longpoll run on libcurl (poll.c).  Every
 * message is spooled as it is read; when the spool cannot take it the
 * stream stops reading until ingest kicks it.
 */
#ifndef CXPIPE_STREAM_H
#define CXPIPE_STREAM_H

#include <stddef.h>

#include "config.h"
#include "tuple.h"

struct ingest;
struct stream;

/* Starts one stream (reads its secrets now); NULL with err set. */
struct stream	*stream_start(struct ingest *, const struct stream_conf *,
		    char *err, size_t errlen);
void		 stream_stop(struct stream *);
/* The spool has room again: read on. */
void		 stream_kick(struct stream *);
/* Appends the stream's state and counters as a JSON object. */
void		 stream_stats(struct stream *, struct buf *);

/* Resolves url against the token's resource_server_base_uri when it is a
 * path ("/x"); ws selects ws:// or wss:// for http:// or https:// bases.
 * Returns a new string the caller frees, or NULL when it cannot. */
char		*stream_resolve_url(const char *url, const char *base, int ws);

#endif
