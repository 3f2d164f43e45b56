/*
 * CXone WebSocket streams for the ingest worker.
 *
 * Debian's libwebsockets 4.1 has no libevent or external-poll support, so
 * one thread (struct ws_thread) runs lws's own service loop for every
 * stream of the worker.  Everything below is called from the libevent
 * thread only; the callbacks run there too.  Commands travel to the lws
 * thread through a mutex-protected queue and lws_cancel_service(); events
 * come back through a second queue and an eventfd the libevent loop reads.
 *
 * Per stream a struct ws_client runs this state machine on the lws thread:
 *
 *   idle --start--> connecting --upgrade--> subscribing --ack--> subscribed
 *   any close or error --> backing_off --timer--> connecting
 *                      --> needs_token  (401 on the upgrade, close 4001)
 *                      --> failed       (1008 not about a rate limit,
 *                                        subscribe.reject)
 *
 * Close codes: 1000/1001 reconnect at once after a stable session, else
 * with backoff; 1006 (dropped), 1011, 1012, 1013 and anything unknown
 * reconnect with backoff (lws 4.1 reports a peer's 1012/1013 as 1002; that
 * is treated the same); 4001 and a 401 on the upgrade ask for a new token
 * (WS_EVENT_TOKEN_REJECTED) and reconnect when ws_client_set_token() gives
 * one; 1008 is final unless its reason mentions a rate limit, then it is
 * retried slowly (in [cap/2, cap]).  Backoff is exponential with full
 * jitter and resets after a session stayed subscribed for stable_ms.  Every
 * close is logged with its code and reason.
 *
 * Messages: text messages are reassembled from fragments up to
 * max_message_bytes; a larger message or a binary one becomes a dead letter
 * (the connection is kept).  The client answers pings, sends its own after
 * ping_interval_ms without traffic and drops a connection that stayed
 * silent for idle_timeout_ms.
 *
 * Flow control and memory: at most queue_max_messages / queue_max_bytes of
 * a stream's events wait between the two threads; past that the lws thread
 * stops reading that socket until the libevent side has caught up.
 * ws_client_pause() (or a message callback returning WS_HOLD) stops reading
 * and holds undelivered events; ws_client_resume() delivers them in order
 * and reads again.
 */
#ifndef CXPIPE_WS_CLIENT_H
#define CXPIPE_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct event_base;
struct ws_client;
struct ws_thread;

enum ws_token_in {
	WS_TOKEN_IN_HEADER = 0,		/* Authorization: Bearer T */
	WS_TOKEN_IN_QUERY,		/* ?access_token=T */
};

/* One stream's settings; ws_client_new() copies what it needs.  Zero
 * numbers take the defaults in brackets. */
struct ws_conf {
	const char	*name;		/* for logs */
	const char	*url;		/* ws://host[:port]/path[?query] or wss:// */
	enum ws_token_in token_in;
	const char	*subscribe;	/* sent after the upgrade; NULL: none */
	const char	*ack_type;	/* "type" of the ack; NULL: none awaited */
	const char	*reject_type;	/* ["subscribe.reject"] */
	uint32_t	 ack_timeout_ms;	/* [10000] */
	const char	*ca_file;	/* wss: PEM bundle; NULL: system store */
	size_t		 max_message_bytes;	/* [1 MiB] */
	const char *const *headers;	/* "Name: value" upgrade headers */
	size_t		 nheaders;
	uint32_t	 ping_interval_ms;	/* [20000] */
	uint32_t	 idle_timeout_ms;	/* [60000] */
	uint32_t	 backoff_base_ms;	/* [500] */
	uint32_t	 backoff_cap_ms;	/* [30000] */
	uint32_t	 stable_ms;		/* [60000] */
	uint32_t	 queue_max_messages;	/* [1024] */
	size_t		 queue_max_bytes;	/* [max(8 MiB, 2 * max_message_bytes)] */
};

