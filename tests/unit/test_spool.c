/*
 * Unit tests of the spool (src/spool.c) and CRC-32C (src/crc32c.c).
 * Runs in a private temporary directory that it removes at the end; prints
 * one line per failed check and exits 1 if any failed.
 *
 * "test_spool bench [N]" instead times N appends (default 1000000) of
 * 300-byte bodies without fsync, then reading them back.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

struct test {
	int	 failed;
	char	 root[256];		/* the temporary directory */
	char	 logpath[300];
};

#define CHECK(t, cond) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		(t)->failed++;						\
	}								\
} while (0)

#define CHECK_EQ(t, a, b) do {						\
	uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);		\
	if (_a != _b) {							\
		printf("FAIL %s:%d: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
		    __FILE__, __LINE__, #a, #b, _a, _b);		\
		(t)->failed++;						\
	}								\
} while (0)

/* The record a test writes for a sequence number, so reads can be checked. */
struct gen {
	char		 source[32];
	uint8_t		 family;
	uint64_t	 received_us;
	uint64_t	 aux;
	uint8_t		 body[8192];
	size_t		 len;
};

static void
gen_record(struct gen *g, uint64_t seq)
{
	size_t	 i;

	if (seq % 3 == 0)
		snprintf(g->source, sizeof(g->source), "http");
	else if (seq % 11 == 0)
		g->source[0] = '\0';
	else
		snprintf(g->source, sizeof(g->source), "stream-%u", (unsigned)(seq % 5));
	g->family = (uint8_t)(seq % 4);
	g->received_us = 1700000000000000ull + seq * 1000;
	g->aux = seq % 7 == 0 ? 0 : UINT64_MAX - seq;
	g->len = (size_t)((seq * 7919) % 600) + (seq % 97 == 0 ? 5000 : 0);
	for (i = 0; i < g->len; i++)
		g->body[i] = (uint8_t)(seq * 31 + i * 7);
}

/* Appends the generated record that should get sequence number want. */
static int
append_gen(struct test *t, struct spool *sp, uint64_t want)
{
	struct gen	 g;
	uint64_t	 seq = 0;

	gen_record(&g, want);
	if (spool_append(sp, g.source, g.family, g.received_us, g.aux, g.body, g.len, &seq) == -1) {
		printf("FAIL append %" PRIu64 ": %s\n", want, strerror(errno));
		t->failed++;
		return -1;
	}
	CHECK_EQ(t, seq, want);
	return 0;
}

static void
append_range(struct test *t, struct spool *sp, uint64_t from, uint64_t to)
{
	uint64_t	 s;

	for (s = from; s <= to; s++)
		if (append_gen(t, sp, s) == -1)
			return;
}

/* Whether a record read back is exactly what gen_record() made for its seq. */
static int
rec_ok(const struct spool_rec *r)
{
	struct gen	 g;

	gen_record(&g, r->seq);
	return strcmp(r->source, g.source) == 0 && r->family == g.family &&
	    r->received_us == g.received_us && r->aux == g.aux && r->body_len == g.len &&
	    memcmp(r->body, g.body, g.len) == 0;
}

/* Reads to the end and checks that exactly seqs from..to come back, intact. */
static void
read_expect(struct test *t, struct spool *sp, uint64_t from, uint64_t to, int line)
{
	struct spool_rec r;
	uint64_t	 want = from;
	int		 rc;

	while ((rc = spool_read_next(sp, &r)) == 1) {
		if (r.seq != want || !rec_ok(&r)) {
			printf("FAIL line %d: read seq %" PRIu64 " (want %" PRIu64 ")%s\n",
			    line, r.seq, want, rec_ok(&r) ? "" : ", bad content");
			t->failed++;
			return;
		}
		want++;
	}
	if (rc != 0 || want != to + 1) {
		printf("FAIL line %d: read ended at %" PRIu64 " (want %" PRIu64 "), rc %d\n",
		    line, want - 1, to, rc);
		t->failed++;
	}
}

static struct spool *
open_spool(struct test *t, const char *dir, uint64_t segment_bytes, uint64_t max_bytes)
{
	struct spool_opts o = { max_bytes, segment_bytes, false };
	struct spool	*sp;
	char		 err[512];

	if ((sp = spool_open(dir, &o, err, sizeof(err))) == NULL) {
		printf("FAIL spool_open %s: %s\n", dir, err);
		t->failed++;
	}
	return sp;
}

