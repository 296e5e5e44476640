// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs a program as the unprivileged user 65534 (the guest has no
 * /etc/passwd for su): as_nobody PROGRAM [ARG...].
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		perror("as_nobody");
		return 126;
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
