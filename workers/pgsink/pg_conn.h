/*
 * The asynchronous PostgreSQL connection of pgsink: libpq's non-blocking
 * connect and pipeline mode driven by socket events on the worker's libevent
 * loop, with reconnection and exponential backoff.  Nothing here ever waits
 * for the server.
 */
#ifndef CXPIPE_PG_CONN_H
#define CXPIPE_PG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct event_base;
struct pg_conn;

/* The connection is up, idle and in pipeline mode. */
typedef void (*pg_conn_ready_cb)(void *arg);
/* The connection went away or an attempt failed, whatever the cause; work
 * in flight is abandoned and a reconnect is scheduled.  Always called from
 * the loop, never from inside a pg_conn_* call. */
typedef void (*pg_conn_lost_cb)(void *arg);
/* A pipeline reached its sync point: res[i] is the first result of query i
 * (never NULL); pg_conn clears them after the call.  The callee may start the
 * next pipeline or reset the connection. */
typedef void (*pg_conn_done_cb)(void *arg, PGresult **res, int nres);

/* errbuf (owned by the caller) receives the latest error text, one line. */
struct pg_conn	*pg_conn_new(struct event_base *, const char *conninfo,
		    int64_t reconnect_max_ms, pg_conn_ready_cb, pg_conn_lost_cb,
		    void *arg, char *errbuf, size_t errlen);
void		 pg_conn_free(struct pg_conn *);
/* Starts the first connection attempt. */
void		 pg_conn_start(struct pg_conn *);
void		 pg_conn_set_reconnect_max(struct pg_conn *, int64_t);
/* While waiting out a backoff delay, tries again at once. */
void		 pg_conn_connect_now(struct pg_conn *);
/* True when connected and no pipeline is in flight. */
bool		 pg_conn_is_idle(const struct pg_conn *);
bool		 pg_conn_is_connecting(const struct pg_conn *);
/* Queues one statement (text parameters, NULL for SQL NULL) in the pipeline
 * being built; a failure shows up later as a lost connection. */
void		 pg_conn_query(struct pg_conn *, const char *sql, int nparams,
		    const char *const *values);
/* Ends the pipeline with a sync point and sends it; done is called once
 * every result up to the sync has arrived. */
void		 pg_conn_sync(struct pg_conn *, pg_conn_done_cb done, void *arg);
/* Drops the connection because of why (logged once per outage) and
 * reconnects after the current backoff delay. */
void		 pg_conn_reset(struct pg_conn *, const char *why);
/* The connection does useful work: resets the backoff and logs the end of
 * an outage. */
void		 pg_conn_healthy(struct pg_conn *);
uint64_t	 pg_conn_reconnects(const struct pg_conn *);

/* True for PGRES_COMMAND_OK and PGRES_TUPLES_OK. */
bool		 pg_result_ok(const PGresult *);
/* The SQLSTATE of a failed result, or "" when there is none (a connection
 * failure reported by libpq itself). */
const char	*pg_result_sqlstate(const PGresult *);
/* Writes "message" of a failed result, on one line, into buf. */
void		 pg_result_message(const PGresult *, char *buf, size_t len);

#endif
