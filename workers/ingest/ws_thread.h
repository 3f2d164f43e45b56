/*
 * Internals of the WebSocket streams, shared by ws_thread.c (the lws thread
 * and the queues between it and the libevent loop), ws_conn.c (each
 * stream's state machine) and ws_rx.c (its frames), both on the lws
 * thread, and ws_client.c (the API and the event delivery, on the libevent
 * thread).
 *
 * Ownership of struct ws_client's fields is by thread: "const" fields are
 * set before the client is first handed to the lws thread and never change;
 * "mtx" fields are read and written with ws_thread.mtx held; "lws" fields
 * only on the lws thread (struct ws_conn); "ev" fields only on the libevent
 * thread.  A client is freed by the libevent thread after the lws thread has
 * queued WS_MSG_GONE for it, the last thing the lws thread does with it.
 */
#ifndef CXPIPE_WS_THREAD_H
#define CXPIPE_WS_THREAD_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "backoff.h"
#include "tuple.h"
#include "ws_client.h"

struct event;

enum ws_msg_type {
	WS_MSG_MESSAGE,
	WS_MSG_DEAD_LETTER,
	WS_MSG_STATE,
	WS_MSG_TOKEN,		/* token rejected */
	WS_MSG_GONE,		/* the lws thread let go of the client */
};

/* One event from the lws thread; payload and reason live in data[]. */
struct ws_msg {
	TAILQ_ENTRY(ws_msg)	 entry;
	struct ws_client	*c;
	enum ws_msg_type	 type;
	enum ws_state		 state;
	int			 close_code;
	uint32_t		 delay_ms;
	uint64_t		 frames;	/* the stream's counters when queued */
	uint64_t		 reconnects;
	size_t			 full_len;
	size_t			 len;
	const char		*reason;	/* points into data */
	char			 data[];
};
TAILQ_HEAD(ws_msgq, ws_msg);

/* Commands, libevent thread to lws thread (bits of ws_client.cmd). */
#define WS_CMD_START		0x01
#define WS_CMD_TOKEN		0x02
#define WS_CMD_FLOW		0x04	/* apply cmd_paused */
#define WS_CMD_UNTHROTTLE	0x08	/* the queue has room again */
#define WS_CMD_STOP		0x10	/* close, then state idle */
#define WS_CMD_FREE		0x20	/* close, then WS_MSG_GONE */

#define WS_RX_KEEP	(64 * 1024)	/* larger reassembly buffers are freed */

/* What happens after a connection ends. */
enum ws_next {
	WS_NEXT_NONE = 0,	/* not decided before the close */
	WS_NEXT_NOW,		/* reconnect at once */
	WS_NEXT_BACKOFF,
	WS_NEXT_SLOW,		/* rate limited: retry slowly */
	WS_NEXT_TOKEN,		/* needs a new token */
	WS_NEXT_FAIL,
};

/* The lws thread's side of a stream. */
struct ws_conn {
	struct lws		*wsi;
	enum ws_state		 state;
	char			*token;
	char			*path;		/* of the current attempt */
	lws_sorted_usec_list_t	 sul_retry;
	lws_sorted_usec_list_t	 sul_ack;
	lws_sorted_usec_list_t	 sul_idle;
	struct backoff		 bo;
	struct buf		 rx;		/* the message being reassembled */
	size_t			 rx_total;
	bool			 rx_active;
	bool			 rx_binary;
	bool			 rx_too_big;
	bool			 user_paused;
	bool			 queue_paused;
	bool			 retry_deferred;	/* retry due while paused */
	bool			 started;
	bool			 stopping;	/* WS_CMD_STOP or WS_CMD_FREE */
	bool			 freeing;
	bool			 restart;	/* start once the stop is done */
	bool			 upgraded;	/* this attempt passed the upgrade */
	bool			 subscribe_sent;
	bool			 rejected;	/* subscribe.reject seen */
	bool			 ping_due;
	bool			 want_close;
	bool			 got_close;
	bool			 killed;	/* dropped for silence */
	uint16_t		 want_code;
	char			 want_reason[64];
	int			 close_code;
	char			 close_reason[128];
	enum ws_next		 decided;
	char			 decided_reason[256];
	lws_usec_t		 last_rx;
	lws_usec_t		 last_ping;
	unsigned		 token_rejects;	/* in a row, without a subscription */
	uint64_t		 attempts;
	uint64_t		 frames;
};

struct ws_client {
	struct ws_thread	*t;		/* const */
	TAILQ_ENTRY(ws_client)	 entry;		/* ev: ws_thread.clients */

