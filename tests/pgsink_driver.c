/*
 * pgsink_driver: plays master and validate for one pgsink process.
 *
 * usage: pgsink_driver CXPIPED_BINARY CONNINFO N [BATCH_SIZE]
 *
 * CONNINFO must name a scratch database: pgsink's tables are dropped first.
 * Phase 1 sends records 1..N (rows with repeated idempotency keys, dead
 * letters, rows PostgreSQL refuses) and waits for their ack.  Phase 2
 * attaches a new data channel and resends a tail (all duplicates).  Phase 3
 * sends N+1..2N and SIGKILLs pgsink mid-stream, starts a new one, resends
 * from the last ack after a rewind and waits for 2N.  Then it stops pgsink
 * and checks every table against a model of what was sent: each key's row
 * has the newest values and revision = its deliveries (nothing applied
 * twice), every dead letter is there once, the offsets are right.
 *
 * Environment: PGSINK_DRIVER_TIMEOUT (seconds per wait, default 120),
 * PGSINK_DRIVER_WRAPPER (a command to run pgsink under, e.g. valgrind),
 * PGSINK_DRIVER_BAD_PERMILLE (rows PostgreSQL refuses, default 5 per 1000),
 * PGSINK_DRIVER_FAMILIES=1 (mixed mode: three records in five belong to
 * the analytics, agent_state and data_action families, pgsink_families.c,
 * and their tables are checked too), PGSINK_DRIVER_KEEP_SCHEMA=1 (drop
 * nothing: the database is one an upgrade starts from; its cxone_events
 * rows whose key begins with "old-" are left out of the checks).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "proto.h"
#include "record.h"
#include "tuple.h"
#include "xmalloc.h"
#include "pgsink_families.h"

#define OUT_HIGH	(1024 * 1024)	/* bytes of frames queued at most */

/* One socket end: frames queued to write, bytes read not yet parsed. */
struct peer {
	int		 fd;
	struct buf	 out;
	size_t		 off;
	struct buf	 in;
};

struct drv {
	const char	*bin;
	const char	*conninfo;
	uint64_t	 n;
	int		 batch_size;
	int		 timeout_s;
	int		 bad;		/* rows PostgreSQL refuses, per mille */
	pid_t		 pid;
	struct peer	 ctl;
	struct peer	 data;
	bool		 ready;
	bool		 drained;
	bool		 ctl_eof;
	uint64_t	 ack;		/* highest ack ever received */
	uint64_t	 acks_here;	/* acks received on the current channel */
	uint64_t	 sent_max;	/* highest sequence ever sent */
	uint64_t	 stats_id;
	char		*stats;		/* the last stats answer */
	uint32_t	*deliveries;	/* model: row deliveries per key id */
	uint64_t	*newest;	/* model: newest sequence per key id */
};

enum kind { K_ROW, K_DEAD, K_BAD, K_FAMILY };

static bool	 mixed;		/* PGSINK_DRIVER_FAMILIES */

void
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "pgsink_driver: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* splitmix64: the generator is a pure function of the sequence number, so
 * a resend produces the same records. */
uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* 3% dead letters, bad per mille rows PostgreSQL refuses, the rest rows. */
static enum kind
gen_kind(uint64_t seq, int bad)
{
	uint64_t	 r = mix(seq * 4 + 1) % 1000;

	if (mixed && fam_of(seq) != FAMILY_INTERACTION)
		return K_FAMILY;	/* pgsink_families.c makes it */
	return r < 30 ? K_DEAD : r < 30 + (uint64_t)bad ? K_BAD : K_ROW;
}

/* The key id of a row: its own sequence, or for 5% an earlier one (half
 * of those among the last 50, so that they collapse inside a batch). */
static uint64_t
gen_key(uint64_t seq)
{
	uint64_t	 r = mix(seq * 4 + 3), span;

	if (seq < 2 || mix(seq * 4 + 2) % 100 >= 5)
		return seq;
	if (r & 1) {
		span = seq - 1 < 50 ? seq - 1 : 50;
		return seq - 1 - (r >> 1) % span;
	}
	return 1 + (r >> 1) % (seq - 1);
}

