/*
 * verify.c: "cxpipe-sim verify" checks that the tables hold exactly what a
 * manifest says and that cxpipe_dead_letters has one row per invalid or
 * garbage line (of one source, with --source).  An interaction manifest is
 * compared with cxone_events here (one row per key with the values last
 * sent, revision = sends); the other families in verify_families.c.
 *
 * Rows come through a cursor, 10000 at a time, inside one read-only
 * snapshot, and are looked up in the sorted manifest (manifest.c).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "families.h"
#include "manifest.h"
#include "verify.h"
#include "verify_internal.h"

#define VERIFY_FETCH		"FETCH FORWARD 10000 FROM verify_rows"
#define VERIFY_MAX_EXAMPLES	10

struct verify_options {
	const char	*manifest_path;
	const char	*conninfo;
	const char	*source;	/* count only its dead letters */
	bool		 quiet;
	bool		 have_dead_letters;
	uint64_t	 dead_letters;
};

void
verify_usage(FILE *fp)
{
	fputs("usage: cxpipe-sim verify --manifest FILE --db CONNINFO"
	    " [--dead-letters N] [--source NAME] [--quiet]\n", fp);
}

/* Prints one difference unless quiet or enough were shown. */
void
verify_example(struct verify_tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->quiet || t->examples++ >= VERIFY_MAX_EXAMPLES)
		return;
	va_start(ap, fmt);
	fputs("  ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
}

/* Tells whether PostgreSQL numeric text s is the whole number v. */
static bool
verify_numeric_equals(const char *s, int64_t v)
{
	bool negative = *s == '-';
	uint64_t n = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	s += negative;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (limit - (uint64_t)(*s - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.')
		while (*++s == '0')
			;
	if (*s != '\0')
		return false;
	return negative ? (n == 0 ? v == 0 : v < 0 &&
	    (uint64_t)-(v + 1) + 1 == n) : v >= 0 && (uint64_t)v == n;
}

/* Tells whether two nullable strings are equal. */
bool
verify_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Writes µs since the epoch as UTC RFC 3339 text into out; returns out. */
const char *
verify_format_us(int64_t us, char *out, size_t size)
{
	time_t secs = (time_t)(us / 1000000 - (us % 1000000 < 0));
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us - (int64_t)secs * 1000000));
	return out;
}

/* Records that field differs, keeping the first one for the example. */
void
verify_note(struct verify_diff *d, const char *field, const char *want,
    const char *got)
{
	if (d->count++ > 0)
		return;
	d->field = field;
	d->want = want;
	d->got = got;
}

/* Compares one cxone_events row with the manifest and counts the result. */
static void
verify_check_row(struct manifest *m, struct verify_tally *t,
    PGresult *res, int row)
{
	const char *name = PQgetvalue(res, row, 0), *v[9];
	struct verify_diff d = { NULL, NULL, NULL, 0 };
	struct manifest_key *k;
	char want_ts[96], got_ts[96], want_duration[24];
	int64_t ts, revision;
	int i;

	for (i = 0; i < 9; i++)
		v[i] = PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
	k = manifest_find(m, name);
	if (k == NULL) {
		t->unexpected++;
		verify_example(t, "unexpected: key %s (interaction %s)", name,
		    v[1] ? v[1] : "NULL");
		return;
	}
	k->seen = true;
	if (!verify_same(k->interaction_id, v[1]))
		verify_note(&d, "interaction_id", k->interaction_id, v[1]);
	if (!verify_same(k->type, v[2]))
		verify_note(&d, "type", k->type, v[2]);
	ts = v[3] ? strtoll(v[3], NULL, 10) : INT64_MIN;
	if (ts != k->ts_us)
		verify_note(&d, "timestamp", verify_format_us(k->ts_us, want_ts,
		    sizeof(want_ts)), v[3] ? verify_format_us(ts, got_ts,
		    sizeof(got_ts)) : NULL);
	snprintf(want_duration, sizeof(want_duration), "%" PRId64,
	    k->duration);
	if (k->has_duration != (v[4] != NULL) ||
	    (v[4] != NULL && !verify_numeric_equals(v[4], k->duration)))
		verify_note(&d, "duration", k->has_duration ? want_duration :
		    NULL, v[4]);
	if (!verify_same(k->disposition, v[5]))
		verify_note(&d, "disposition", k->disposition, v[5]);
	if (!verify_same(k->queue_name, v[6]))
		verify_note(&d, "queue_name", k->queue_name, v[6]);
	if (!verify_same(k->agent_id, v[7]))
		verify_note(&d, "agent_id", k->agent_id, v[7]);
	verify_report(t, name, &d);
	revision = v[8] ? strtoll(v[8], NULL, 10) : 0;
	if (revision != k->sends) {
		t->revisions++;
		verify_example(t, "revision: key %s: revision %" PRId64
		    ", expected %" PRId64 " (sends)", name, revision, k->sends);
	}
}

