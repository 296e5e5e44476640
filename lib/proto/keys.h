/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Key derivations of MS-PCCRC 2.2 as real Windows computes them:
 *   V1: Ks = SHA-256(passphrase); Kp = HMAC-H(Ks, HoD);
 *       HoHoDk = HMAC-H(Kp, HoD || "MS_P2P_CACHING\0" in UTF-16LE)
 *   V2: the same with SHA-512 truncated to 32 bytes for H and for Ks.
 */
#ifndef PD_KEYS_H
#define PD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define PD_KS_LEN 32

/* All return 0, or -EINVAL (an unknown version or algorithm) or another
 * -errno from digest.h. */

/* The 30-byte segment-id constant C2. */
extern const uint8_t pd_segment_id_magic[30];

/* Server secret Ks for a content-information version from the passphrase. */
int pd_key_ks(unsigned version, const void *passphrase, size_t len,
	      uint8_t ks[PD_KS_LEN]);

/* Segment secret Kp = HMAC-H(Ks, HoD); writes the algorithm's digest length. */
int pd_key_kp(unsigned hash_alg, const uint8_t ks[PD_KS_LEN],
	      const uint8_t *hod, uint8_t *kp);

/* Segment id HoHoDk = HMAC-H(Kp, HoD || C2). */
int pd_key_hohodk(unsigned hash_alg, const uint8_t *kp, const uint8_t *hod,
		  uint8_t *hohodk);

#endif
