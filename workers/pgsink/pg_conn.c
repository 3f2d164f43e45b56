#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "log.h"
#include "xmalloc.h"
#include "pg_conn.h"

#define PG_CONN_BACKOFF_MIN_MS		100
#define PG_CONN_CONNECT_TIMEOUT_MS	10000

enum pg_conn_state {
	PGC_DOWN = 0,		/* never started */
	PGC_WAITING,		/* backoff delay before the next attempt */
	PGC_CONNECTING,		/* PQconnectPoll in progress */
	PGC_IDLE,		/* connected, pipeline mode, nothing in flight */
	PGC_BUSY		/* a pipeline is being built or is in flight */
};

struct pg_conn {
	struct event_base	*base;
	char			*conninfo;
	int64_t			 reconnect_max_ms;
	int64_t			 backoff_ms;
	pg_conn_ready_cb	 ready_cb;
	pg_conn_lost_cb		 lost_cb;
	void			*arg;
	char			*err;
	size_t			 errlen;

	PGconn			*conn;
	enum pg_conn_state	 state;
	struct event		*ev_read;	/* connect poll, or persistent once up */
	struct event		*ev_write;
	struct event		*ev_timer;	/* backoff delay or connect timeout */
	struct event		*ev_lost;	/* runs lost_cb from the loop */

	/* The pipeline being built or in flight. */
	PGresult		**res;
	int			 nq;
	int			 cap;
	int			 cur;		/* query whose results are being read */
	bool			 have_result;	/* cur has returned a result */
	bool			 synced;
	pg_conn_done_cb		 done;
	void			*done_arg;

	/* Outage bookkeeping, for one log line at each end of an outage. */
	bool			 outage;
	bool			 ever_connected;
	struct timespec		 outage_start;
	unsigned		 attempts;
	uint64_t		 reconnects;
};

static void	pg_conn_connect(struct pg_conn *);
static void	pg_conn_drop(struct pg_conn *, const char *);

