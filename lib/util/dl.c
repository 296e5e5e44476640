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

/* 0, or -ENOENT with why in lib->why. */
static int load(struct pd_dl_lib *lib)
{
	void *handle = NULL;
	size_t i;

	for (i = 0; lib->sonames[i] && !handle; i++)
		handle = dlopen(lib->sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(lib->why, sizeof(lib->why), "%s cannot be loaded: %s",
			 lib->sonames[0], dlerror());
		return -ENOENT;
	}
	for (i = 0; i < lib->nsyms; i++) {
		*lib->syms[i].slot = dlsym(handle, lib->syms[i].name);
		if (!*lib->syms[i].slot) {
			snprintf(lib->why, sizeof(lib->why), "%s has no %s",
				 lib->sonames[0], lib->syms[i].name);
			dlclose(handle);
			return -ENOENT;
		}
	}
	if (lib->start && lib->start(lib->why, sizeof(lib->why)))
		return -ENOENT;	/* loaded, but unusable: it stays mapped */
	return 0;
}

int pd_dl_open(struct pd_dl_lib *lib)
{
	int state = atomic_load_explicit(&lib->state, memory_order_acquire);

	if (!state) {
		pthread_mutex_lock(&lib->lock);
		state = atomic_load_explicit(&lib->state, memory_order_relaxed);
		if (!state) {
			state = load(lib) ? -1 : 1;
			atomic_store_explicit(&lib->state, state, memory_order_release);
		}
		pthread_mutex_unlock(&lib->lock);
	}
	return state > 0 ? 0 : -ENOENT;
}

const char *pd_dl_why(struct pd_dl_lib *lib)
{
	return pd_dl_open(lib) ? lib->why : "";
}