void
verify_report(struct verify_tally *t, const char *name,
    const struct verify_diff *d)
{
	if (d->count == 0)
		return;
	t->mismatched++;
	verify_example(t, "mismatch: key %s: %s is %s%s%s, expected "
	    "%s%s%s%s", name, d->field, d->got ? "'" : "",
	    d->got ? d->got : "NULL", d->got ? "'" : "", d->want ? "'" : "",
	    d->want ? d->want : "NULL", d->want ? "'" : "",
	    d->count > 1 ? " (and other fields)" : "");
}

/* Length of a libpq message without its trailing newlines, for "%.*s". */
static int
verify_message_length(const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && msg[n - 1] == '\n')
		n--;
	return (int)n;
}

/* Runs one statement expected to succeed; false after printing why not. */
bool
verify_exec(PGconn *conn, const char *sql, PGresult **resp)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType status = PQresultStatus(res);

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		warnx("verify: %s: %.*s", sql,
		    verify_message_length(PQresultErrorMessage(res)),
		    PQresultErrorMessage(res));
		PQclear(res);
		return false;
	}
	if (resp != NULL)
		*resp = res;
	else
		PQclear(res);
	return true;
}

bool
verify_each_row(PGconn *conn, const char *query,
    void (*row)(struct manifest *, struct verify_tally *, PGresult *, int),
    struct manifest *m, struct verify_tally *t)
{
	PGresult *res;
	char *sql;
	int i, n;

	if (asprintf(&sql, "DECLARE verify_rows NO SCROLL CURSOR FOR %s",
	    query) == -1)
		err(1, "out of memory");
	if (!verify_exec(conn, sql, NULL)) {
		free(sql);
		return false;
	}
	free(sql);
	do {
		if (!verify_exec(conn, VERIFY_FETCH, &res))
			return false;
		n = PQntuples(res);
		for (i = 0; i < n; i++)
			row(m, t, res, i);
		t->rows += (uint64_t)n;
		PQclear(res);
	} while (n > 0);
	return verify_exec(conn, "CLOSE verify_rows", NULL);
}

/* Reads the family's tables and the dead-letter count in one snapshot. */
static bool
verify_read_tables(PGconn *conn, struct manifest *m,
    struct verify_tally *t, const char *source, uint64_t *dead_letters)
{
	const char *param[1] = { source };
	PGresult *res;
	bool ok;