/* Returns a fresh path under the test root; the caller frees it. */
static char *
test_dir(struct test *t, const char *name)
{
	return xasprintf("%s/%s", t->root, name);
}

static char *
seg_path(const char *dir, uint64_t first)
{
	return xasprintf("%s/%020" PRIu64 ".seg", dir, first);
}

static off_t
file_size(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == -1 ? -1 : st.st_size;
}

static int
u64_cmp(const void *a, const void *b)
{
	const uint64_t	*x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* The first sequence numbers (file names) of the segments in dir, sorted. */
static int
list_segs(const char *dir, uint64_t *firsts, int max)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max)
		if (strlen(de->d_name) == 24 && strcmp(de->d_name + 20, ".seg") == 0)
			firsts[n++] = strtoull(de->d_name, NULL, 10);
	closedir(d);
	qsort(firsts, (size_t)n, sizeof(*firsts), u64_cmp);
	return n;
}

/* Sum of the sizes of the segment files in dir, and their number in *n. */
static uint64_t
disk_bytes(const char *dir, int *n)
{
	uint64_t	 firsts[1000], sum = 0;
	char		*p;
	int		 i;

	*n = list_segs(dir, firsts, 1000);
	for (i = 0; i < *n; i++) {
		p = seg_path(dir, firsts[i]);
		sum += (uint64_t)file_size(p);
		free(p);
	}
	return sum;
}

/* The path of the i-th segment (negative: from the newest); the caller frees it. */
static char *
nth_seg(const char *dir, int i)
{
	uint64_t	 firsts[1000];
	int		 n = list_segs(dir, firsts, 1000);

	if (i < 0)
		i += n;
	return i >= 0 && i < n ? seg_path(dir, firsts[i]) : xstrdup("/nonexistent");
}

static long
log_mark(struct test *t)
{
	return (long)file_size(t->logpath);
}

/* Whether the log got a line containing needle since mark. */
static int
log_has(struct test *t, long mark, const char *needle)
{
	FILE	*f;
	char	 line[2400];
	int	 found = 0;

	if ((f = fopen(t->logpath, "r")) == NULL)
		return 0;
	fseek(f, mark, SEEK_SET);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Writes n bytes at off (off -1: at the end) of a file. */
static void
poke(struct test *t, const char *path, off_t off, const void *p, size_t n)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY)) == -1 ||
	    (off == -1 && (off = lseek(fd, 0, SEEK_END)) == -1) ||
	    pwrite(fd, p, n, off) != (ssize_t)n) {
		printf("FAIL poke %s: %s\n", path, strerror(errno));
		t->failed++;
	}
	if (fd != -1)
		close(fd);
}

