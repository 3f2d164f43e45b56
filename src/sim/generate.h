/* generate.h: the "cxpipe-sim generate" subcommand and its helpers. */
#ifndef CXPIPE_SIM_GENERATE_H
#define CXPIPE_SIM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Runs "generate" with argv[0] being the subcommand name; returns the exit status. */
int generate_run(int argc, char **argv);

/* Prints the synopsis of "generate" to fp. */
void generate_usage(FILE *fp);

/* A growable byte buffer; grows or exits the process when memory runs out. */
struct gen_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void gen_buf_put(struct gen_buf *b, const char *s, size_t n);
void gen_buf_puts(struct gen_buf *b, const char *s);
void gen_buf_put_uint(struct gen_buf *b, uint64_t v, int width);
void gen_buf_put_json_string(struct gen_buf *b, const char *s);

/*
 * Pseudo-random numbers from splitmix64: the same sequence for a seed on
 * every platform, which is what makes a run reproducible.
 */
uint64_t gen_mix64(uint64_t z);
uint64_t gen_rng_next(uint64_t *state);
uint64_t gen_rng_below(uint64_t *state, uint64_t n);
bool gen_rng_chance(uint64_t *state, double p);

#endif