static void
gen_key_text(char *b, size_t len, uint64_t id)
{
	snprintf(b, len, "key-%" PRIu64 "%s", id, id % 7 == 0 ?
	    " \"quoted\" back\\slash {a,b} NULL \xc3\xa9" : "");
}

/* The fields of record seq (interaction layout for rows). */
struct gen {
	char		 src[16], recv[32], ix[32], ts[40], type[16], key[96];
	char		 dur[32], disp[64], queue[16], agent[16];
	const char	*f[IX_NFIELDS];
	uint32_t	 len[IX_NFIELDS];
	int		 nf;
};

static void
gen_fill(struct gen *g, uint64_t seq, enum kind k)
{
	static const char weird[] = "bad \xff\xfe bytes \0 nul";
	time_t		 t = 1704067200 + (time_t)seq;
	struct tm	 tm;
	int		 i;

	memset(g, 0, sizeof(*g));
	snprintf(g->src, sizeof(g->src), "%s", seq % 3 == 0 ? "replay1" : "http");
	snprintf(g->recv, sizeof(g->recv), "%" PRIu64, UINT64_C(1700000000000000) + seq * 1000);
	g->f[0] = g->src;
	g->f[1] = g->recv;
	if (k == K_DEAD) {
		g->nf = DEAD_NFIELDS;
		g->f[DEAD_REASON] = seq % 2 ? "schema: /type: required" : "not JSON: \xff";
		if (seq % 2 == 0) {
			g->f[DEAD_PAYLOAD] = weird;
			g->len[DEAD_PAYLOAD] = sizeof(weird) - 1;
		} else
			g->f[DEAD_PAYLOAD] = "{\"x\":1}";
	} else {
		g->nf = IX_NFIELDS;
		if (seq % 13 == 0 || seq % 17 == 0)	/* not SQL NULL, not absent */
			snprintf(g->ix, sizeof(g->ix), "%s", seq % 13 ? "" : "NULL");
		else
			snprintf(g->ix, sizeof(g->ix), "ix-%" PRIu64, seq);
		gmtime_r(&t, &tm);
		strftime(g->ts, sizeof(g->ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(g->type, sizeof(g->type), "type-%d", (int)(seq % 5));
		if (k == K_BAD)
			snprintf(g->key, sizeof(g->key), "bad-%" PRIu64, seq);
		else
			gen_key_text(g->key, sizeof(g->key), gen_key(seq));
		snprintf(g->dur, sizeof(g->dur), "%d.25", (int)(seq % 1000));
		snprintf(g->disp, sizeof(g->disp), seq % 5 == 1 ?
		    "with, comma \"and\" {brace} \\" : "disp-%d", (int)seq);
		snprintf(g->queue, sizeof(g->queue), "q%d", (int)(seq % 4));
		snprintf(g->agent, sizeof(g->agent), "agent-%d", (int)(seq % 50));
		if (k == K_BAD && seq % 3 == 0)
			snprintf(g->ts, sizeof(g->ts), "0000-01-01T00:00:00Z");
		else if (k == K_BAD && seq % 3 == 1)
			snprintf(g->ts, sizeof(g->ts), "300000-01-01T00:00:00Z");
		else if (k == K_BAD)
			snprintf(g->disp, sizeof(g->disp), "d\xc3\x28");
		g->f[IX_INTERACTION_ID] = g->ix;
		g->f[IX_TIMESTAMP] = g->ts;
		g->f[IX_TYPE] = g->type;
		g->f[IX_IDEMPOTENCY_KEY] = g->key;
		g->f[IX_DURATION] = seq % 4 == 0 ? NULL : g->dur;
		g->f[IX_DISPOSITION] = seq % 5 == 0 && k != K_BAD ? NULL : g->disp;
		g->f[IX_QUEUE_NAME] = seq % 6 == 0 ? NULL : g->queue;
		g->f[IX_AGENT_ID] = seq % 8 == 0 ? NULL : g->agent;
	}
	for (i = 0; i < g->nf; i++)
		if (g->f[i] != NULL && g->len[i] == 0)
			g->len[i] = (uint32_t)strlen(g->f[i]);
}

/* Queues one frame on a peer. */
static void
peer_frame(struct peer *p, uint16_t type, uint32_t flags, uint64_t seq,
    const void *payload, size_t len)
{
	struct msg_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)len;
	h.version = PROTO_VERSION;
	h.type = type;
	h.flags = flags;
	h.seq = seq;
	buf_add(&p->out, &h, sizeof(h));
	buf_add(&p->out, payload, len);
}

/* Queues record seq on the data channel. */
static void
drv_queue_record(struct drv *d, uint64_t seq)
{
	struct gen	 g;
	struct buf	 t;
	enum kind	 k = gen_kind(seq, d->bad);
	int		 i;

	buf_init(&t);
	if (k == K_FAMILY) {
		fam_tuple(&t, seq, fam_of(seq), d->bad);
		peer_frame(&d->data, MSG_RECORD_ROW, fam_of(seq), seq, t.data,
		    t.len);
		buf_free(&t);
		if (seq > d->sent_max)
			d->sent_max = seq;
		return;
	}
	gen_fill(&g, seq, k);
	for (i = 0; i < g.nf; i++)
		if (g.f[i] == NULL)
			tuple_add_null(&t);
		else
			tuple_add(&t, g.f[i], g.len[i]);
	peer_frame(&d->data, k == K_DEAD ? MSG_RECORD_DEAD : MSG_RECORD_ROW,
	    FAMILY_INTERACTION, seq, t.data, t.len);
	buf_free(&t);
	if (seq > d->sent_max)
		d->sent_max = seq;
}

/* Handles one frame from pgsink. */
static void
drv_frame(struct drv *d, bool ctl, const struct msg_hdr *h, const uint8_t *p)
{
	if (!ctl) {
		if (h->type != MSG_ACK_COMMITTED)
			die("unexpected %s on the data channel", proto_type_name(h->type));
		if (h->seq < d->ack)
			die("ack went back from %" PRIu64 " to %" PRIu64, d->ack, h->seq);
		if (h->seq > d->sent_max)
			die("ack %" PRIu64 " beyond the highest record sent", h->seq);
		d->ack = h->seq;
		d->acks_here++;
		return;
	}
	switch (h->type) {
	case MSG_CTL_READY:
		d->ready = true;
		break;
	case MSG_CTL_CONFIG_RESULT:
		if (h->flags != 0)
			die("config refused: %.*s", (int)h->len, (const char *)p);
		break;
	case MSG_CTL_STATS:
		free(d->stats);
		d->stats = xstrndup((const char *)p, h->len);
		d->stats_id = h->seq;
		break;
	case MSG_CTL_DRAINED:
		d->drained = true;
		break;
	default:
		die("unexpected %s on the control channel", proto_type_name(h->type));
	}
}

/* Reads what a peer has and dispatches complete frames. */
static void
drv_read(struct drv *d, struct peer *p, bool ctl)
{
	struct msg_hdr	 h;
	uint8_t		 tmp[65536];
	size_t		 off = 0;
	ssize_t		 n;

	for (;;) {
		n = read(p->fd, tmp, sizeof(tmp));
		if (n > 0) {
			buf_add(&p->in, tmp, (size_t)n);
			continue;
		}
		if (n == 0 && ctl)
			d->ctl_eof = true;
		if (n == -1 && errno != EAGAIN && errno != ECONNRESET)
			die("read: %s", strerror(errno));
		break;
	}
	while (p->in.len - off >= sizeof(h)) {
		memcpy(&h, p->in.data + off, sizeof(h));
		if (p->in.len - off - sizeof(h) < h.len)
			break;
		drv_frame(d, ctl, &h, p->in.data + off + sizeof(h));
		off += sizeof(h) + h.len;
	}
	if (off > 0) {
		memmove(p->in.data, p->in.data + off, p->in.len - off);
		p->in.len -= off;
	}
}

/* Writes what a peer has queued, as far as the socket takes it. */
static void
drv_write(struct peer *p)
{
	ssize_t	 n;

	while (p->off < p->out.len) {
		n = write(p->fd, p->out.data + p->off, p->out.len - p->off);
		if (n == -1) {
			if (errno == EAGAIN)
				return;
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			die("write: %s", strerror(errno));
		}
		p->off += (size_t)n;
	}
	buf_reset(&p->out);
	p->off = 0;
}

/* One turn of the loop: waits up to ms for either socket. */
static void
drv_pump(struct drv *d, int ms)
{
	struct pollfd	 pfd[2];
	int		 n = 1;

	pfd[0].fd = d->ctl.fd;
	pfd[0].events = POLLIN | (d->ctl.out.len > d->ctl.off ? POLLOUT : 0);
	if (d->data.fd != -1) {
		pfd[1].fd = d->data.fd;
		pfd[1].events = POLLIN | (d->data.out.len > d->data.off ? POLLOUT : 0);
		n = 2;
	}
	if (poll(pfd, (nfds_t)n, ms) == -1 && errno != EINTR)
		die("poll: %s", strerror(errno));
	drv_write(&d->ctl);
	drv_read(d, &d->ctl, true);
	if (n == 2) {
		drv_write(&d->data);
		drv_read(d, &d->data, false);
	}
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pumps until *flag is set or the ack reaches ack (0: no ack wanted). */
static void
drv_wait(struct drv *d, bool *flag, uint64_t ack, const char *what)
{
	double	 end = now_s() + d->timeout_s;

	while ((flag != NULL && !*flag) || (ack > 0 && d->ack < ack)) {
		if (now_s() > end)
			die("timed out waiting for %s (ack %" PRIu64 ")", what, d->ack);
		if (d->ctl_eof)
			die("pgsink exited while waiting for %s", what);
		drv_pump(d, 100);
	}
}

/* Sends records from..to, pumping; stops early (returning the next one
 * to send) when the ack passes kill_after (0: never). */
static uint64_t
drv_send(struct drv *d, uint64_t from, uint64_t to, uint64_t kill_after)
{
	uint64_t	 s = from;

	while (s <= to) {
		while (s <= to && d->data.out.len - d->data.off < OUT_HIGH)
			drv_queue_record(d, s++);
		drv_pump(d, 50);
		if (kill_after > 0 && d->ack > kill_after)
			return s;
		if (d->ctl_eof)
			die("pgsink exited while records were sent");
	}
	return s;
}

/* Sends the ATTACH frame with fd, after whatever is queued. */
static void
drv_attach(struct drv *d, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	struct msg_hdr	 h;
	uint8_t		 frame[sizeof(h) + 1];

	while (d->ctl.out.len > d->ctl.off)
		drv_pump(d, 100);
	memset(&h, 0, sizeof(h));
	h.len = 1;
	h.version = PROTO_VERSION;
	h.type = MSG_CTL_ATTACH;
	memcpy(frame, &h, sizeof(h));
	frame[sizeof(h)] = ROLE_VALIDATE;
	iov.iov_base = frame;
	iov.iov_len = sizeof(frame);
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(d->ctl.fd, &mh, 0) != (ssize_t)sizeof(frame))
		die("sendmsg: %s", strerror(errno));
}

/* Makes a fresh data channel and hands its far end to pgsink. */
static void
drv_new_data(struct drv *d)
{
	int	 sv[2];

	if (d->data.fd != -1)
		close(d->data.fd);
	buf_reset(&d->data.out);
	buf_reset(&d->data.in);
	d->data.off = 0;
	d->acks_here = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1)
		die("socketpair: %s", strerror(errno));
	drv_attach(d, sv[1]);
	close(sv[1]);
	d->data.fd = sv[0];
}

