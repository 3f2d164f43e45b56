/*
 * OAuth2 access tokens for one stream, fetched from the token endpoint on a
 * curl_loop (form-encoded POST), kept and renewed before they expire, with
 * backoff on every failure.  Secrets and tokens never reach a log line, the
 * error text or the stats.
 */
#ifndef CXPIPE_OAUTH_H
#define CXPIPE_OAUTH_H

#include <stdint.h>
#include <time.h>

struct buf;
struct curl_loop;
struct oauth;

enum oauth_grant {
	OAUTH_GRANT_CLIENT_CREDENTIALS,
	OAUTH_GRANT_PASSWORD,	/* username/password: the CXone access key */
};

enum oauth_state {
	OAUTH_IDLE,		/* not started */
	OAUTH_FETCHING,		/* a token request is in flight */
	OAUTH_VALID,		/* a token is held, renewal is scheduled */
	OAUTH_BACKOFF,		/* waiting to retry after a failure */
};

/* What oauth_new needs; it copies every string, the caller keeps its own.
 * A number left at 0 takes the default below. */
struct oauth_conf {
	const char	*name;		/* the stream, for log lines */
	const char	*token_url;
	enum oauth_grant grant;
	const char	*client_id;
	const char	*client_secret;	/* may be NULL for a public client */
	const char	*username;	/* password grant: access key id */
	const char	*password;	/* password grant: access key secret */
	const char	*scope;		/* optional */
	const char	*tenant;	/* optional, sent as form field "tenant" */
	const char	*ca_file;	/* optional: CA bundle for a private CA */
	int		 refresh_margin_s;	/* renew this long before expiry */
	long		 timeout_ms;		/* whole request */
	int		 backoff_base_ms;
	int		 backoff_cap_ms;
};

#define OAUTH_REFRESH_MARGIN_S	60
#define OAUTH_TIMEOUT_MS	15000
#define OAUTH_BACKOFF_BASE_MS	1000
#define OAUTH_BACKOFF_CAP_MS	300000
#define OAUTH_BODY_MAX		(64 * 1024)	/* a larger response is an error */

/* Called on every new token, as the last thing the oauth does in that turn
 * (the callee may call any oauth function, oauth_free included).  The string
 * lives until the next token, oauth_invalidate or oauth_free: copy it, or
 * ask oauth_token() when it is needed.  expires_at is wall-clock time. */
typedef void (*oauth_cb)(void *arg, const char *token, time_t expires_at);

/* Returns a new, idle token source for one stream. */
struct oauth	*oauth_new(struct curl_loop *, const struct oauth_conf *,
		    oauth_cb on_token, void *arg);
/* Cancels what is in flight and wipes every secret and token. */
void		 oauth_free(struct oauth *);
/* Requests the first token (once; later calls do nothing). */
void		 oauth_start(struct oauth *);
/* The resource refused the token (HTTP 401): drops it and fetches another,
 * at once the first time, with backoff when it keeps happening. */
void		 oauth_invalidate(struct oauth *);

/* The current access token, or NULL when none is valid now. */
const char	*oauth_token(const struct oauth *);
/* Wall-clock expiry of the current token, or 0 without one. */
time_t		 oauth_expires_at(const struct oauth *);
/* The resource_server_base_uri last offered by the token endpoint, or NULL. */
const char	*oauth_base_uri(const struct oauth *);
enum oauth_state oauth_state(const struct oauth *);
const char	*oauth_state_name(enum oauth_state);
/* Why the last request failed (no secrets in it), or NULL after a success. */
const char	*oauth_last_error(const struct oauth *);
/* Appends a JSON object of state and counters, for stats and status. */
void		 oauth_stats(const struct oauth *, struct buf *);

#endif
