// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdist hash: content information of a file or of standard input. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bigbuf.h"
#include "cli.h"
#include "keys.h"
#include "gen_file.h"
#include "mapped_read.h"
#include "secret.h"
#include "store.h"

static const char hash_help[] =
	"usage: peerdist hash [OPTIONS] FILE|-\n\n"
	"Writes the content information (MS-PCCRC) of FILE, or of standard input\n"
	"for '-', to OUT or standard output.\n\n"
	"  --v2                 content information version 2.0 (default 1.0)\n"
	"  --hash ALG           V1 hash: sha256 (default), sha384, sha512\n"
	"  --secret-file F      use the bytes of F as the server passphrase\n"
	"                       (default: the server secret, created on first use)\n"
	"  --offset N           describe content from byte N (K/M/G suffixes)\n"
	"  --length N           describe N bytes (default: to the end)\n"
	"  --threads N          hashing threads (default: one per usable CPU)\n"
	"  --kernel             have peerdist.ko compute it from the page cache,\n"
	"                       with the secret given to it (peerdist secret kernel);\n"
	"                       a whole regular file, SHA-256 for version 1\n"
	"  -o, --output OUT     write to OUT instead of standard output (a regular\n"
	"                       file is replaced atomically; a device, FIFO or\n"
	"                       symlink is written into)\n"
	"  -h, --help           this text\n";

struct hash_args {
	struct pd_gen_opts opts;
	const char *secret_file;
	const char *output;
	const char *input;
	uint64_t offset, length;
	int ranged;
	int kernel;
};

static int parse_hash_alg(const char *s, unsigned *alg)
{
	static const struct { const char *name; unsigned alg; } algs[] = {
		{ "sha256", PD_HASH_SHA256 },
		{ "sha384", PD_HASH_SHA384 },
		{ "sha512", PD_HASH_SHA512 },
	};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(s, algs[i].name)) {
			*alg = algs[i].alg;
			return 0;
		}
	return -1;
}

static int parse_args(int argc, char **argv, struct hash_args *a)
{
	static const struct option longopts[] = {
		{ "v2", no_argument, NULL, '2' },
		{ "hash", required_argument, NULL, 'H' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'f' },
		{ "length", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t threads;
	int c;

	a->opts.version = 1;
	a->opts.hash_alg = PD_HASH_SHA256;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case '2':
			a->opts.version = 2;
			break;
		case 'H':
			if (parse_hash_alg(optarg, &a->opts.hash_alg))
				return usage_error("hash", "unknown hash '%s'", optarg);
			break;
		case 's':
			a->secret_file = optarg;
			break;
		case 'f':
		case 'l':
			if (parse_size(optarg, c == 'f' ? &a->offset : &a->length))
				return usage_error("hash", "bad byte count '%s'", optarg);
			a->ranged = 1;
			break;
		case 't':
			if (parse_size(optarg, &threads) || !threads || threads > 64)
				return usage_error("hash", "threads must be 1..64");
			a->opts.threads = threads;
			break;
		case 'k':
			a->kernel = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'h':
			fputs(hash_help, stdout);
			return -1;
		default:
			return option_error("hash", argv, c);
		}
	}
	if (optind != argc - 1)
		return usage_error("hash", "expected one FILE (or - for standard input)");
	a->input = argv[optind];
	if (a->kernel && (a->secret_file || a->ranged || a->opts.threads ||
			  a->opts.hash_alg != PD_HASH_SHA256 || !strcmp(a->input, "-")))
		return usage_error("hash", "--kernel hashes a whole file with SHA-256 and the "
				   "module's secret: no --secret-file, --offset, --length, "
				   "--threads, --hash or standard input");
	return 0;
}

/* Ks for the version: from --secret-file's bytes, or the server secret. */
static int derive_ks(struct hash_args *a)
{
	struct pd_secret s;
	const char *path = a->secret_file ? a->secret_file : pd_secret_default_path();
	uint8_t *buf;
	size_t len;
	int err;

	if (a->secret_file) {
		err = read_all(path, PD_SECRET_MAX, &buf, &len);
		if (!err && !len)
			err = -ENODATA;
		if (err)
			return fail(path, "cannot use as secret: %s", strerror(-err));
		pd_key_ks(a->opts.version, buf, len, a->opts.ks);
		free(buf);
		return 0;
	}
	err = pd_secret_load(path, 1, &s);
	if (err == -EPERM)
		return fail(path, "server secret is accessible by group or others; "
			    "refusing it (chmod 600)");
	if (err)
		return fail(path, "cannot load the server secret: %s", strerror(-err));
	pd_key_ks(a->opts.version, s.bytes, s.len, a->opts.ks);
	return 0;
}