/* Starts pgsink, configures it and attaches a data channel. */
static void
drv_start(struct drv *d)
{
	const char	*wrap = getenv("PGSINK_DRIVER_WRAPPER");
	char		*conf;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1)
		die("socketpair: %s", strerror(errno));
	if ((d->pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (d->pid == 0) {
		if (dup2(sv[1], PROTO_CTL_FD) == -1)
			_exit(126);
		if (wrap != NULL && *wrap != '\0')
			execl("/bin/sh", "sh", "-c", "exec $PGSINK_DRIVER_WRAPPER "
			    "\"$0\" --worker=pgsink", d->bin, (char *)NULL);
		else
			execl(d->bin, d->bin, "--worker=pgsink", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	d->ctl.fd = sv[0];
	d->ready = d->drained = d->ctl_eof = false;
	buf_reset(&d->ctl.in);
	buf_reset(&d->ctl.out);
	d->ctl.off = 0;
	conf = xasprintf("[cxpipe]\nlog = stderr\nlog_level = info\n"
	    "[postgres]\nconninfo = %s\nbatch_size = %d\n",
	    d->conninfo, d->batch_size);
	peer_frame(&d->ctl, MSG_CTL_CONFIG, CONFIG_F_INITIAL, 1, conf, strlen(conf));
	free(conf);
	drv_wait(d, &d->ready, 0, "READY");
	drv_new_data(d);
}

/* Asks for stats and returns the answer (owned by d). */
static const char *
drv_stats(struct drv *d)
{
	uint64_t	 id = d->stats_id + 1;

	peer_frame(&d->ctl, MSG_CTL_STATS_REQUEST, 0, id, NULL, 0);
	while (d->stats_id != id) {
		if (d->ctl_eof)
			die("pgsink exited while asked for stats");
		drv_pump(d, 100);
	}
	return d->stats;
}

/* Connects synchronously (this is a test). */
static PGconn *
db_connect(const char *conninfo)
{
	PGconn	*db = PQconnectdb(conninfo);

	if (PQstatus(db) != CONNECTION_OK)
		die("connecting: %s", PQerrorMessage(db));
	if (PQsetClientEncoding(db, "UTF8") != 0)
		die("client_encoding UTF8: %s", PQerrorMessage(db));
	return db;
}

/* Runs a query that must succeed. */
static PGresult *
db_exec(PGconn *db, const char *sql)
{
	PGresult	*r = PQexec(db, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(db));
	return r;
}

/* The value of a one-cell query, as a number. */
static long long
db_value(PGconn *db, const char *sql)
{
	PGresult	*r = db_exec(db, sql);
	long long	 v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);

	PQclear(r);
	return v;
}

/* Compares a column with the expected text (NULL: SQL NULL). */
static void
check_field(PGresult *r, int row, int col, const char *want, const char *what,
    uint64_t seq)
{
	const char	*got = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);

	if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0))
		die("seq %" PRIu64 ": %s is \"%s\", expected \"%s\"", seq, what,
		    got ? got : "(null)", want ? want : "(null)");
}

