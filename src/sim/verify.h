/* verify.h: the "cxpipe-sim verify" subcommand. */
#ifndef CXPIPE_SIM_VERIFY_H
#define CXPIPE_SIM_VERIFY_H

#include <stdio.h>

/* Exit statuses of "verify". */
#define VERIFY_EXIT_EQUAL	0
#define VERIFY_EXIT_DIFFERENT	1
#define VERIFY_EXIT_USAGE	2
#define VERIFY_EXIT_NODB	3

/* Runs "verify" with argv[0] being the subcommand name; returns the exit status. */
int verify_run(int argc, char **argv);

/* Prints the synopsis of "verify" to fp. */
void verify_usage(FILE *fp);

#endif
