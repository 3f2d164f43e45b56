/*
 * The ingest worker: owns the sources (HTTP endpoint, NDJSON replay) and the
 * spool.  Every accepted event is appended to the spool first, then forwarded
 * to validate from the spool; the spool keeps it until pgsink has committed it.
 */
#ifndef CXPIPE_INGEST_H
#define CXPIPE_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"
#include "tuple.h"

struct channel;
struct event;
struct event_base;
struct spool;
struct worker;
struct http;
struct ndjson_source;
struct stream;
struct curl_loop;
struct ws_thread;

struct ingest_counters {
	uint64_t	 accepted;	/* events appended to the spool */
	uint64_t	 forwarded;	/* sent to validate, resends included */
	uint64_t	 resends;	/* rewinds after a downstream restart */
	uint64_t	 http_requests;
	uint64_t	 http_rejected;	/* 4xx and 5xx answers */
	uint64_t	 spool_errors;
};

struct ingest {
	struct worker		*w;
	struct event_base	*base;
	const struct config	*conf;		/* the config in force */
	struct spool		*spool;
	struct channel		*down;		/* to validate */
	struct event		*ev_pump;	/* forwards from the spool */
	struct event		*ev_sync;	/* spool_sync = interval */
	bool			 dirty;		/* appended since the last fsync */
	bool			 positioned;	/* next_seq is known to follow what pgsink committed */
	uint64_t		 sent_seq;	/* highest sequence sent downstream */
	uint64_t		 acked_seq;
	bool			 stopping;
	struct http		*http;
	struct ndjson_source	*sources[CONFIG_MAX_SOURCES];
	int			 nsources;
	struct stream		*streams[CONFIG_MAX_STREAMS];
	int			 nstreams;
	struct curl_loop	*curl;		/* made on first use */
	struct ws_thread	*ws;		/* made on first use */
	struct ingest_counters	 n;
};

int	 ingest_main(void);

/* Appends one event to the spool; returns 0, or -1 with errno set (EAGAIN:
 * not yet positioned, retry later).  Callers check ingest_can_accept()
 * before each request, so a request is spooled whole or not at all. */
int	 ingest_accept(struct ingest *, const char *source, enum family,
	    uint64_t aux, const void *body, size_t len);
/* Appends a message the source could not use (too large, binary...) so
 * that it becomes a dead letter with reason; same rules as ingest_accept. */
int	 ingest_accept_dead(struct ingest *, const char *source, enum family,
	    const char *reason, const void *body, size_t len);
/* The worker's libcurl loop and lws thread, made on first use. */
struct curl_loop *ingest_curl_loop(struct ingest *);
struct ws_thread *ingest_ws_thread(struct ingest *, char *err, size_t errlen);
/* Makes what ingest_accept appended durable as spool_sync asks, then lets
 * the pump forward it. */
int	 ingest_commit(struct ingest *);
/* True when events can be accepted right now. */
bool	 ingest_can_accept(const struct ingest *);
uint64_t ingest_now_us(void);

/* http.c */
struct http	*http_start(struct ingest *, const struct config *, char *err, size_t errlen);
int		 http_reconfigure(struct http *, const struct config *, char *err, size_t errlen);
void		 http_stop(struct http *);

/* ndjson.c */
/* Starts replaying; spooled_offset is the offset past the newest line of
 * this source still in the spool (0 if none). */
struct ndjson_source *ndjson_start(struct ingest *, const struct source_conf *,
		    uint64_t spooled_offset, char *err, size_t errlen);
void		 ndjson_stop(struct ndjson_source *);
/* Resumes reading after the spool had no room. */
void		 ndjson_kick(struct ndjson_source *);
void		 ndjson_stats(struct ndjson_source *, struct buf *);

#endif
