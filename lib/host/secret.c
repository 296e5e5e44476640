// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The server secret. On disk it is the raw passphrase bytes in a file that
 * only its owner may read; it is created once, atomically (temp file, then
 * link(), so that concurrent first users agree on one secret), and a file
 * that others can read is refused rather than used.
 *
 * The Windows export format (`netsh branchcache exportkey`) is a pure codec
 * here: AES-256-CBC, PKCS#7, zero IV, key SHA-256 of the UTF-16LE export
 * passphrase, over SHA-256(secret) || secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "pccrc.h"
#include "secret.h"

static int read_secret_fd(int fd, struct pd_secret *s)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return -EPERM;	/* readable or writable by others: not a secret */
	if (st.st_size > PD_SECRET_MAX)
		return -EFBIG;
	n = pread(fd, s->bytes, sizeof(s->bytes), 0);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;
	s->len = n;
	return 0;
}

/* mkdir -p for the parent directory of path, mode 0700 for new ones. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Writes s into a new 0600 temporary file beside path; its name in tmp. */
static int write_temp(const char *path, const struct pd_secret *s,
		      char tmp[PATH_MAX])
{
	int fd, err = 0;

	if (snprintf(tmp, PATH_MAX, "%s.XXXXXX", path) >= PATH_MAX)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) || write(fd, s->bytes, s->len) != (ssize_t)s->len ||
	    fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (err)
		unlink(tmp);
	return err;
}

int pd_secret_store(const char *path, const struct pd_secret *s)
{
	char tmp[PATH_MAX];
	int err;

	if (!s->len || s->len > PD_SECRET_MAX)
		return -EINVAL;
	err = make_parent(path);
	if (!err)
		err = write_temp(path, s, tmp);
	if (err)
		return err;
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	return err;
}

/* Creates path with a fresh secret unless someone else got there first. */
static int create_secret(const char *path)
{
	struct pd_secret fresh = { .len = PD_SECRET_GEN_LEN };
	char tmp[PATH_MAX];
	int err;

	if (getrandom(fresh.bytes, fresh.len, 0) != (ssize_t)fresh.len)
		return -EIO;
	err = make_parent(path);
	if (!err)
		err = write_temp(path, &fresh, tmp);
	if (err)
		return err;
	/* link() never replaces: the first creator's secret wins. */
	if (link(tmp, path) && errno != EEXIST)
		err = -errno;
	unlink(tmp);
	return err;
}

int pd_secret_load(const char *path, int create, struct pd_secret *s)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		err = create_secret(path);
		if (err)
			return err;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	err = read_secret_fd(fd, s);
	close(fd);
	return err;
}

const char *pd_secret_default_path(void)
{
	static __thread char path[PATH_MAX];
	const char *env = getenv("PEERDIST_SECRET_FILE");
	const char *base;

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/var/lib/peerdist/secret";
	base = getenv("XDG_DATA_HOME");
	if (base && *base)
		snprintf(path, sizeof(path), "%s/peerdist/secret", base);
	else
		snprintf(path, sizeof(path), "%s/.local/share/peerdist/secret",
			 getenv("HOME") ? getenv("HOME") : "");
	return path;
}

/* UTF-8 to UTF-16LE (surrogate pairs above U+FFFF): its length, -EILSEQ
 * for invalid UTF-8, -E2BIG when it does not fit. */
static long utf8_to_utf16le(const char *in, uint8_t *out, size_t outlen)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		int extra, i;

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			extra = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -EILSEQ;
		}
		for (i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -EILSEQ;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ||
		    (extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000))
			return -EILSEQ;
		p += extra + 1;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;

			if (n + 4 > outlen)
				return -E2BIG;
			out[n++] = (0xd800 | v >> 10) & 0xff;
			out[n++] = (0xd800 | v >> 10) >> 8;
			out[n++] = (0xdc00 | (v & 0x3ff)) & 0xff;
			out[n++] = (0xdc00 | (v & 0x3ff)) >> 8;
		} else {
			if (n + 2 > outlen)
				return -E2BIG;
			out[n++] = cp & 0xff;
			out[n++] = cp >> 8;
		}
	}
	return n;
}

/* The export key: SHA-256 of the UTF-16LE passphrase; 0 or -errno. */
static int export_key(const char *pass, uint8_t key[32])
{
	uint8_t wide[2048];
	long n = utf8_to_utf16le(pass, wide, sizeof(wide));
	int err = n < 0 ? (int)n : pd_digest(PD_HASH_SHA256, wide, n, key);

	OPENSSL_cleanse(wide, sizeof(wide));	/* the passphrase, re-encoded */
	return err;
}

/* AES-256-CBC, zero IV, PKCS#7: the output length, or -EBADMSG (bad
 * padding), -ENOMEM, -EINVAL. */
static long aes_cbc(int encrypt, const uint8_t key[32], const uint8_t *in,
		    size_t len, uint8_t *out)
{
	static const uint8_t iv[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	if (!ctx)
		return -ENOMEM;
	if (len > INT_MAX) {
		EVP_CIPHER_CTX_free(ctx);
		return -EINVAL;
	}
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, encrypt) &&
	     EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? n1 + n2 : -EBADMSG;
}

long pd_secret_export(const struct pd_secret *s, const char *export_pass,
		      uint8_t *out, size_t outlen)
{
	uint8_t key[32], plain[32 + PD_SECRET_MAX];
	size_t need = (32 + s->len) / 16 * 16 + 16;
	long n;
	int err;

	if (!s->len || s->len > PD_SECRET_MAX)
		return -EINVAL;
	if (outlen < need)
		return -ENOBUFS;
	err = export_key(export_pass, key);
	if (err)
		return err;
	pd_digest(PD_HASH_SHA256, s->bytes, s->len, plain);
	memcpy(plain + 32, s->bytes, s->len);
	n = aes_cbc(1, key, plain, 32 + s->len, out);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(key, sizeof(key));
	return n;
}

int pd_secret_import(const uint8_t *blob, size_t len, const char *export_pass,
		     struct pd_secret *s)
{
	uint8_t key[32], plain[32 + PD_SECRET_MAX + 16], hash[32];
	long n;
	int ok, err;

	if (len < 48 || len % 16 || len > sizeof(plain))
		return -EBADMSG;	/* not an exported key's length */
	err = export_key(export_pass, key);
	if (err)
		return err;
	n = aes_cbc(0, key, blob, len, plain);
	OPENSSL_cleanse(key, sizeof(key));
	/* A wrong passphrase shows as bad padding or a hash mismatch. */
	ok = n > 32 && n - 32 <= PD_SECRET_MAX;
	if (ok) {
		pd_digest(PD_HASH_SHA256, plain + 32, n - 32, hash);
		ok = pd_digest_equal(hash, plain, 32);
	}
	if (ok) {
		s->len = n - 32;
		memcpy(s->bytes, plain + 32, s->len);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return ok ? 0 : -EBADMSG;
}
