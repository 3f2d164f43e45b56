/*
 * The alert worker (cxpiped --worker=alert): keeps sliding windows of the
 * observations validate sends and reports them in stats.
 */
#ifndef CXPIPE_ALERT_H
#define CXPIPE_ALERT_H

/* Runs the alert worker until it is stopped; returns the exit status. */
int	 alert_main(void);

#endif
