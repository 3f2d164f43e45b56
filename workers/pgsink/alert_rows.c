#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"
#include "record.h"
#include "tuple.h"
#include "xmalloc.h"
#include "alert_rows.h"
#include "text.h"

/* Latest time a record may carry: year 9999, in microseconds. */
#define ALERT_US_MAX	253402300799999999LL

struct arec {
	uint16_t	 type;
	uint64_t	 seq;
	uint8_t		*payload;
	struct tuple	 t;		/* fields point into payload */
};

struct alert_rows {
	struct arec	*v;		/* v[head..n) */
	size_t		 head;
	size_t		 n;
	size_t		 cap;
};

static const char alerts_sql[] =
	"INSERT INTO alerts (fingerprint, rule, scope, severity, state, value,"
	" threshold, starts_at, ends_at, labels, seq)"
	" SELECT f, r, sc, sv, st, v, t, s, e, coalesce(l::jsonb, '{}'), q"
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
	" $6::float8[], $7::float8[], $8::timestamptz[], $9::timestamptz[],"
	" $10::text[], $11::bigint[]) AS u(f, r, sc, sv, st, v, t, s, e, l, q)"
	" ON CONFLICT (fingerprint, state, severity, starts_at) DO NOTHING";

static const char snapshots_sql[] =
	"INSERT INTO metric_snapshots (metric, scope_kind, scope_value,"
	" window_start, window_end, value, count, invalid, avg, max, p95, seq)"
	" SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
	" $4::timestamptz[], $5::timestamptz[], $6::float8[], $7::bigint[],"
	" $8::bigint[], $9::float8[], $10::float8[], $11::float8[], $12::bigint[])"
	" ON CONFLICT (metric, scope_kind, scope_value, window_start) DO NOTHING";

struct alert_rows *
alert_rows_new(void)
{
	return xcalloc(1, sizeof(struct alert_rows));
}

void
alert_rows_free(struct alert_rows *a)
{
	if (a == NULL)
		return;
	alert_rows_pop(a, a->n - a->head);
	free(a->v);
	free(a);
}

size_t
alert_rows_count(const struct alert_rows *a)
{
	return a->n - a->head;
}

void
alert_rows_pop(struct alert_rows *a, size_t n)
{
	while (n-- > 0 && a->head < a->n)
		free(a->v[a->head++].payload);
	if (a->head == a->n)
		a->head = a->n = 0;
}

uint64_t
alert_rows_max_seq(const struct alert_rows *a, size_t n)
{
	uint64_t	 m = 0;
	size_t		 i;

	for (i = a->head; i < a->head + n && i < a->n; i++)
		if (a->v[i].seq > m)
			m = a->v[i].seq;
	return m;
}

/* True when field i is text without an embedded NUL, valid UTF-8. */
static bool
ar_text(const struct tuple *t, int i)
{
	return t->val[i] != NULL && text_is_clean(t->val[i], t->len[i]);
}

/* True when field i is NULL or a finite number. */
static bool
ar_number(const struct tuple *t, int i)
{
	char	*end;
	double	 d;

	if (t->val[i] == NULL)
		return true;
	errno = 0;
	d = strtod(t->val[i], &end);
	/* strtod reads hexadecimal; PostgreSQL does not. */
	return end != t->val[i] && *end == '\0' && isfinite(d) && errno == 0 &&
	    strpbrk(t->val[i], "xX") == NULL;
}

/* True when field i is an integer in [0, max] (or NULL, if allowed). */
static bool
ar_integer(const struct tuple *t, int i, long long max, bool null_ok)
{
	char		*end;
	long long	 v;

	if (t->val[i] == NULL)
		return null_ok;
	errno = 0;
	v = strtoll(t->val[i], &end, 10);
	return end != t->val[i] && *end == '\0' && errno == 0 && v >= 0 &&
	    v <= max;
}

static bool
ar_check_transition(const struct tuple *t)
{
	json_t	*j;
	bool	 ok;

	if (t->n != AL_NFIELDS || !ar_text(t, AL_FINGERPRINT) ||
	    !ar_text(t, AL_RULE) || !ar_text(t, AL_SCOPE) ||
	    !ar_text(t, AL_SEVERITY) || !ar_text(t, AL_STATE) ||
	    !ar_number(t, AL_VALUE) || !ar_number(t, AL_THRESHOLD) ||
	    !ar_integer(t, AL_STARTS_US, ALERT_US_MAX, false) ||
	    !ar_integer(t, AL_ENDS_US, ALERT_US_MAX, true))
		return false;
	if (strcmp(t->val[AL_STATE], "firing") != 0 &&
	    strcmp(t->val[AL_STATE], "resolved") != 0)
		return false;
	if (t->val[AL_LABELS] == NULL)
		return true;
	if (!ar_text(t, AL_LABELS))
		return false;
	j = json_loadb(t->val[AL_LABELS], t->len[AL_LABELS], 0, NULL);
	ok = json_is_object(j);
	json_decref(j);
	return ok;
}