/* A bit-at-a-time CRC-32C, independent of src/crc32c.c. */
static uint32_t
crc32c_ref(const uint8_t *p, size_t n)
{
	uint32_t	 c = 0xffffffffu;
	int		 k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

static void
test_crc32c(struct test *t)
{
	uint8_t		 buf[1000], zeros[32] = { 0 };
	size_t		 i, a, b;

	CHECK_EQ(t, crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ(t, crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	CHECK_EQ(t, crc32c(0, zeros, sizeof(zeros)), 0x8a9136aau);
	CHECK_EQ(t, crc32c(0, "", 0), 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	/* Every alignment and length mix, against the reference. */
	for (a = 0; a < 9; a++)
		for (b = 0; b < 40; b++)
			CHECK_EQ(t, crc32c(crc32c(0, buf + a, b), buf + a + b, 900 - b),
			    crc32c_ref(buf + a, 900));
}

static void
test_fresh(struct test *t)
{
	struct spool_rec r;
	struct spool	*sp;
	char		*dir = test_dir(t, "fresh/a/b"), *p = seg_path(dir, 1);
	uint64_t	 seq = 0;

	if ((sp = open_spool(t, dir, 65536, 0)) != NULL) {
		CHECK(t, spool_is_fresh(sp));
		CHECK_EQ(t, spool_next_seq(sp), 1);
		CHECK_EQ(t, spool_acked_seq(sp), 0);
		CHECK_EQ(t, spool_records(sp), 0);
		CHECK_EQ(t, spool_bytes(sp), 0);
		CHECK_EQ(t, spool_segments(sp), 1);
		CHECK(t, !spool_full(sp));
		CHECK_EQ(t, spool_read_next(sp, &r), 0);
		CHECK(t, file_size(p) == 0);
		spool_close(sp);
	}
	/* Nothing appended: still fresh after a reopen. */
	if ((sp = open_spool(t, dir, 65536, 0)) != NULL) {
		CHECK(t, spool_is_fresh(sp));
		CHECK_EQ(t, spool_append(sp, NULL, 1, 5, 0, "x", 1, &seq), 0);
		CHECK_EQ(t, seq, 1);
		CHECK(t, !spool_is_fresh(sp));
		CHECK_EQ(t, spool_read_next(sp, &r), 1);
		CHECK(t, strcmp(r.source, "") == 0 && r.body_len == 1 && r.body[0] == 'x');
		spool_close(sp);
	}
	if ((sp = open_spool(t, dir, 65536, 0)) != NULL) {
		CHECK(t, !spool_is_fresh(sp));
		CHECK_EQ(t, spool_next_seq(sp), 2);
		spool_close(sp);
	}
	free(p);
	free(dir);
}

static void
test_roundtrip(struct test *t)
{
	struct spool_rec r;
	struct spool	*sp, *sp2;
	char		*dir = test_dir(t, "roundtrip"), err[256];
	uint64_t	 s;
	int		 n;

	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 3000);
	CHECK(t, spool_segments(sp) > 5);
	CHECK_EQ(t, spool_records(sp), 3000);
	CHECK_EQ(t, spool_bytes(sp), disk_bytes(dir, &n));
	CHECK_EQ(t, n, spool_segments(sp));
	read_expect(t, sp, 1, 3000, __LINE__);
	/* The reader follows the writer in the active segment and across rotations. */
	for (s = 3001; s <= 3400; s++) {
		append_gen(t, sp, s);
		if (spool_read_next(sp, &r) != 1 || r.seq != s || !rec_ok(&r)) {
			printf("FAIL %s:%d: reading right after append %" PRIu64 "\n",
			    __FILE__, __LINE__, s);
			t->failed++;
			break;
		}
		CHECK_EQ(t, spool_read_next(sp, &r), 0);
	}
	/* A second process cannot open it. */
	sp2 = spool_open(dir, NULL, err, sizeof(err));
	CHECK(t, sp2 == NULL && strstr(err, "in use") != NULL);
	spool_close(sp2);
	spool_close(sp);

	/* Sequence continuity across close and reopen. */
	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	CHECK(t, !spool_is_fresh(sp));
	CHECK_EQ(t, spool_next_seq(sp), 3401);
	append_range(t, sp, 3401, 3410);
	read_expect(t, sp, 1, 3410, __LINE__);
	spool_close(sp);
out:
	free(dir);
}

static void
test_limits(struct test *t)
{
	struct spool_rec r;
	struct spool	*sp;
	char		*dir = test_dir(t, "limits"), src[SPOOL_MAX_SOURCE + 2];
	uint8_t		*big;
	uint64_t	 seq;

	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	memset(src, 's', sizeof(src));
	src[SPOOL_MAX_SOURCE + 1] = '\0';
	errno = 0;
	CHECK(t, spool_append(sp, src, 0, 0, 0, "x", 1, &seq) == -1 && errno == EINVAL);
	src[SPOOL_MAX_SOURCE] = '\0';
	big = xmalloc(SPOOL_MAX_RECORD + 1);
	memset(big, 0xa5, SPOOL_MAX_RECORD + 1);
	errno = 0;
	CHECK(t, spool_append(sp, src, 0, 0, 0, big, SPOOL_MAX_RECORD + 1, &seq) == -1 &&
	    errno == EFBIG);
	CHECK_EQ(t, spool_next_seq(sp), 1);
	CHECK_EQ(t, spool_append(sp, src, 2, 3, 4, "y", 1, &seq), 0);
	CHECK_EQ(t, spool_append(sp, src, 7, 9, 10, big, SPOOL_MAX_RECORD, &seq), 0);
	CHECK_EQ(t, spool_append(sp, "z", 1, 1, 1, "", 0, &seq), 0);
	CHECK_EQ(t, seq, 3);
	/* The big record sits alone in its own segment. */
	CHECK_EQ(t, spool_segments(sp), 3);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK(t, r.seq == 1 && strcmp(r.source, src) == 0 && r.family == 2 &&
	    r.received_us == 3 && r.aux == 4 && r.body_len == 1 && r.body[0] == 'y');
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK(t, r.seq == 2 && r.family == 7 && r.aux == 10 && r.body_len == SPOOL_MAX_RECORD &&
	    memcmp(r.body, big, SPOOL_MAX_RECORD) == 0);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK(t, r.seq == 3 && strcmp(r.source, "z") == 0 && r.body_len == 0);
	CHECK_EQ(t, spool_read_next(sp, &r), 0);
	free(big);
	spool_close(sp);
out:
	free(dir);
}

static void
test_ack(struct test *t)
{
	struct spool_rec r;
	struct spool	*sp;
	char		*dir = test_dir(t, "ack"), *q;
	uint64_t	 before, f, first;
	int		 segs, n;

	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 600);
	segs = spool_segments(sp);
	before = spool_bytes(sp);
	CHECK(t, segs > 10);
	/* A segment goes only when its last record is acknowledged. */
	q = nth_seg(dir, 1);
	f = strtoull(strrchr(q, '/') + 1, NULL, 10);
	free(q);
	spool_ack(sp, f - 2);
	CHECK_EQ(t, spool_segments(sp), segs);
	spool_rewind(sp);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK_EQ(t, r.seq, f - 1);
	spool_ack(sp, f - 1);
	CHECK_EQ(t, spool_segments(sp), segs - 1);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK_EQ(t, r.seq, f);
	spool_ack(sp, 250);
	CHECK_EQ(t, spool_acked_seq(sp), 250);
	CHECK_EQ(t, spool_records(sp), 350);
	CHECK(t, spool_segments(sp) < segs);
	CHECK(t, spool_bytes(sp) < before);
	CHECK_EQ(t, spool_bytes(sp), disk_bytes(dir, &n));
	CHECK_EQ(t, n, spool_segments(sp));
	spool_ack(sp, 100);
	CHECK_EQ(t, spool_acked_seq(sp), 250);
	/* The reader starts after the acknowledged records. */
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK_EQ(t, r.seq, 251);
	/* Rewind goes back to the first unacknowledged record. */
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	spool_rewind(sp);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK_EQ(t, r.seq, 251);
	spool_close(sp);

	/* Reopen: acknowledgement remembered, cursor after it. */
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_acked_seq(sp), 250);
	CHECK_EQ(t, spool_records(sp), 350);
	read_expect(t, sp, 251, 600, __LINE__);
	/* An ack past the cursor's segment moves the cursor along. */
	spool_rewind(sp);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	spool_ack(sp, 500);
	CHECK_EQ(t, spool_read_next(sp, &r), 1);
	CHECK_EQ(t, r.seq, 501);
	/* Everything acknowledged: the active segment is rotated away too. */
	spool_ack(sp, 600);
	CHECK_EQ(t, spool_records(sp), 0);
	CHECK_EQ(t, spool_segments(sp), 1);
	CHECK_EQ(t, spool_bytes(sp), 0);
	CHECK_EQ(t, disk_bytes(dir, &n), 0);
	CHECK_EQ(t, n, 1);
	/* Acks beyond the last record are clamped. */
	spool_ack(sp, 1000000);
	CHECK_EQ(t, spool_acked_seq(sp), 600);
	spool_close(sp);

	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, !spool_is_fresh(sp));
	CHECK_EQ(t, spool_next_seq(sp), 601);
	CHECK_EQ(t, spool_acked_seq(sp), 600);
	CHECK_EQ(t, spool_read_next(sp, &r), 0);
	append_range(t, sp, 601, 700);
	read_expect(t, sp, 601, 700, __LINE__);
	spool_ack(sp, 650);
	first = spool_next_seq(sp) - spool_records(sp);
	spool_close(sp);

	/* "acked" lost: what precedes the oldest segment was acknowledged. */
	q = xasprintf("%s/acked", dir);
	CHECK(t, unlink(q) == 0);
	free(q);
	q = nth_seg(dir, 0);
	f = strtoull(strrchr(q, '/') + 1, NULL, 10);
	free(q);
	CHECK(t, f > 601 && f <= 651);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_acked_seq(sp), f - 1);
	read_expect(t, sp, f, 700, __LINE__);
	CHECK(t, first == 651);
	spool_close(sp);

	/* Records acknowledged but lost from the segment (neither was synced):
	 * their numbers are not given out again. */
	free(dir);
	dir = test_dir(t, "ack_lost");
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 5);
	spool_ack(sp, 5);
	CHECK_EQ(t, spool_segments(sp), 1);
	spool_close(sp);
	q = seg_path(dir, 1);
	CHECK(t, truncate(q, 0) == 0);
	free(q);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_next_seq(sp), 6);
	CHECK_EQ(t, spool_records(sp), 0);
	spool_close(sp);
