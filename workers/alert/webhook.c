#include "autoconf.h"

#include <sys/queue.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "../ingest/curl_loop.h"
#include "log.h"
#include "webhook.h"
#include "xmalloc.h"

/* One notification waiting for a webhook. */
struct note {
	TAILQ_ENTRY(note)	 entry;
	char			*body;
	int			 attempts;	/* failed so far */
};
TAILQ_HEAD(note_list, note);

struct webhook {
	struct webhook_set	*set;
	char			*name;
	char			*url;
	char			*rules;		/* NULL: every rule */
	struct curl_slist	*headers;
	int64_t			 timeout_ms;
	int64_t			 retries;
	int64_t			 backoff_ms;
	size_t			 queue_max;
	struct note_list	 queue;
	size_t			 queued;
	CURL			*easy;		/* the POST in flight */
	struct event		*ev_retry;
	char			 errbuf[CURL_ERROR_SIZE];
	uint64_t		 delivered, failures, dropped;
};

struct webhook_set {
	struct curl_loop	*loop;
	struct webhook		*hooks;
	int			 n;
};

static void	webhook_start(struct webhook *);

/* True when the comma or space separated list names rule. */
static bool
webhook_takes(const struct webhook *h, const char *rule)
{
	const char	*p, *q;
	size_t		 n = strlen(rule);

	if (h->rules == NULL)
		return true;
	for (p = h->rules; *p != '\0'; p = q) {
		while (*p == ' ' || *p == ',')
			p++;
		for (q = p; *q != '\0' && *q != ',' && *q != ' '; q++)
			;
		if ((size_t)(q - p) == n && strncmp(p, rule, n) == 0)
			return true;
	}
	return false;
}

/* Drops the head of the queue. */
static void
webhook_pop(struct webhook *h)
{
	struct note	*n = TAILQ_FIRST(&h->queue);

	TAILQ_REMOVE(&h->queue, n, entry);
	h->queued--;
	free(n->body);
	free(n);
}

/* CURLOPT_WRITEFUNCTION: the answer's body is not needed. */
static size_t
webhook_discard_cb(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The retry delay is over: try the head again. */
static void
webhook_retry_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	webhook_start(arg);
}

/* A POST finished: next note on success, a later retry or a drop else. */
static void
webhook_done_cb(void *arg, CURL *easy, CURLcode rc)
{
	struct webhook	*h = arg;
	struct note	*n = TAILQ_FIRST(&h->queue);
	struct timeval	 tv;
	long		 status = 0;
	int64_t		 delay;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	h->easy = NULL;
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		h->delivered++;
		webhook_pop(h);
		webhook_start(h);
		return;
	}
	h->failures++;
	if (++n->attempts > h->retries) {
		log_warnx("webhook %s: notification dropped after %d attempts "
		    "(%s)", h->name, n->attempts, rc != CURLE_OK ? h->errbuf :
		    "HTTP status outside 2xx");
		h->dropped++;
		webhook_pop(h);
		webhook_start(h);
		return;
	}
	delay = h->backoff_ms << (n->attempts - 1 < 6 ? n->attempts - 1 : 6);
	log_info("webhook %s: attempt %d failed (%s%ld), retrying in %lld ms",
	    h->name, n->attempts, rc != CURLE_OK ? h->errbuf : "HTTP ",
	    rc != CURLE_OK ? 0L : status, (long long)delay);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(h->ev_retry, &tv);
}

/* Starts the POST of the head of the queue unless one is in flight. */
static void
webhook_start(struct webhook *h)
{
	struct note	*n = TAILQ_FIRST(&h->queue);
	CURL		*easy;

	if (n == NULL || h->easy != NULL || evtimer_pending(h->ev_retry, NULL))
		return;
	if ((easy = curl_easy_init()) == NULL) {
		log_warnx("webhook %s: curl_easy_init failed", h->name);
		return;
	}
	h->errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, h->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, n->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(n->body));
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, webhook_discard_cb);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, h->errbuf);
	if (curl_loop_add(h->set->loop, easy, webhook_done_cb, h) == -1) {
		curl_easy_cleanup(easy);
		return;
	}
	h->easy = easy;
}