static bool
ar_check_snapshot(const struct tuple *t)
{
	return t->n == MS_NFIELDS && ar_text(t, MS_METRIC) &&
	    ar_text(t, MS_SCOPE_KIND) && ar_text(t, MS_SCOPE_VALUE) &&
	    ar_integer(t, MS_WINDOW_START_US, ALERT_US_MAX, false) &&
	    ar_integer(t, MS_WINDOW_END_US, ALERT_US_MAX, false) &&
	    ar_number(t, MS_VALUE) && ar_number(t, MS_AVG) &&
	    ar_number(t, MS_MAX) && ar_number(t, MS_P95) &&
	    ar_integer(t, MS_COUNT, INT64_MAX, true) &&
	    ar_integer(t, MS_INVALID, INT64_MAX, true);
}

bool
alert_rows_add(struct alert_rows *a, uint16_t type, uint64_t seq,
    const uint8_t *payload, size_t len)
{
	struct arec	 r;
	bool		 ok;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.seq = seq;
	r.payload = xmalloc(len > 0 ? len : 1);
	memcpy(r.payload, payload, len);
	ok = tuple_parse(&r.t, r.payload, len) == 0 &&
	    (type == MSG_ALERT_TRANSITION ? ar_check_transition(&r.t) :
	    type == MSG_METRIC_SNAPSHOT ? ar_check_snapshot(&r.t) : false);
	if (!ok) {
		free(r.payload);
		return false;
	}
	if (a->n == a->cap && a->head > 0) {
		memmove(a->v, a->v + a->head, (a->n - a->head) * sizeof(*a->v));
		a->n -= a->head;
		a->head = 0;
	}
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = r;
	return true;
}

/* Opens every array parameter of st for sql. */
static void
ar_begin(struct batch_stmt *st, const char *sql, int n)
{
	int	 i;

	st->sql = sql;
	st->nparams = n;
	for (i = 0; i < n; i++) {
		buf_reset(&st->param[i]);
		buf_add(&st->param[i], "{", 1);
	}
}

static void
ar_end(struct batch_stmt *st)
{
	int	 i;

	for (i = 0; i < st->nparams; i++) {
		buf_add(&st->param[i], "}", 2);		/* with the NUL */
		st->values[i] = (const char *)st->param[i].data;
	}
}

/* Adds field i of t as an array element (text or number as it is). */
static void
ar_elem(struct buf *b, const struct tuple *t, int i)
{
	text_add_element(b, t->val[i], t->val[i] != NULL ? t->len[i] : 0, 0);
}

bool
alert_rows_build(struct alert_rows *a, uint16_t type, size_t n,
    struct batch_stmt *st)
{
	const struct arec	*r;
	const struct tuple	*t;
	size_t			 i, k = 0;
	int			 f;

	if (type == MSG_ALERT_TRANSITION)
		ar_begin(st, alerts_sql, 11);
	else
		ar_begin(st, snapshots_sql, 12);
	for (i = a->head; i < a->head + n && i < a->n; i++) {
		r = &a->v[i];
		if (r->type != type)
			continue;
		t = &r->t;
		k++;
		if (type == MSG_ALERT_TRANSITION) {
			for (f = AL_FINGERPRINT; f <= AL_THRESHOLD; f++)
				ar_elem(&st->param[f], t, f);
			text_add_element_us(&st->param[7], t->val[AL_STARTS_US]);
			text_add_element_us(&st->param[8], t->val[AL_ENDS_US]);
			ar_elem(&st->param[9], t, AL_LABELS);
			text_add_element_u64(&st->param[10], r->seq);
		} else {
			for (f = MS_METRIC; f <= MS_SCOPE_VALUE; f++)
				ar_elem(&st->param[f], t, f);
			text_add_element_us(&st->param[3], t->val[MS_WINDOW_START_US]);
			text_add_element_us(&st->param[4], t->val[MS_WINDOW_END_US]);
			for (f = MS_VALUE; f <= MS_P95; f++)
				ar_elem(&st->param[f], t, f);
			text_add_element_u64(&st->param[11], r->seq);
		}
	}
	ar_end(st);
	return k > 0;
}
