/*
 * serve.h: "cxpipe-sim serve", a NICE CXone stand-in on loopback: OAuth2
 * tokens, WebSocket event streams, REST delta polling and long polling on
 * one libwebsockets context and port.  The state its files share.
 */
#ifndef CXPIPE_SIM_SERVE_H
#define CXPIPE_SIM_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "families.h"
#include "generate.h"

#define SERVE_EXIT_OK		0
#define SERVE_EXIT_FAIL		1
#define SERVE_EXIT_USAGE	2
#define SERVE_USEC		1000000LL
#define SERVE_TOKEN_LEN		64	/* hex digits of a token or id */

/* Runs "serve" with argv[0] being the subcommand name; returns the exit status. */
int serve_run(int argc, char **argv);

/* Prints the synopsis of "serve" to fp. */
void serve_usage(FILE *fp);

struct serve_options {
	const char	*bind;
	int		 port;
	const char	*tls_cert;
	const char	*tls_key;
	const char	*client_id;
	const char	*client_secret;
	const char	*username;
	const char	*password;
	uint64_t	 expires_in;		/* seconds */
	uint64_t	 rate_limit_first;
	uint64_t	 retry_after;		/* seconds */
	bool		 families[FAMILY_COUNT];
	uint64_t	 count;
	double		 rate;
	double		 dup_rate;
	double		 invalid_rate;
	uint64_t	 disconnect_every;
	bool		 reject_subscribe;
	bool		 ignore_subscribe;	/* never answer a subscribe */
	uint64_t	 oversized_every;	/* events between oversized frames */
	uint64_t	 oversized_bytes;	/* size of one */
	uint64_t	 binary_every;		/* events between binary frames */
	uint64_t	 stall_after;		/* events, then a connection hangs */
	uint64_t	 ping_interval;		/* seconds, 0: none */
	uint64_t	 seed;
	const char	*manifest_dir;
	uint64_t	 duration;		/* seconds, 0: until a signal */
	const char	*ready_file;
	uint64_t	 session_ttl;		/* seconds */
	bool		 verbose;
};

struct serve_tokens;
struct serve_sessions;

struct serve {
	struct serve_options	 opt;
	struct lws_context	*context;
	int			 port;
	int64_t			 start_us;
	struct feed		*feeds[FAMILY_COUNT];	/* NULL: not served */
	struct serve_tokens	*tokens;
	struct serve_sessions	*sessions;
	uint64_t		 token_requests;
	struct gen_buf		 out;		/* frames and bodies */
	char			 base_uri[96];
	lws_sorted_usec_list_t	 tick;
	int64_t			 manifest_due_us;
	int64_t			 manifest_every_us;
	uint64_t		 manifest_version[FAMILY_COUNT];
	bool			 manifest_written;
};

/* What a connection is; the per-session data of the one protocol. */
enum serve_kind { SK_NONE, SK_HTTP, SK_WS };

enum serve_route {
	SR_NONE, SR_HEALTHZ, SR_TOKEN, SR_POLL, SR_SESSIONS, SR_NEXT
};

struct serve_pss {
	enum serve_kind	 kind;
	enum family_id	 family;
	/* HTTP */
	enum serve_route route;
	struct gen_buf	 body;		/* a POST body so far */
	bool		 body_too_big;
	bool		 waiting;	/* a long poll is held open */
	int64_t		 deadline_us;
	/* WebSocket */
	struct gen_buf	 rx;		/* a message so far */
	bool		 rx_too_big;
	bool		 subscribed;
	bool		 ack_due;
	bool		 reject_due;
	bool		 oversized_due;
	bool		 binary_due;
	bool		 stalled;	/* --stall-after: reads and writes nothing */
	int64_t		 expires_us;	/* the token's */
	int64_t		 ping_due_us;
	uint64_t	 sent;		/* events on this connection */
	uint64_t	 pings;
	uint64_t	 pongs;
	char		 sub_id[24];
};

/* serve_main.c */
int64_t serve_now_us(void);
struct serve *serve_of(struct lws *wsi);

/* serve_http.c: HTTP routes and replies. */
int serve_http_cb(struct serve *s, struct lws *wsi,
    enum lws_callback_reasons reason, struct serve_pss *pss, void *in,
    size_t len);
void serve_buf_reset(struct gen_buf *b);
int serve_http_send(struct lws *wsi, unsigned status, const char *hname,
    const char *hvalue, struct gen_buf *body);
int serve_http_send_json(struct serve *s, struct lws *wsi, unsigned status,
    const char *hname, const char *hvalue, json_t *body);
int serve_http_send_error(struct serve *s, struct lws *wsi, unsigned status,
    const char *error);
int serve_http_finish(struct lws *wsi, int rc);
bool serve_http_authorized(struct serve *s, struct lws *wsi, int64_t now_us,
    int64_t *expires_us);
int serve_http_send_unauthorized(struct serve *s, struct lws *wsi);
bool serve_http_arg(struct lws *wsi, const char *name, char *out, size_t size);

/* serve_oauth.c: the token endpoint and the tokens it gave out. */
struct serve_tokens *serve_tokens_new(void);
void serve_tokens_free(struct serve_tokens *t);
bool serve_token_check(struct serve *s, const char *token, int64_t now_us,
    int64_t *expires_us);
int serve_oauth_token(struct serve *s, struct lws *wsi, const char *body,
    size_t len);
void serve_random_hex(char *out, size_t digits);

/* serve_rest.c: REST delta polling and long polling. */
struct serve_sessions *serve_sessions_new(void);
void serve_sessions_free(struct serve_sessions *ss);
int serve_rest_poll(struct serve *s, struct lws *wsi, enum family_id family);
int serve_rest_session_new(struct serve *s, struct lws *wsi, const char *body,
    size_t len);
int serve_rest_next(struct serve *s, struct lws *wsi, struct serve_pss *pss,
    const char *id);
int serve_rest_timer(struct serve *s, struct lws *wsi, struct serve_pss *pss);
int serve_rest_writeable(struct serve *s, struct lws *wsi,
    struct serve_pss *pss);

/* serve_ws.c: the event streams. */
int serve_ws_cb(struct serve *s, struct lws *wsi,
    enum lws_callback_reasons reason, struct serve_pss *pss, void *in,
    size_t len);

/* serve_manifest.c: DIR/FAMILY.json for each family served. */
int serve_manifest_write(struct serve *s, bool force);

#endif
