// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading through a mapping saves the copy pread makes, which on some
 * machines costs as much as hashing the bytes (one Intel guest: pread from
 * the page cache at 5-6 GB/s against 40+ GB/s to map the same pages). The
 * price is SIGBUS when the file shrinks under the mapping; each reading
 * thread marks the window it reads and where to go back to, and the
 * handler sends a fault there back to pd_mapped_read.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mapped_read.h"

/* The window this thread reads; back is set only while fn runs. */
static _Thread_local sigjmp_buf *volatile back;
static _Thread_local const uint8_t *volatile window_lo, *volatile window_hi;

static struct sigaction before;
static atomic_int enabled;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	const uint8_t *at = si->si_addr;

	if (back && at >= window_lo && at < window_hi)
		siglongjmp(*back, 1);
	/* Not a window's: the fault repeats on return and goes where it
	 * would have gone without this handler. */
	sigaction(SIGBUS, &before, NULL);
	(void)sig;
	(void)uc;
}

int pd_mapped_reads_enable(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, now;

	if (sigaction(SIGBUS, NULL, &now))
		return -errno;
	if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_sigbus)
		return 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &before))
		return -errno;
	atomic_store(&enabled, 1);
	return 0;
}

int pd_mapped_reads_enabled(void)
{
	return atomic_load(&enabled);
}

/* -EIO when fd now ends before end: cut within the window's last page, it
 * read as zeros past the new end instead of faulting. */
static int shrank_under(int fd, uint64_t end)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return (uint64_t)st.st_size < end ? -EIO : 0;
}

int pd_mapped_read(int fd, uint64_t off, size_t len, pd_mapped_fn fn, void *arg)
{
	sigjmp_buf jump;
	uint8_t *map;
	int err = 0;

	if (!atomic_load(&enabled))
		return -ENOTSUP;
	if (off % (uint64_t)sysconf(_SC_PAGESIZE))
		return -EINVAL;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (map == MAP_FAILED)
		return -errno;
	window_lo = map;
	window_hi = map + len;
	if (sigsetjmp(jump, 1))
		err = -EIO;		/* the file shrank: fn stopped there */
	else {
		back = &jump;
		fn(map, len, arg);
		err = shrank_under(fd, off + len);
	}
	back = NULL;
	window_lo = window_hi = NULL;
	munmap(map, len);
	return err;
}
