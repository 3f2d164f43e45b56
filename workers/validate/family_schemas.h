/*
 * family_schemas: the compiled schema of every event family, read from
 * the schema directory as FAMILY.json.  Every *.json of that directory is
 * in the registry under its "$id", so one family's schema may "$ref"
 * another document there; nothing is ever fetched from the network.
 */
#ifndef CXPIPE_FAMILY_SCHEMAS_H
#define CXPIPE_FAMILY_SCHEMAS_H

#include <stddef.h>

#include "proto.h"
#include "schema.h"

/*
 * Compiles all FAMILY_COUNT schemas of dir into out (the caller frees them
 * with family_schemas_free).  All or none: on error out is untouched and
 * err holds "FILE: JSON-pointer: why".
 */
int	 family_schemas_load(const char *dir, struct schema *out[FAMILY_COUNT],
	    char *err, size_t errlen);
void	 family_schemas_free(struct schema *s[FAMILY_COUNT]);

#endif