/* Checks cxone_events against the model: one row per key, newest values,
 * revision = deliveries. */
static void
check_rows(struct drv *d, PGconn *db)
{
	PGresult	*r;
	struct gen	 g;
	uint64_t	 id, seq, nkeys = 0, i;
	int		 row;

	for (i = 1; i <= 2 * d->n; i++)
		nkeys += d->deliveries[i] > 0;
	r = db_exec(db, "SELECT idempotency_key, revision, seq, interaction_id,"
	    " disposition, duration::text, source, agent_id, queue_name"
	    " FROM cxone_events WHERE idempotency_key NOT LIKE 'old-%'");
	if ((uint64_t)PQntuples(r) != nkeys)
		die("cxone_events has %d rows, expected %" PRIu64, PQntuples(r), nkeys);
	for (row = 0; row < PQntuples(r); row++) {
		if (sscanf(PQgetvalue(r, row, 0), "key-%" SCNu64, &id) != 1 ||
		    id == 0 || id > 2 * d->n || d->deliveries[id] == 0)
			die("unexpected key \"%s\"", PQgetvalue(r, row, 0));
		seq = d->newest[id];
		gen_fill(&g, seq, K_ROW);
		if (strtoull(PQgetvalue(r, row, 1), NULL, 10) != d->deliveries[id])
			die("key %" PRIu64 ": revision %s, expected %u (delivered "
			    "once each)", id, PQgetvalue(r, row, 1), d->deliveries[id]);
		if (strtoull(PQgetvalue(r, row, 2), NULL, 10) != seq)
			die("key %" PRIu64 ": seq %s, expected %" PRIu64, id,
			    PQgetvalue(r, row, 2), seq);
		check_field(r, row, 0, g.key, "idempotency_key", seq);
		check_field(r, row, 3, g.f[IX_INTERACTION_ID], "interaction_id", seq);
		check_field(r, row, 4, g.f[IX_DISPOSITION], "disposition", seq);
		check_field(r, row, 5, g.f[IX_DURATION], "duration", seq);
		check_field(r, row, 6, g.src, "source", seq);
		check_field(r, row, 7, g.f[IX_AGENT_ID], "agent_id", seq);
		check_field(r, row, 8, g.f[IX_QUEUE_NAME], "queue_name", seq);
	}
	PQclear(r);
	printf("pgsink_driver: cxone_events: %" PRIu64 " rows, all as expected\n", nkeys);
}