/* Copies text into buf on one line: runs of whitespace become one space. */
static void
pg_conn_flatten(char *buf, size_t len, const char *text)
{
	size_t	 o = 0;
	bool	 space = false;

	if (len == 0)
		return;
	for (; text != NULL && *text != '\0' && o + 1 < len; text++) {
		if (*text == '\n' || *text == '\r' || *text == '\t' || *text == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			buf[o++] = ' ';
		space = false;
		buf[o++] = *text;
	}
	buf[o] = '\0';
}

/* libpq notice processor: server notices go to the debug log. */
static void
pg_conn_notice_cb(void *arg, const char *msg)
{
	char	 line[512];

	pg_conn_flatten(line, sizeof(line), msg);
	log_debug("postgres: %s", line);
}

static void
pg_conn_timer_cb(int fd, short what, void *arg)
{
	struct pg_conn	*pc = arg;

	if (pc->state == PGC_WAITING)
		pg_conn_connect(pc);
	else if (pc->state == PGC_CONNECTING)
		pg_conn_drop(pc, "connection attempt timed out");
}

static void
pg_conn_lost_event_cb(int fd, short what, void *arg)
{
	struct pg_conn	*pc = arg;

	pc->lost_cb(pc->arg);
}

struct pg_conn *
pg_conn_new(struct event_base *base, const char *conninfo,
    int64_t reconnect_max_ms, pg_conn_ready_cb ready_cb,
    pg_conn_lost_cb lost_cb, void *arg, char *errbuf, size_t errlen)
{
	struct pg_conn	*pc;

	pc = xcalloc(1, sizeof(*pc));
	pc->base = base;
	pc->conninfo = xstrdup(conninfo != NULL ? conninfo : "");
	pc->reconnect_max_ms = reconnect_max_ms;
	pc->backoff_ms = PG_CONN_BACKOFF_MIN_MS;
	pc->ready_cb = ready_cb;
	pc->lost_cb = lost_cb;
	pc->arg = arg;
	pc->err = errbuf;
	pc->errlen = errlen;
	pc->ev_timer = evtimer_new(base, pg_conn_timer_cb, pc);
	pc->ev_lost = event_new(base, -1, 0, pg_conn_lost_event_cb, pc);
	if (pc->ev_timer == NULL || pc->ev_lost == NULL)
		fatalx("pg_conn: cannot allocate events");
	return pc;
}

/* Frees the results of a pipeline that will not complete. */
static void
pg_conn_clear_pipeline(struct pg_conn *pc)
{
	int	 i;

	for (i = 0; i < pc->nq; i++)
		PQclear(pc->res[i]);
	free(pc->res);
	pc->res = NULL;
	pc->nq = pc->cap = pc->cur = 0;
	pc->have_result = pc->synced = false;
	pc->done = NULL;
}

/* Frees the socket events. */
static void
pg_conn_unwatch(struct pg_conn *pc)
{
	if (pc->ev_read != NULL)
		event_free(pc->ev_read);
	if (pc->ev_write != NULL)
		event_free(pc->ev_write);
	pc->ev_read = pc->ev_write = NULL;
}

/* Closes the connection and forgets anything in flight. */
static void
pg_conn_close(struct pg_conn *pc)
{
	pg_conn_unwatch(pc);
	evtimer_del(pc->ev_timer);
	if (pc->conn != NULL)
		PQfinish(pc->conn);
	pc->conn = NULL;
	pg_conn_clear_pipeline(pc);
}

void
pg_conn_free(struct pg_conn *pc)
{
	if (pc == NULL)
		return;
	pg_conn_close(pc);
	event_free(pc->ev_timer);
	event_free(pc->ev_lost);
	free(pc->conninfo);
	free(pc);
}

/* Drops the connection or the attempt, logs the start of an outage once,
 * schedules the next attempt and tells the owner from the loop. */
static void
pg_conn_drop(struct pg_conn *pc, const char *why)
{
	struct timeval	 tv;

	pg_conn_flatten(pc->err, pc->errlen, why != NULL && *why != '\0' ?
	    why : "connection lost");
	if (!pc->outage) {
		pc->outage = true;
		pc->attempts = 0;
		clock_gettime(CLOCK_MONOTONIC, &pc->outage_start);
		log_warnx("postgres: %s; reconnecting with backoff (at most %lld ms)",
		    pc->err, (long long)pc->reconnect_max_ms);
	} else
		log_debug("postgres: attempt %u failed: %s", pc->attempts, pc->err);
	pg_conn_close(pc);
	pc->state = PGC_WAITING;
	tv.tv_sec = pc->backoff_ms / 1000;
	tv.tv_usec = (pc->backoff_ms % 1000) * 1000;
	evtimer_add(pc->ev_timer, &tv);
	pc->backoff_ms *= 2;
	if (pc->backoff_ms > pc->reconnect_max_ms)
		pc->backoff_ms = pc->reconnect_max_ms;
	event_active(pc->ev_lost, 0, 1);
}

static void	pg_conn_connect_cb(int, short, void *);

/* Waits for the socket as PQconnectPoll asks; the socket may change between
 * calls, so the event is made afresh each time. */
static void
pg_conn_watch_connect(struct pg_conn *pc, short what)
{
	pg_conn_unwatch(pc);
	pc->ev_read = event_new(pc->base, PQsocket(pc->conn), what,
	    pg_conn_connect_cb, pc);
	if (pc->ev_read == NULL)
		fatalx("pg_conn: cannot allocate a socket event");
	event_add(pc->ev_read, NULL);
}

/* Starts one connection attempt. */
static void
pg_conn_connect(struct pg_conn *pc)
{
	/* The user's conninfo is expanded from dbname; the keys after it win,
	 * so the client encoding is always UTF8. */
	static const char *const keys[] = {
		"dbname", "client_encoding", "fallback_application_name", NULL
	};
	const char	*vals[] = { pc->conninfo, "UTF8", "cxpiped", NULL };
	struct timeval	 tv = { PG_CONN_CONNECT_TIMEOUT_MS / 1000, 0 };

	pc->attempts++;
	pc->conn = PQconnectStartParams(keys, vals, 1);
	if (pc->conn == NULL) {
		pg_conn_drop(pc, "cannot allocate a connection");
		return;
	}
	if (PQstatus(pc->conn) == CONNECTION_BAD) {
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
		return;
	}
	PQsetNoticeProcessor(pc->conn, pg_conn_notice_cb, pc);
	pc->state = PGC_CONNECTING;
	evtimer_add(pc->ev_timer, &tv);
	pg_conn_watch_connect(pc, EV_WRITE);
}

static void	pg_conn_io_cb(int, short, void *);

/* The attempt succeeded: non-blocking, pipeline mode, socket events. */
static void
pg_conn_connected(struct pg_conn *pc)
{
	evtimer_del(pc->ev_timer);
	if (PQsetnonblocking(pc->conn, 1) == -1 ||
	    PQenterPipelineMode(pc->conn) != 1) {
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
		return;
	}
	pg_conn_unwatch(pc);
	pc->ev_read = event_new(pc->base, PQsocket(pc->conn), EV_READ | EV_PERSIST,
	    pg_conn_io_cb, pc);
	pc->ev_write = event_new(pc->base, PQsocket(pc->conn), EV_WRITE,
	    pg_conn_io_cb, pc);
	if (pc->ev_read == NULL || pc->ev_write == NULL)
		fatalx("pg_conn: cannot allocate socket events");
	event_add(pc->ev_read, NULL);
	pc->state = PGC_IDLE;
	if (pc->ever_connected)
		pc->reconnects++;
	else
		log_info("postgres: connected to database \"%s\" (server %d)",
		    PQdb(pc->conn), PQserverVersion(pc->conn));
	pc->ever_connected = true;
	pc->ready_cb(pc->arg);
}

static void
pg_conn_connect_cb(int fd, short what, void *arg)
{
	struct pg_conn	*pc = arg;

	switch (PQconnectPoll(pc->conn)) {
	case PGRES_POLLING_FAILED:
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
		break;
	case PGRES_POLLING_READING:
		pg_conn_watch_connect(pc, EV_READ);
		break;
	case PGRES_POLLING_OK:
		pg_conn_connected(pc);
		break;
	default:
		pg_conn_watch_connect(pc, EV_WRITE);
		break;
	}
}

/* The pipeline reached its sync point: hands every result to the owner. */
static void
pg_conn_finish(struct pg_conn *pc)
{
	PGresult	**res = pc->res;
	pg_conn_done_cb	  done = pc->done;
	void		 *done_arg = pc->done_arg;
	int		  i, n = pc->nq;

	for (i = 0; i < n; i++)
		if (res[i] == NULL)
			res[i] = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
	pc->res = NULL;
	pc->nq = pc->cap = pc->cur = 0;
	pc->have_result = pc->synced = false;
	pc->done = NULL;
	pc->state = PGC_IDLE;
	done(done_arg, res, n);
	for (i = 0; i < n; i++)
		PQclear(res[i]);
	free(res);
}

/* Reads every result that has arrived.  A query yields its result(s) and a
 * NULL; the sync point yields PGRES_PIPELINE_SYNC. */
static void
pg_conn_collect(struct pg_conn *pc)
{
	PGresult	*r;

	while (pc->state == PGC_BUSY) {
		if (PQstatus(pc->conn) == CONNECTION_BAD) {
			pg_conn_drop(pc, PQerrorMessage(pc->conn));
			return;
		}
		if (PQisBusy(pc->conn))
			return;
		if ((r = PQgetResult(pc->conn)) == NULL) {
			if (!pc->have_result)
				return;
			pc->have_result = false;
			pc->cur++;
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			if (pc->synced) {
				pg_conn_finish(pc);
				return;
			}
			continue;
		}
		if (pc->cur < pc->nq && pc->res[pc->cur] == NULL)
			pc->res[pc->cur] = r;
		else
			PQclear(r);
		pc->have_result = true;
	}
}

/* Sends what libpq has buffered; waits for writability if it could not. */
static void
pg_conn_flush(struct pg_conn *pc)
{
	switch (PQflush(pc->conn)) {
	case 0:
		break;
	case 1:
		event_add(pc->ev_write, NULL);
		break;
	default:
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
		break;
	}
}

static void
pg_conn_io_cb(int fd, short what, void *arg)
{
	struct pg_conn	*pc = arg;

	if (what & EV_WRITE) {
		pg_conn_flush(pc);
		if (pc->conn == NULL)
			return;
	}
	if (what & EV_READ) {
		if (PQconsumeInput(pc->conn) == 0) {
			pg_conn_drop(pc, PQerrorMessage(pc->conn));
			return;
		}
		/* Let libpq parse what came, even when idle (notices, a
		 * termination message from the server). */
		(void)PQisBusy(pc->conn);
		if (PQstatus(pc->conn) == CONNECTION_BAD) {
			pg_conn_drop(pc, PQerrorMessage(pc->conn));
			return;
		}
	}
	pg_conn_collect(pc);
}

void
pg_conn_start(struct pg_conn *pc)
{
	if (pc->state == PGC_DOWN)
		pg_conn_connect(pc);
}

void
pg_conn_set_reconnect_max(struct pg_conn *pc, int64_t ms)
{
	pc->reconnect_max_ms = ms;
	if (pc->backoff_ms > ms)
		pc->backoff_ms = ms;
}

void
pg_conn_connect_now(struct pg_conn *pc)
{
	if (pc->state != PGC_WAITING)
		return;
	evtimer_del(pc->ev_timer);
	pg_conn_connect(pc);
}

bool
pg_conn_is_idle(const struct pg_conn *pc)
{
	return pc->state == PGC_IDLE;
}

bool
pg_conn_is_connecting(const struct pg_conn *pc)
{
	return pc->state == PGC_CONNECTING;
}

void
pg_conn_query(struct pg_conn *pc, const char *sql, int nparams,
    const char *const *values)
{
	if (pc->state == PGC_IDLE) {
		pc->state = PGC_BUSY;
		pc->nq = pc->cur = 0;
		pc->have_result = pc->synced = false;
	}
	if (pc->state != PGC_BUSY || pc->synced)
		return;		/* dropped while building: lost_cb follows */
	if (pc->nq == pc->cap) {
		pc->cap = pc->cap ? pc->cap * 2 : 8;
		pc->res = xreallocarray(pc->res, (size_t)pc->cap, sizeof(*pc->res));
	}
	pc->res[pc->nq++] = NULL;
	if (PQsendQueryParams(pc->conn, sql, nparams, NULL, values, NULL, NULL,
	    0) != 1)
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
}

void
pg_conn_sync(struct pg_conn *pc, pg_conn_done_cb done, void *arg)
{
	if (pc->state != PGC_BUSY || pc->synced)
		return;
	pc->done = done;
	pc->done_arg = arg;
	pc->synced = true;
	if (PQpipelineSync(pc->conn) != 1) {
		pg_conn_drop(pc, PQerrorMessage(pc->conn));
		return;
	}
	pg_conn_flush(pc);
}

void
pg_conn_reset(struct pg_conn *pc, const char *why)
{
	if (pc->state == PGC_CONNECTING || pc->state == PGC_IDLE ||
	    pc->state == PGC_BUSY)
		pg_conn_drop(pc, why);
}

void
pg_conn_healthy(struct pg_conn *pc)
{
	struct timespec	 now;
	double		 secs;

	pc->backoff_ms = PG_CONN_BACKOFF_MIN_MS;
	if (!pc->outage)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - pc->outage_start.tv_sec) +
	    (double)(now.tv_nsec - pc->outage_start.tv_nsec) / 1e9;
	log_info("postgres: available again after %.1f s and %u attempts",
	    secs, pc->attempts);
	pc->outage = false;
	pc->attempts = 0;
}

uint64_t
pg_conn_reconnects(const struct pg_conn *pc)
{
	return pc->reconnects;
}

bool
pg_result_ok(const PGresult *r)
{
	ExecStatusType	 st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

const char *
pg_result_sqlstate(const PGresult *r)
{
	const char	*s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s != NULL ? s : "";
}

void
pg_result_message(const PGresult *r, char *buf, size_t len)
{
	const char	*m;

	if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
		pg_conn_flatten(buf, len, "skipped after an earlier error");
		return;
	}
	m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	if (m == NULL)
		m = PQresultErrorMessage(r);
	if (m == NULL || *m == '\0')
		m = "no result";
	pg_conn_flatten(buf, len, m);
}
