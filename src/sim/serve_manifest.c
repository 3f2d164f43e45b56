/*
 * serve_manifest.c: the manifests of "cxpipe-sim serve", DIR/FAMILY.json,
 * one per family served: what was sent (frames written, poll and long-poll
 * items), in the layout of the "generate" manifest so that an interaction
 * manifest feeds "cxpipe-sim verify" as it is:
 *
 *   {"family","seed","lines" (events sent),"valid_sends",
 *    "keys":{KEY:{the values last sent...,"sends":N}},
 *    "invalid":{KIND:N},"invalid_total","garbage",
 *    "count" (planned),"redelivered" (poll items sent again),
 *    "oversized","binary" (with those options), ...}
 *
 * "garbage" counts the frames sent besides the events (--oversized-every,
 * --binary-every): each must become a dead letter, as a garbage line of
 * "generate" does, so that "verify" expects them.
 *
 * KEY is the idempotencyKey (interaction), "interactionId|timestamp|
 * eventType" (analytics), "agentId|timestamp" (agent_state) or
 * "actionId|eventType|minute" (data_action, whose entries hold "count",
 * distinct events, besides "sends", frames).  agent_state adds
 * "odd_transitions" and "current" (each agent's last state).  Each file is
 * written beside and renamed over, so a reader never sees half of one.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "families.h"
#include "log.h"
#include "serve.h"
#include "serve_feed.h"

/* Writes the whole manifest of one feed to fp. */
static void
serve_manifest_put(const struct serve *s, const struct feed *feed, FILE *fp)
{
	const struct family *fam = feed_family(feed);
	struct gen_buf b = { NULL, 0, 0 };
	struct feed_totals t;
	uint64_t i, nkeys = family_manifest_keys(fam);
	size_t k;

	feed_totals(feed, &t);
	fprintf(fp, "{\n\"family\":\"%s\",\n\"seed\":%llu,\n\"lines\":%llu,\n"
	    "\"valid_sends\":%llu,\n\"keys\":{", family_name(feed_id(feed)),
	    (unsigned long long)s->opt.seed, (unsigned long long)t.lines,
	    (unsigned long long)t.valid_sends);
	for (i = 0; i < nkeys; i++) {
		b.len = 0;
		gen_buf_puts(&b, i == 0 ? "\n" : ",\n");
		family_put_manifest_key(fam, i, &b);
		fwrite(b.data, 1, b.len, fp);
	}
	fputs("\n},\n\"invalid\":{", fp);
	for (k = 0; k < family_invalid_kinds(fam); k++)
		fprintf(fp, "%s\n\"%s\":%llu", k == 0 ? "" : ",",
		    family_invalid_name(fam, k),
		    (unsigned long long)family_invalid_sent(fam, k));
	fprintf(fp, "\n},\n\"invalid_total\":%llu,\n\"garbage\":%llu,\n"
	    "\"count\":%llu,\n\"redelivered\":%llu",
	    (unsigned long long)t.invalid,
	    (unsigned long long)(t.oversized + t.binary),
	    (unsigned long long)t.count, (unsigned long long)t.redelivered);
	if (s->opt.oversized_every > 0 || s->opt.binary_every > 0)
		fprintf(fp, ",\n\"oversized\":%llu,\n\"binary\":%llu",
		    (unsigned long long)t.oversized,
		    (unsigned long long)t.binary);
	b.len = 0;
	family_put_manifest_extra(fam, &b);
	if (b.len > 0)
		fwrite(b.data, 1, b.len, fp);
	fputs("\n}\n", fp);
	free(b.data);
}

/* Writes DIR/FAMILY.json through a temporary file; 0, or -1 after logging. */
static int
serve_manifest_write_one(const struct serve *s, const struct feed *feed)
{
	const char *name = family_name(feed_id(feed));
	char path[4096], tmp[4096];
	bool failed;
	FILE *fp;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.json",
	    s->opt.manifest_dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp",
	    s->opt.manifest_dir, name) >= sizeof(tmp)) {
		log_warnx("serve: manifest directory name too long");
		return -1;
	}
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_warn("serve: cannot create manifest %s", tmp);
		return -1;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	serve_manifest_put(s, feed, fp);
	failed = ferror(fp) != 0;
	if (fclose(fp) != 0 || failed) {
		log_warn("serve: cannot write manifest %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		log_warn("serve: cannot rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Writes the manifests that changed since last time (all when force). */
int
serve_manifest_write(struct serve *s, bool force)
{
	struct feed_totals t;
	uint64_t version;
	int i, rc = 0;

	if (s->opt.manifest_dir == NULL)
		return 0;
	for (i = 0; i < FAMILY_COUNT; i++) {
		if (s->feeds[i] == NULL)
			continue;
		feed_totals(s->feeds[i], &t);
		version = t.lines + t.redelivered + t.oversized + t.binary;
		if (!force && s->manifest_written &&
		    version == s->manifest_version[i])
			continue;
		if (serve_manifest_write_one(s, s->feeds[i]) == -1)
			rc = -1;
		else
			s->manifest_version[i] = version;
	}
	s->manifest_written = true;
	return rc;
}
