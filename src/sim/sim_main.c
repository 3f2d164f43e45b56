/*
 * sim_main.c: entry point of cxpipe-sim, the simulator that feeds cxpipe
 * synthetic CXone events and checks what ended up in PostgreSQL.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stdio.h>
#include <string.h>

#include "generate.h"
#include "serve.h"
#include "verify.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define SIM_EXIT_USAGE	2

/* Prints the synopsis of every subcommand to fp. */
static void
sim_usage(FILE *fp)
{
	fputs("usage: cxpipe-sim --help | --version\n", fp);
	generate_usage(fp);
	verify_usage(fp);
	serve_usage(fp);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		sim_usage(stderr);
		return SIM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "generate") == 0)
		return generate_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return verify_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0)
		return serve_run(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("cxpipe-sim " PACKAGE_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		sim_usage(stdout);
		return 0;
	}
	fprintf(stderr, "cxpipe-sim: unknown command or option '%s'\n",
	    argv[1]);
	sim_usage(stderr);
	return SIM_EXIT_USAGE;
}
