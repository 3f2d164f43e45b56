#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "record.h"
#include "xmalloc.h"
#include "batch.h"
#include "family_rows.h"
#include "text.h"

/* One accepted record: its tuple, owned, with the fields located. */
struct rec {
	uint64_t	 seq;
	const struct family_rows *fr;	/* its row family, NULL: a dead letter */
	char		*mem;
	const char	*f[FAMILY_ROWS_MAX_FIELDS];
	uint32_t	 len[FAMILY_ROWS_MAX_FIELDS];
};

struct batch {
	struct rec	*q;		/* records q[head .. head + count) */
	size_t		 head;
	size_t		 count;
	size_t		 cap;
	struct buf	 scratch;	/* a JSON payload being built */
	/* Highest sequence per source, while building the offsets. */
	const char	**osrc;
	uint32_t	*olen;
	uint64_t	*oseq;
	size_t		 ocap;
};

struct batch *
batch_new(void)
{
	struct batch	*b;

	b = xcalloc(1, sizeof(*b));
	buf_init(&b->scratch);
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	batch_pop(b, b->count);
	free(b->q);
	buf_free(&b->scratch);
	free(b->osrc);
	free(b->olen);
	free(b->oseq);
	free(b);
}

size_t
batch_count(const struct batch *b)
{
	return b->count;
}

/* The i-th oldest record. */
static struct rec *
batch_rec(const struct batch *b, size_t i)
{
	return &b->q[b->head + i];
}

/* Appends a record for the tuple in mem (taking it); the tuple is valid. */
static void
batch_push(struct batch *b, uint64_t seq, const struct family_rows *fr,
    char *mem, size_t len)
{
	struct tuple	 t;
	struct rec	*r;
	int		 i;

	if (b->head + b->count == b->cap) {
		if (b->head > 0 && b->head >= b->cap / 2) {
			memmove(b->q, b->q + b->head, b->count * sizeof(*b->q));
			b->head = 0;
		} else {
			b->cap = b->cap ? b->cap * 2 : 256;
			b->q = xreallocarray(b->q, b->cap, sizeof(*b->q));
		}
	}
	r = &b->q[b->head + b->count++];
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->fr = fr;
	r->mem = mem;
	(void)tuple_parse(&t, (const uint8_t *)mem, len);
	for (i = 0; i < t.n && i < FAMILY_ROWS_MAX_FIELDS; i++) {
		r->f[i] = t.val[i];
		r->len[i] = t.len[i];
	}
}

/* Queues a dead letter pgsink makes itself: reason says why, the payload is
 * the record's fields as JSON, or the raw bytes when they are no tuple. */
static void
batch_push_made_dead(struct batch *b, uint64_t seq, const struct tuple *t,
    const uint8_t *raw, size_t rawlen, const char *const *names,
    const char *reason)
{
	struct buf	 tb, js;

	buf_init(&tb);
	buf_init(&js);
	if (t != NULL && t->n > 0 && t->val[0] != NULL) {
		text_add(&js, t->val[0], t->len[0], TEXT_CLEAN);
		tuple_add(&tb, js.data, js.len);
	} else
		tuple_add_str(&tb, "unknown");
	if (t != NULL && t->n > 1 && t->val[1] != NULL)
		tuple_add(&tb, t->val[1], t->len[1]);
	else
		tuple_add_null(&tb);
	tuple_add_str(&tb, reason);
	buf_reset(&js);
	if (t != NULL)
		text_add_json_fields(&js, t, names);
	else
		buf_add(&js, raw, rawlen);
	tuple_add(&tb, js.data, js.len);
	buf_free(&js);
	batch_push(b, seq, NULL, (char *)tb.data, tb.len);
}

/* Queues a parsed record; a source that is not clean text is cleaned, so
 * that one source is always the same text in every table. */
