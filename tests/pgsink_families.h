/*
 * pgsink_families: the analytics, agent_state and data_action records of
 * pgsink_driver's mixed mode, and the checks of their tables.  Like the
 * driver's interaction records, each is a pure function of its sequence
 * number, so a resend makes the same records.
 */
#ifndef CXPIPE_TEST_PGSINK_FAMILIES_H
#define CXPIPE_TEST_PGSINK_FAMILIES_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "tuple.h"

/* pgsink_driver.c: ends the test as failed; splitmix64. */
void		die(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));
uint64_t	mix(uint64_t);

/* Sizes the key space for a run of records 1..last; call it first. */
void		fam_setup(uint64_t last);
/* The family of record seq in mixed mode (enum family). */
uint32_t	fam_of(uint64_t seq);
/* True when record seq (not interaction) is one PostgreSQL refuses. */
bool		fam_is_bad(uint64_t seq, int bad_permille);
/* Appends record seq of family fam (not interaction) to t as a tuple. */
void		fam_tuple(struct buf *t, uint64_t seq, uint32_t fam,
		    int bad_permille);
/* Checks analytics_events, agent_state_changes, agent_states,
 * data_action_events and data_action_rollups against a model of records
 * 1..last; returns the number of refused records (dead letters). */
uint64_t	fam_check(PGconn *, uint64_t last, int bad_permille);

#endif