/* Checks dead letters (fam: family rows refused) and offsets. */
static void
check_rest(struct drv *d, PGconn *db, uint64_t fam)
{
	uint64_t	 dead = 0, bad = 0, max_http = 0, max_replay = 0, s, dseq = 0;
	char		 sql[256];
	PGresult	*r;

	for (s = 1; s <= 2 * d->n; s++) {
		dead += gen_kind(s, d->bad) == K_DEAD;
		bad += gen_kind(s, d->bad) == K_BAD;
		if (gen_kind(s, d->bad) == K_DEAD && s % 2 == 0 && dseq == 0)
			dseq = s;
		if (s % 3 == 0)
			max_replay = s;
		else
			max_http = s;
	}
	if ((uint64_t)db_value(db, "SELECT count(*) FROM cxpipe_dead_letters") !=
	    dead + bad + fam)
		die("dead letters: %lld, expected %" PRIu64, db_value(db,
		    "SELECT count(*) FROM cxpipe_dead_letters"), dead + bad + fam);
	if ((uint64_t)db_value(db, "SELECT count(*) FROM cxpipe_dead_letters WHERE"
	    " reason LIKE 'postgres: %' AND payload::jsonb->>'idempotency_key'"
	    " LIKE 'bad-%'") != bad)
		die("refused rows are not all dead letters with JSON payloads");
	if (dseq > 0) {
		snprintf(sql, sizeof(sql), "SELECT payload = E'bad \\uFFFD\\uFFFD "
		    "bytes \\\\u0000 nul' AND reason = E'not JSON: \\uFFFD' AND "
		    "received_at = 'epoch'::timestamptz + %" PRIu64 " * interval "
		    "'1 microsecond' FROM "
		    "cxpipe_dead_letters WHERE seq = %" PRIu64,
		    UINT64_C(1700000000000000) + dseq * 1000, dseq);
		r = db_exec(db, sql);
		if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0)
			die("dead letter %" PRIu64 " is not stored as documented", dseq);
		PQclear(r);
	}
	if ((uint64_t)db_value(db, "SELECT seq FROM cxpipe_offsets WHERE source = 'http'") != max_http ||
	    (uint64_t)db_value(db, "SELECT seq FROM cxpipe_offsets WHERE source = 'replay1'") != max_replay ||
	    db_value(db, "SELECT count(*) FROM cxpipe_offsets") != 2)
		die("cxpipe_offsets is wrong");
	if (db_value(db, "SELECT max(version) FROM cxpipe_schema_version") != 4)
		die("schema version is not 4");
	printf("pgsink_driver: %" PRIu64 " dead letters (%" PRIu64 " refused by "
	    "PostgreSQL), offsets and schema version as expected\n",
	    dead + bad + fam, bad + fam);
}

