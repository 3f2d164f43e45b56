/*
 * interaction.h: the interaction family of the simulator (CXone Data
 * Actions sink events): what each key was last sent as, and every kind of
 * line the generator writes for it.
 */
#ifndef CXPIPE_SIM_INTERACTION_H
#define CXPIPE_SIM_INTERACTION_H

#include <stddef.h>
#include <stdint.h>

#include "generate.h"

struct interaction;

/* Returns a stream for seed with room for max_keys keys; exits when out of memory. */
struct interaction *interaction_new(uint64_t seed, uint64_t max_keys);
void interaction_free(struct interaction *ia);

/* Number of distinct valid keys sent so far. */
uint64_t interaction_keys(const struct interaction *ia);

/* Each appends one line (without newline) to b. */
void interaction_put_new(struct interaction *ia, struct gen_buf *b);
void interaction_put_repeat(struct interaction *ia, struct gen_buf *b);
void interaction_put_invalid(struct interaction *ia, struct gen_buf *b);
void interaction_put_garbage(struct interaction *ia, struct gen_buf *b);

/* Appends key number index's manifest member: "key":{last values, sends}. */
void interaction_put_manifest_key(const struct interaction *ia,
    uint64_t index, struct gen_buf *b);

/* The kinds of schema failure, by name, and how many of each were sent. */
size_t interaction_invalid_kinds(void);
const char *interaction_invalid_name(size_t kind);
uint64_t interaction_invalid_sent(const struct interaction *ia, size_t kind);

#endif
