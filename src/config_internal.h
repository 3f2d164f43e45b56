/* Shared between the config parser (config.c) and its named sections
 * (config_named.c): [source NAME] and [stream NAME]. */
#ifndef CXPIPE_CONFIG_INTERNAL_H
#define CXPIPE_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"
#include "config_keys.h"

/* State of one parse: the text being read line by line, and the first error. */
struct parse_ctx {
	struct config	*conf;
	const char	*path;
	const char	*next;		/* next unread byte of the text */
	int		 lineno;	/* line most recently handed to inih */
	char		*err;
	size_t		 errlen;
	int		 failed;
	char		 cur_section[128];
	int		 cur_header;	/* line of the current section's header */
	void		*cur_named;	/* the [source|stream NAME] being read */
	const char	*text;
	const char	*scan;		/* config_header_line's position */
	int		 scan_line;
	int		 last_header;
};

/* A kind of section that takes a name and may appear many times. */
struct named_kind {
	const char	*section;	/* "source", "stream" */
	size_t		 elem_size;
	size_t		 array_off;	/* the array in struct config */
	size_t		 count_off;	/* its int count */
	int		 max;
	size_t		 name_off;	/* char * in the element */
	size_t		 lineno_off;	/* int in the element */
	int		 sources;	/* names a source: one namespace for all */
	int		 count_reload;	/* RELOAD_* when sections come or go */
};

/* Records the first error, as "path:line: why"; returns 0 (for inih). */
int	 config_error(struct parse_ctx *, int lineno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 config_set(struct parse_ctx *, const struct config_key *, void *base,
	    const char *value);
void	 config_set_defaults(struct parse_ctx *, const char *section, void *base);
void	 config_free_strings(const char *section, void *base);
int	 config_key_differs(const struct config_key *, const void *, const void *);
int	 config_section_known(const char *section);

/* config_states.c: one "FROM = TO, TO, ..." line of [states]; returns 1,
 * or 0 with the error recorded (for inih). */
int	 config_states_line(struct parse_ctx *, const char *from,
	    const char *list);
/* Once the file is read: the default matrix when there was no [states]. */
void	 config_states_finish(struct parse_ctx *);
/* The [states] block of the sample config: the default matrix, commented. */
void	 config_states_print_sample(FILE *);

/* config_named.c */
const struct named_kind *config_named_kind(const char *section);
/* If header text "KIND NAME" (or "KIND") names a kind, returns it and points
 * *name at the name ("" when none). */
const struct named_kind *config_named_split(const char *header, const char **name);
/* Starts a named section; NULL (with the error recorded) when refused. */
void	*config_named_begin(struct parse_ctx *, const struct named_kind *,
	    const char *name);
/* Checks each named section once the file is read. */
void	 config_named_check(struct parse_ctx *);
void	 config_named_free(struct config *);
/* RELOAD_* mask for the named sections that differ. */
int	 config_named_diff(const struct config *, const struct config *);

#endif
