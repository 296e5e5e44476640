// SPDX-License-Identifier: GPL-2.0-only
/*
 * on_pty CMD [ARG...]: runs CMD with its standard error on a new
 * pseudo-terminal (as a user's terminal is) and copies what it showed
 * there to standard output; exits with CMD's status, 77 when the kernel
 * gives no pseudo-terminal (no devpts). The guest's way of seeing what a
 * command shows only on a terminal, such as progress lines.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct pollfd p = { .events = POLLIN };
	int slave, status = 0, exited = 0;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (argc < 2)
		return 2;
	p.fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (p.fd < 0 || grantpt(p.fd) || unlockpt(p.fd) ||
	    (slave = open(ptsname(p.fd), O_RDWR | O_NOCTTY)) < 0)
		return 77;
	pid = fork();
	if (!pid) {
		dup2(slave, 2);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	/*
	 * The slave stays open here until the end: once every slave fd is
	 * closed, what the master has not read yet may be dropped.
	 */
	for (;;) {
		if (poll(&p, 1, 100) > 0 && (n = read(p.fd, buf, sizeof(buf))) > 0) {
			fwrite(buf, 1, n, stdout);
			continue;
		}
		if (exited)
			break;	/* exited, and everything it wrote was read */
		exited = waitpid(pid, &status, WNOHANG) == pid;
	}
	close(slave);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
