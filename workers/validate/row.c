/* row.c: JSON members as MSG_RECORD_ROW fields, for every family's rows. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "timestamp.h"

int
row_add_string(struct buf *b, const struct jval *obj, const char *key,
    const char *pointer, char *reason, size_t len)
{
	const struct jval *v = jval_get(obj, key);

	if (v == NULL || v->type != JT_STRING) {
		tuple_add_null(b);
		return 0;
	}
	if (v->n > 0 && memchr(v->u.s, '\0', v->n) != NULL) {
		snprintf(reason, len, "%s: a NUL character (\\u0000) cannot be "
		    "stored in PostgreSQL text", pointer);
		return -1;
	}
	tuple_add(b, v->u.s, v->n);
	return 0;
}

int
row_add_required(struct buf *b, const struct jval *obj, const char *key,
    const char *pointer, char *reason, size_t len)
{
	const struct jval *v = jval_get(obj, key);

	if (v == NULL || v->type != JT_STRING) {
		snprintf(reason, len, "%s: a string is required here (the row "
		    "cannot be stored without it)", pointer);
		return -1;
	}
	return row_add_string(b, obj, key, pointer, reason, len);
}

void
row_add_number(struct buf *b, const struct jval *obj, const char *key)
{
	row_add_number_value(b, jval_get(obj, key));
}

void
row_add_number_value(struct buf *b, const struct jval *v)
{
	char		 num[64];
	double		 d;
	int		 prec;

	if (v != NULL && v->type == JT_INTEGER)
		snprintf(num, sizeof(num), "%" PRId64, v->u.i);
	else if (v != NULL && v->type == JT_REAL) {
		d = v->u.d;
		for (prec = 15; prec < 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, d);
			if (strtod(num, NULL) == d)
				break;
		}
		if (prec == 17)
			snprintf(num, sizeof(num), "%.17g", d);
	} else {
		tuple_add_null(b);
		return;
	}
	tuple_add_str(b, num);
}

void
row_add_instant(struct buf *b, int64_t us)
{
	char	 text[TIMESTAMP_LEN];

	timestamp_format(us, text);
	tuple_add_str(b, text);
}

int
row_add_time(struct buf *b, const struct jval *obj, const char *key,
    const char *pointer, char *reason, size_t len)
{
	const struct jval *v = jval_get(obj, key);
	char		 why[256];
	int64_t		 us;

	if (v == NULL || v->type == JT_NULL) {
		tuple_add_null(b);
		return 0;
	}
	if (v->type != JT_STRING) {
		snprintf(reason, len, "%s: a date-time must be a string", pointer);
		return -1;
	}
	if (timestamp_parse(v->u.s, v->n, &us,
	    why, sizeof(why)) == -1) {
		snprintf(reason, len, "%s: %s", pointer, why);
		return -1;
	}
	row_add_instant(b, us);
	return 0;
}

void
row_add_receipt(struct buf *b, const struct row_event *re)
{
	tuple_add_str(b, re->source);
	tuple_add_str(b, re->received);
}