/* Sets h up from its section; returns -1 with err set. */
static int
webhook_init(struct webhook_set *s, struct webhook *h,
    const struct webhook_conf *c, char *err, size_t errlen)
{
	char	*tok, *line;

	h->set = s;
	h->name = xstrdup(c->name);
	h->url = xstrdup(c->url);
	h->rules = c->rules != NULL ? xstrdup(c->rules) : NULL;
	h->timeout_ms = c->timeout_ms;
	h->retries = c->retries;
	h->backoff_ms = c->retry_backoff_ms;
	h->queue_max = (size_t)c->queue_max;
	TAILQ_INIT(&h->queue);
	h->ev_retry = evtimer_new(curl_loop_base(s->loop), webhook_retry_cb, h);
	h->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->bearer_token_file == NULL)
		return 0;
	if ((tok = config_read_secret_file(c->bearer_token_file, err,
	    errlen)) == NULL)
		return -1;
	if (asprintf(&line, "Authorization: Bearer %s", tok) == -1)
		fatal("asprintf");
	h->headers = curl_slist_append(h->headers, line);
	explicit_bzero(line, strlen(line));
	explicit_bzero(tok, strlen(tok));
	free(line);
	free(tok);
	return 0;
}

/* Frees one webhook's resources; its queue must be empty or moved. */
static void
webhook_fini(struct webhook *h)
{
	if (h->easy != NULL) {
		curl_loop_remove(h->set->loop, h->easy);
		curl_easy_cleanup(h->easy);
	}
	while (!TAILQ_EMPTY(&h->queue))
		webhook_pop(h);
	if (h->ev_retry != NULL)
		event_free(h->ev_retry);
	curl_slist_free_all(h->headers);
	free(h->name);
	free(h->url);
	free(h->rules);
}

struct webhook_set *
webhook_set_new(struct curl_loop *loop, const struct config *conf,
    struct webhook_set *old, char *err, size_t errlen)
{
	struct webhook_set	*s = xcalloc(1, sizeof(*s));
	struct webhook		*h, *o;
	int			 i, j;

	s->loop = loop;
	s->hooks = xcalloc((size_t)conf->nwebhooks + 1, sizeof(*s->hooks));
	for (i = 0; i < conf->nwebhooks; i++, s->n++)
		if (webhook_init(s, &s->hooks[i], &conf->webhooks[i], err,
		    errlen) == -1) {
			s->n++;
			webhook_set_free(s);
			return NULL;
		}
	for (j = 0; old != NULL && j < old->n; j++) {
		o = &old->hooks[j];
		for (i = 0; i < s->n; i++) {
			h = &s->hooks[i];
			if (strcmp(h->name, o->name) != 0)
				continue;
			/* The head starts over on the new webhook. */
			TAILQ_CONCAT(&h->queue, &o->queue, entry);
			h->queued = o->queued;
			o->queued = 0;
			h->delivered = o->delivered;
			h->failures = o->failures;
			h->dropped = o->dropped;
			webhook_start(h);
		}
	}
	webhook_set_free(old);
	return s;
}

void
webhook_set_free(struct webhook_set *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		webhook_fini(&s->hooks[i]);
	free(s->hooks);
	free(s);
}

void
webhook_set_post(struct webhook_set *s, const char *rule, const char *body)
{
	struct webhook	*h;
	struct note	*n;
	int		 i;

	for (i = 0; i < s->n; i++) {
		h = &s->hooks[i];
		if (!webhook_takes(h, rule))
			continue;
		if (h->queued >= h->queue_max) {
			h->dropped++;
			log_warnx("webhook %s: queue full (%zu), notification of "
			    "rule %s dropped", h->name, h->queued, rule);
			continue;
		}
		n = xcalloc(1, sizeof(*n));
		n->body = xstrdup(body);
		TAILQ_INSERT_TAIL(&h->queue, n, entry);
		h->queued++;
		webhook_start(h);
	}
}

void
webhook_set_stats(const struct webhook_set *s, struct buf *b)
{
	const struct webhook	*h;
	int			 i;

	buf_add_str(b, "\"webhooks\":[");
	for (i = 0; s != NULL && i < s->n; i++) {
		h = &s->hooks[i];
		buf_printf(b, "%s{\"name\":\"%s\",\"queued\":%zu,\"delivered\":%llu,"
		    "\"failures\":%llu,\"dropped\":%llu}", i ? "," : "", h->name,
		    h->queued, (unsigned long long)h->delivered,
		    (unsigned long long)h->failures,
		    (unsigned long long)h->dropped);
	}
	buf_add_str(b, "]");
}
