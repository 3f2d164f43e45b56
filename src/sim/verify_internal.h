/* verify_internal.h: what verify.c and verify_families.c share. */
#ifndef CXPIPE_SIM_VERIFY_INTERNAL_H
#define CXPIPE_SIM_VERIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "manifest.h"

#define VERIFY_FETCH_ROWS	10000

/* The comparison so far. */
struct verify_tally {
	uint64_t	rows;
	uint64_t	mismatched;
	uint64_t	missing;
	uint64_t	unexpected;
	uint64_t	revisions;
	uint64_t	other;		/* differences in derived tables */
	unsigned	examples;
	bool		quiet;
	char		extra[512];	/* the family's own summary */
};

/* The first field of a row that differs from the manifest. */
struct verify_diff {
	const char	*field;
	const char	*want;
	const char	*got;
	int		 count;
};

/* Prints one difference unless quiet or enough were shown. */
void verify_example(struct verify_tally *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Tells whether two nullable strings are equal. */
bool verify_same(const char *a, const char *b);
/* Writes µs since the epoch as UTC RFC 3339 text into out; returns out. */
const char *verify_format_us(int64_t us, char *out, size_t size);
/* Records that field differs, keeping the first one for the example. */
void verify_note(struct verify_diff *d, const char *field, const char *want,
    const char *got);
/* Counts and shows a row that differs (d->count > 0) under name. */
void verify_report(struct verify_tally *t, const char *name,
    const struct verify_diff *d);
/* Runs one statement expected to succeed; false after printing why not. */
bool verify_exec(PGconn *conn, const char *sql, PGresult **resp);
/* Runs query through a cursor, calling row for every row; false after
 * printing why not. */
bool verify_each_row(PGconn *conn, const char *query,
    void (*row)(struct manifest *, struct verify_tally *, PGresult *, int),
    struct manifest *m, struct verify_tally *t);

/* Reads and compares the tables of m's family (not interaction) inside the
 * caller's snapshot; false after printing why a query failed. */
bool verify_read_family(PGconn *conn, struct manifest *m,
    struct verify_tally *t);

#endif
