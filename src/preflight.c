#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "proto.h"
#include "../workers/validate/family_schemas.h"
#include "xmalloc.h"

int
preflight_check(const struct config *c, char *err, size_t errlen)
{
	struct schema	*schemas[FAMILY_COUNT] = { NULL };
	char		*secret, why[768];
	int		 i;

	if (c->http_token_file != NULL) {
		if ((secret = config_read_secret_file(c->http_token_file, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "[http] token_file: %s", why);
			return -1;
		}
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	for (i = 0; i < c->nstreams; i++) {
		const struct stream_conf *st = &c->streams[i];
		const char *file = st->client_secret_file;
		if (file == NULL && getenv(st->client_secret_env) == NULL) {
			snprintf(err, errlen, "[stream %s] client_secret_env: %s is "
			    "not set in cxpiped's environment", st->name,
			    st->client_secret_env);
			return -1;
		}
		if (strcmp(st->grant, "password") == 0)
			file = file != NULL ? file : st->access_key_secret_file;
		while (file != NULL) {
			if ((secret = config_read_secret_file(file, why,
			    sizeof(why))) == NULL) {
				snprintf(err, errlen, "[stream %s]: %s", st->name, why);
				return -1;
			}
			explicit_bzero(secret, strlen(secret));
			free(secret);
			file = strcmp(st->grant, "password") == 0 &&
			    file != st->access_key_secret_file ?
			    st->access_key_secret_file : NULL;
		}
	}
	/* validate compiles the same files; none may fail there. */
	if (family_schemas_load(c->schema_dir, schemas, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "schema: %s", why);
		return -1;
	}
	family_schemas_free(schemas);
	return 0;
}
