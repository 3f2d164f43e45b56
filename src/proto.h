/*
 * The one message protocol of cxpipe: every channel (master <-> worker,
 * worker <-> worker, cxpipectl <-> master) carries frames of a fixed header
 * followed by a payload.  Every message type is listed here.
 */
#ifndef CXPIPE_PROTO_H
#define CXPIPE_PROTO_H

#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_MAX_PAYLOAD	(16u * 1024 * 1024)

/* The worker's control channel to the master is always this fd. */
#define PROTO_CTL_FD		3

struct msg_hdr {
	uint32_t	len;		/* payload bytes after the header */
	uint16_t	version;	/* PROTO_VERSION, checked on every frame */
	uint16_t	type;		/* enum msg_type */
	uint32_t	flags;		/* per type */
	uint32_t	reserved;
	uint64_t	seq;		/* event sequence number, generation or request id */
};

enum msg_type {
	MSG_NONE = 0,

	/* master -> worker */
	MSG_CTL_CONFIG,		/* payload: config text; seq: generation; flags: CONFIG_F_* */
	MSG_CTL_ATTACH,		/* fd: new channel end; payload: u8 peer role */
	MSG_CTL_STATS_REQUEST,	/* seq: request id; payload: empty, or a
				 * command for the role (NUL-terminated
				 * arguments) answered by MSG_CTL_STATS
				 * {"status":N,"text":"..."} */
	MSG_CTL_STOP,		/* drain and exit */
	MSG_CTL_LOG_LEVEL,	/* flags: enum log_level */
	MSG_CTL_LOG_REOPEN,

	/* worker -> master */
	MSG_CTL_READY,		/* seq: generation applied */
	MSG_CTL_CONFIG_RESULT,	/* seq: generation; flags: 0 ok, 1 failed; payload: error text */
	MSG_CTL_STATS,		/* seq: request id; payload: JSON object text */
	MSG_CTL_DRAINED,	/* the worker has nothing left in flight */

	/* ingest -> validate */
	MSG_EVENT_RAW,		/* seq: spool sequence; flags: family; payload: tuple (record.h) */
	/* ingest -> validate -> pgsink: what follows is a contiguous resend
	 * starting at seq; pgsink ignores records until it has seen one. */
	MSG_EVENT_REWIND,

	/* validate -> ingest: a new pgsink attached; resend from the first
	 * unacknowledged record, starting with MSG_EVENT_REWIND */
	MSG_EVENT_RESEND,

	/* validate -> pgsink */
	MSG_RECORD_ROW,		/* seq: spool sequence; flags: family; payload: tuple (record.h) */
	MSG_RECORD_DEAD,	/* seq: spool sequence; payload: tuple (record.h) */

	/* pgsink -> validate -> ingest; also sent by pgsink once it knows its
	 * committed position, and by validate when a new ingest attaches */
	MSG_ACK_COMMITTED,	/* seq: every sequence <= this is committed */

	/* validate -> alert */
	MSG_OBS_EVENT,		/* payload: tuple (record.h) */

	/* alert -> pgsink: seq is the alert worker's own record number
	 * (durable in its journal); pgsink answers on the same channel with
	 * MSG_ACK_COMMITTED once a record is committed.  A resend after a
	 * crash is a no-op in the tables (natural unique keys). */
	MSG_ALERT_TRANSITION,	/* payload: tuple (record.h, enum alert_field) */
	MSG_METRIC_SNAPSHOT,	/* payload: tuple (record.h, enum snapshot_field) */

	/* cxpipectl <-> master */
	MSG_CLI_REQUEST,	/* payload: argv strings, each NUL-terminated */
	MSG_CLI_REPLY,		/* flags: exit status for cxpipectl; payload: text */

	MSG_TYPE_MAX
};

#define CONFIG_F_INITIAL	0x1	/* first config of a freshly started worker */

/* Worker roles, in pipeline order.  The master is not a worker. */
enum role {
	ROLE_INGEST = 0,
	ROLE_VALIDATE,
	ROLE_PGSINK,
	ROLE_ALERT,
	ROLE_COUNT
};

/* Event families; the ingest endpoint's path names them. */
enum family {
	FAMILY_INTERACTION = 0,
	FAMILY_ANALYTICS,
	FAMILY_AGENT_STATE,
	FAMILY_DATA_ACTION,
	FAMILY_COUNT
};

/* In an event's family byte (spool records, MSG_EVENT_RAW flags): the
 * source could not use the message; its body is "reason\0payload" and it
 * becomes a dead letter. */
#define FAMILY_F_DEAD		0x80

const char	*proto_type_name(uint16_t);
const char	*role_name(enum role);
int		 role_parse(const char *);
const char	*family_name(enum family);
int		 family_parse(const char *);

#endif
