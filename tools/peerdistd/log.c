// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdistd's log: see log.h. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>

#include "log.h"

static atomic_int log_level = PD_LOG_INFO;
static atomic_int log_targets = PD_LOG_STDERR;
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
	if (targets & PD_LOG_SYSLOG)
		syslog(level, "%s", msg);
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
	if (targets & PD_LOG_SYSLOG)
		openlog("peerdistd", LOG_PID, LOG_DAEMON);
	atomic_store(&journal, -1);	/* stderr may be another file now */
	atomic_store(&log_targets, targets);
}
