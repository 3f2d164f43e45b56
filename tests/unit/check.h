/* A minimal check macro for the unit tests: counts failures, prints each. */
#ifndef CXPIPE_TEST_CHECK_H
#define CXPIPE_TEST_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do {						\
	check_count++;							\
	if (!(cond)) {							\
		check_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_DONE() (printf("%d checks, %d failed\n", check_count,	\
	check_failures), check_failures == 0 ? 0 : 1)

#endif
