// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wan_delay: the simulated WAN's delay line where the kernel has no
 * sch_netem (tests/net/branch.py). It creates a TUN device in the router
 * namespace it runs in; the router routes every packet that crosses the
 * WAN into it, and this program writes each one back into the device
 * DELAY_MS after it read it, so the router forwards it on. The delay is the
 * same for every packet, so the queue is a FIFO of timestamped packets; it
 * holds at most QUEUE packets and drops what comes when it is full, as a
 * router's queue does. It sleeps in poll() on the device and a timerfd
 * armed for the oldest packet's time; it ends on SIGTERM or SIGINT, or when
 * the process that started it dies.
 *
 * Usage: wan_delay IFNAME DELAY_MS [QUEUE]   (prints "ready" once IFNAME exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* a TUN device's packets are at most its MTU (1500 by default); bigger
 * ones than a slot fills are dropped, never truncated */
#define SLOT_BYTES 2048
#define DEFAULT_QUEUE 1000
/* packets read per wake-up, so a flood cannot hold up the due ones */
#define READ_BATCH 64

struct packet {
	struct timespec due;
	size_t len;
	unsigned char data[SLOT_BYTES];
};

struct delay_line {
	int tun, timer;
	struct timespec delay;
	struct packet *ring;
	size_t cap, head, count;
	unsigned long long delayed, dropped_full, dropped_big, write_errors;
};

static void die(const char *what)
{
	fprintf(stderr, "wan_delay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die("/dev/net/tun");
	if (strlen(name) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr, "wan_delay: interface name too long: %s\n", name);
		exit(2);
	}
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(name);
	return fd;
}

static struct timespec now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static struct timespec add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000L) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000L;
	}
	return a;
}

static int due_by(const struct timespec *due, const struct timespec *t)
{
	return due->tv_sec < t->tv_sec ||
	       (due->tv_sec == t->tv_sec && due->tv_nsec <= t->tv_nsec);
}

/* Reads up to READ_BATCH packets into the queue's tail, each due DELAY
 * from now; a packet that finds the queue full is read and dropped. */
static void take(struct delay_line *d)
{
	static unsigned char overflow[SLOT_BYTES];

	for (int i = 0; i < READ_BATCH; i++) {
		int full = d->count == d->cap;
		struct packet *p = &d->ring[(d->head + d->count) % d->cap];
		unsigned char *buf = full ? overflow : p->data;
		ssize_t n = read(d->tun, buf, SLOT_BYTES);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("read");
		}
		if (full) {
			d->dropped_full++;
		} else if (n == SLOT_BYTES) {
			d->dropped_big++;
		} else {
			p->len = n;
			p->due = add(now(), d->delay);
			d->count++;
		}
	}
}

/* Writes back every packet that is due, oldest first. */
static void release(struct delay_line *d)
{
	struct timespec t = now();

	while (d->count && due_by(&d->ring[d->head].due, &t)) {
		struct packet *p = &d->ring[d->head];

		if (write(d->tun, p->data, p->len) == (ssize_t)p->len)
			d->delayed++;
		else
			d->write_errors++;
		d->head = (d->head + 1) % d->cap;
		d->count--;
	}
}

/* Arms the timer for the oldest packet's time, or disarms it. */
static void arm(struct delay_line *d)
{
	struct itimerspec its = { 0 };

	if (d->count)
		its.it_value = d->ring[d->head].due;
	if (timerfd_settime(d->timer, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die("timerfd_settime");
}

static void run(struct delay_line *d, int signals)
{
	struct pollfd fds[] = {
		{ .fd = d->tun, .events = POLLIN },
		{ .fd = d->timer, .events = POLLIN },
		{ .fd = signals, .events = POLLIN },
	};

	while (!(fds[2].revents & POLLIN)) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[1].revents & POLLIN) {
			unsigned long long expirations;

			if (read(d->timer, &expirations, sizeof(expirations)) < 0 &&
			    errno != EAGAIN)
				die("timerfd read");
		}
		if (fds[0].revents & POLLIN)
			take(d);
		release(d);
		arm(d);
	}
}

static int signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask");
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		die("signalfd");
	return fd;
}

int main(int argc, char **argv)
{
	struct delay_line d = { .cap = DEFAULT_QUEUE };
	long ms = argc >= 3 ? strtol(argv[2], NULL, 10) : -1;
	int signals;

	if (argc == 4)
		d.cap = strtoul(argv[3], NULL, 10);
	if (argc < 3 || argc > 4 || ms < 0 || ms > 10000 || d.cap < 1 || d.cap > 100000) {
		fprintf(stderr, "usage: wan_delay IFNAME DELAY_MS (0..10000) [QUEUE (1..100000)]\n");
		return 2;
	}
	d.delay = (struct timespec){ ms / 1000, ms % 1000 * 1000000L };
	signals = signals_open();
	/* no delay line outlives the test that started it */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		die("prctl");
	d.ring = calloc(d.cap, sizeof(*d.ring));
	if (!d.ring)
		die("calloc");
	d.tun = tun_open(argv[1]);
	d.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.timer < 0)
		die("timerfd_create");
	printf("ready\n");
	fflush(stdout);
	run(&d, signals);
	fprintf(stderr, "wan_delay: %llu packets delayed %ld ms; dropped: %llu (queue of %zu full), "
		"%llu (too big), %llu (write failed)\n", d.delayed, ms, d.dropped_full, d.cap,
		d.dropped_big, d.write_errors);
	return 0;
}
