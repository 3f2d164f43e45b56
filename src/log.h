/* Logging: one line per event, tagged with role and pid, to stderr, syslog or a file. */
#ifndef CXPIPE_LOG_H
#define CXPIPE_LOG_H

#include <stdarg.h>
#include <sys/types.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* dest: "stderr", "syslog" or a file path. Returns 0, or -1 with errno. */
int	 log_init(const char *role, const char *dest);
int	 log_reopen(void);
/* Gives a log file to the user the daemon switches to, so workers can open it. */
int	 log_file_chown(uid_t, gid_t);
void	 log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Parses "error|warn|info|debug"; returns -1 when unknown. */
int	 log_level_parse(const char *);
const char *log_level_name(enum log_level);
void	 log_set_role(const char *);

void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