out:
	free(dir);
}

static void
test_torn_tail(struct test *t)
{
	struct spool	*sp;
	char		*dir = test_dir(t, "torn"), *p = NULL, junk[37];
	uint8_t		 zeros[4096] = { 0 };
	long		 mark;
	off_t		 size;
	int		 n;

	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 200);
	spool_close(sp);
	disk_bytes(dir, &n);
	CHECK(t, n > 2);

	/* Cut in the middle of the last record of the last segment. */
	p = nth_seg(dir, -1);
	size = file_size(p);
	CHECK(t, truncate(p, size - 10) == 0);
	mark = log_mark(t);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, log_has(t, mark, "cut"));
	CHECK_EQ(t, spool_next_seq(sp), 200);
	CHECK_EQ(t, spool_bytes(sp), disk_bytes(dir, &n));
	read_expect(t, sp, 1, 199, __LINE__);
	append_range(t, sp, 200, 210);
	read_expect(t, sp, 200, 210, __LINE__);
	spool_close(sp);

	/* Garbage after the last record. */
	free(p);
	p = nth_seg(dir, -1);
	memset(junk, 0x5a, sizeof(junk));
	poke(t, p, -1, junk, sizeof(junk));
	mark = log_mark(t);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, log_has(t, mark, "cut 37 bytes"));
	CHECK_EQ(t, spool_next_seq(sp), 211);
	read_expect(t, sp, 1, 210, __LINE__);
	spool_close(sp);

	/* Zeros after the last record (a file extended but never written). */
	poke(t, p, -1, zeros, sizeof(zeros));
	mark = log_mark(t);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, log_has(t, mark, "cut 4096 bytes"));
	CHECK_EQ(t, spool_next_seq(sp), 211);
	CHECK_EQ(t, spool_bytes(sp), disk_bytes(dir, &n));
	read_expect(t, sp, 1, 210, __LINE__);
	spool_close(sp);

	/* A valid record out of order (a copy of an earlier one) is cut too. */
	{
		uint8_t		 rec[8192];
		uint32_t	 len;
		int		 fd = open(p, O_RDONLY);

		CHECK(t, fd != -1 && pread(fd, rec, sizeof(rec), 0) > 40);
		memcpy(&len, rec + 4, 4);
		CHECK(t, len < sizeof(rec));
		if (len < sizeof(rec))
			poke(t, p, -1, rec, len);
		if (fd != -1)
			close(fd);
	}
	mark = log_mark(t);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, log_has(t, mark, "out of order"));
	CHECK_EQ(t, spool_next_seq(sp), 211);
	read_expect(t, sp, 1, 210, __LINE__);
	spool_close(sp);

	/* The only record torn: the segment is emptied, its name gives the seq. */
	free(p);
	free(dir);
	dir = test_dir(t, "torn1");
	p = seg_path(dir, 1);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	append_gen(t, sp, 1);
	spool_close(sp);
	CHECK(t, truncate(p, 5) == 0);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_next_seq(sp), 1);
	CHECK_EQ(t, spool_bytes(sp), 0);
	CHECK(t, file_size(p) == 0);
	append_gen(t, sp, 1);
	read_expect(t, sp, 1, 1, __LINE__);
	spool_close(sp);