static void
batch_push_tuple(struct batch *b, uint64_t seq, const struct family_rows *fr,
    const struct tuple *t, const uint8_t *p, size_t len)
{
	struct buf	 tb, src;
	char		*mem;
	int		 i;

	if (text_is_clean(t->val[0], t->len[0])) {
		mem = xmalloc(len + 1);
		memcpy(mem, p, len);
		batch_push(b, seq, fr, mem, len);
		return;
	}
	buf_init(&tb);
	buf_init(&src);
	text_add(&src, t->val[0], t->len[0], TEXT_CLEAN);
	tuple_add(&tb, src.data, src.len);
	buf_free(&src);
	for (i = 1; i < t->n; i++) {
		if (t->val[i] == NULL)
			tuple_add_null(&tb);
		else
			tuple_add(&tb, t->val[i], t->len[i]);
	}
	batch_push(b, seq, fr, (char *)tb.data, tb.len);
}

void
batch_add(struct batch *b, uint16_t type, uint32_t flags, uint64_t seq,
    const uint8_t *p, size_t len)
{
	const struct family_rows *fr;
	struct tuple	 t;
	char		 why[128];

	if (tuple_parse(&t, p, len) == -1) {
		batch_push_made_dead(b, seq, NULL, p, len, NULL,
		    "pgsink: malformed record (not a tuple)");
		return;
	}
	if (type == MSG_RECORD_DEAD) {
		if (t.n != DEAD_NFIELDS || t.val[DEAD_SOURCE] == NULL)
			batch_push_made_dead(b, seq, &t, NULL, 0, NULL,
			    "pgsink: malformed dead-letter record");
		else
			batch_push_tuple(b, seq, NULL, &t, p, len);
		return;
	}
	if ((fr = family_rows_get(flags)) == NULL) {
		snprintf(why, sizeof(why), "pgsink: no table for family %u", flags);
		batch_push_made_dead(b, seq, &t, NULL, 0, NULL, why);
		return;
	}
	if (family_rows_check(fr, &t, why, sizeof(why)) != NULL) {
		batch_push_made_dead(b, seq, &t, NULL, 0,
		    t.n == fr->nfields ? fr->names : NULL, why);
		return;
	}
	batch_push_tuple(b, seq, fr, &t, p, len);
}

void
batch_pop(struct batch *b, size_t n)
{
	size_t	 i;

	if (n > b->count)
		n = b->count;
	for (i = 0; i < n; i++)
		free(batch_rec(b, i)->mem);
	b->head += n;
	b->count -= n;
	if (b->count == 0)
		b->head = 0;
}

uint64_t
batch_received_us(const struct batch *b, size_t i)
{
	const char	*us = batch_rec(b, i)->f[IX_RECEIVED_US];

	return us != NULL ? strtoull(us, NULL, 10) : 0;
}

size_t
batch_drop_through(struct batch *b, uint64_t seq)
{
	size_t	 n = 0;

	while (n < b->count && batch_rec(b, n)->seq <= seq)
		n++;
	batch_pop(b, n);
	return n;
}

/* FNV-1a over a record's family and key. */
static uint64_t
batch_hash(const struct rec *r)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i, k;
	uint32_t	 n;
	const char	*f;

	h = (h ^ (uint64_t)(uintptr_t)r->fr) * 0x100000001b3ULL;
	for (k = 0; k < r->fr->nkey; k++) {
		f = r->f[r->fr->key[k]];
		n = r->len[r->fr->key[k]];
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)f[i]) * 0x100000001b3ULL;
		h = (h ^ 0x1f) * 0x100000001b3ULL;	/* between fields */
	}
	return h;
}

/* True when two row records have the same family and key. */
static bool
batch_same_key(const struct rec *a, const struct rec *b)
{
	size_t	 k;
	int	 f;

	if (a->fr != b->fr)
		return false;
	for (k = 0; k < a->fr->nkey; k++) {
		f = a->fr->key[k];
		if (a->len[f] != b->len[f] || memcmp(a->f[f], b->f[f], a->len[f]) != 0)
			return false;
	}
	return true;
}

/* Adds a unit for record i. */
static size_t
batch_plan_add_unit(struct batch_plan *p, size_t i, uint64_t seq, bool row)
{
	struct batch_unit	*u;

	if (p->nunits == p->ucap) {
		p->ucap = p->ucap ? p->ucap * 2 : 64;
		p->units = xreallocarray(p->units, p->ucap, sizeof(*p->units));
	}
	u = &p->units[p->nunits];
	memset(u, 0, sizeof(*u));
	u->rec = i;
	u->seq = seq;
	u->deliveries = 1;
	u->row = row;
	return p->nunits++;
}

