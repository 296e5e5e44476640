/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block encryption for MS-PCCRR MSG_BLK, as real clients expect it: AES-CBC
 * with the first 16, 24 or 32 bytes of the segment secret Kp as the key
 * (CryptoAlgoId 1, 2, 3), the block zero-padded to a multiple of 16, a
 * fresh random IV per block; the receiver keeps only the block's real
 * length (known from the content information) after decrypting.
 */
#ifndef PD_PCCRR_CRYPTO_H
#define PD_PCCRR_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define PD_PCCRR_IV_SIZE 16

/* Ciphertext length of a len-byte block. */
static inline size_t pd_pccrr_padded_len(size_t len)
{
	return (len + 15) / 16 * 16;
}

/* Encrypts block[0..len) into out (pd_pccrr_padded_len(len) bytes) with a
 * new random IV written to iv. 0, or -EINVAL for a bad algorithm, key or
 * length, -ENOMEM, -EIO. */
int pd_pccrr_encrypt(unsigned crypto, const uint8_t *kp, unsigned kp_len,
		     const uint8_t *block, size_t len, uint8_t *out,
		     uint8_t iv[PD_PCCRR_IV_SIZE]);

/* The same with the caller's iv (a fresh random one for every block). */
int pd_pccrr_encrypt_iv(unsigned crypto, const uint8_t *kp, unsigned kp_len,
			const uint8_t *block, size_t len, uint8_t *out,
			const uint8_t iv[PD_PCCRR_IV_SIZE]);

/* Decrypts len bytes (a multiple of 16) into out. 0 or -errno, as above. */
int pd_pccrr_decrypt(unsigned crypto, const uint8_t *kp, unsigned kp_len,
		     const uint8_t *in, size_t len,
		     const uint8_t iv[PD_PCCRR_IV_SIZE], uint8_t *out);

#endif
