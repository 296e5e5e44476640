// SPDX-License-Identifier: LGPL-2.1-or-later
/* Segment descriptions: taken from content information, and checked. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "digest.h"
#include "keys.h"
#include "segment.h"

int pd_segment_desc_verify(const struct pd_segment_desc *d)
{
	uint8_t hod[PD_HASH_MAX], id[PD_HASH_MAX];
	unsigned h = pd_digest_len(d->hash_alg);
	uint32_t want_blocks;

	if (!h || h != d->hash_len || !d->size || !d->block_size)
		return -EINVAL;
	want_blocks = (d->size + d->block_size - 1) / d->block_size;
	if (d->nblocks != want_blocks || d->nblocks > PD_BLOCKS_PER_SEGMENT)
		return -EINVAL;
	if (d->hash_alg == PD_HASH_V2_SHA512_TRUNC) {
		if (d->nblocks != 1 || d->size > PD_V2_MAX_SEGMENT)
			return -EINVAL;
		memcpy(hod, d->block_hashes, h);
	} else if (d->block_size != PD_BLOCK_SIZE || d->size > PD_SEGMENT_SIZE ||
		   pd_digest(d->hash_alg, d->block_hashes,
			     (size_t)d->nblocks * h, hod)) {
		return -EINVAL;
	}
	if (!pd_digest_equal(hod, d->hod, h))
		return -EBADMSG;
	if (pd_key_hohodk(d->hash_alg, d->kp, d->hod, id) ||
	    !pd_digest_equal(id, d->id, h))
		return -EBADMSG;
	return 0;
}

int pd_segment_locate(const struct pd_segment_desc *d, int fd, uint32_t index,
		      int present, struct pd_block_loc *loc)
{
	if (index >= d->nblocks)
		return -EINVAL;
	if (!present)
		return -ENOENT;
	/* The caller's own descriptor: eviction unlinks, never truncates, so
	 * the bytes behind it stay what was verified. */
	loc->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (loc->fd < 0)
		return -errno;
	loc->offset = (uint64_t)index * d->block_size;
	loc->len = pd_segment_block_len(d, index);
	return 0;
}

void pd_segment_desc_from_ci(const struct pd_ci *ci, uint32_t i,
			     struct pd_segment_desc *d)
{
	const struct pd_ci_segment *seg = &ci->segments[i];

	memset(d, 0, sizeof(*d));
	d->hash_alg = ci->hash_alg;
	d->hash_len = ci->hash_len;
	d->size = seg->size;
	d->block_size = seg->block_size;
	d->nblocks = seg->nblocks;
	memcpy(d->hod, seg->hod, ci->hash_len);
	memcpy(d->kp, seg->kp, ci->hash_len);
	d->block_hashes = seg->block_hashes;
	pd_key_hohodk(ci->hash_alg, seg->kp, seg->hod, d->id);
}