static int generate(struct hash_args *a, struct pd_ci **ci)
{
	int fd = strcmp(a->input, "-") ? open(a->input, O_RDONLY | O_CLOEXEC) : 0;
	pd_gen_progress_fn progress = NULL;
	struct stat st;
	int err;

	if (fd < 0)
		return fail(a->input, "%s", strerror(errno));
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && want_progress(st.st_size))
		progress = show_progress;
	/* A program may read through mappings (SIGBUS is this one's); when
	 * it cannot, the hashing copies with pread as a library does. */
	pd_mapped_reads_enable();
	err = pd_gen_fd(fd, &a->opts, progress, (void *)a->input, ci);
	if (fd)
		close(fd);
	if (err == -EIO)
		return fail(a->input, "the file changed while it was hashed");
	if (err)
		return fail(a->input, "%s", strerror(-err));
	return 0;
}

/*
 * peerdist.ko's content information of the file (hash offload), its
 * progress shown as a hash in user space shows it.
 */
static int kernel_hash(struct hash_args *a, uint8_t **out, size_t *len)
{
	pd_store_progress_fn progress = NULL;
	struct pd_store *s;
	struct stat st;
	int fd, err;

	fd = open(a->input, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(a->input, "%s", strerror(errno));
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && want_progress(st.st_size))
		progress = show_progress;
	err = pd_store_kernel_open(NULL, &s);
	if (err) {
		close(fd);
		return fail("peerdist.ko", "%s",
			    err == -ENODEV ? "not loaded" : strerror(-err));
	}
	err = pd_store_kernel_hash_file(s, fd, a->opts.version, progress, (void *)a->input,
					out, len);
	s->ops->close(s);
	close(fd);
	if (err == -ENOKEY)
		return fail("peerdist.ko", "has no server secret: run peerdist secret kernel");
	if (err == -EBADF)
		return fail(a->input, "not a regular file");
	return err ? fail(a->input, "%s", strerror(-err)) : 0;
}

static int narrow(struct hash_args *a, struct pd_ci **ci)
{
	struct pd_range all = pd_ci_range(*ci);
	struct pd_ci *sub;

	if (!a->ranged)
		return 0;
	if (pd_ci_subrange(*ci, a->offset, a->length, &sub))
		return fail(a->input, "range %llu+%llu is outside the content (%llu bytes)",
			    (unsigned long long)a->offset,
			    (unsigned long long)a->length,
			    (unsigned long long)all.end);
	pd_ci_free(*ci);
	*ci = sub;
	return 0;
}

static int write_output(struct hash_args *a, const uint8_t *buf, size_t len)
{
	int err = write_all(a->output, buf, len, 0);

	return err ? fail(a->output ? a->output : "stdout", "%s", strerror(-err)) : 0;
}

/* Encoded into huge pages: half a megabyte per GiB hashed, which in 4 KiB
 * pages is 130 first touches (about 2 ms on a guest). */
static int write_ci(struct hash_args *a, const struct pd_ci *ci)
{
	size_t len = pd_ci_encoded_size(ci);
	uint8_t *buf = pd_bigbuf_alloc(len);
	int ret;

	if (!buf || pd_ci_encode(ci, buf, len) != (long)len)
		ret = fail(a->input, "out of memory");
	else
		ret = write_output(a, buf, len);
	pd_bigbuf_free(buf, len);
	return ret;
}

int cmd_hash(int argc, char **argv)
{
	struct hash_args a = { 0 };
	struct pd_ci *ci = NULL;
	uint8_t *out;
	size_t len;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if ((!a.output || !strcmp(a.output, "-")) && isatty(1))
		return usage_error("hash", "refusing to write binary content information "
				   "to a terminal; use -o FILE or a redirection");
	if (a.kernel) {
		ret = kernel_hash(&a, &out, &len);
		if (!ret) {
			ret = write_output(&a, out, len);
			free(out);
		}
		return ret;
	}
	ret = derive_ks(&a);
	if (!ret)
		ret = generate(&a, &ci);
	if (!ret)
		ret = narrow(&a, &ci);
	if (!ret)
		ret = write_ci(&a, ci);
	pd_ci_free(ci);
	return ret;
}