out:
	free(p);
	free(dir);
}

static void
test_corrupt(struct test *t)
{
	struct spool_rec r;
	struct spool	*sp;
	char		*dir = test_dir(t, "corrupt"), *p = seg_path(dir, 1), *q;
	uint64_t	 want = 1, second = 0, last = 0;
	uint8_t		 x = 0xff;
	long		 mark;
	int		 rc, nread = 0, bad = 0;

	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 300);
	spool_close(sp);
	q = nth_seg(dir, 1);
	second = strtoull(strrchr(q, '/') + 1, NULL, 10);
	free(q);
	CHECK(t, second > 10);
	/* Flip a byte in the middle of the first (sealed) segment. */
	poke(t, p, file_size(p) / 2, &x, 1);
	mark = log_mark(t);
	if ((sp = open_spool(t, dir, 16384, 0)) == NULL)
		goto out;
	CHECK(t, !log_has(t, mark, "cut"));		/* sealed: not checked at open */
	CHECK_EQ(t, spool_next_seq(sp), 301);
	while ((rc = spool_read_next(sp, &r)) == 1) {
		if (!rec_ok(&r) || r.seq <= last)
			bad++;
		if (r.seq == want)
			want++;
		else if (r.seq != second)
			bad++;
		else
			want = second + 1;
		last = r.seq;
		nread++;
	}
	CHECK_EQ(t, rc, 0);
	CHECK_EQ(t, bad, 0);
	CHECK_EQ(t, last, 300);
	CHECK(t, nread < 300 && nread > 300 - (int)second);
	CHECK(t, log_has(t, mark, "bytes skipped"));
	/* A sealed segment removed behind the spool's back is skipped. */
	q = nth_seg(dir, 2);
	second = strtoull(strrchr(q, '/') + 1, NULL, 10);
	CHECK(t, unlink(q) == 0);
	free(q);
	q = nth_seg(dir, 2);
	last = strtoull(strrchr(q, '/') + 1, NULL, 10);
	free(q);
	spool_ack(sp, second - 1);
	spool_rewind(sp);
	mark = log_mark(t);
	read_expect(t, sp, last, 300, __LINE__);
	CHECK(t, log_has(t, mark, "No such file"));
	spool_close(sp);

	/* Damage in the active segment while open: the rest of it is skipped
	 * and later appends go to a new segment. */
	free(dir);
	free(p);
	dir = test_dir(t, "corrupt_active");
	p = seg_path(dir, 1);
	if ((sp = open_spool(t, dir, 1 << 20, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 10);
	poke(t, p, file_size(p) - 3, &x, 1);	/* in record 10 */
	mark = log_mark(t);
	read_expect(t, sp, 1, 9, __LINE__);
	CHECK(t, log_has(t, mark, "checksum mismatch"));
	CHECK_EQ(t, spool_segments(sp), 2);
	append_range(t, sp, 11, 12);
	read_expect(t, sp, 11, 12, __LINE__);
	spool_close(sp);
out:
	free(p);
	free(dir);
}

static void
test_full(struct test *t)
{
	struct spool	*sp;
	struct spool_opts o = { 20000, 8192, false };
	char		*dir = test_dir(t, "full");
	uint64_t	 s;

	if ((sp = open_spool(t, dir, 8192, 20000)) == NULL)
		goto out;
	for (s = 1; s < 1000 && !spool_full(sp); s++) {
		CHECK(t, spool_bytes(sp) < 20000);
		if (append_gen(t, sp, s) == -1)
			break;
	}
	CHECK(t, spool_full(sp));
	CHECK(t, spool_bytes(sp) >= 20000);
	spool_ack(sp, spool_next_seq(sp) - 1);
	CHECK(t, !spool_full(sp));
	/* A new limit applies at once. */
	append_range(t, sp, s, s + 20);
	o.max_bytes = 100;
	spool_set_opts(sp, &o);
	CHECK(t, spool_full(sp));
	o.max_bytes = 0;
	spool_set_opts(sp, &o);
	CHECK(t, !spool_full(sp));
	spool_close(sp);
out:
	free(dir);
}

static void
test_advance(struct test *t)
{
	struct spool	*sp;
	struct spool_rec r;
	char		*dir = test_dir(t, "advance"), *p = seg_path(dir, 1000);
	uint64_t	 want[] = { 1000, 1001, 1002, 2000, 2001 };
	int		 i, n;

	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	CHECK(t, spool_is_fresh(sp));
	spool_advance_seq(sp, 1000);
	CHECK_EQ(t, spool_next_seq(sp), 1000);
	CHECK_EQ(t, spool_records(sp), 0);
	CHECK(t, file_size(p) == 0);
	spool_advance_seq(sp, 500);
	CHECK_EQ(t, spool_next_seq(sp), 1000);
	spool_close(sp);

	/* Kept across a reopen with nothing appended. */
	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_next_seq(sp), 1000);
	append_range(t, sp, 1000, 1002);
	/* With records not yet acknowledged: a gap in the numbers. */
	spool_advance_seq(sp, 2000);
	append_range(t, sp, 2000, 2001);
	spool_close(sp);

	if ((sp = open_spool(t, dir, 65536, 0)) == NULL)
		goto out;
	CHECK_EQ(t, spool_next_seq(sp), 2002);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(t, spool_read_next(sp, &r), 1);
		CHECK(t, r.seq == want[i] && rec_ok(&r));
	}
	CHECK_EQ(t, spool_read_next(sp, &r), 0);
	spool_ack(sp, 2001);
	CHECK_EQ(t, spool_records(sp), 0);
	CHECK_EQ(t, spool_segments(sp), 1);
	CHECK_EQ(t, disk_bytes(dir, &n), spool_bytes(sp));
	spool_close(sp);
