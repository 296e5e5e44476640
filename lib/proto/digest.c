// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Digests and HMACs by content-information algorithm id, over OpenSSL.
 * The EVP_MD objects are fetched once: an implicit fetch per call costs
 * more than hashing a small input.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "digest.h"
#include "pccrc.h"

static const EVP_MD *md_sha256, *md_sha384, *md_sha512;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
}

static const EVP_MD *md_for(unsigned hash_alg)
{
	pthread_once(&md_once, fetch_mds);
	switch (hash_alg) {
	case PD_HASH_SHA256:
		return md_sha256;
	case PD_HASH_SHA384:
		return md_sha384;
	case PD_HASH_SHA512:
	case PD_HASH_V2_SHA512_TRUNC:
		return md_sha512;
	}
	return NULL;
}

unsigned pd_digest_len(unsigned hash_alg)
{
	return pd_hash_digest_len(hash_alg);
}

int pd_digest2(unsigned hash_alg, const void *a, size_t alen,
	       const void *b, size_t blen, uint8_t *out)
{
	const EVP_MD *md = md_for(hash_alg);
	uint8_t full[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	int ok;

	if (!md)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL) &&
	     EVP_DigestUpdate(ctx, a, alen) &&
	     (!blen || EVP_DigestUpdate(ctx, b, blen)) &&
	     EVP_DigestFinal_ex(ctx, full, NULL);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	memcpy(out, full, pd_digest_len(hash_alg));
	return 0;
}

int pd_digest(unsigned hash_alg, const void *data, size_t len, uint8_t *out)
{
	return pd_digest2(hash_alg, data, len, NULL, 0, out);
}

int pd_hmac(unsigned hash_alg, const uint8_t *key, size_t keylen,
	    const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md = md_for(hash_alg);
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int outlen;

	if (!md)
		return -EINVAL;
	if (keylen > INT_MAX || !HMAC(md, key, (int)keylen, data, len, full, &outlen))
		return -EIO;
	memcpy(out, full, pd_digest_len(hash_alg));
	return 0;
}

int pd_digest_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
