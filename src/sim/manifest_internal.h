/* manifest_internal.h: what manifest.c and manifest_families.c share. */
#ifndef CXPIPE_SIM_MANIFEST_INTERNAL_H
#define CXPIPE_SIM_MANIFEST_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "manifest.h"

/* Copies s (n bytes) into the manifest's arena; returns the copy. */
const char *manifest_save_string(struct manifest *m, const char *s, size_t n);

/* Adds an analytics, agent_state or data_action key entry name: o;
 * returns an error text or NULL. */
const char *manifest_add_entry(struct manifest *m, json_t *name, json_t *o);

/* Reads agent_state's "current" object; returns an error text or NULL. */
const char *manifest_add_current(struct manifest *m, json_t *o);

/* Sorts the entries and "current" once loaded; returns an error text
 * (static, or in buf) or NULL. */
const char *manifest_finish_entries(struct manifest *m, char *buf,
    size_t size);

#endif