out:
	free(p);
	free(dir);
}

/* An append that hits the file size limit leaves no partial record. */
static void
test_write_error(struct test *t)
{
	struct spool	*sp;
	struct rlimit	 old, lim;
	char		*dir = test_dir(t, "enospc"), *p = seg_path(dir, 1);
	struct gen	 g;
	uint64_t	 s, ok = 0;
	long		 mark;
	int		 rc = 0;

	if ((sp = open_spool(t, dir, 1 << 20, 0)) == NULL)
		goto out;
	append_range(t, sp, 1, 20);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)file_size(p) + 1500;
	setrlimit(RLIMIT_FSIZE, &lim);
	mark = log_mark(t);
	for (s = 21; s < 60; s++) {
		gen_record(&g, s);
		if ((rc = spool_append(sp, g.source, g.family, g.received_us,
		    g.aux, g.body, g.len, &ok)) == -1)
			break;
	}
	CHECK(t, rc == -1 && errno == EFBIG);
	CHECK_EQ(t, (uint64_t)file_size(p), spool_bytes(sp));
	/* Failing again leaves the file as it was. */
	CHECK(t, spool_append(sp, g.source, g.family, g.received_us, g.aux, g.body,
	    g.len, &ok) == -1);
	CHECK_EQ(t, (uint64_t)file_size(p), spool_bytes(sp));
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(t, log_has(t, mark, "append"));
	append_range(t, sp, s, s + 5);
	read_expect(t, sp, 1, s + 5, __LINE__);
	spool_close(sp);
