#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/* The write end of the start-up pipe to the waiting parent; -1 when none.
 * Process-wide: the daemon detaches once and reports readiness once. */
static int ready_fd = -1;

int
daemon_pidfile_lock(const char *path, char *err, size_t errlen)
{
	char	 buf[32];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "another cxpiped (pid %s) holds %s",
		    buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
daemon_pidfile_write(int fd)
{
	char	 buf[32];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
daemon_detach(void)
{
	char	 msg[1024];
	int	 p[2], status, fd;
	ssize_t	 n;
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], msg, sizeof(msg) - 1);
		if (n > 0 && msg[0] == '\0')
			_exit(0);
		msg[n > 0 ? n : 0] = '\0';
		if (n <= 0) {
			/* The child died before it could say anything. */
			waitpid(pid, &status, WNOHANG);
			fprintf(stderr, "cxpiped: start-up failed (see the log)\n");
		} else
			fprintf(stderr, "cxpiped: %s\n", msg);
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

void
daemon_ready(const char *msg)
{
	ssize_t	 w;
	int	 fd;

	if (ready_fd == -1)
		return;
	if (msg == NULL)
		w = write(ready_fd, "", 1);
	else
		w = write(ready_fd, msg, strlen(msg));
	(void)w;
	close(ready_fd);
	ready_fd = -1;
	/* Only now is stderr of no use to anyone. */
	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

int
daemon_mkdirs(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	char	 path[4096], *p, c;
	bool	 created = false;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		created = mkdir(path, mode) == 0;
		if (!created && errno != EEXIST)
			return -1;
		if (c == '\0')
			break;
		*p = c;
	}
	/* Only a directory made here changes owner: never /run or /tmp. */
	if (created && uid != (uid_t)-1 && chown(path, uid, gid) == -1)
		return -1;
	return 0;
}

int
daemon_lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
daemon_drop_privileges(const char *user, uid_t uid, gid_t gid)
{
	if (initgroups(user, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		log_warn("dropping privileges to %s", user);
		return -1;
	}
	return 0;
}
