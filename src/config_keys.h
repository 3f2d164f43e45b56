/* The table of every configuration setting (config_keys.c). */
#ifndef CXPIPE_CONFIG_KEYS_H
#define CXPIPE_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>

enum key_type {
	KT_STRING,
	KT_INT,
	KT_BYTES,	/* 1048576, 512K, 64M, 2G */
	KT_DURATION,	/* 250ms, 5s, 2m, 1h; a bare number is in unit_ms */
	KT_ENUM		/* one of choices, '|' separated */
};

struct config_key {
	const char	*section;	/* "source" keys live in struct source_conf */
	const char	*name;
	enum key_type	 type;
	size_t		 offset;
	const char	*def;		/* default as written in the file; NULL: unset */
	int64_t		 min, max;
	int64_t		 unit_ms;
	const char	*choices;
	int		 reload;	/* RELOAD_* */
	const char	*doc;
};

extern const struct config_key	config_keys[];
extern const size_t		config_nkeys;

const struct config_key *config_key_find(const char *section, const char *name);

#endif
