// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dlopen of a library and its functions into a caller's table. The
 * library stays loaded for the process's life (its functions are called
 * from any thread until exit), so there is no unloading.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "dl.h"

int pd_dl_load(const char *const *sonames, const struct pd_dl_sym *syms,
	       size_t n, char *why, size_t len)
{
	void *lib = NULL;
	size_t i;

	for (i = 0; sonames[i] && !lib; i++)
		lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(why, len, "%s cannot be loaded: %s", sonames[0], dlerror());
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(why, len, "%s has no %s", sonames[0], syms[i].name);
			dlclose(lib);
			return -ENOENT;
		}
	}
	return 0;
}
