// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist secret export|import: the server secret in the file format of
 * Windows' `netsh branchcache exportkey` / `importkey`, so Linux and Windows
 * servers can share one secret and produce the same segment ids; peerdist
 * secret kernel: the same secret given to peerdist.ko for its hash offload.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "store.h"

static const char secret_help[] =
	"usage: peerdist secret export --passphrase-file P [--secret-file S] [--force] OUT\n"
	"       peerdist secret import --passphrase-file P [--secret-file S] IN\n"
	"       peerdist secret kernel [--secret-file S]\n\n"
	"Exports the server secret to, or imports it from, a file in the format of\n"
	"Windows' 'netsh branchcache exportkey'. The export passphrase is the first\n"
	"line of P. The secret is S (default: the server secret file). The export\n"
	"is written mode 0600 and never over an existing file without --force. Import\n"
	"replaces the secret; content hashed before keeps its old segment ids.\n"
	"kernel gives the secret to peerdist.ko (as root), which keeps only the keys\n"
	"derived from it, for 'peerdist hash --kernel'.\n";

/* The first line of path, without its newline. */
static int read_passphrase(const char *path, char *out, size_t outlen)
{
	uint8_t *buf;
	size_t len;
	int err = read_all(path, outlen - 1, &buf, &len);

	if (err)
		return fail(path, "cannot read the passphrase: %s", strerror(-err));
	memcpy(out, buf, len);
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	free(buf);
	return 0;
}

static int do_export(const char *secret_path, const char *pass, const char *out,
		     int force)
{
	uint8_t blob[PD_SECRET_MAX + 64];
	struct pd_secret s;
	long n;
	int err = pd_secret_load(secret_path, 1, &s);

	if (err)
		return fail(secret_path, "cannot load the server secret: %s", strerror(-err));
	n = pd_secret_export(&s, pass, blob, sizeof(blob));
	if (n == -EILSEQ)
		return fail(out, "cannot export: the passphrase is not valid UTF-8");
	if (n < 0)
		return fail(out, "cannot export: %s", strerror(-n));
	err = write_all(out, blob, n, WRITE_PRIVATE | (force ? 0 : WRITE_NEW));
	explicit_bzero(blob, sizeof(blob));
	explicit_bzero(&s, sizeof(s));
	if (err == -EEXIST)
		return fail(out, "already exists; not overwriting it without --force");
	return err ? fail(out, "cannot write the exported key: %s", strerror(-err)) : EXIT_OK;
}

static int do_import(const char *secret_path, const char *pass, const char *in)
{
	struct pd_secret s;
	uint8_t *blob;
	size_t len;
	int err = read_all(in, PD_SECRET_MAX + 64, &blob, &len);

	if (err)
		return fail(in, "%s", strerror(-err));
	err = pd_secret_import(blob, len, pass, &s);
	free(blob);
	if (err == -EILSEQ)
		return fail(in, "cannot import: the passphrase is not valid UTF-8");
	if (err)
		return fail(in, "not an exported key, or the wrong passphrase");
	err = pd_secret_store(secret_path, &s);
	return err ? fail(secret_path, "%s", strerror(-err)) : EXIT_OK;
}

/* peerdist.ko gets the server secret: both then derive the same keys. */
static int do_kernel(const char *secret_path)
{
	struct pd_secret sec;
	struct pd_store *s;
	int err = pd_store_kernel_open(NULL, &s);

	if (err)
		return fail("peerdist.ko", "%s", err == -ENODEV ? "not loaded" : strerror(-err));
	err = pd_secret_load(secret_path, 0, &sec);
	if (err) {
		s->ops->close(s);
		return fail(secret_path, "cannot load the server secret: %s",
			    err == -EPERM ? "accessible by group or others (chmod 600)" :
			    strerror(-err));
	}
	err = pd_store_kernel_set_secret(s, sec.bytes, sec.len);
	explicit_bzero(&sec, sizeof(sec));
	s->ops->close(s);
	if (err == -EPERM)
		return fail("peerdist.ko", "giving it the secret needs CAP_NET_ADMIN (root)");
	return err ? fail("peerdist.ko", "%s", strerror(-err)) : EXIT_OK;
}

int cmd_secret(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *pass_file = NULL, *secret_path = NULL;
	char pass[1024];
	int c, force = 0;

	while ((c = getopt_long(argc, argv, ":fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'p':
			pass_file = optarg;
			break;
		case 's':
			secret_path = optarg;
			break;
		case 'h':
			fputs(secret_help, stdout);
			return EXIT_OK;
		default:
			return option_error("secret", argv, c);
		}
	}
	if (!secret_path)
		secret_path = pd_secret_default_path();
	if (optind == argc - 1 && !strcmp(argv[optind], "kernel"))
		return do_kernel(secret_path);
	if (optind != argc - 2 || (strcmp(argv[optind], "export") &&
				   strcmp(argv[optind], "import")))
		return usage_error("secret", "expected 'export OUT', 'import IN' or 'kernel'");
	if (!pass_file)
		return usage_error("secret", "--passphrase-file is required");
	if (read_passphrase(pass_file, pass, sizeof(pass)))
		return EXIT_FAIL;
	if (!strcmp(argv[optind], "export"))
		return do_export(secret_path, pass, argv[optind + 1], force);
	return do_import(secret_path, pass, argv[optind + 1]);
}
