// SPDX-License-Identifier: GPL-2.0-only
/*
 * peerdist.ko: the order of initialisation and teardown. Its parts, a
 * header each: the tunables and counters (state.h; sysfs.h and genl.h
 * present them), the digests (hash.h), the segment cache (segment.h: the
 * index, eviction, verification, a segment as an fd), a content as an fd
 * (content_fd.h), the persistent cache (backing.h), the hash offload
 * (publish.h) and the V2 chunker (chunk.h).
 */
#include <linux/module.h>

#include "backing.h"
#include "genl.h"
#include "publish.h"
#include "segment.h"
#include "sysfs.h"

static int __init pd_init(void)
{
	int err;

	err = pd_cache_init();
	if (err)
		return err;
	err = pd_backing_init();
	if (err)
		goto undo_cache;
	err = pd_publish_init();
	if (err)
		goto undo_backing;
	err = pd_sysfs_init();
	if (err)
		goto undo_publish;
	err = pd_genl_init();
	if (err)
		goto undo_sysfs;
	return 0;

undo_sysfs:
	pd_sysfs_exit();
undo_publish:
	pd_publish_exit();
undo_backing:
	pd_backing_exit();
undo_cache:
	pd_cache_exit();
	return err;
}

static void __exit pd_exit(void)
{
	pd_genl_exit();
	pd_sysfs_exit();
	pd_publish_exit();
	pd_backing_exit();
	pd_cache_exit();
}

module_init(pd_init);
module_exit(pd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("BranchCache (Peer Distribution) segment cache");
MODULE_AUTHOR("The peerdist authors");
MODULE_SOFTDEP("pre: sha512");
