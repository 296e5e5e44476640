// SPDX-License-Identifier: LGPL-2.1-or-later
/* AES-CBC for MS-PCCRR blocks (see pccrr_crypto.h), over OpenSSL. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "pccrr.h"
#include "pccrr_crypto.h"

static const EVP_CIPHER *cipher_for(unsigned crypto, unsigned kp_len)
{
	switch (crypto) {
	case PD_CRYPTO_AES_128:
		return kp_len >= 16 ? EVP_aes_128_cbc() : NULL;
	case PD_CRYPTO_AES_192:
		return kp_len >= 24 ? EVP_aes_192_cbc() : NULL;
	case PD_CRYPTO_AES_256:
		return kp_len >= 32 ? EVP_aes_256_cbc() : NULL;
	}
	return NULL;
}

static int run_cbc(int encrypt, const EVP_CIPHER *c, const uint8_t *key,
		   const uint8_t *iv, const uint8_t *in, size_t len,
		   uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, ok;

	if (len > INT_MAX || len % 16)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) &&
	     (size_t)n == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int pd_pccrr_encrypt_iv(unsigned crypto, const uint8_t *kp, unsigned kp_len,
			const uint8_t *block, size_t len, uint8_t *out,
			const uint8_t iv[PD_PCCRR_IV_SIZE])
{
	const EVP_CIPHER *c = cipher_for(crypto, kp_len);
	size_t padded = pd_pccrr_padded_len(len);

	if (!c)
		return -EINVAL;
	/* Zero padding in place: out holds the block, then zeroes. */
	memmove(out, block, len);
	memset(out + len, 0, padded - len);
	return run_cbc(1, c, kp, iv, out, padded, out);
}

int pd_pccrr_encrypt(unsigned crypto, const uint8_t *kp, unsigned kp_len,
		     const uint8_t *block, size_t len, uint8_t *out,
		     uint8_t iv[PD_PCCRR_IV_SIZE])
{
	if (!cipher_for(crypto, kp_len))
		return -EINVAL;
	if (RAND_bytes(iv, PD_PCCRR_IV_SIZE) != 1)
		return -EIO;
	return pd_pccrr_encrypt_iv(crypto, kp, kp_len, block, len, out, iv);
}

int pd_pccrr_decrypt(unsigned crypto, const uint8_t *kp, unsigned kp_len,
		     const uint8_t *in, size_t len,
		     const uint8_t iv[PD_PCCRR_IV_SIZE], uint8_t *out)
{
	const EVP_CIPHER *c = cipher_for(crypto, kp_len);

	return c ? run_cbc(0, c, kp, iv, in, len, out) : -EINVAL;
}
