// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key derivations. The segment-id constant is "MS_P2P_CACHING" in UTF-16LE
 * with its wide NUL: the MS-PCCRC text says ASCII, but with ASCII the
 * segment ids of real Windows servers do not reproduce.
 */
#include <errno.h>
#include <string.h>

#include "digest.h"
#include "keys.h"
#include "pccrc.h"

const uint8_t pd_segment_id_magic[30] = {
	'M', 0, 'S', 0, '_', 0, 'P', 0, '2', 0, 'P', 0, '_', 0,
	'C', 0, 'A', 0, 'C', 0, 'H', 0, 'I', 0, 'N', 0, 'G', 0, 0, 0,
};

int pd_key_ks(unsigned version, const void *passphrase, size_t len,
	      uint8_t ks[PD_KS_LEN])
{
	switch (version) {
	case 1:
		return pd_digest(PD_HASH_SHA256, passphrase, len, ks);
	case 2:
		return pd_digest(PD_HASH_V2_SHA512_TRUNC, passphrase, len, ks);
	}
	return -EINVAL;
}

int pd_key_kp(unsigned hash_alg, const uint8_t ks[PD_KS_LEN],
	      const uint8_t *hod, uint8_t *kp)
{
	return pd_hmac(hash_alg, ks, PD_KS_LEN, hod, pd_digest_len(hash_alg),
		       kp);
}

int pd_key_hohodk(unsigned hash_alg, const uint8_t *kp, const uint8_t *hod,
		  uint8_t *hohodk)
{
	unsigned h = pd_digest_len(hash_alg);
	uint8_t msg[PD_HASH_MAX + sizeof(pd_segment_id_magic)];

	if (!h)
		return -EINVAL;
	memcpy(msg, hod, h);
	memcpy(msg + h, pd_segment_id_magic, sizeof(pd_segment_id_magic));
	return pd_hmac(hash_alg, kp, h, msg, h + sizeof(pd_segment_id_magic),
		       hohodk);
}