out:
	free(p);
	free(dir);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Times n appends of 300-byte bodies, then reading them back. */
static int
bench(struct test *t, uint64_t n)
{
	struct spool_rec r;
	struct spool	*sp;
	char		*dir = test_dir(t, "bench"), body[300];
	uint64_t	 i, seq, rec = 0;
	double		 t0, t1, t2;

	memset(body, 'e', sizeof(body));
	if ((sp = open_spool(t, dir, 16u << 20, 0)) == NULL)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++)
		if (spool_append(sp, "http", 1, i, i, body, sizeof(body), &seq) == -1) {
			printf("append: %s\n", strerror(errno));
			return 1;
		}
	t1 = now();
	while (spool_read_next(sp, &r) == 1)
		rec++;
	t2 = now();
	printf("append: %" PRIu64 " records of %zu bytes (%" PRIu64 " on disk) in %.3f s: "
	    "%.0f records/s, %.1f MB/s\n", n, sizeof(body), spool_bytes(sp), t1 - t0,
	    (double)n / (t1 - t0), (double)spool_bytes(sp) / (t1 - t0) / 1e6);
	printf("read:   %" PRIu64 " records in %.3f s: %.0f records/s\n", rec, t2 - t1,
	    (double)rec / (t2 - t1));
	spool_close(sp);
	free(dir);
	return rec == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct test	 t;
	const char	*tmp = getenv("TMPDIR");
	int		 rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.root, sizeof(t.root), "%s/test_spool.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(t.root) == NULL) {
		printf("FAIL mkdtemp %s: %s\n", t.root, strerror(errno));
		return 1;
	}
	snprintf(t.logpath, sizeof(t.logpath), "%s/log", t.root);
	log_init("test", t.logpath);
	if (argc > 1 && strcmp(argv[1], "bench") == 0) {
		rc = bench(&t, argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000);
	} else {
		test_crc32c(&t);
		test_fresh(&t);
		test_roundtrip(&t);
		test_limits(&t);
		test_ack(&t);
		test_torn_tail(&t);
		test_corrupt(&t);
		test_full(&t);
		test_advance(&t);
		test_write_error(&t);
		rc = t.failed > 0;
		if (rc != 0)
			printf("%d checks failed\n", t.failed);
	}
	log_init("test", "stderr");
	/* TEST_SPOOL_KEEP=1 keeps the directory (and its log) for a look. */
	if (getenv("TEST_SPOOL_KEEP") == NULL)
		nftw(t.root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("kept %s\n", t.root);
	return rc;
}
