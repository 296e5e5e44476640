// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: importing an exported server secret (peerdist secret
 * import), a file and a passphrase the user gives. The input is the
 * passphrase up to its first NUL, then the blob. A blob that imports
 * exports back to itself under the same passphrase, and the bytes after
 * the NUL, taken as a secret, go out and come back unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PASS_MAX	256

static void check_round_trip(const uint8_t *bytes, size_t len, const char *pass)
{
	uint8_t blob[PD_SECRET_MAX + 64];
	struct pd_secret s = { .len = len }, back;
	long n;

	if (!len || len > PD_SECRET_MAX)
		return;
	memcpy(s.bytes, bytes, len);
	n = pd_secret_export(&s, pass, blob, sizeof(blob));
	if (n == -EILSEQ)
		return;	/* a passphrase that is not UTF-8 */
	if (n < 0 || pd_secret_import(blob, n, pass, &back) ||
	    back.len != len || memcmp(back.bytes, bytes, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size < PASS_MAX ? size : PASS_MAX);
	uint8_t again[PD_SECRET_MAX + 64];
	char pass[PASS_MAX];
	const uint8_t *blob;
	struct pd_secret s;
	size_t len;
	long n;

	if (!nul)
		return 0;
	memcpy(pass, data, nul - data + 1);
	blob = nul + 1;
	len = size - (blob - data);
	if (!pd_secret_import(blob, len, pass, &s)) {
		n = pd_secret_export(&s, pass, again, sizeof(again));
		if (n != (long)len || memcmp(again, blob, len))
			abort();
	}
	check_round_trip(blob, len, pass);
	return 0;
}
