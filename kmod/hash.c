// SPDX-License-Identifier: GPL-2.0-only
/*
 * The digests content information uses (MS-PCCRC): SHA-256/384/512 for
 * version 1, SHA-512 truncated to 32 bytes for version 2, plain and as
 * HMAC, through the kernel crypto API. A transform is taken per call: the
 * callers (adding a segment or a block) are not hot enough to share keyed
 * transforms across threads, and nothing is kept between calls.
 */
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/err.h>

#include "hash.h"
#include "state.h"

static const char *alg_name(u32 alg, bool hmac)
{
	switch (alg) {
	case PD_HASH_SHA256:
		return hmac ? "hmac(sha256)" : "sha256";
	case PD_HASH_SHA384:
		return hmac ? "hmac(sha384)" : "sha384";
	case PD_HASH_SHA512:
	case PD_HASH_V2_SHA512_TRUNC:
		return hmac ? "hmac(sha512)" : "sha512";
	}
	return NULL;
}

/* The digest of the two parts a and b (b may be empty), keyed when key. */
static int digest(u32 alg, const u8 *key, unsigned int keylen, const void *a,
		  size_t alen, const void *b, size_t blen, u8 *out)
{
	const char *name = alg_name(alg, key);
	u8 full[SHA512_DIGEST_SIZE];
	struct crypto_shash *tfm;
	int err;

	if (!name)
		return -EINVAL;
	tfm = crypto_alloc_shash(name, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = key ? crypto_shash_setkey(tfm, key, keylen) : 0;
	if (!err) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		err = crypto_shash_init(desc) ?:
		      crypto_shash_update(desc, a, alen) ?:
		      (blen ? crypto_shash_update(desc, b, blen) : 0) ?:
		      crypto_shash_final(desc, full);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	if (!err)
		memcpy(out, full, pd_hash_digest_len(alg));	/* V2: the first 32 bytes */
	memzero_explicit(full, sizeof(full));
	pd_counter_add(PD_CNT_HASH_BYTES, alen + blen);
	return err;
}

int pd_hash(u32 alg, const void *data, size_t len, u8 *out)
{
	return digest(alg, NULL, 0, data, len, NULL, 0, out);
}

int pd_hmac(u32 alg, const u8 *key, unsigned int keylen, const void *a,
	    size_t alen, const void *b, size_t blen, u8 *out)
{
	return digest(alg, key, keylen, a, alen, b, blen, out);
}
