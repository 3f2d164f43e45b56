/*
 * The configuration: one INI file.  Every setting is listed once, in the
 * table in config_keys.c, with its default, whether it can change on reload
 * and its documentation; the sample config is generated from that table.
 */
#ifndef CXPIPE_CONFIG_H
#define CXPIPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_SOURCES	64
#define CONFIG_MAX_STREAMS	32
#define CONFIG_MAX_STATES	32	/* agent states in [states] */
#define CONFIG_STATE_LEN	32	/* longest state name, with its NUL */
#define CONFIG_MAX_RULES	128
#define CONFIG_MAX_WEBHOOKS	16

enum spool_sync {
	SPOOL_SYNC_ALWAYS = 0,
	SPOOL_SYNC_INTERVAL,
	SPOOL_SYNC_NEVER
};

enum storm_action {
	STORM_RETRY = 0,
	STORM_EXIT
};

struct source_conf {
	char		*name;
	char		*type;		/* "ndjson" */
	char		*path;		/* file, or "-" for stdin */
	char		*family;
	int64_t		 rate;		/* events per second, 0: as fast as possible */
	int		 lineno;
};

/* A [stream NAME]: one CXone real-time stream (issue 3). */
struct stream_conf {
	char		*name;
	char		*family;
	char		*transport;	/* websocket | poll | longpoll */
	char		*token_url;
	char		*grant;		/* client_credentials | password */
	char		*client_id;
	char		*client_secret_file;
	char		*client_secret_env;
	char		*access_key_id;	/* password grant: the user name */
	char		*access_key_secret_file;
	char		*scope;
	char		*tenant;
	char		*ca_file;
	char		*ws_url;
	char		*token_in;	/* header | query */
	char		*subscribe;	/* JSON object sent after the upgrade */
	char		*ack;		/* message type that confirms it */
	char		*register_url;
	char		*register_body;
	char		*headers;	/* "Name: value | Name: value" */
	char		*poll_url;
	char		*cursor_param;
	char		*items_pointer;
	char		*timestamp_pointer;
	char		*cursor_pointer;
	char		*longpoll_session_url;
	char		*longpoll_next_url;
	int64_t		 ack_timeout_ms;
	int64_t		 max_message_bytes;
	int64_t		 poll_interval_ms;
	int64_t		 longpoll_timeout_ms;
	int64_t		 token_refresh_margin_ms;
	int64_t		 idle_timeout_ms;
	int64_t		 ping_interval_ms;
	int64_t		 backoff_base_ms;
	int64_t		 backoff_cap_ms;
	int64_t		 stable_after_ms;
	int		 lineno;
};

/* A [rule NAME]: one alert rule (workers/alert/rule.c). */
struct rule_conf {
	char		*name;
	char		*metric;	/* handle_time_avg, event_rate, ... */
	char		*scope;		/* global | queue | agent | action | type */
	char		*comparison;	/* > >= < <= */
	char		*warning;	/* number, as written */
	char		*critical;	/* number, or NULL: 1.5 × warning */
	char		*labels;	/* "k=v, k=v", or NULL */
	int64_t		 window_ms;
	int64_t		 for_ms;
	int64_t		 repeat_interval_ms;
	int		 lineno;
	/* Derived by the check. */
	double		 warning_v;
	double		 critical_v;
};

/* A [webhook NAME]: where alert notifications are POSTed. */
struct webhook_conf {
	char		*name;
	char		*url;
	char		*bearer_token_file;
	char		*rules;		/* "a, b" or NULL: every rule */
	int64_t		 timeout_ms;
	int64_t		 retries;
	int64_t		 retry_backoff_ms;
	int64_t		 queue_max;
	int		 lineno;
};

/*
 * [states]: the agent-state transition matrix (config_states.c).  A change
 * from name[i] to name[j] is allowed when bit j of to[i] is set.  Without
 * the section it holds the default matrix.
 */
struct state_matrix {
	int		 n;
	char		 name[CONFIG_MAX_STATES][CONFIG_STATE_LEN];
	uint32_t	 to[CONFIG_MAX_STATES];
	int		 lineno[CONFIG_MAX_STATES];	/* of name[i]'s line; 0: none */
	int		 configured;	/* the file has a [states] section */
};

struct config {
	char		*path;

	/* [cxpipe] */
	char		*user;
	char		*spool_dir;
	char		*control_socket;
	char		*pidfile;
	char		*log;
	char		*log_level;
	char		*schema_dir;
	char		*spool_sync;
	int64_t		 spool_sync_interval_ms;
	int64_t		 spool_max_bytes;
	int64_t		 spool_segment_bytes;
	int64_t		 restart_max;
	int64_t		 restart_period_ms;
	int64_t		 restart_backoff_max_ms;
	char		*on_restart_storm;
	int64_t		 stop_timeout_ms;
	int64_t		 inflight_max;

	/* [postgres] */
	char		*pg_conninfo;
	int64_t		 batch_size;
	int64_t		 batch_delay_ms;
	int64_t		 reconnect_max_ms;

	/* [http] */
	char		*http_listen;
	char		*http_token_file;
	int64_t		 http_max_body;

	/* [validate] */
	int64_t		 max_clock_skew_ms;
	int64_t		 max_depth;
	char		*all_errors;	/* "yes" or "no" */

	/* [alert] */
	int64_t		 alert_max_keys;
	int64_t		 alert_group_wait_ms;
	int64_t		 alert_group_interval_ms;
	int64_t		 alert_eval_interval_ms;
	int64_t		 alert_snapshot_interval_ms;

	/* [states] */
	struct state_matrix states;

	struct source_conf sources[CONFIG_MAX_SOURCES];
	int		 nsources;
	struct stream_conf streams[CONFIG_MAX_STREAMS];
	int		 nstreams;
	struct rule_conf rules[CONFIG_MAX_RULES];
	int		 nrules;
	struct webhook_conf webhooks[CONFIG_MAX_WEBHOOKS];
	int		 nwebhooks;

	/* Derived by config_check. */
	int		 log_level_num;
	enum spool_sync	 spool_sync_mode;
	enum storm_action storm_action;
};

/* Which processes must restart when a setting changes on reload. */
#define RELOAD_LIVE		0x00	/* applied live */
#define RELOAD_INGEST		0x01
#define RELOAD_VALIDATE		0x02
#define RELOAD_PGSINK		0x04
#define RELOAD_ALERT		0x08
#define RELOAD_DAEMON		0x80	/* only a daemon restart applies it */

/* Parses text (read from path) into a new config.  On error returns NULL and
 * writes "path:line: why" into err. */
struct config	*config_parse_text(const char *text, const char *path,
		    char *err, size_t errlen);
/* Reads and parses a file; the text it read is returned in *textp (caller frees). */
struct config	*config_load(const char *path, char **textp, char *err, size_t errlen);
void		 config_free(struct config *);
/* Bitmask of RELOAD_* for the settings that differ between a and b.  Names of
 * daemon-restart settings that differ are written to why. */
int		 config_diff(const struct config *a, const struct config *b,
		    char *why, size_t whylen);
/* Prints the documented sample config (every key with its default). */
void		 config_print_sample(FILE *);
/* True when the matrix allows an agent to change from state from to state to;
 * a state the matrix does not name allows nothing. */
bool		 config_states_allowed(const struct state_matrix *,
		    const char *from, const char *to);
/* Reads a secret from a file: first line, trailing newline removed.  Returns
 * a new string the caller frees, or NULL with err set. */
char		*config_read_secret_file(const char *path, char *err, size_t errlen);

#endif
