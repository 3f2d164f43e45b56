/*
 * schema_value.c: comparisons of instance values with schema values:
 * numbers exactly (an integer and a double are compared without rounding
 * either), multipleOf on the shortest decimal forms of both numbers (so
 * 0.0075 is a multiple of 0.0001, as a person reads them), and JSON
 * equality for const, enum and uniqueItems.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* Compare integer a with double d exactly: <0, 0 or >0. */
static int
check_cmp_int_double(long long a, double d)
{
	long long	 t;
	double		 frac;

	if (d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	t = (long long)d;
	if (a != t)
		return a < t ? -1 : 1;
	frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Compare instance number v with schema number b: <0, 0 or >0. */
int
check_num_cmp(const struct jval *v, const struct schema_num *b)
{
	double	 a;

	if (v->type == JT_INTEGER) {
		if (b->is_int)
			return (v->u.i > b->i) - (v->u.i < b->i);
		return check_cmp_int_double(v->u.i, b->d);
	}
	a = v->u.d;
	if (b->is_int)
		return -check_cmp_int_double(b->i, a);
	return (a > b->d) - (a < b->d);
}

/*
 * Write |d| as mant * 10^exp with the fewest digits that read back as d,
 * trailing zeros moved into exp.  Return 0 for a non-finite d.
 */
static int
check_decimal(double d, unsigned long long *mant, int *exp)
{
	char		 buf[40], *e;
	int		 prec, digits = 0;
	unsigned long long m = 0;

	if (d < 0)
		d = -d;
	if (!(d <= 1.7976931348623157e308))
		return 0;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	for (e = buf; *e != 'e' && *e != '\0'; e++) {
		if (*e >= '0' && *e <= '9') {
			m = m * 10 + (unsigned long long)(*e - '0');
			digits++;
		}
	}
	*exp = (*e == 'e' ? atoi(e + 1) : 0) - (digits - 1);
	while (m != 0 && m % 10 == 0) {
		m /= 10;
		(*exp)++;
	}
	*mant = m;
	return 1;
}

/* Return 1 if number v is a multiple of m, on their decimal forms. */
int
check_is_multiple(const struct jval *v, const struct schema_num *m)
{
	unsigned long long	 vm, mm, r;
	long long		 i;
	int			 ve, me, k;

	if (v->type == JT_INTEGER && m->is_int)
		return v->u.i % m->i == 0;
	if (v->type == JT_INTEGER) {
		i = v->u.i;
		vm = i < 0 ? 0 - (unsigned long long)i : (unsigned long long)i;
		ve = 0;
		while (vm != 0 && vm % 10 == 0) {
			vm /= 10;
			ve++;
		}
	} else if (!check_decimal(v->u.d, &vm, &ve))
		return 0;
	if (!check_decimal(m->d, &mm, &me) || mm == 0)
		return 0;
	if (vm == 0)
		return 1;
	if (ve < me)
		return 0;	/* vm has no factor 10 left to cancel */
	r = vm % mm;
	for (k = me; k < ve && r != 0; k++)
		r = r * 10 % mm;
	return r == 0;
}

/* Return 1 if a and b are equal numbers (1 == 1.0). */
static int
check_num_equal(const struct jval *a, const struct jval *b)
{
	if (a->type == JT_INTEGER && b->type == JT_INTEGER)
		return a->u.i == b->u.i;
	if (a->type == JT_REAL && b->type == JT_REAL)
		return a->u.d == b->u.d;
	if (a->type == JT_INTEGER)
		return check_cmp_int_double(a->u.i, b->u.d) == 0;
	return check_cmp_int_double(b->u.i, a->u.d) == 0;
}

/*
 * Return 1 if a and b are equal JSON values, numbers by value.  The
 * recursion stops at the shallower of the two, and instances are at most
 * max_depth deep (the parser refuses deeper ones; schema values are
 * bounded by jansson's depth limit).  Members are looked up linearly:
 * objects compared whole (const, enum, uniqueItems) are small.
 */
int
check_equal(const struct jval *a, const struct jval *b)
{
	const struct jval	*y;
	size_t			 i;
	int			 na, nb;

	na = a->type == JT_INTEGER || a->type == JT_REAL;
	nb = b->type == JT_INTEGER || b->type == JT_REAL;
	if (na && nb)
		return check_num_equal(a, b);
	if (a->type != b->type || a->n != b->n)
		return 0;
	switch (a->type) {
	case JT_STRING:
		return a->n == 0 || memcmp(a->u.s, b->u.s, a->n) == 0;
	case JT_ARRAY:
		for (i = 0; i < a->n; i++)
			if (!check_equal(&a->u.items[i], &b->u.items[i]))
				return 0;
		return 1;
	case JT_OBJECT:
		for (i = 0; i < a->n; i++) {
			y = jval_getn(b, a->u.members[i].key,
			    a->u.members[i].keylen);
			if (y == NULL || !check_equal(&a->u.members[i].val, y))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}
