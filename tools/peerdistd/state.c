// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file: what `peerdist status` reads to say whether peerdistd
 * runs and where it can be reached. One JSON object (format in
 * peerdistd(8)), replaced whole (a temporary file renamed over it) so a
 * reader never sees half of it, mode 0644 whatever the umask: it holds
 * addresses and paths, nothing secret.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "netif.h"
#include "peerdistd.h"

static struct {
	char path[PATH_MAX];
	char config_file[PATH_MAX];
	char cache_dir[PATH_MAX];
	int discovery;
	time_t started;
	struct pd_listener listeners[PD_HTTP_MAX_LISTENERS];
	unsigned nlisteners;
	dev_t dev;		/* the file last written, so that only it */
	ino_t ino;		/* is removed (not another instance's) */
} state;

/* s as a JSON string: quotes, backslashes and control characters escaped. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void put_address(FILE *f, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "";
	const void *bytes = sa->sa_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)sa)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	inet_ntop(sa->sa_family, bytes, host, sizeof(host));
	put_string(f, host);
}

static void put_listen(FILE *f)
{
	unsigned i;

	fputs("\"listen\": [", f);
	for (i = 0; i < state.nlisteners; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&state.listeners[i].addr;
		unsigned port = ntohs(sa->sa_family == AF_INET ?
				      ((const struct sockaddr_in *)sa)->sin_port :
				      ((const struct sockaddr_in6 *)sa)->sin6_port);

		fputs(i ? ", {\"address\": " : "{\"address\": ", f);
		put_address(f, sa);
		fprintf(f, ", \"port\": %u, \"v6only\": %s}", port,
			state.listeners[i].v6only ? "true" : "false");
	}
	fputs("]", f);
}

/* Whether nifs[i] is the first entry of its interface. */
static int first_of_interface(const struct pd_netif *nifs, unsigned i)
{
	unsigned j;

	for (j = 0; j < i && nifs[j].index != nifs[i].index; j++)
		;
	return j == i;
}

static void put_interfaces(FILE *f, const struct pd_netif *nifs, unsigned n)
{
	unsigned i, j, ifaces = 0, addrs;

	fputs("\"interfaces\": [", f);
	for (i = 0; i < n; i++) {
		if (!first_of_interface(nifs, i))
			continue;
		fputs(ifaces++ ? ", {\"name\": " : "{\"name\": ", f);
		put_string(f, nifs[i].name);
		fputs(", \"addresses\": [", f);
		for (j = i, addrs = 0; j < n; j++) {
			if (nifs[j].index != nifs[i].index)
				continue;
			fputs(addrs++ ? ", " : "", f);
			put_address(f, (const struct sockaddr *)&nifs[j].addr);
		}
		fputs("]}", f);
	}
	fputs("]", f);
}

static void put_xaddr(FILE *f, const char *interface, const char *xaddr, unsigned *count)
{
	fputs((*count)++ ? ", {\"interface\": " : "{\"interface\": ", f);
	put_string(f, interface);
	fputs(", \"xaddr\": ", f);
	put_string(f, xaddr);
	fputs("}", f);
}

/*
 * What a Probe on each interface would be answered with, per family: the
 * XAddrs of its ProbeMatch (a link-local address twice, without and with
 * its zone, in that order).
 */
static void put_advertised(FILE *f, const struct pd_netif *nifs, unsigned n)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const struct pd_netif *a;
	char xaddr[PD_NETIF_XADDR_MAX];
	unsigned i, k, port, count = 0;

	fputs("\"advertised\": [", f);
	for (i = 0; state.discovery && i < n; i++) {
		if (!first_of_interface(nifs, i))
			continue;
		for (k = 0; k < 2; k++) {
			a = pd_advertised(state.listeners, state.nlisteners, nifs, n,
					  families[k], nifs[i].index, NULL, &port);
			if (a && pd_netif_link_local(a)) {
				pd_netif_xaddr(a, port, 0, xaddr, sizeof(xaddr));
				put_xaddr(f, nifs[i].name, xaddr, &count);
			}
			if (a) {
				pd_netif_xaddr(a, port, 1, xaddr, sizeof(xaddr));
				put_xaddr(f, nifs[i].name, xaddr, &count);
			}
		}
	}
	fputs("]", f);
}

static void put_state(FILE *f, const struct pd_netif *nifs, unsigned n)
{
	fprintf(f, "{\"pid\": %ld, \"started\": %lld, \"version\": ", (long)getpid(),
		(long long)state.started);
	put_string(f, PD_PACKAGE_VERSION);
	fputs(", \"config_file\": ", f);
	put_string(f, state.config_file);
	fputs(", \"cache_dir\": ", f);
	put_string(f, state.cache_dir);
	fprintf(f, ", \"discovery\": %s, ", state.discovery ? "true" : "false");
	put_listen(f);
	fputs(", ", f);
	put_interfaces(f, nifs, n);
	fputs(", ", f);
	put_advertised(f, nifs, n);
	fputs("}\n", f);
}

/*
 * The file's directory, made if missing: 0755 for root (others' status
 * reads it), 0700 otherwise. One that exists must be a directory of ours
 * (not a link someone else planted in /tmp).
 */
static int make_directory(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, geteuid() ? 0700 : 0755) && errno != EEXIST)
		return -1;
	if (lstat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int pd_state_write(const struct pd_netif *nifs, unsigned n)
{
	char tmp[PATH_MAX + 32];
	struct stat st;
	FILE *f;
	int fd, err;

	if (!state.path[0] || pd_temp_name(tmp, sizeof(tmp), state.path))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		pd_log(PD_LOG_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	put_state(f, nifs, n);
	err = fflush(f) || fstat(fd, &st);
	err |= fclose(f);
	if (err || rename(tmp, state.path)) {
		pd_log(PD_LOG_ERROR, "cannot write %s: %s", state.path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	state.dev = st.st_dev;
	state.ino = st.st_ino;
	return 0;
}

int pd_state_init(const struct pd_config *cfg, const struct pd_http *http)
{
	char buf[PATH_MAX];

	snprintf(state.path, sizeof(state.path), "%s", cfg->state_file);
	snprintf(state.config_file, sizeof(state.config_file), "%s",
		 cfg->config_read ? cfg->config_file : "");
	snprintf(state.cache_dir, sizeof(state.cache_dir), "%s",
		 pd_store_cache_dir(buf, sizeof(buf)));
	state.discovery = cfg->discovery;
	state.started = time(NULL);
	state.nlisteners = pd_http_listeners(http, state.listeners, PD_HTTP_MAX_LISTENERS);
	if (make_directory(state.path)) {
		pd_log(PD_LOG_ERROR, "cannot make the directory of %s: %s", state.path,
		       strerror(errno));
		state.path[0] = '\0';
		return -1;
	}
	return 0;
}

void pd_state_remove(void)
{
	struct stat st;

	if (state.path[0] && !lstat(state.path, &st) && st.st_dev == state.dev &&
	    st.st_ino == state.ino)
		unlink(state.path);
}
