// SPDX-License-Identifier: LGPL-2.1-or-later
/* Store selection: the kernel backend when peerdist.ko is there, else the
 * user one over the cache directory. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

const char *pd_store_cache_dir(char *buf, size_t len)
{
	const char *env = getenv("PEERDIST_CACHE_DIR");
	const char *base = getenv("XDG_CACHE_HOME");

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/var/cache/peerdist";
	if (base && *base)
		snprintf(buf, len, "%s/peerdist", base);
	else
		snprintf(buf, len, "%s/.cache/peerdist",
			 getenv("HOME") ? getenv("HOME") : ".");
	return buf;
}

/* The parent of dir (the XDG cache home), 0700 as the XDG spec asks. */
static void make_parent(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (!slash || slash == dir)
		return;
	*slash = '\0';
	mkdir(dir, 0700);
	*slash = '/';
}

int pd_store_open(struct pd_store **out)
{
	const char *backend = getenv("PEERDIST_BACKEND");
	char buf[PATH_MAX];
	const char *dir = pd_store_cache_dir(buf, sizeof(buf));

	/* A user's own cache is made where none was yet (~/.cache too). */
	if (dir == buf)
		make_parent(buf);

	if (backend && !strcmp(backend, "kernel"))
		return pd_store_kernel_open(dir, out);
	if (backend && *backend && strcmp(backend, "user"))
		return -EINVAL;
	if (!backend && pd_store_kernel_available())
		return pd_store_kernel_open(dir, out);
	return pd_store_user_open(dir, out);
}
