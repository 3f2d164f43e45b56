/*
 * The cxpipectl commands the alert worker answers (relayed by the master):
 * alerts [--json], silence RULE[:SCOPE] DURATION [--comment TEXT],
 * silences [--json], unsilence ID.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "alert_internal.h"
#include "eval.h"
#include "silence.h"
#include "worker.h"

/* Parses "90", "90s", "15m", "2h", "1d" into seconds; -1 when invalid. */
static int64_t
alert_cmd_duration(const char *s)
{
	char		*end;
	long long	 n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	if (n <= 0 || n > 366LL * 86400)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return n;
	if (strcmp(end, "m") == 0)
		return n * 60;
	if (strcmp(end, "h") == 0)
		return n * 3600;
	if (strcmp(end, "d") == 0 && n <= 366)
		return n * 86400;
	return -1;
}

/* `alerts`: the pending and firing alerts, as a table or JSON. */
static int
alert_cmd_alerts(struct alert *a, bool json, struct buf *out)
{
	struct buf	 b;
	json_t		*arr, *o;
	size_t		 i;

	buf_init(&b);
	eval_alerts_json(a->ev, &b);
	if (json) {
		buf_add(out, b.data, b.len);
		buf_add_str(out, "\n");
		buf_free(&b);
		return 0;
	}
	arr = json_loadb((const char *)b.data, b.len, 0, NULL);
	buf_free(&b);
	buf_printf(out, "%-20s %-24s %-8s %-8s %12s %12s  %s\n", "RULE", "SCOPE",
	    "STATE", "SEVERITY", "VALUE", "THRESHOLD", "FINGERPRINT");
	json_array_foreach(arr, i, o) {
		buf_printf(out, "%-20s %-24s %-8s %-8s %12g %12g  %s\n",
		    json_string_value(json_object_get(o, "rule")),
		    *json_string_value(json_object_get(o, "scope")) ?
		    json_string_value(json_object_get(o, "scope")) : "global",
		    json_string_value(json_object_get(o, "state")),
		    json_string_value(json_object_get(o, "severity")),
		    json_real_value(json_object_get(o, "value")),
		    json_real_value(json_object_get(o, "threshold")),
		    json_string_value(json_object_get(o, "fingerprint")));
	}
	json_decref(arr);
	return 0;
}

/* `silence RULE[:SCOPE] DURATION [--comment TEXT]`. */
static int
alert_cmd_silence(struct alert *a, const struct config *conf, int argc,
    char **argv, struct buf *out)
{
	char		 err[512], *rule, *scope;
	int64_t		 secs, now = time(NULL);
	long long	 id;
	int		 i;

	if ((argc != 3 && argc != 5) ||
	    (argc == 5 && strcmp(argv[3], "--comment") != 0) ||
	    (secs = alert_cmd_duration(argv[2])) == -1) {
		buf_add_str(out, "usage: silence RULE[:SCOPE] DURATION "
		    "[--comment TEXT]\n");
		return 2;
	}
	rule = argv[1];
	if ((scope = strchr(rule, ':')) != NULL)
		*scope++ = '\0';
	for (i = 0; i < conf->nrules; i++)
		if (strcmp(conf->rules[i].name, rule) == 0)
			break;
	if (i == conf->nrules) {
		buf_printf(out, "silence: no [rule %s]\n", rule);
		return 1;
	}
	if ((id = silence_add(a->silences, rule, scope, now + secs,
	    argc == 5 ? argv[4] : NULL, now, err, sizeof(err))) == -1) {
		buf_printf(out, "silence: %s\n", err);
		return 1;
	}
	buf_printf(out, "silence %lld: rule %s%s%s for %llds\n", id, rule,
	    scope != NULL ? ":" : "", scope != NULL ? scope : "",
	    (long long)secs);
	return 0;
}

int
alert_command(struct worker *w, int argc, char **argv, struct buf *out)
{
	struct alert	*a = worker_arg(w);
	bool		 json = argc == 2 && strcmp(argv[1], "--json") == 0;
	char		 err[512], *end;
	long long	 id;

	if (strcmp(argv[0], "alerts") == 0 && (argc == 1 || json))
		return alert_cmd_alerts(a, json, out);
	if (strcmp(argv[0], "silences") == 0 && (argc == 1 || json)) {
		silence_list(a->silences, time(NULL), json, out);
		return 0;
	}
	if (strcmp(argv[0], "silence") == 0)
		return alert_cmd_silence(a, worker_config(w), argc, argv, out);
	if (strcmp(argv[0], "unsilence") == 0 && argc == 2) {
		id = strtoll(argv[1], &end, 10);
		if (*end != '\0' || end == argv[1] ||
		    silence_remove(a->silences, id, time(NULL), err,
		    sizeof(err)) == -1) {
			buf_printf(out, "unsilence: %s\n", *end != '\0' ||
			    end == argv[1] ? "ID is a number" : err);
			return 1;
		}
		buf_printf(out, "silence %lld removed\n", id);
		return 0;
	}
	buf_printf(out, "alert: unknown command %s\n", argv[0]);
	return 2;
}
