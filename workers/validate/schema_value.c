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
check_num_cmp(const json_t *v, const struct schema_num *b)
{
	double	 a;

	if (json_is_integer(v)) {
		if (b->is_int)
			return (json_integer_value(v) > b->i) -
			    (json_integer_value(v) < b->i);
		return check_cmp_int_double(json_integer_value(v), b->d);
	}
	a = json_real_value(v);
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
check_is_multiple(const json_t *v, const struct schema_num *m)
{
	unsigned long long	 vm, mm, r;
	long long		 i;
	int			 ve, me, k;

	if (json_is_integer(v) && m->is_int)
		return json_integer_value(v) % m->i == 0;
	if (json_is_integer(v)) {
		i = json_integer_value(v);
		vm = i < 0 ? 0 - (unsigned long long)i : (unsigned long long)i;
		ve = 0;
		while (vm != 0 && vm % 10 == 0) {
			vm /= 10;
			ve++;
		}
	} else if (!check_decimal(json_real_value(v), &vm, &ve))
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
check_num_equal(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	if (json_is_integer(a))
		return check_cmp_int_double(json_integer_value(a),
		    json_real_value(b)) == 0;
	return check_cmp_int_double(json_integer_value(b),
	    json_real_value(a)) == 0;
}

/*
 * Return 1 if a and b are equal JSON values, numbers by value.  The
 * recursion stops at the shallower of the two, and instances are at most
 * SCHEMA_MAX_DEPTH deep where it matters (uniqueItems compares items of
 * an instance jansson parsed, whose depth jansson bounds).
 */
int
check_equal(json_t *a, json_t *b)
{
	const char	*key;
	size_t		 i, len;
	json_t		*x;

	if (json_is_number(a) && json_is_number(b))
		return check_num_equal(a, b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, x)
			if (!check_equal(x, json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach(a, key, len, x) {
			json_t *y = json_object_getn(b, key, len);

			if (y == NULL || !check_equal(x, y))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}