void
batch_plan_make(struct batch *b, size_t n, struct batch_plan *p)
{
	struct batch_unit	*u;
	struct rec		*r, *o;
	size_t			 i, s, need;
	uint32_t		 slot;

	batch_plan_clear(p);
	p->n = n;
	for (need = 16; need < 2 * n; need *= 2)
		;
	if (need > p->nslots) {
		free(p->slots);
		p->slots = xreallocarray(NULL, need, sizeof(*p->slots));
		p->nslots = need;
	}
	memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	for (i = 0; i < n; i++) {
		r = batch_rec(b, i);
		if (i == 0)
			p->first_seq = r->seq;
		p->max_seq = r->seq;
		if (r->fr == NULL) {
			batch_plan_add_unit(p, i, r->seq, false);
			continue;
		}
		s = batch_hash(r) & (p->nslots - 1);
		for (;; s = (s + 1) & (p->nslots - 1)) {
			if ((slot = p->slots[s]) == 0) {
				p->slots[s] = (uint32_t)batch_plan_add_unit(p, i,
				    r->seq, true) + 1;
				break;
			}
			u = &p->units[slot - 1];
			o = batch_rec(b, u->rec);
			if (!batch_same_key(o, r))
				continue;
			/* A repeat: it takes the unit's place if it wins. */
			if (family_rows_newer(r->fr, o->f, o->len, r->f, r->len)) {
				u->rec = i;
				u->seq = r->seq;
			}
			u->deliveries++;
			p->collapsed++;
			break;
		}
	}
}

void
batch_plan_clear(struct batch_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nunits; i++)
		free(p->units[i].failure);
	p->nunits = 0;
	p->n = 0;
	p->first_seq = p->max_seq = 0;
	p->collapsed = 0;
}

void
batch_plan_free(struct batch_plan *p)
{
	batch_plan_clear(p);
	free(p->units);
	free(p->slots);
	memset(p, 0, sizeof(*p));
}

bool
batch_plan_fail(struct batch_plan *p, size_t i, const char *message)
{
	struct batch_unit	*u = &p->units[i];

	if (u->row && u->failure == NULL) {
		u->failure = xasprintf("postgres: %s", message);
		return true;
	}
	if (u->ascii)
		return false;
	u->ascii = true;
	return true;
}

void
batch_plan_count(const struct batch_plan *p, uint64_t *rows, uint64_t *dead)
{
	size_t	 i;

	*rows = *dead = 0;
	for (i = 0; i < p->nunits; i++) {
		if (p->units[i].row && p->units[i].failure == NULL)
			*rows += p->units[i].deliveries;
		else
			(*dead)++;
	}
}

void
batch_stmt_init(struct batch_stmt *st)
{
	int	 i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < BATCH_MAX_PARAMS; i++)
		buf_init(&st->param[i]);
}

void
batch_stmt_free(struct batch_stmt *st)
{
	int	 i;

	for (i = 0; i < BATCH_MAX_PARAMS; i++)
		buf_free(&st->param[i]);
}

/* Starts a statement of n array parameters. */
static void
lit_begin(struct batch_stmt *st, const char *sql, int n)
{
	int	 i;

	st->sql = sql;
	st->nparams = n;
	for (i = 0; i < n; i++) {
		buf_reset(&st->param[i]);
		buf_add(&st->param[i], "{", 1);
	}
}

/* Closes every array and points the values at them. */
static void
lit_end(struct batch_stmt *st)
{
	int	 i;

	for (i = 0; i < st->nparams; i++) {
		buf_add(&st->param[i], "}", 2);		/* with the NUL */
		st->values[i] = (const char *)st->param[i].data;
	}
}

static const char dead_sql[] =
	"INSERT INTO cxpipe_dead_letters (source, seq, received_at, reason, payload)"
	" SELECT s, q, coalesce(r, now()), m, p FROM unnest($1::text[],"
	" $2::bigint[], $3::timestamptz[], $4::text[], $5::text[]) AS u(s, q, r, m, p)"
	" ON CONFLICT (source, seq) DO NOTHING";

