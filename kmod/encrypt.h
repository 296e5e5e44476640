/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MS-PCCRR block encryption in the kernel (encrypt.c): a service serves
 * blocks of segments it did not add without ever holding their Kp.
 */
#ifndef PD_KMOD_ENCRYPT_H
#define PD_KMOD_ENCRYPT_H

#include <linux/math.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uio.h>

#include "segment.h"

#define PD_IV_SIZE		16
#define PD_CIPHER_BLOCK		16
/* A netlink attribute's length is 16 bits: ciphertext goes in pieces. */
#define PD_CIPHERTEXT_PIECE	32768
#define PD_CIPHERTEXT_PIECES	DIV_ROUND_UP(PD_V2_MAX_SEGMENT, PD_CIPHERTEXT_PIECE)

/* Bound on the ciphers of a pool, whatever the number of CPUs. */
#define PD_CIPHER_SLOTS_MAX	64

struct crypto_sync_skcipher;

/* One cbc(aes), allocated once; it holds one key at a time. */
struct pd_cipher_slot {
	struct crypto_sync_skcipher *tfm;
	struct mutex lock;	/* held from setting the key to the end of a use */
};

/*
 * A cbc(aes) per possible CPU (up to PD_CIPHER_SLOTS_MAX): CBC encryption
 * of one block is serial, so requests on different CPUs must not wait on
 * one key's lock for the machine's cores to serve peers together.
 */
struct pd_cipher {
	struct pd_cipher_slot *slots;
	unsigned int n;		/* 0: no cbc(aes) */
};

/*
 * -ENOENT when the kernel has no cbc(aes), -ENOMEM: encrypting is then
 * -EOPNOTSUPP (c stays valid for pd_cipher_exit).
 */
int pd_cipher_init(struct pd_cipher *c);
void pd_cipher_exit(struct pd_cipher *c);

/* The ciphertext length of a len-byte block: zero-padded to 16 bytes. */
static inline u32 pd_padded_len(u32 len)
{
	return ALIGN(len, PD_CIPHER_BLOCK);
}

/*
 * AES-CBC over the n buffers of in (lengths multiples of 16), in place,
 * with key (16, 24 or 32 bytes) and iv (not changed).
 */
int pd_cipher_encrypt(struct pd_cipher *c, const u8 *key, unsigned int key_len,
		      const u8 iv[PD_IV_SIZE], struct kvec *in, unsigned int n);

/*
 * Block index of seg encrypted for MS-PCCRR (AES-CBC with the first
 * key_len bytes of Kp as the key, the block zero-padded to a multiple of
 * 16) into out: n buffers, pd_padded_len(block) bytes in all. -ENODATA
 * when the block is absent (a miss), -EINVAL past the segment's end, a
 * key longer than Kp, or buffers of another length.
 */
int pd_segment_encrypt_block(struct pd_cipher *c, struct pd_segment *seg, u32 index,
			     unsigned int key_len, const u8 iv[PD_IV_SIZE],
			     struct kvec *out, unsigned int n);

#endif
