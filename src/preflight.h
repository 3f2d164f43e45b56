/* Checks what a config refers to, so that a config the master accepts is
 * one every worker can apply: secret files readable, schemas compiling. */
#ifndef CXPIPE_PREFLIGHT_H
#define CXPIPE_PREFLIGHT_H

#include <stddef.h>

#include "config.h"

/* Returns 0, or -1 with err set to what is wrong and where. */
int	preflight_check(const struct config *, char *err, size_t errlen);

#endif
