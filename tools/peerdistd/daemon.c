// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --daemon: the classic fork and setsid, with the parent waiting on a pipe
 * until the daemon listens, so whoever started it learns from the exit
 * code whether it runs, and start-up errors still reach the terminal. The
 * pid file stays locked while the daemon runs: a second is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "peerdistd.h"

static int ready_fd = -1;
static char pid_path[PATH_MAX];
static int pid_fd = -1;		/* holds the pid file's lock */

static _Noreturn void wait_for_daemon(int fd)
{
	ssize_t n;
	char c;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	/* _exit: the daemon, not this copy, owns what atexit would clean up. */
	_exit(n == 1 ? 0 : 1);
}

/* Another daemon's pid from its pid file, or 0. */
static long pid_in(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * The pid file is locked (flock) for the daemon's life, so a second
 * daemon with the same pid file is refused instead of overwriting it.
 */
static int write_pid_file(const char *path)
{
	char buf[24];
	int len;

	if (!*path)
		return 0;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd < 0) {
		pd_log(PD_LOG_ERROR, "cannot open the pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			pd_log(PD_LOG_ERROR, "%s is held by a running peerdistd (pid %ld): "
			       "not starting a second one", path, pid_in(pid_fd));
		else
			pd_log(PD_LOG_ERROR, "cannot lock the pid file %s: %s", path,
			       strerror(errno));
		goto close_file;
	}
	if (ftruncate(pid_fd, 0) || pwrite(pid_fd, buf, len, 0) != len) {
		pd_log(PD_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
		goto close_file;
	}
	strcpy(pid_path, path);
	return 0;
close_file:
	close(pid_fd);
	pid_fd = -1;
	return -1;
}

int pd_daemon_start(const char *pid_file)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) || (pid = fork()) < 0) {
		pd_log(PD_LOG_ERROR, "cannot start the daemon: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_daemon(fds[0]);
	}
	close(fds[0]);
	ready_fd = fds[1];
	pd_log_set_targets(PD_LOG_STDERR | PD_LOG_SYSLOG);
	if (setsid() < 0 || chdir("/")) {
		pd_log(PD_LOG_ERROR, "cannot detach: %s", strerror(errno));
		return -1;
	}
	return write_pid_file(pid_file);
}

void pd_daemon_ready(void)
{
	int null = open("/dev/null", O_RDWR);
	int have_syslog = pd_log_syslog_available();

	/* Without a syslog daemon, stderr stays where the caller put it. */
	if (!have_syslog)
		pd_log(PD_LOG_WARNING, "no syslog socket: logging on standard error");
	pd_log_set_targets(have_syslog ? PD_LOG_SYSLOG : PD_LOG_STDERR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (have_syslog)
			dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(ready_fd, "", 1) != 1)
		pd_log(PD_LOG_ERROR, "cannot tell the parent: %s", strerror(errno));
	close(ready_fd);
}

void pd_daemon_stop(void)
{
	if (*pid_path)
		unlink(pid_path);
	if (pid_fd >= 0)
		close(pid_fd);
}