/* Builds the model: deliveries and newest sequence per key id. */
static void
drv_model(struct drv *d)
{
	uint64_t	 s, id;

	d->deliveries = xcalloc(2 * d->n + 1, sizeof(*d->deliveries));
	d->newest = xcalloc(2 * d->n + 1, sizeof(*d->newest));
	for (s = 1; s <= 2 * d->n; s++) {
		if (gen_kind(s, d->bad) != K_ROW)
			continue;
		id = gen_key(s);
		d->deliveries[id]++;
		d->newest[id] = s;
	}
}

/* Waits for pgsink to exit; returns its status. */
static int
drv_reap(struct drv *d)
{
	int	 st;

	if (waitpid(d->pid, &st, 0) == -1)
		die("waitpid: %s", strerror(errno));
	close(d->ctl.fd);
	return st;
}

int
main(int argc, char **argv)
{
	struct drv	 d;
	PGconn		*db;
	double		 t0, t1;
	uint64_t	 next, tail;
	const char	*s;
	int		 st;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: pgsink_driver CXPIPED_BINARY CONNINFO N [BATCH_SIZE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&d, 0, sizeof(d));
	d.bin = argv[1];
	d.conninfo = argv[2];
	d.n = strtoull(argv[3], NULL, 10);
	d.batch_size = argc == 5 ? atoi(argv[4]) : 100;
	d.timeout_s = (s = getenv("PGSINK_DRIVER_TIMEOUT")) != NULL ? atoi(s) : 120;
	d.bad = (s = getenv("PGSINK_DRIVER_BAD_PERMILLE")) != NULL ? atoi(s) : 5;
	d.data.fd = -1;
	mixed = (s = getenv("PGSINK_DRIVER_FAMILIES")) != NULL && atoi(s) == 1;
	if (d.n < 100)
		die("N must be at least 100");
	fam_setup(2 * d.n);
	db = db_connect(d.conninfo);
	PQclear(db_exec(db, "SET client_min_messages = warning"));
	if ((s = getenv("PGSINK_DRIVER_KEEP_SCHEMA")) == NULL || atoi(s) != 1)
		PQclear(db_exec(db, "DROP TABLE IF EXISTS cxone_events,"
		    " cxpipe_dead_letters, cxpipe_offsets, cxpipe_schema_version,"
		    " analytics_events, agent_state_changes, agent_states,"
		    " data_action_events, data_action_rollups, alerts,"
		    " metric_snapshots"));
	PQfinish(db);
	drv_model(&d);

	/* Phase 1: 1..N on a new database. */
	drv_start(&d);
	peer_frame(&d.data, MSG_EVENT_REWIND, 0, 1, NULL, 0);
	t0 = now_s();
	drv_send(&d, 1, d.n, 0);
	drv_wait(&d, NULL, d.n, "the ack of phase 1");
	t1 = now_s();
	printf("pgsink_driver: phase 1: %" PRIu64 " records committed in %.2f s "
	    "(%.0f records/s, batch_size %d)\n", d.n, t1 - t0,
	    (double)d.n / (t1 - t0), d.batch_size);
	printf("pgsink_driver: stats: %s\n", drv_stats(&d));

	/* Phase 2: a new channel; the tail resent is all duplicates. */
	drv_new_data(&d);
	t0 = now_s();
	while (d.acks_here == 0) {
		if (now_s() > t0 + d.timeout_s)
			die("no ack on the new channel");
		drv_pump(&d, 100);
	}
	peer_frame(&d.data, MSG_EVENT_REWIND, 0, d.n - 49, NULL, 0);
	drv_send(&d, d.n - 49, d.n + 10, 0);
	drv_wait(&d, NULL, d.n + 10, "the ack after the resent tail");
	if (strstr(drv_stats(&d), "\"duplicates_ignored\":50,") == NULL)
		die("the resent tail was not ignored: %s", d.stats);

	/* Phase 3: SIGKILL mid-stream, restart, rewind to the last ack. */
	next = drv_send(&d, d.n + 11, 2 * d.n, d.n + 10);
	tail = d.ack;
	kill(d.pid, SIGKILL);
	st = drv_reap(&d);
	printf("pgsink_driver: killed pgsink at ack %" PRIu64 " with %" PRIu64
	    " of %" PRIu64 " records sent\n", tail, next - 1, 2 * d.n);
	drv_start(&d);
	peer_frame(&d.data, MSG_EVENT_REWIND, 0, tail + 1, NULL, 0);
	drv_send(&d, tail + 1, 2 * d.n, 0);
	drv_wait(&d, NULL, 2 * d.n, "the ack of phase 3");
	printf("pgsink_driver: stats: %s\n", drv_stats(&d));

	/* Stop: pgsink drains and exits 0. */
	peer_frame(&d.ctl, MSG_CTL_STOP, 0, 0, NULL, 0);
	drv_wait(&d, &d.drained, 0, "DRAINED");
	st = drv_reap(&d);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("pgsink exited with status %d", st);

	db = db_connect(d.conninfo);
	check_rows(&d, db);
	check_rest(&d, db, mixed ? fam_check(db, 2 * d.n, d.bad) : 0);
	PQfinish(db);
	free(d.deliveries);
	free(d.newest);
	free(d.stats);
	buf_free(&d.ctl.in);
	buf_free(&d.ctl.out);
	buf_free(&d.data.in);
	buf_free(&d.data.out);
	printf("pgsink_driver: OK\n");
	return 0;
}
