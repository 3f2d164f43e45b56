#include "autoconf.h"

#include <stddef.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"

#define C(f)	offsetof(struct config, f)
#define S(f)	offsetof(struct source_conf, f)
#define T(f)	offsetof(struct stream_conf, f)
#define R(f)	offsetof(struct rule_conf, f)
#define W(f)	offsetof(struct webhook_conf, f)
#define NOLIM	0, 0

/*
 * Every setting, in the order the sample config documents them.  `reload`
 * says which processes restart when the setting changes on reload.
 */
const struct config_key config_keys[] = {
	{ "cxpipe", "user", KT_STRING, C(user), NULL, NOLIM, 0, NULL, RELOAD_DAEMON,
	  "Unprivileged user the daemon switches to after start (unset: stay as started)." },
	{ "cxpipe", "spool_dir", KT_STRING, C(spool_dir), "/var/lib/cxpipe/spool", NOLIM, 0, NULL, RELOAD_DAEMON,
	  "Directory of the spool: every accepted event stays here until PostgreSQL has committed it." },
	{ "cxpipe", "spool_sync", KT_ENUM, C(spool_sync), "interval", NOLIM, 0, "always|interval|never", RELOAD_INGEST,
	  "When the spool is fsync'ed: always (before an event is acknowledged), interval, or never (left to the kernel)." },
	{ "cxpipe", "spool_sync_interval", KT_DURATION, C(spool_sync_interval_ms), "200ms", 1, 3600000, 1, NULL, RELOAD_LIVE,
	  "With spool_sync = interval: how often the spool is fsync'ed." },
	{ "cxpipe", "spool_max_bytes", KT_BYTES, C(spool_max_bytes), "1G", 1048576, INT64_MAX, 0, NULL, RELOAD_LIVE,
	  "Size limit of the spool; when reached, ingest stops reading and HTTP answers 503." },
	{ "cxpipe", "spool_segment_bytes", KT_BYTES, C(spool_segment_bytes), "16M", 65536, 1073741824, 0, NULL, RELOAD_INGEST,
	  "Size at which the spool starts a new segment file." },
	{ "cxpipe", "control_socket", KT_STRING, C(control_socket), "/run/cxpipe/cxpipe.sock", NOLIM, 0, NULL, RELOAD_DAEMON,
	  "Unix socket that cxpipectl talks to (mode 0660)." },
	{ "cxpipe", "pidfile", KT_STRING, C(pidfile), "/run/cxpipe/cxpiped.pid", NOLIM, 0, NULL, RELOAD_DAEMON,
	  "File holding the master's pid; a second daemon refuses to start while it is held." },
	{ "cxpipe", "log", KT_STRING, C(log), "syslog", NOLIM, 0, NULL, RELOAD_DAEMON,
	  "Where logs go: syslog, stderr, or a file path (reopened on SIGUSR1)." },
	{ "cxpipe", "log_level", KT_ENUM, C(log_level), "info", NOLIM, 0, "error|warn|info|debug", RELOAD_LIVE,
	  "Least important level that is logged." },
	{ "cxpipe", "schema_dir", KT_STRING, C(schema_dir), SCHEMADIR, NOLIM, 0, NULL, RELOAD_LIVE,
	  "Directory of the JSON Schemas, one FAMILY.json per event family." },
	{ "cxpipe", "restart_max", KT_INT, C(restart_max), "5", 1, 1000, 0, NULL, RELOAD_LIVE,
	  "More than this many restarts of one worker within restart_period marks it failed." },
	{ "cxpipe", "restart_period", KT_DURATION, C(restart_period_ms), "60s", 1000, 86400000, 1000, NULL, RELOAD_LIVE,
	  "Window for restart_max." },
	{ "cxpipe", "restart_backoff_max", KT_DURATION, C(restart_backoff_max_ms), "30s", 100, 3600000, 1000, NULL, RELOAD_LIVE,
	  "Longest delay before restarting a worker that keeps dying soon after start." },
	{ "cxpipe", "on_restart_storm", KT_ENUM, C(on_restart_storm), "retry", NOLIM, 0, "retry|exit", RELOAD_LIVE,
	  "When a worker is marked failed: keep retrying at the longest delay, or exit non-zero so init restarts the daemon." },
	{ "cxpipe", "stop_timeout", KT_DURATION, C(stop_timeout_ms), "30s", 100, 3600000, 1000, NULL, RELOAD_LIVE,
	  "On stop, how long the pipeline may take to commit what it holds before workers are killed." },
	{ "cxpipe", "inflight_max", KT_INT, C(inflight_max), "20000", 100, 10000000, 0, NULL, RELOAD_INGEST,
	  "Events sent downstream from the spool and not yet committed, at most." },

	{ "postgres", "conninfo", KT_STRING, C(pg_conninfo), "", NOLIM, 0, NULL, RELOAD_PGSINK,
	  "libpq connection string (https://www.postgresql.org/docs/current/libpq-connect.html); empty uses the PG* environment." },
	{ "postgres", "batch_size", KT_INT, C(batch_size), "500", 1, 100000, 0, NULL, RELOAD_LIVE,
	  "Rows per transaction, at most." },
	{ "postgres", "batch_delay_ms", KT_DURATION, C(batch_delay_ms), "20ms", 0, 60000, 1, NULL, RELOAD_LIVE,
	  "How long a partial batch waits for more rows before it is committed." },
	{ "postgres", "reconnect_max", KT_DURATION, C(reconnect_max_ms), "10s", 100, 600000, 1000, NULL, RELOAD_LIVE,
	  "Longest delay between reconnection attempts while PostgreSQL is down." },

	{ "http", "listen", KT_STRING, C(http_listen), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "ADDRESS:PORT of the HTTP ingest endpoint (POST /v1/events[/FAMILY]); unset: no endpoint." },
	{ "http", "token_file", KT_STRING, C(http_token_file), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "File holding the bearer token that POSTs must present (required with listen)." },
	{ "http", "max_body", KT_BYTES, C(http_max_body), "8M", 1024, 268435456, 0, NULL, RELOAD_LIVE,
	  "Largest request body accepted; larger gets 413." },

	{ "validate", "max_clock_skew", KT_DURATION, C(max_clock_skew_ms), "300s", 0, 315360000000LL, 1000, NULL, RELOAD_LIVE,
	  "An event whose timestamp is further than this ahead of its receipt is a dead letter (a bare number is seconds)." },
	{ "validate", "max_depth", KT_INT, C(max_depth), "64", 1, 512, 0, NULL, RELOAD_LIVE,
	  "Deepest nesting of arrays and objects an event may have; deeper ones are dead letters." },
	{ "validate", "all_errors", KT_ENUM, C(all_errors), "no", NOLIM, 0, "no|yes", RELOAD_LIVE,
	  "yes: a dead letter's reason lists every schema error of the event, not only the first." },

	{ "alert", "max_keys", KT_INT, C(alert_max_keys), "10000", 1, 10000000, 0, NULL, RELOAD_LIVE,
	  "Most distinct aggregate keys kept (per scope: queues, agents, actions, types); the least recently seen is evicted." },
	{ "alert", "eval_interval", KT_DURATION, C(alert_eval_interval_ms), "1s", 100, 60000, 1000, NULL, RELOAD_LIVE,
	  "How often every rule is evaluated." },
	{ "alert", "group_wait", KT_DURATION, C(alert_group_wait_ms), "30s", 0, 3600000, 1000, NULL, RELOAD_LIVE,
	  "How long the first notification of a rule waits for more of its alerts to join it (Alertmanager's group_wait)." },
	{ "alert", "group_interval", KT_DURATION, C(alert_group_interval_ms), "5m", 0, 86400000, 1000, NULL, RELOAD_LIVE,
	  "Least time between two notifications of one rule's alerts about new changes (Alertmanager's group_interval)." },
	{ "alert", "snapshot_interval", KT_DURATION, C(alert_snapshot_interval_ms), "60s", 1000, 86400000, 1000, NULL, RELOAD_LIVE,
	  "Length of a metric_snapshots window: each key's counts over it are written to PostgreSQL when it ends (a bare number is seconds)." },

	{ "rule", "metric", KT_ENUM, R(metric), NULL, NOLIM, 0, "event_rate|event_count|handle_time_avg|handle_time_max|handle_time_p95|wait_time_avg|wait_time_max|wait_time_p95|queue_time_avg|queue_time_max|queue_time_p95|latency_p50|latency_p95|latency_p99|active_agents|rejected_transitions|invalid_rate", RELOAD_LIVE,
	  "[rule NAME] what is measured over the window (required); times in seconds, rates per second, invalid_rate a fraction." },
	{ "rule", "scope", KT_ENUM, R(scope), "global", NOLIM, 0, "global|queue|agent|action|type", RELOAD_LIVE,
	  "One alert for everything, or one per queue, agent, data action or event type." },
	{ "rule", "comparison", KT_ENUM, R(comparison), ">", NOLIM, 0, ">|>=|<|<=", RELOAD_LIVE,
	  "How the value is compared with the thresholds." },
	{ "rule", "warning", KT_STRING, R(warning), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "Threshold of severity warning (required, a number)." },
	{ "rule", "critical", KT_STRING, R(critical), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "Threshold of severity critical (unset: 1.5 x warning)." },
	{ "rule", "window", KT_DURATION, R(window_ms), "60s", 1000, 3600000, 1000, NULL, RELOAD_LIVE,
	  "Sliding window the metric is computed over." },
	{ "rule", "for", KT_DURATION, R(for_ms), "0s", 0, 86400000, 1000, NULL, RELOAD_LIVE,
	  "How long the condition must hold before the alert fires (pending until then)." },
	{ "rule", "repeat_interval", KT_DURATION, R(repeat_interval_ms), "4h", 1000, 604800000, 1000, NULL, RELOAD_LIVE,
	  "A firing alert is notified again after this long." },
	{ "rule", "labels", KT_STRING, R(labels), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "Extra labels sent with each notification, \"key=value, key=value\"." },

	{ "webhook", "url", KT_STRING, W(url), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "[webhook NAME] http:// or https:// URL notifications are POSTed to (required)." },
	{ "webhook", "bearer_token_file", KT_STRING, W(bearer_token_file), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "File holding a token sent as Authorization: Bearer; never logged." },
	{ "webhook", "rules", KT_STRING, W(rules), NULL, NOLIM, 0, NULL, RELOAD_LIVE,
	  "Rules whose notifications go here, \"a, b\" (unset: every rule)." },
	{ "webhook", "timeout", KT_DURATION, W(timeout_ms), "5s", 100, 600000, 1000, NULL, RELOAD_LIVE,
	  "Longest time one POST may take." },
	{ "webhook", "retries", KT_INT, W(retries), "5", 0, 100, 0, NULL, RELOAD_LIVE,
	  "Attempts after a failed POST (an error or a status outside 2xx) before the notification is dropped." },
	{ "webhook", "retry_backoff", KT_DURATION, W(retry_backoff_ms), "1s", 10, 600000, 1000, NULL, RELOAD_LIVE,
	  "Delay before the first retry; it doubles with each retry, up to 64 times this." },
	{ "webhook", "queue_max", KT_INT, W(queue_max), "1000", 1, 1000000, 0, NULL, RELOAD_LIVE,
	  "Notifications waiting for this webhook, at most; more are dropped (counted and logged)." },

	{ "source", "type", KT_ENUM, S(type), NULL, NOLIM, 0, "ndjson", RELOAD_INGEST,
	  "[source NAME] kind of source: ndjson replays a file or stdin once." },
	{ "source", "path", KT_STRING, S(path), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "File to replay, or - for standard input; its read position is durable." },
	{ "source", "family", KT_ENUM, S(family), "interaction", NOLIM, 0, "interaction", RELOAD_INGEST,
	  "Event family of the source's lines." },
	{ "source", "rate", KT_INT, S(rate), "0", 0, 10000000, 0, NULL, RELOAD_INGEST,
	  "Most events per second the replay reads; 0 reads as fast as the pipeline takes them." },

	{ "stream", "family", KT_ENUM, T(family), NULL, NOLIM, 0, "interaction|analytics|agent_state|data_action", RELOAD_INGEST,
	  "[stream NAME] event family of the stream's messages (required)." },
	{ "stream", "transport", KT_ENUM, T(transport), "websocket", NOLIM, 0, "websocket|poll|longpoll", RELOAD_INGEST,
	  "websocket (ws_url), REST delta polling (poll_url) or long polling (longpoll_session_url, longpoll_next_url)." },
	{ "stream", "token_url", KT_STRING, T(token_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "OAuth2 token endpoint (required)." },
	{ "stream", "grant", KT_ENUM, T(grant), "client_credentials", NOLIM, 0, "client_credentials|password", RELOAD_INGEST,
	  "OAuth2 grant; password uses access_key_id and access_key_secret_file as user name and password." },
	{ "stream", "client_id", KT_STRING, T(client_id), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "OAuth2 client id (required)." },
	{ "stream", "client_secret_file", KT_STRING, T(client_secret_file), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "File holding the client secret (or client_secret_env); never logged." },
	{ "stream", "client_secret_env", KT_STRING, T(client_secret_env), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "Environment variable holding the client secret, instead of a file." },
	{ "stream", "access_key_id", KT_STRING, T(access_key_id), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "With grant = password: the CXone access key id." },
	{ "stream", "access_key_secret_file", KT_STRING, T(access_key_secret_file), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "With grant = password: file holding the access key secret." },
	{ "stream", "scope", KT_STRING, T(scope), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "OAuth2 scope to ask for." },
	{ "stream", "tenant", KT_STRING, T(tenant), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "Tenant id sent with the token request, if the endpoint wants one." },
	{ "stream", "ca_file", KT_STRING, T(ca_file), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "CA bundle for a private CA; TLS verification is always on." },
	{ "stream", "ws_url", KT_STRING, T(ws_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "WebSocket URL (ws:// or wss://, or a path resolved against the token's resource_server_base_uri)." },
	{ "stream", "token_in", KT_ENUM, T(token_in), "header", NOLIM, 0, "header|query", RELOAD_INGEST,
	  "Where the token goes on the upgrade: Authorization: Bearer, or ?access_token=." },
	{ "stream", "subscribe", KT_STRING, T(subscribe), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "JSON object sent after the upgrade; ${subscription_id} is replaced by register_url's id." },
	{ "stream", "ack", KT_STRING, T(ack), "subscribe.ack", NOLIM, 0, NULL, RELOAD_INGEST,
	  "Message type that confirms the subscription (subscribe.reject is an error)." },
	{ "stream", "ack_timeout", KT_DURATION, T(ack_timeout_ms), "10s", 100, 600000, 1, NULL, RELOAD_INGEST,
	  "How long to wait for the ack." },
	{ "stream", "register_url", KT_STRING, T(register_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "Optional REST call made before subscribing; its returned id fills ${subscription_id}." },
	{ "stream", "register_body", KT_STRING, T(register_body), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "JSON body of the register_url call." },
	{ "stream", "headers", KT_STRING, T(headers), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "Extra upgrade headers, \"Name: value | Name: value\"." },
	{ "stream", "max_message_bytes", KT_BYTES, T(max_message_bytes), "1M", 1024, 16777216, 0, NULL, RELOAD_INGEST,
	  "Largest reassembled message; larger ones become dead letters and the connection is kept." },
	{ "stream", "idle_timeout", KT_DURATION, T(idle_timeout_ms), "60s", 1000, 3600000, 1000, NULL, RELOAD_INGEST,
	  "No traffic for this long means the connection is dead." },
	{ "stream", "ping_interval", KT_DURATION, T(ping_interval_ms), "20s", 1000, 3600000, 1000, NULL, RELOAD_INGEST,
	  "How often the client pings the server." },
	{ "stream", "poll_url", KT_STRING, T(poll_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = poll: the delta endpoint (e.g. .../agents/states)." },
	{ "stream", "poll_interval", KT_DURATION, T(poll_interval_ms), "5s", 100, 3600000, 1, NULL, RELOAD_INGEST,
	  "With transport = poll: time between polls." },
	{ "stream", "cursor_param", KT_STRING, T(cursor_param), "updatedSince", NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = poll: the query parameter that carries the cursor." },
	{ "stream", "items_pointer", KT_STRING, T(items_pointer), "/items", NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = poll: JSON pointer of the item array in a response." },
	{ "stream", "timestamp_pointer", KT_STRING, T(timestamp_pointer), "/lastUpdated", NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = poll: JSON pointer of an item's timestamp (the cursor)." },
	{ "stream", "cursor_pointer", KT_STRING, T(cursor_pointer), "/lastPollTime", NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = poll: JSON pointer of the next cursor in a response (CXone's lastPollTime); without one, the newest item timestamp." },
	{ "stream", "longpoll_session_url", KT_STRING, T(longpoll_session_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = longpoll: the session-start endpoint (POST)." },
	{ "stream", "longpoll_next_url", KT_STRING, T(longpoll_next_url), NULL, NOLIM, 0, NULL, RELOAD_INGEST,
	  "With transport = longpoll: next-event endpoint; ${session_id} is replaced." },
	{ "stream", "longpoll_timeout", KT_DURATION, T(longpoll_timeout_ms), "30s", 1000, 60000, 1000, NULL, RELOAD_INGEST,
	  "With transport = longpoll: how long one request may wait for events (at most 60 s)." },
	{ "stream", "token_refresh_margin", KT_DURATION, T(token_refresh_margin_ms), "60s", 0, 3600000, 1000, NULL, RELOAD_INGEST,
	  "Renew the token this long before it expires." },
	{ "stream", "backoff_base", KT_DURATION, T(backoff_base_ms), "500ms", 10, 600000, 1, NULL, RELOAD_INGEST,
	  "First reconnect delay; doubling with full jitter up to backoff_cap." },
	{ "stream", "backoff_cap", KT_DURATION, T(backoff_cap_ms), "60s", 100, 3600000, 1000, NULL, RELOAD_INGEST,
	  "Longest reconnect delay." },
	{ "stream", "stable_after", KT_DURATION, T(stable_after_ms), "30s", 1000, 3600000, 1000, NULL, RELOAD_INGEST,
	  "A connection up this long resets the reconnect delay." },

};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

const struct config_key *
config_key_find(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}
