/* What makes the master a daemon: pidfile, detaching, dropping privileges. */
#ifndef CXPIPE_DAEMON_H
#define CXPIPE_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/* Opens and locks the pidfile.  Returns the fd (kept open for the daemon's
 * life), or -1 with err set ("another cxpiped (pid N) holds ..."). */
int	daemon_pidfile_lock(const char *path, char *err, size_t errlen);
/* Writes the current pid into the locked pidfile. */
int	daemon_pidfile_write(int fd);
/* Forks into the background.  The parent waits until the child calls
 * daemon_ready() and exits 0, or exits 1 printing what the child reported. */
void	daemon_detach(void);
/* Tells a waiting parent that start-up is done (msg NULL) or failed. */
void	daemon_ready(const char *msg);
/* Creates dir and its parents; gives dir to uid/gid (when not -1) only if
 * it was created now. */
int	daemon_mkdirs(const char *dir, mode_t mode, uid_t uid, gid_t gid);
/* Looks up user; returns 0 with uid/gid set, -1 with err. */
int	daemon_lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);
/* Switches to uid/gid for good (with supplementary groups of user). */
int	daemon_drop_privileges(const char *user, uid_t uid, gid_t gid);

#endif
