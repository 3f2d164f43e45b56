/*
 * jdoc_json.c: struct jdoc trees from and to jansson values, for what
 * still holds jansson (schema keywords, the CLI's and tests' instances).
 */
#include <string.h>

#include "jdoc_internal.h"

/* Fills v from j, children in d's arena; recursion is bounded by j's depth. */
static void
jdoc_fill(struct jdoc *d, struct jval *v, json_t *j)
{
	struct jval	*items;
	struct jmember	*m;
	const char	*key;
	json_t		*x;
	size_t		 i, len;

	v->n = 0;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v->type = JT_OBJECT;
		v->n = json_object_size(j);
		m = v->n > 0 ? jdoc_alloc(d, v->n * sizeof(*m)) : NULL;
		v->u.members = m != NULL ? m : jdoc_no_members;
		json_object_keylen_foreach(j, key, len, x) {
			m->key = key;
			m->keylen = len;
			jdoc_fill(d, &m->val, x);
			m++;
		}
		break;
	case JSON_ARRAY:
		v->type = JT_ARRAY;
		v->n = json_array_size(j);
		items = v->n > 0 ? jdoc_alloc(d, v->n * sizeof(*items)) : NULL;
		v->u.items = items != NULL ? items : jdoc_no_items;
		json_array_foreach(j, i, x)
			jdoc_fill(d, &items[i], x);
		break;
	case JSON_STRING:
		v->type = JT_STRING;
		v->u.s = json_string_value(j);
		v->n = json_string_length(j);
		break;
	case JSON_INTEGER:
		v->type = JT_INTEGER;
		v->u.i = json_integer_value(j);
		break;
	case JSON_REAL:
		v->type = JT_REAL;
		v->u.d = json_real_value(j);
		break;
	case JSON_TRUE:
		v->type = JT_TRUE;
		break;
	case JSON_FALSE:
		v->type = JT_FALSE;
		break;
	default:
		v->type = JT_NULL;
		break;
	}
}

const struct jval *
jdoc_from_json(struct jdoc *d, json_t *j)
{
	struct jval	*v;

	if (j == NULL)
		return NULL;
	v = jdoc_alloc(d, sizeof(*v));
	jdoc_fill(d, v, j);
	return v;
}

json_t *
jdoc_to_json(const struct jval *v)
{
	json_t	*j;
	size_t	 i;

	switch (v->type) {
	case JT_OBJECT:
		j = json_object();
		for (i = 0; i < v->n; i++)
			json_object_setn_new_nocheck(j, v->u.members[i].key,
			    v->u.members[i].keylen,
			    jdoc_to_json(&v->u.members[i].val));
		return j;
	case JT_ARRAY:
		j = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(j, jdoc_to_json(&v->u.items[i]));
		return j;
	case JT_STRING:
		return json_stringn_nocheck(v->u.s, v->n);
	case JT_INTEGER:
		return json_integer(v->u.i);
	case JT_REAL:
		return json_real(v->u.d);
	case JT_TRUE:
		return json_true();
	case JT_FALSE:
		return json_false();
	default:
		return json_null();
	}
}

/* Compares numbers v and j: exactly (type too), or by value when loose. */
static int
jdoc_same_number(const struct jval *v, json_t *j, int loose)
{
	double	 a, b;

	if (!loose)
		return v->type == JT_INTEGER ? json_is_integer(j) &&
		    json_integer_value(j) == v->u.i : json_is_real(j) &&
		    memcmp(&v->u.d, &(double){ json_real_value(j) },
		    sizeof(double)) == 0;
	a = v->type == JT_INTEGER ? (double)v->u.i : v->u.d;
	b = json_number_value(j);
	return a == b;
}

int
jdoc_json_same(const struct jval *v, json_t *j, int loose)
{
	const struct jmember	*m;
	size_t			 i;
	json_t			*x;

	switch (v->type) {
	case JT_OBJECT:
		if (!json_is_object(j) || json_object_size(j) != v->n)
			return 0;
		for (i = 0; i < v->n; i++) {
			m = &v->u.members[i];
			if ((x = json_object_getn(j, m->key, m->keylen)) == NULL ||
			    !jdoc_json_same(&m->val, x, loose))
				return 0;
		}
		return 1;
	case JT_ARRAY:
		if (!json_is_array(j) || json_array_size(j) != v->n)
			return 0;
		for (i = 0; i < v->n; i++)
			if (!jdoc_json_same(&v->u.items[i], json_array_get(j, i),
			    loose))
				return 0;
		return 1;
	case JT_STRING:
		return json_is_string(j) && json_string_length(j) == v->n &&
		    memcmp(json_string_value(j), v->u.s, v->n) == 0;
	case JT_INTEGER:
	case JT_REAL:
		return json_is_number(j) && jdoc_same_number(v, j, loose);
	case JT_TRUE:
		return json_is_true(j);
	case JT_FALSE:
		return json_is_false(j);
	default:
		return json_is_null(j);
	}
}
