/*
 * Webhook delivery of the alert worker: one bounded queue per [webhook],
 * one POST in flight per webhook (notifications arrive in order), retries
 * with a doubling delay, all on libcurl's multi interface on the worker's
 * loop (workers/ingest/curl_loop.c): nothing here blocks.
 */
#ifndef CXPIPE_WEBHOOK_H
#define CXPIPE_WEBHOOK_H

#include "config.h"
#include "tuple.h"

struct curl_loop;
struct webhook_set;

/* Makes the webhooks of conf; queued notifications of webhooks of old with
 * the same name move over (old is then freed).  Returns NULL with err set
 * when a token file cannot be read. */
struct webhook_set *webhook_set_new(struct curl_loop *, const struct config *,
		    struct webhook_set *old, char *err, size_t errlen);
void		 webhook_set_free(struct webhook_set *);
/* Queues body (a JSON object) for every webhook that takes rule. */
void		 webhook_set_post(struct webhook_set *, const char *rule,
		    const char *body);
/* Appends "webhooks":[...] counters as a JSON member. */
void		 webhook_set_stats(const struct webhook_set *, struct buf *);

#endif