static const char offsets_sql[] =
	"INSERT INTO cxpipe_offsets AS o (source, seq)"
	" SELECT * FROM unnest($1::text[], $2::bigint[])"
	" ON CONFLICT (source) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()";

bool
batch_build_rows(struct batch *b, const struct batch_plan *p, uint32_t family,
    size_t from, size_t to, struct batch_stmt *st)
{
	const struct family_rows *fr = family_rows_get(family);
	const struct batch_unit	*u;
	const struct rec	*r;
	size_t			 i, n = 0;

	if (fr == NULL)
		return false;
	lit_begin(st, fr->sql, fr->nparams);
	for (i = from; i < to; i++) {
		u = &p->units[i];
		if (!u->row || u->failure != NULL)
			continue;
		r = batch_rec(b, u->rec);
		if (r->fr != fr)
			continue;
		family_rows_add(fr, st->param, r->f, r->len, u->deliveries, r->seq);
		n++;
	}
	lit_end(st);
	return n > 0;
}

bool
batch_build_dead(struct batch *b, const struct batch_plan *p, size_t from,
    size_t to, struct batch_stmt *st)
{
	const struct batch_unit	*u;
	const struct rec	*r;
	struct tuple		 t;
	size_t			 i, n = 0;
	int			 flags, j;

	lit_begin(st, dead_sql, 5);
	for (i = from; i < to; i++) {
		u = &p->units[i];
		if (u->row && u->failure == NULL)
			continue;
		r = batch_rec(b, u->rec);
		flags = TEXT_CLEAN | (u->ascii ? TEXT_ASCII : 0);
		text_add_element(&st->param[0], r->f[0], r->len[0], flags);
		text_add_element_u64(&st->param[1], r->seq);
		text_add_element_us(&st->param[2], r->f[1]);
		if (u->row) {
			/* A row PostgreSQL refused: its fields as JSON. */
			text_add_element(&st->param[3], u->failure, strlen(u->failure), flags);
			t.n = r->fr->nfields;
			for (j = 0; j < t.n; j++) {
				t.val[j] = r->f[j];
				t.len[j] = r->len[j];
			}
			buf_reset(&b->scratch);
			text_add_json_fields(&b->scratch, &t, r->fr->names);
			text_add_element(&st->param[4], (const char *)b->scratch.data,
			    b->scratch.len, flags);
		} else {
			if (r->f[DEAD_REASON] != NULL)
				text_add_element(&st->param[3], r->f[DEAD_REASON],
				    r->len[DEAD_REASON], flags);
			else
				text_add_element(&st->param[3], "(no reason given)", 17, 0);
			text_add_element(&st->param[4], r->f[DEAD_PAYLOAD],
			    r->len[DEAD_PAYLOAD], flags);
		}
		n++;
	}
	lit_end(st);
	return n > 0;
}

void
batch_build_offsets(struct batch *b, const struct batch_plan *p,
    struct batch_stmt *st)
{
	const struct rec	*r;
	size_t			 i, j, n = 0;

	for (i = 0; i < p->n; i++) {
		r = batch_rec(b, i);
		for (j = 0; j < n; j++)
			if (b->olen[j] == r->len[0] &&
			    memcmp(b->osrc[j], r->f[0], r->len[0]) == 0)
				break;
		if (j == n) {
			if (n == b->ocap) {
				b->ocap = b->ocap ? b->ocap * 2 : 8;
				b->osrc = xreallocarray(b->osrc, b->ocap, sizeof(*b->osrc));
				b->olen = xreallocarray(b->olen, b->ocap, sizeof(*b->olen));
				b->oseq = xreallocarray(b->oseq, b->ocap, sizeof(*b->oseq));
			}
			b->osrc[n] = r->f[0];
			b->olen[n++] = r->len[0];
		}
		b->oseq[j] = r->seq;
	}
	lit_begin(st, offsets_sql, 2);
	for (j = 0; j < n; j++) {
		text_add_element(&st->param[0], b->osrc[j], b->olen[j], 0);
		text_add_element_u64(&st->param[1], b->oseq[j]);
	}
	lit_end(st);
}
