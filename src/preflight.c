#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "proto.h"
#include "../workers/validate/schema.h"
#include "xmalloc.h"

int
preflight_check(const struct config *c, char *err, size_t errlen)
{
	struct schema	*s;
	char		*secret, *path, why[768];

	if (c->http_token_file != NULL) {
		if ((secret = config_read_secret_file(c->http_token_file, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "[http] token_file: %s", why);
			return -1;
		}
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	path = xasprintf("%s/%s.json", c->schema_dir, family_name(FAMILY_INTERACTION));
	s = schema_compile_file(path, why, sizeof(why));
	free(path);
	if (s == NULL) {
		snprintf(err, errlen, "schema: %s", why);
		return -1;
	}
	schema_free(s);
	return 0;
}
