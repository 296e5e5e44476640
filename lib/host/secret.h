/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server secret (passphrase bytes from which Ks is derived): a 0600
 * file created on first use, and Windows' `netsh branchcache exportkey`
 * format: AES-256-CBC (PKCS#7, zero IV, key = SHA-256 of the UTF-16LE
 * export passphrase) of SHA-256(secret) || secret.
 */
#ifndef PD_SECRET_H
#define PD_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define PD_SECRET_MAX 4096
#define PD_SECRET_GEN_LEN 32

struct pd_secret {
	size_t len;
	uint8_t bytes[PD_SECRET_MAX];
};

/*
 * Load the secret from path; if the file does not exist and create is set,
 * generate 32 random bytes and write them with mode 0600 (atomically).
 * Refuses a file readable or writable by group or others. 0 or -errno.
 */
int pd_secret_load(const char *path, int create, struct pd_secret *s);

/* Store (atomically, 0600). 0 or -errno. */
int pd_secret_store(const char *path, const struct pd_secret *s);

/* The default path: $PEERDIST_SECRET_FILE, /var/lib/peerdist/secret (root),
 * or $XDG_DATA_HOME/peerdist/secret. Returns a static buffer. */
const char *pd_secret_default_path(void);

/*
 * Windows exportkey blob codec (pure). export_pass is UTF-8, encoded to
 * UTF-16LE for the key. Export returns the bytes written, import 0; or
 * -EILSEQ (the passphrase is not UTF-8), -EBADMSG (import: not an export,
 * or the wrong passphrase), -ENOBUFS (export: out too small), -EINVAL.
 */
long pd_secret_export(const struct pd_secret *s, const char *export_pass,
		      uint8_t *out, size_t outlen);
int pd_secret_import(const uint8_t *blob, size_t len, const char *export_pass,
		     struct pd_secret *s);

#endif
