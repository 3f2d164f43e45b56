/* The compiled schema of every event family; see family_schemas.h. */
#include "autoconf.h"

#include <stdlib.h>

#include "family_schemas.h"
#include "xmalloc.h"

int
family_schemas_load(const char *dir, struct schema *out[FAMILY_COUNT],
    char *err, size_t errlen)
{
	struct schema		*fresh[FAMILY_COUNT] = { NULL };
	struct schema_registry	*reg;
	struct schema_options	 opt = { 0 };
	char			*path;
	int			 f, rc = -1;

	reg = schema_registry_new();
	if (schema_registry_add_dir(reg, dir, err, errlen) == -1)
		goto out;
	opt.registry = reg;
	for (f = 0; f < FAMILY_COUNT; f++) {
		path = xasprintf("%s/%s.json", dir, family_name((enum family)f));
		fresh[f] = schema_compile_file_with(path, &opt, err, errlen);
		free(path);
		if (fresh[f] == NULL) {
			family_schemas_free(fresh);
			goto out;
		}
	}
	for (f = 0; f < FAMILY_COUNT; f++)
		out[f] = fresh[f];
	rc = 0;
out:
	schema_registry_free(reg);
	return rc;
}

void
family_schemas_free(struct schema *s[FAMILY_COUNT])
{
	int	 f;

	for (f = 0; f < FAMILY_COUNT; f++) {
		schema_free(s[f]);
		s[f] = NULL;
	}
}
