// SPDX-License-Identifier: LGPL-2.1-or-later
/* SHA-256 of many messages: one at a time with OpenSSL (portable path). */
#include <openssl/sha.h>

#include "sha256_mb.h"

void pd_sha256_many(const uint8_t *const *msgs, size_t n, size_t len,
		    uint8_t (*digests)[32])
{
	size_t i;

	for (i = 0; i < n; i++)
		SHA256(msgs[i], len, digests[i]);
}

const char *pd_sha256_impl(void)
{
	return "openssl";
}
