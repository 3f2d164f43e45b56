#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * The logger is process-wide by nature: every module of a process writes to
 * the same destination, and a fatal() anywhere must reach it.  It is set once
 * at start (and on SIGUSR1 reopen), never from another thread.
 */
static struct {
	char		 role[16];
	char		 dest[512];
	int		 fd;		/* -1 when logging to syslog */
	enum log_level	 level;
} log_state = { "cxpiped", "stderr", STDERR_FILENO, LOG_LEVEL_INFO };

static const char *level_names[] = { "error", "warn", "info", "debug" };

/* Opens the file destination, or selects stderr or syslog. */
static int
log_open_dest(void)
{
	int	 fd;

	if (strcmp(log_state.dest, "stderr") == 0) {
		log_state.fd = STDERR_FILENO;
		return 0;
	}
	if (strcmp(log_state.dest, "syslog") == 0) {
		openlog("cxpiped", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_state.fd = -1;
		return 0;
	}
	fd = open(log_state.dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (log_state.fd > STDERR_FILENO)
		close(log_state.fd);
	log_state.fd = fd;
	return 0;
}

int
log_init(const char *role, const char *dest)
{
	log_set_role(role);
	if (dest == NULL)
		dest = "stderr";
	snprintf(log_state.dest, sizeof(log_state.dest), "%s", dest);
	return log_open_dest();
}

int
log_file_chown(uid_t uid, gid_t gid)
{
	if (log_state.fd <= STDERR_FILENO)
		return 0;
	return fchown(log_state.fd, uid, gid);
}

int
log_reopen(void)
{
	return log_open_dest();
}

void
log_set_role(const char *role)
{
	snprintf(log_state.role, sizeof(log_state.role), "%s", role);
}

void
log_set_level(enum log_level l)
{
	log_state.level = l;
}

enum log_level
log_get_level(void)
{
	return log_state.level;
}

int
log_level_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcmp(s, "warning") == 0)
		return LOG_LEVEL_WARN;
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	return level_names[l];
}

/* Formats one line and writes it with a single write(2) so lines never interleave. */
static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char		 msg[2048], line[2300];
	struct timeval	 tv;
	struct tm	 tm;
	int		 n;
	ssize_t		 w;

	if (level > log_state.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0) {
		n = (int)strlen(msg);
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	}
	if (log_state.fd == -1) {
		syslog(prio[level], "%s: %s: %s", log_state.role, level_names[level], msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ cxpiped[%ld] %s: %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (long)(tv.tv_usec / 1000), (long)getpid(), log_state.role,
	    level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	w = write(log_state.fd, line, (size_t)n);
	(void)w;
}

#define LOG_BODY(level, errnum) do {			\
	va_list	 ap;					\
	int	 saved = errno;				\
	va_start(ap, fmt);				\
	log_vwrite((level), (errnum), fmt, ap);		\
	va_end(ap);					\
	errno = saved;					\
} while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_WARN, errno); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, errno);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
