/*
 * The pgsink worker: the only writer to PostgreSQL.  It takes records from
 * validate in sequence order, commits them in batches (one transaction per
 * batch, with each source's committed sequence number in the same
 * transaction) and acknowledges the committed position upstream.
 */
#ifndef CXPIPE_PGSINK_H
#define CXPIPE_PGSINK_H

/* Runs the worker (cxpiped --worker=pgsink); returns the exit status. */
int	pgsink_main(void);

#endif