	/* const: the settings */
	char			*name;
	char			*host;
	char			*host_header;
	char			*path;		/* with the URL's query, if any */
	int			 port;
	bool			 tls;
	enum ws_token_in	 token_in;
	char			*subscribe;
	char			*ack_type;
	char			*reject_type;
	char			*ca_file;
	char			**hdr_names;	/* "Name:" as lws wants it */
	char			**hdr_values;
	size_t			 nheaders;
	uint32_t		 ack_timeout_ms;
	uint32_t		 ping_interval_ms;
	uint32_t		 idle_timeout_ms;
	size_t			 max_message;
	size_t			 queue_max_messages;
	size_t			 queue_max_bytes;
	uint32_t		 backoff_base_ms;
	uint32_t		 backoff_cap_ms;
	uint32_t		 stable_ms;

	/* mtx */
	TAILQ_ENTRY(ws_client)	 cmd_entry;
	bool			 on_cmdq;
	unsigned		 cmd;
	char			*cmd_token;
	bool			 cmd_paused;
	size_t			 inflight;	/* events queued or held */
	size_t			 inflight_bytes;
	bool			 throttled;	/* the lws thread stopped reading */

	/* lws */
	struct ws_conn		 l;

	/* ev */
	ws_event_cb		 cb;
	void			*arg;
	bool			 dying;		/* ws_client_free() was called */
	bool			 paused;	/* by the caller or WS_HOLD */
	bool			 cmd_sent_paused;	/* last WS_CMD_FLOW sent */
	struct ws_msgq		 held;
	struct event		*ev_redeliver;
	struct ws_status	 st;
};
TAILQ_HEAD(ws_clientq, ws_client);

struct ws_vhost {
	struct ws_vhost		*next;
	char			*ca_file;	/* NULL: the system store */
	struct lws_vhost	*vh;
};

struct ws_thread {
	struct event_base	*base;
	struct lws_context	*ctx;
	struct lws_protocols	 protocols[2];
	pthread_t		 tid;
	bool			 started;
	int			 wake_fd;
	struct event		*ev_wake;
	pthread_mutex_t		 mtx;

	/* mtx */
	struct ws_msgq		 events;
	struct ws_clientq	 cmdq;
	bool			 stop;

	/* lws */
	bool			 l_stop;
	bool			 l_destroying;
	struct backoff_rng	 rng;
	struct ws_vhost		*vhosts;

	/* ev */
	struct ws_clientq	 clients;
};

/* ws_thread.c, libevent thread: queues a command for c and wakes lws;
 * token (copied) replaces a pending one unless NULL; paused goes with
 * WS_CMD_FLOW. */
void	 ws_thread_command(struct ws_client *, unsigned cmd, const char *token,
	    bool paused);
/* ws_thread.c, libevent thread: a delivered or dropped event leaves the
 * stream's budget; frees m. */
void	 ws_thread_release(struct ws_client *, struct ws_msg *);
/* ws_thread.c, lws thread: a new event with payload and reason copied. */
struct ws_msg *ws_msg_new(enum ws_msg_type, const void *data, size_t len,
	    const char *reason);
/* ws_thread.c, lws thread: queues m for the libevent side; returns true
 * when the stream is over its budget and should stop reading. */
bool	 ws_thread_push(struct ws_client *, struct ws_msg *);
/* ws_thread.c, lws thread: the client vhost for a CA file. */
struct lws_vhost *ws_thread_vhost(struct ws_thread *, const char *ca_file);

/* ws_conn.c, lws thread: commands, lws callbacks, what ws_rx.c reports. */
void	 ws_conn_command(struct ws_client *, unsigned cmd, char *token,
	    bool paused);
int	 ws_conn_callback(struct ws_client *, struct lws *,
	    enum lws_callback_reasons, void *in, size_t len);
/* Drops what the lws side owns (after the thread has ended). */
void	 ws_conn_cleanup(struct ws_client *);
/* Queues an event unless the client is being freed; true when the stream
 * is over its budget. */
bool	 ws_conn_push(struct ws_client *, struct ws_msg *);
/* Starts or stops reading as the pause flags say; now: called from
 * outside a callback of this connection. */
void	 ws_conn_flow(struct ws_client *, bool now);
/* The subscription is confirmed (ack is the ack message, or NULL). */
void	 ws_conn_subscribed(struct ws_client *, const char *ack, size_t len);
/* The server rejected the subscription. */
void	 ws_conn_rejected(struct ws_client *, const char *reason);

/* ws_rx.c, lws thread: the upgrade request and the frames of an open
 * connection.  ws_rx_path returns the request path with the token when it
 * goes in the query; the caller frees it. */
char	*ws_rx_path(struct ws_client *);
int	 ws_rx_headers(struct ws_client *, struct lws *, void *in, size_t len);
int	 ws_rx_writeable(struct ws_client *, struct lws *);
void	 ws_rx_receive(struct ws_client *, struct lws *, const void *in,
	    size_t len);

/* ws_client.c, libevent thread: one event from the lws thread. */
void	 ws_client_dispatch(struct ws_client *, struct ws_msg *);
/* Frees a client whose lws side is done (or whose thread has ended). */
void	 ws_client_destroy(struct ws_client *);

#endif