enum ws_state {
	WS_STATE_IDLE = 0,
	WS_STATE_CONNECTING,
	WS_STATE_SUBSCRIBING,
	WS_STATE_SUBSCRIBED,
	WS_STATE_BACKING_OFF,
	WS_STATE_FAILED,
	WS_STATE_NEEDS_TOKEN,
};

enum ws_event_type {
	WS_EVENT_MESSAGE,	/* data/len: one whole text message */
	WS_EVENT_DEAD_LETTER,	/* reason; data/len: the message, or its first
				 * bytes when it was too large (full_len) */
	WS_EVENT_STATE,		/* state, close_code (0: none), reason; for
				 * backing_off delay_ms (WS_DELAY_PAUSED: at
				 * ws_client_resume()); for subscribed data/len
				 * is the ack message */
	WS_EVENT_TOKEN_REJECTED,	/* fetch a token, call ws_client_set_token */
};

#define WS_DELAY_PAUSED	UINT32_MAX

struct ws_event {
	enum ws_event_type	 type;
	enum ws_state		 state;
	int			 close_code;
	const char		*reason;	/* never NULL */
	const char		*data;		/* NUL-terminated */
	size_t			 len;
	size_t			 full_len;
	uint32_t		 delay_ms;
};

/* What a callback returns for a message or a dead letter: WS_TAKEN, or
 * WS_HOLD to leave it undelivered and pause the stream (as
 * ws_client_pause()); it comes again after ws_client_resume().  The return
 * value of other events is ignored.  A callback may call any ws_client_*
 * function, ws_client_free() of its own client included. */
#define WS_TAKEN	0
#define WS_HOLD		1
typedef int (*ws_event_cb)(struct ws_client *, const struct ws_event *, void *);

struct ws_status {
	enum ws_state	 state;
	int		 last_close_code;	/* 0: none yet */
	char		 last_error[256];	/* last close reason or error */
	uint64_t	 messages;	/* delivered */
	uint64_t	 bytes;		/* of delivered messages */
	uint64_t	 dead_letters;
	uint64_t	 frames;	/* data frames read */
	uint64_t	 reconnects;	/* connects after the first */
	uint64_t	 token_rejects;
	bool		 paused;
	size_t		 queued;	/* events between the threads or held */
	size_t		 queued_bytes;
};

/* Starts the lws thread; NULL with err set when lws cannot start. */
struct ws_thread *ws_thread_new(struct event_base *, char *err, size_t errlen);
/* Frees every client still alive (their undelivered events are dropped),
 * waits up to a second for their connections to close with 1000, and
 * stops the thread.  Not from inside a ws_client callback. */
void	 ws_thread_free(struct ws_thread *);

/* A stream in the idle state; NULL with err set when conf is invalid. */
struct ws_client *ws_client_new(struct ws_thread *, const struct ws_conf *,
	    ws_event_cb, void *arg, char *err, size_t errlen);
/* Connects with token (copied); from idle or failed. */
void	 ws_client_start(struct ws_client *, const char *token);
/* Gives a new token: used for the next upgrade, at once when the client
 * waits in needs_token. */
void	 ws_client_set_token(struct ws_client *, const char *token);
/* Stops reading the socket and holds events until ws_client_resume(). */
void	 ws_client_pause(struct ws_client *);
void	 ws_client_resume(struct ws_client *);
/* Closes the connection (1000); every message read before is still
 * delivered, then a WS_EVENT_STATE with WS_STATE_IDLE.  ws_client_start()
 * may follow. */
void	 ws_client_stop(struct ws_client *);
/* No callback after this returns; undelivered events are dropped and the
 * memory goes once the lws thread has closed the connection. */
void	 ws_client_free(struct ws_client *);

void	 ws_client_status(const struct ws_client *, struct ws_status *);
/* Appends the status as a JSON object for `cxpipectl stats`. */
void	 ws_client_stats(const struct ws_client *, struct buf *);
const char *ws_client_name(const struct ws_client *);
const char *ws_state_name(enum ws_state);

#endif
