#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "silence.h"
#include "xmalloc.h"

struct silence_set {
	char		*path;
	json_t		*list;		/* [{id, rule, scope|null, until, comment}] */
	long long	 next_id;
};

/* Drops the silences that have ended. */
static void
silence_prune(struct silence_set *s, int64_t now_s)
{
	size_t	 i = 0;

	while (i < json_array_size(s->list)) {
		json_t *o = json_array_get(s->list, i);
		if (json_integer_value(json_object_get(o, "until")) <= now_s) {
			log_info("silence %lld of rule %s ended",
			    (long long)json_integer_value(json_object_get(o, "id")),
			    json_string_value(json_object_get(o, "rule")));
			json_array_remove(s->list, i);
		} else
			i++;
	}
}

/* Writes the file beside itself and renames it into place. */
static int
silence_save(struct silence_set *s, char *err, size_t errlen)
{
	char	 tmp[4096];
	char	*text;
	int	 fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	text = json_dumps(s->list, JSON_INDENT(1));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(text);
		return -1;
	}
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	free(text);
	if (close(fd) == -1 || !ok || rename(tmp, s->path) == -1) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct silence_set *
silence_set_load(const char *path)
{
	struct silence_set	*s = xcalloc(1, sizeof(*s));
	json_error_t		 jerr;
	json_t			*o;
	size_t			 i;
	long long		 id;

	s->path = xstrdup(path);
	s->next_id = 1;
	if ((s->list = json_load_file(path, 0, &jerr)) == NULL ||
	    !json_is_array(s->list)) {
		if (access(path, F_OK) == 0)
			log_warnx("silences %s unreadable (%s): starting "
			    "without", path, jerr.text);
		json_decref(s->list);
		s->list = json_array();
	}
	json_array_foreach(s->list, i, o) {
		id = (long long)json_integer_value(json_object_get(o, "id"));
		if (id >= s->next_id)
			s->next_id = id + 1;
	}
	return s;
}

void
silence_set_free(struct silence_set *s)
{
	if (s == NULL)
		return;
	json_decref(s->list);
	free(s->path);
	free(s);
}

long long
silence_add(struct silence_set *s, const char *rule, const char *scope,
    int64_t until_s, const char *comment, int64_t now_s, char *err,
    size_t errlen)
{
	long long	 id = s->next_id++;
	json_t		*o;

	silence_prune(s, now_s);
	o = json_pack("{s:I,s:s,s:s?,s:I,s:I,s:s?}", "id", (json_int_t)id,
	    "rule", rule, "scope", scope, "until", (json_int_t)until_s,
	    "created", (json_int_t)now_s, "comment", comment);
	if (o == NULL) {
		snprintf(err, errlen, "rule, scope or comment is not UTF-8");
		return -1;
	}
	json_array_append_new(s->list, o);
	if (silence_save(s, err, errlen) == -1) {
		json_array_remove(s->list, json_array_size(s->list) - 1);
		return -1;
	}
	log_info("silence %lld of rule %s%s%s until %lld added%s%s", id, rule,
	    scope != NULL ? ":" : "", scope != NULL ? scope : "",
	    (long long)until_s, comment != NULL ? ": " : "",
	    comment != NULL ? comment : "");
	return id;
}

int
silence_remove(struct silence_set *s, long long id, int64_t now_s, char *err,
    size_t errlen)
{
	json_t	*o;
	size_t	 i;

	silence_prune(s, now_s);
	json_array_foreach(s->list, i, o) {
		if (json_integer_value(json_object_get(o, "id")) != id)
			continue;
		json_array_remove(s->list, i);
		if (silence_save(s, err, errlen) == -1)
			return -1;
		log_info("silence %lld removed", id);
		return 0;
	}
	snprintf(err, errlen, "no silence %lld", id);
	return -1;
}

bool
silence_match(const struct silence_set *s, const char *rule,
    const char *scope, int64_t now_s)
{
	const char	*sc;
	json_t		*o;
	size_t		 i;

	json_array_foreach(s->list, i, o) {
		if (json_integer_value(json_object_get(o, "until")) <= now_s ||
		    strcmp(json_string_value(json_object_get(o, "rule")), rule) != 0)
			continue;
		sc = json_string_value(json_object_get(o, "scope"));
		if (sc == NULL || strcmp(sc, scope) == 0)
			return true;
	}
	return false;
}

void
silence_list(const struct silence_set *s, int64_t now_s, bool json,
    struct buf *b)
{
	json_t		*o, *live = json_array();
	const char	*sc, *cm;
	char		*t;
	size_t		 i;

	json_array_foreach(s->list, i, o)
		if (json_integer_value(json_object_get(o, "until")) > now_s)
			json_array_append(live, o);
	if (json) {
		t = json_dumps(live, JSON_INDENT(2));
		buf_printf(b, "%s\n", t);
		free(t);
		json_decref(live);
		return;
	}
	buf_printf(b, "%-6s %-24s %-20s %10s  %s\n", "ID", "RULE", "SCOPE",
	    "ENDS IN", "COMMENT");
	json_array_foreach(live, i, o) {
		sc = json_string_value(json_object_get(o, "scope"));
		cm = json_string_value(json_object_get(o, "comment"));
		buf_printf(b, "%-6lld %-24s %-20s %9llds  %s\n",
		    (long long)json_integer_value(json_object_get(o, "id")),
		    json_string_value(json_object_get(o, "rule")),
		    sc != NULL ? sc : "*",
		    (long long)(json_integer_value(json_object_get(o, "until")) -
		    now_s), cm != NULL ? cm : "");
	}
	json_decref(live);
}
