/*
 * The baseline of scripts/bench: the plainest correct batched upsert of
 * interaction events into cxone_events.  It reads NDJSON, parses each line
 * with jansson, collapses repeats of a key inside a batch (newest wins), and
 * runs one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE per
 * batch in its own transaction, synchronously.  No spool, no sequence
 * numbers, no validation beyond picking the fields: what a careful script
 * would do.
 *
 *   plainload CONNINFO FILE BATCH_SIZE
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#define NFIELDS	8

static const char *upsert =
    "INSERT INTO cxone_events (interaction_id, \"timestamp\", type, idempotency_key,"
    " duration, disposition, queue_name, agent_id, revision)"
    " SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[],"
    " $5::numeric[], $6::text[], $7::text[], $8::text[], $9::int[])"
    " ON CONFLICT (idempotency_key) DO UPDATE SET"
    " interaction_id = EXCLUDED.interaction_id, \"timestamp\" = EXCLUDED.\"timestamp\","
    " type = EXCLUDED.type, duration = EXCLUDED.duration,"
    " disposition = EXCLUDED.disposition, queue_name = EXCLUDED.queue_name,"
    " agent_id = EXCLUDED.agent_id, updated_at = now(),"
    " revision = cxone_events.revision + EXCLUDED.revision";

/* One row of a batch: the fields as text (NULL for SQL NULL). */
struct row {
	char	*f[NFIELDS];
	int	 deliveries;
};

/* Appends s to an array literal, quoted and escaped, or NULL. */
static void
array_add(char **buf, size_t *len, size_t *cap, const char *s, int first)
{
	size_t	 need = (s ? strlen(s) * 2 : 4) + 4;
	const char *p;

	if (*len + need >= *cap) {
		*cap = (*cap + need) * 2;
		*buf = realloc(*buf, *cap);
	}
	if (!first)
		(*buf)[(*len)++] = ',';
	if (s == NULL) {
		memcpy(*buf + *len, "NULL", 4);
		*len += 4;
		return;
	}
	(*buf)[(*len)++] = '"';
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			(*buf)[(*len)++] = '\\';
		(*buf)[(*len)++] = *p;
	}
	(*buf)[(*len)++] = '"';
}

/* Sends one batch in one transaction; exits on error. */
static void
flush(PGconn *db, struct row *rows, int n)
{
	char		*arr[NFIELDS + 1], num[16];
	size_t		 len, cap;
	const char	*params[NFIELDS + 1];
	PGresult	*r;
	int		 i, k;

	for (k = 0; k <= NFIELDS; k++) {
		arr[k] = NULL;
		len = cap = 0;
		array_add(&arr[k], &len, &cap, "", 1);
		len = 0;
		arr[k][len++] = '{';
		for (i = 0; i < n; i++) {
			if (k < NFIELDS)
				array_add(&arr[k], &len, &cap, rows[i].f[k], i == 0);
			else {
				snprintf(num, sizeof(num), "%d", rows[i].deliveries);
				array_add(&arr[k], &len, &cap, num, i == 0);
			}
		}
		arr[k][len++] = '}';
		arr[k][len] = '\0';
		params[k] = arr[k];
	}
	r = PQexec(db, "BEGIN");
	PQclear(r);
	r = PQexecParams(db, upsert, NFIELDS + 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "plainload: %s", PQerrorMessage(db));
		exit(1);
	}
	PQclear(r);
	r = PQexec(db, "COMMIT");
	PQclear(r);
	for (k = 0; k <= NFIELDS; k++)
		free(arr[k]);
}

/* FNV-1a, for the per-batch key table. */
static unsigned
hash(const char *s)
{
	unsigned	 h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Text of a member, or NULL. */
static char *
field(json_t *o, const char *key)
{
	json_t	*v = o ? json_object_get(o, key) : NULL;
	char	 num[64];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(num);
	}
	if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		return strdup(num);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct row	*rows;
	struct timespec	 t0, t1;
	PGconn		*db;
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0;
	long		 total = 0;
	int		 batch, n = 0, i, k, *slots;
	unsigned	 mask, h;

	if (argc != 4 || (batch = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: plainload CONNINFO FILE BATCH_SIZE\n");
		return 2;
	}
	if ((db = PQconnectdb(argv[1])) == NULL || PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "plainload: %s", PQerrorMessage(db));
		return 1;
	}
	if ((fp = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	rows = calloc((size_t)batch, sizeof(*rows));
	for (mask = 1; mask < (unsigned)batch * 2; mask <<= 1)
		;
	slots = malloc(sizeof(int) * mask);
	memset(slots, -1, sizeof(int) * mask);
	mask--;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (getline(&line, &cap, fp) > 0) {
		json_t *ev = json_loads(line, 0, NULL), *at;
		struct row r;
		if (ev == NULL)
			continue;
		at = json_object_get(ev, "attributes");
		r.f[0] = field(ev, "interactionId");
		r.f[1] = field(ev, "timestamp");
		r.f[2] = field(ev, "type");
		r.f[3] = field(ev, "idempotencyKey");
		r.f[4] = field(at, "duration");
		r.f[5] = field(at, "disposition");
		r.f[6] = field(at, "queueName");
		r.f[7] = field(at, "agentId");
		r.deliveries = 1;
		json_decref(ev);
		total++;
		if (r.f[3] == NULL)
			r.f[3] = strdup("");
		for (h = hash(r.f[3]) & mask; (i = slots[h]) != -1; h = (h + 1) & mask)
			if (strcmp(rows[i].f[3], r.f[3]) == 0)
				break;
		if (i != -1) {
			r.deliveries += rows[i].deliveries;
			for (k = 0; k < NFIELDS; k++)
				free(rows[i].f[k]);
			rows[i] = r;
			continue;
		}
		slots[h] = n;
		rows[n++] = r;
		if (n == batch) {
			memset(slots, -1, sizeof(int) * (mask + 1));
			flush(db, rows, n);
			for (i = 0; i < n; i++)
				for (k = 0; k < NFIELDS; k++)
					free(rows[i].f[k]);
			n = 0;
		}
	}
	if (n > 0)
		flush(db, rows, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(slots);
	free(rows);
	free(line);
	fclose(fp);
	printf("%ld %.3f\n", total, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	PQfinish(db);
	return 0;
}
