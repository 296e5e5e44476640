// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --daemon: the classic fork and setsid, with the parent waiting on a pipe
 * until the daemon listens, so whoever started it learns from the exit
 * code whether it runs, and start-up errors still reach the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peerdistd.h"

static int ready_fd = -1;
static char pid_path[PATH_MAX];

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

static int write_pid_file(const char *path)
{
	char buf[24];
	int fd, len;

	if (!*path)
		return 0;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, len) != len) {
		pd_log(PD_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	strcpy(pid_path, path);
	return 0;
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

	pd_log_set_targets(PD_LOG_SYSLOG);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
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
}