	if (!verify_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY", NULL))
		return false;
	if (m->family == FAMILY_INTERACTION)
		ok = verify_each_row(conn, "SELECT idempotency_key, "
		    "interaction_id, type, (extract(epoch FROM \"timestamp\") "
		    "* 1000000)::bigint, duration, disposition, queue_name, "
		    "agent_id, revision FROM cxone_events", verify_check_row,
		    m, t);
	else
		ok = verify_read_family(conn, m, t);
	if (!ok)
		return false;
	res = PQexecParams(conn, "SELECT count(*) FROM cxpipe_dead_letters "
	    "WHERE $1::text IS NULL OR source = $1", 1, NULL, param, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		warnx("verify: counting dead letters: %.*s",
		    verify_message_length(PQresultErrorMessage(res)),
		    PQresultErrorMessage(res));
		PQclear(res);
		return false;
	}
	*dead_letters = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return verify_exec(conn, "COMMIT", NULL);
}

/* Reads the command line into opt; returns -1 to go on, else an exit status. */
static int
verify_parse_options(int argc, char **argv, struct verify_options *opt)
{
	static const struct option longopts[] = {
		{ "manifest", required_argument, NULL, 'm' },
		{ "db", required_argument, NULL, 'd' },
		{ "dead-letters", required_argument, NULL, 'n' },
		{ "source", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	memset(opt, 0, sizeof(*opt));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			opt->manifest_path = optarg;
			break;
		case 'd':
			opt->conninfo = optarg;
			break;
		case 'n':
			errno = 0;
			opt->dead_letters = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0) {
				warnx("verify: --dead-letters wants a whole "
				    "number, not '%s'", optarg);
				goto usage;
			}
			opt->have_dead_letters = true;
			break;
		case 's':
			opt->source = optarg;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'h':
			verify_usage(stdout);
			return VERIFY_EXIT_EQUAL;
		case ':':
			warnx("verify: %s needs a value", argv[optind - 1]);
			goto usage;
		default:
			warnx("verify: unknown option %s", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		warnx("verify: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (opt->manifest_path == NULL || opt->conninfo == NULL) {
		warnx("verify: --manifest and --db are required");
		goto usage;
	}
	return -1;
usage:
	verify_usage(stderr);
	return VERIFY_EXIT_USAGE;
}

int
verify_run(int argc, char **argv)
{
	static const char *const keywords[] = {
		"application_name", "dbname", NULL
	};
	const char *values[] = { "cxpipe-sim verify", NULL, NULL };
	struct verify_options opt;
	struct manifest m;
	struct verify_tally t;
	uint64_t expected_dead, dead = 0;
	char when[40];
	PGconn *conn;
	size_t i;
	bool read;
	int rc;

	if ((rc = verify_parse_options(argc, argv, &opt)) != -1)
		return rc;
	memset(&m, 0, sizeof(m));
	memset(&t, 0, sizeof(t));
	t.quiet = opt.quiet;
	if (!manifest_load(opt.manifest_path, &m)) {
		manifest_free(&m);
		return VERIFY_EXIT_USAGE;
	}
	if (!m.have_counts && !opt.have_dead_letters) {
		warnx("manifest %s: no invalid_total and garbage counts; "
		    "give --dead-letters", opt.manifest_path);
		manifest_free(&m);
		return VERIFY_EXIT_USAGE;
	}
	expected_dead = opt.have_dead_letters ? opt.dead_letters :
	    m.invalid_total + m.garbage;

	values[1] = opt.conninfo;
	conn = PQconnectdbParams(keywords, values, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		warnx("verify: cannot connect to the database: %.*s",
		    verify_message_length(PQerrorMessage(conn)),
		    PQerrorMessage(conn));
		PQfinish(conn);
		manifest_free(&m);
		return VERIFY_EXIT_NODB;
	}
	/* a query that fails on a live connection means the tables differ */
	read = verify_read_tables(conn, &m, &t, opt.source, &dead);
	rc = PQstatus(conn) == CONNECTION_OK ? VERIFY_EXIT_DIFFERENT :
	    VERIFY_EXIT_NODB;
	PQfinish(conn);
	if (!read) {
		manifest_free(&m);
		return rc;
	}
	for (i = 0; i < m.nkeys; i++)
		if (!m.keys[i].seen) {
			t.missing++;
			verify_example(&t, "missing: key %s", m.keys[i].key);
		}
	for (i = 0; i < m.nentries; i++)
		if (!m.entries[i].seen) {
			t.missing++;
			verify_example(&t, "missing: %s %s at %s",
			    family_name((enum family_id)m.family),
			    m.entries[i].v[0], verify_format_us(
			    m.entries[i].t[MT_TIME], when, sizeof(when)));
		}
	if (!opt.quiet)
		printf("keys: %zu expected, %" PRIu64 " found; mismatched: %"
		    PRIu64 "; missing: %" PRIu64 "; unexpected: %" PRIu64
		    "; revision mismatches: %" PRIu64 "; dead letters: %" PRIu64
		    " expected, %" PRIu64 " found%s\n", m.nkeys + m.nentries,
		    t.rows, t.mismatched, t.missing, t.unexpected, t.revisions,
		    expected_dead, dead, t.extra);
	manifest_free(&m);
	return t.mismatched || t.missing || t.unexpected || t.revisions ||
	    t.other || dead != expected_dead ? VERIFY_EXIT_DIFFERENT :
	    VERIFY_EXIT_EQUAL;
}
