#include "autoconf.h"

#include <string.h>

#include "proto.h"

static const char *type_names[MSG_TYPE_MAX] = {
	[MSG_NONE] = "NONE",
	[MSG_CTL_CONFIG] = "CTL_CONFIG",
	[MSG_CTL_ATTACH] = "CTL_ATTACH",
	[MSG_CTL_STATS_REQUEST] = "CTL_STATS_REQUEST",
	[MSG_CTL_STOP] = "CTL_STOP",
	[MSG_CTL_LOG_LEVEL] = "CTL_LOG_LEVEL",
	[MSG_CTL_LOG_REOPEN] = "CTL_LOG_REOPEN",
	[MSG_CTL_READY] = "CTL_READY",
	[MSG_CTL_CONFIG_RESULT] = "CTL_CONFIG_RESULT",
	[MSG_CTL_STATS] = "CTL_STATS",
	[MSG_CTL_DRAINED] = "CTL_DRAINED",
	[MSG_EVENT_RAW] = "EVENT_RAW",
	[MSG_EVENT_REWIND] = "EVENT_REWIND",
	[MSG_EVENT_RESEND] = "EVENT_RESEND",
	[MSG_RECORD_ROW] = "RECORD_ROW",
	[MSG_RECORD_DEAD] = "RECORD_DEAD",
	[MSG_ACK_COMMITTED] = "ACK_COMMITTED",
	[MSG_OBS_EVENT] = "OBS_EVENT",
	[MSG_ALERT_TRANSITION] = "ALERT_TRANSITION",
	[MSG_METRIC_SNAPSHOT] = "METRIC_SNAPSHOT",
	[MSG_CLI_REQUEST] = "CLI_REQUEST",
	[MSG_CLI_REPLY] = "CLI_REPLY",
};

static const char *role_names[ROLE_COUNT] = {
	"ingest", "validate", "pgsink", "alert"
};

static const char *family_names[FAMILY_COUNT] = {
	"interaction", "analytics", "agent_state", "data_action"
};

const char *
proto_type_name(uint16_t t)
{
	if (t >= MSG_TYPE_MAX || type_names[t] == NULL)
		return "UNKNOWN";
	return type_names[t];
}

const char *
role_name(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}

int
role_parse(const char *s)
{
	int	 i;

	for (i = 0; i < ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *
family_name(enum family f)
{
	return (unsigned)f < FAMILY_COUNT ? family_names[f] : "?";
}

int
family_parse(const char *s)
{
	int	 i;

	for (i = 0; i < FAMILY_COUNT; i++)
		if (strcmp(s, family_names[i]) == 0)
			return i;
	return -1;
}
