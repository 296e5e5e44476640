/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Monotonic time in milliseconds, for deadlines and rate limits, and
 * ticks to poll for. */
#ifndef PD_CLOCK_H
#define PD_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static inline int64_t pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same, at the kernel tick's resolution: cheap enough per block. */
static inline int64_t pd_now_ms_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A nonblocking timerfd that polls readable every ms milliseconds: the
 * fd, or -errno. */
static inline int pd_tick_fd(unsigned ms)
{
	struct itimerspec every = {
		.it_interval = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L },
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	if (fd >= 0 && timerfd_settime(fd, 0, &every, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd < 0 ? -errno : fd;
}

#endif
