// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdistd's log: see log.h. Syslog is spoken directly (a datagram to the
 * local socket, RFC 3164's "<PRI>TAG[PID]: MSG"), not through syslog(3),
 * which drops messages without a word when no syslog daemon listens: here
 * a message syslog does not take goes to stderr instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define SYSLOG_SOCKET	"/dev/log"

static atomic_int log_level = PD_LOG_INFO;
static atomic_int log_targets = PD_LOG_STDERR;
static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;
static int syslog_fd = -1;
static atomic_int journal = -1;	/* whether stderr is the journal; -1: not known */

/*
 * Under systemd, stderr is a stream to the journal that names itself in
 * JOURNAL_STREAM; there a "<N>" prefix gives each line its priority.
 */
static int stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (!stream || sscanf(stream, "%lu:%lu", &dev, &ino) != 2 || fstat(2, &st))
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

/* Looked at once, and again only when the targets change. */
static int to_journal(void)
{
	int j = atomic_load(&journal);

	if (j < 0) {
		j = stderr_is_journal();
		atomic_store(&journal, j);
	}
	return j;
}

/* The syslog socket: PEERDIST_SYSLOG_SOCKET, else /dev/log. */
static const char *syslog_path(void)
{
	const char *env = getenv("PEERDIST_SYSLOG_SOCKET");

	return env && *env ? env : SYSLOG_SOCKET;
}

/* Lock contract: syslog_lock held. A connected socket, or -1. */
static int syslog_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (syslog_fd >= 0)
		return syslog_fd;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", syslog_path());
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (syslog_fd >= 0 && connect(syslog_fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(syslog_fd);
		syslog_fd = -1;
	}
	return syslog_fd;
}

/* 0 once syslog took the line; -1 (and the socket dropped) otherwise. */
static int send_syslog(enum pd_log_level level, const char *msg)
{
	char line[1200];
	int len, tries, sent = -1;

	len = snprintf(line, sizeof(line), "<%d>peerdistd[%d]: %s", LOG_DAEMON | level,
		       (int)getpid(), msg);
	if (len >= (int)sizeof(line))
		len = sizeof(line) - 1;
	pthread_mutex_lock(&syslog_lock);
	/* A second try: the syslog daemon may have restarted since. Never
	 * wait for a syslog daemon that does not keep up. */
	for (tries = 0; tries < 2 && sent < 0; tries++) {
		if (syslog_connect() < 0)
			break;
		sent = send(syslog_fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) == len ? 0 : -1;
		if (sent) {
			close(syslog_fd);
			syslog_fd = -1;
		}
	}
	pthread_mutex_unlock(&syslog_lock);
	return sent;
}

void pd_log(enum pd_log_level level, const char *fmt, ...)
{
	int targets = atomic_load(&log_targets);
	char msg[1024];
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((targets & PD_LOG_SYSLOG) && send_syslog(level, msg))
		targets |= PD_LOG_STDERR;	/* never lost without a word */
	if (!(targets & PD_LOG_STDERR))
		return;
	/* One call per line: stdio's lock keeps threads' lines whole. */
	if (to_journal())
		fprintf(stderr, "<%d>peerdistd: %s\n", level, msg);
	else
		fprintf(stderr, "peerdistd: %s\n", msg);
}

void pd_log_set_level(enum pd_log_level level)
{
	atomic_store(&log_level, level);
}

void pd_log_set_targets(int targets)
{
	atomic_store(&journal, -1);	/* stderr may be another file now */
	atomic_store(&log_targets, targets);
}

int pd_log_syslog_available(void)
{
	int ok;

	pthread_mutex_lock(&syslog_lock);
	ok = syslog_connect() >= 0;
	pthread_mutex_unlock(&syslog_lock);
	return ok;
}
