/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peerdistd's log: one line per message, filtered by level, to stderr
 * ("peerdistd: " first) in the foreground, to syslog once daemonized (the
 * socket PEERDIST_SYSLOG_SOCKET, default /dev/log); a message syslog does
 * not take goes to stderr. Safe from any thread.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

/* The values are syslog(3)'s priorities, so they pass through unchanged. */
enum pd_log_level {
	PD_LOG_ERROR = 3,
	PD_LOG_WARNING = 4,
	PD_LOG_INFO = 6,
	PD_LOG_DEBUG = 7,
};

/* Where messages go: both while a daemon starts, so its user sees why it fails. */
enum pd_log_target {
	PD_LOG_STDERR = 1,
	PD_LOG_SYSLOG = 2,
};

void pd_log(enum pd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Messages above level are dropped (default PD_LOG_INFO). */
void pd_log_set_level(enum pd_log_level level);

/* Any mix of enum pd_log_target (default PD_LOG_STDERR). */
void pd_log_set_targets(int targets);

/* Whether a syslog daemon listens on the socket now. */
int pd_log_syslog_available(void);

#endif
