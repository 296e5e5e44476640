// SPDX-License-Identifier: GPL-2.0-only
/*
 * The segment cache. A segment is indexed by its id (HoHoDk) and holds its
 * verified description and its bytes in a shmem file, or a file in the
 * backing directory (backing.c), so the page cache keeps them and reclaim
 * can take them; a bitmap says which blocks are present. A block becomes
 * present only after its hash matched, and a description is kept only
 * after HoD matched its block hashes and the id matched HoD and Kp:
 * nobody can make the cache hand out bytes that the content information
 * does not vouch for.
 *
 * Lifetime: the index holds one reference, every open segment fd one
 * more. Eviction (the size cap, or the shrinker under memory pressure)
 * only unhashes a segment and drops the index's reference, so a reader
 * keeps its bytes until it closes.
 */
#include <crypto/algapi.h>
#include <crypto/sha2.h>
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/shrinker.h>

#include "backing.h"
#include "genl.h"
#include "segment.h"
#include "state.h"

/* "MS_P2P_CACHING" and its NUL in UTF-16LE: what Windows hashes (MS-PCCRC 2.2) */
const u8 pd_c2[30] = {
	'M', 0, 'S', 0, '_', 0, 'P', 0, '2', 0, 'P', 0, '_', 0, 'C', 0,
	'A', 0, 'C', 0, 'H', 0, 'I', 0, 'N', 0, 'G', 0, 0, 0,
};

/*
 * Descriptions count too: one with no blocks still costs its memory (and,
 * with a backing directory, a file), so the cap counts each description's
 * size beside the blocks' bytes, and no more than PD_SEGMENTS_MAX are kept.
 */
#define PD_SEGMENTS_MAX	65536

static DEFINE_MUTEX(pd_cache_lock);	/* the index, the LRU list, the totals */
static DEFINE_HASHTABLE(pd_index, 10);
static siphash_key_t pd_index_key;	/* random: ids cannot be ground to one bucket */
static LIST_HEAD(pd_lru);		/* most recently used first */
static u64 pd_cached;			/* bytes of present blocks, indexed */
static u64 pd_desc_bytes;		/* memory of the indexed descriptions */
static u32 pd_nsegments;		/* indexed */
DECLARE_WAIT_QUEUE_HEAD(pd_block_wq);
atomic64_t pd_segments_indexed = ATOMIC64_INIT(0);

static u32 id_key(const u8 *id, unsigned int len)
{
	return (u32)siphash(id, len, &pd_index_key);
}

/* What a description costs beyond its blocks' bytes. */
static u64 desc_bytes(const struct pd_segment *seg)
{
	return sizeof(*seg) + max_t(u64, (u64)seg->desc.nblocks * seg->desc.hash_len,
				    seg->desc.hash_len);
}

static void segment_free(struct kref *ref)
{
	struct pd_segment *seg = container_of(ref, struct pd_segment, ref);

	fput(seg->data);
	kvfree(seg->block_hashes);
	kfree(seg);
	pd_counter_add(PD_CNT_OBJECTS, -1);
}

void pd_segment_put(struct pd_segment *seg)
{
	kref_put(&seg->ref, segment_free);
}

/* Lock contract: pd_cache_lock held. The indexed segment with this id. */
static struct pd_segment *lookup_locked(const u8 *id, unsigned int len)
{
	struct pd_segment *seg;

	lockdep_assert_held(&pd_cache_lock);
	hash_for_each_possible(pd_index, seg, node, id_key(id, len))
		if (seg->desc.hash_len == len && !memcmp(seg->desc.id, id, len))
			return seg;
	return NULL;
}

/* Lock contract: pd_cache_lock held on entry, released here. */
static struct pd_segment *get_and_unlock(const u8 *id, unsigned int len)
{
	struct pd_segment *seg;

	lockdep_assert_held(&pd_cache_lock);
	seg = lookup_locked(id, len);
	if (seg) {
		kref_get(&seg->ref);
		list_move(&seg->lru, &pd_lru);
	}
	mutex_unlock(&pd_cache_lock);
	return seg;
}

struct pd_segment *pd_segment_get(const u8 *id, unsigned int len)
{
	mutex_lock(&pd_cache_lock);
	return get_and_unlock(id, len);
}

struct pd_segment *pd_segment_get_nowait(const u8 *id, unsigned int len)
{
	if (!mutex_trylock(&pd_cache_lock))
		return ERR_PTR(-EAGAIN);
	return get_and_unlock(id, len);
}

/* Lock contract: pd_cache_lock held. Drops the index's hold on seg. */
static void evict_locked(struct pd_segment *seg)
{
	lockdep_assert_held(&pd_cache_lock);
	hash_del(&seg->node);
	list_del_init(&seg->lru);
	pd_cached -= seg->cached;
	pd_desc_bytes -= desc_bytes(seg);
	pd_nsegments--;
	pd_counter_add(PD_CNT_CACHED_BYTES, -(s64)seg->cached);
	pd_counter_add(PD_CNT_SEGMENTS, -1);
	seg->cached = 0;
	seg->evicted = true;
	pd_backing_evicted(seg);
	pd_segment_put(seg);
}

/*
 * Lock contract: pd_cache_lock held. Evicts from the LRU end down to max
 * (blocks and descriptions) and PD_SEGMENTS_MAX, passing over segments in
 * the backing directory when keep_backed.
 */
static u64 evict_to_locked(u64 max, bool keep_backed)
{
	struct pd_segment *seg, *prev;
	u64 freed = 0;

	lockdep_assert_held(&pd_cache_lock);
	list_for_each_entry_safe_reverse(seg, prev, &pd_lru, lru) {
		if (pd_cached + pd_desc_bytes <= max && pd_nsegments <= PD_SEGMENTS_MAX)
			break;
		if (keep_backed && seg->backed)
			continue;
		freed += seg->cached + desc_bytes(seg);
		evict_locked(seg);
		pd_counter_add(PD_CNT_EVICTIONS, 1);
	}
	return freed;
}

void pd_cache_trim(void)
{
	struct pd_limits l;

	pd_limits_get(&l);
	mutex_lock(&pd_cache_lock);
	evict_to_locked(l.cache_max_bytes, false);
	mutex_unlock(&pd_cache_lock);
}

/* The id, HoD and sizes of a description agree (MS-PCCRC 2.2, 2.3, 2.4). */
static int check_desc(const struct pd_segment_desc *d, const u8 *hashes,
		      size_t hashes_len)
{
	u8 want[PD_HASH_MAX];
	int err;

	if (!d->hash_len || d->hash_len != pd_hash_digest_len(d->hash_alg) || !d->size)
		return -EINVAL;
	if (d->hash_alg == PD_HASH_V2_SHA512_TRUNC) {
		if (d->block_size != d->size || d->size > PD_V2_MAX_SEGMENT ||
		    (hashes_len && (hashes_len != d->hash_len ||
				    memcmp(hashes, d->hod, d->hash_len))))
			return -EINVAL;
	} else {
		if (d->block_size != PD_V1_BLOCK_SIZE || d->size > PD_V1_MAX_SEGMENT ||
		    hashes_len != (size_t)d->nblocks * d->hash_len)
			return -EINVAL;
		err = pd_hash(d->hash_alg, hashes, hashes_len, want);
		if (err)
			return err;
		if (memcmp(want, d->hod, d->hash_len))
			return -EBADMSG;
	}
	err = pd_hmac(d->hash_alg, d->kp, d->hash_len, d->hod, d->hash_len,
		      pd_c2, sizeof(pd_c2), want);
	if (err)
		return err;
	return memcmp(want, d->id, d->hash_len) ? -EBADMSG : 0;
}

int pd_segment_check_desc(struct pd_segment_desc *d, const u8 *hashes,
			  size_t hashes_len)
{
	d->nblocks = d->block_size ? DIV_ROUND_UP(d->size, d->block_size) : 0;
	if (!d->nblocks || d->nblocks > PD_MAX_BLOCKS)
		return -EINVAL;
	return check_desc(d, hashes, hashes_len);
}

/* data: the bytes' file, taken on success; NULL makes one. */
static struct pd_segment *segment_new(const struct pd_segment_desc *d,
				      const u8 *hashes, size_t hashes_len,
				      struct file *data)
{
	struct pd_segment *seg = kzalloc(sizeof(*seg), GFP_KERNEL_ACCOUNT);

	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->desc = *d;
	seg->adders[0] = current_fsuid();
	seg->nadders = 1;
	seg->block_hashes = kvzalloc(max_t(size_t, hashes_len, d->hash_len),
				     GFP_KERNEL_ACCOUNT);
	if (!seg->block_hashes)
		goto free_seg;
	if (d->hash_alg == PD_HASH_V2_SHA512_TRUNC)
		memcpy(seg->block_hashes, d->hod, d->hash_len);
	else if (hashes)
		memcpy(seg->block_hashes, hashes, hashes_len);
	seg->data = data ?: pd_backing_create(seg);
	if (!seg->data)
		seg->data = shmem_file_setup("peerdist-segment", d->size, VM_NORESERVE);
	if (IS_ERR(seg->data))
		goto free_hashes;
	kref_init(&seg->ref);
	mutex_init(&seg->lock);
	spin_lock_init(&seg->miss_lock);
	seg->miss_since = jiffies;
	INIT_LIST_HEAD(&seg->lru);
	pd_counter_add(PD_CNT_OBJECTS, 1);
	return seg;

free_hashes:
	kvfree(seg->block_hashes);
free_seg:
	kfree(seg);
	return ERR_PTR(-ENOMEM);
}

/*
 * Lock contract: pd_cache_lock held. Records the caller among seg's
 * adders, who may flush it; past PD_SEGMENT_ADDERS only CAP_NET_ADMIN can.
 */
static void note_adder_locked(struct pd_segment *seg)
{
	kuid_t uid = current_fsuid();
	unsigned int i;

	lockdep_assert_held(&pd_cache_lock);
	for (i = 0; i < seg->nadders; i++)
		if (uid_eq(seg->adders[i], uid))
			return;
	if (seg->nadders < PD_SEGMENT_ADDERS)
		seg->adders[seg->nadders++] = uid;
}

/*
 * Lock contract: none. Indexes seg (taking the caller's reference) unless
 * a segment with its id is there already; 0 either way. A segment of
 * another size with no block yet gives way: the same id and secrets with
 * a wrong size must not shadow the right one forever.
 */
static int index_segment(struct pd_segment *seg)
{
	const struct pd_segment_desc *d = &seg->desc;
	struct pd_segment *old;

	mutex_lock(&pd_cache_lock);
	old = lookup_locked(d->id, d->hash_len);
	if (old && (old->desc.size == d->size ||
		    !bitmap_empty(old->present, old->desc.nblocks))) {
		note_adder_locked(old);
		mutex_unlock(&pd_cache_lock);
		pd_segment_put(seg);
		return 0;	/* verified twice, kept once */
	}
	if (old)
		evict_locked(old);
	hash_add(pd_index, &seg->node, id_key(d->id, d->hash_len));
	list_add(&seg->lru, &pd_lru);
	pd_cached += seg->cached;
	pd_desc_bytes += desc_bytes(seg);
	pd_nsegments++;
	pd_counter_add(PD_CNT_CACHED_BYTES, seg->cached);
	pd_counter_add(PD_CNT_SEGMENTS, 1);
	mutex_unlock(&pd_cache_lock);
	pd_cache_trim();
	atomic64_inc(&pd_segments_indexed);
	wake_up_all(&pd_block_wq);	/* content fds waiting for it */
	return 0;
}

int pd_segment_add(struct pd_segment_desc *d, const u8 *hashes, size_t hashes_len)
{
	struct pd_segment *seg;
	int err;

	d->nblocks = d->block_size ? DIV_ROUND_UP(d->size, d->block_size) : 0;
	if (!d->nblocks || d->nblocks > PD_MAX_BLOCKS)
		return -EINVAL;
	err = check_desc(d, hashes, hashes_len);
	if (err == -EBADMSG)
		pd_counter_add(PD_CNT_VERIFY_FAILURES, 1);
	if (err)
		return err;
	seg = segment_new(d, hashes, hashes_len, NULL);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	return index_segment(seg);
}

int pd_segment_load(const struct pd_segment_desc *d, const u8 *hashes,
		    size_t hashes_len, struct file *data, const unsigned long *present)
{
	struct pd_segment *seg;
	u32 i;

	seg = segment_new(d, hashes, hashes_len, data);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	seg->backed = true;
	bitmap_copy(seg->present, present, d->nblocks);
	for_each_set_bit(i, seg->present, d->nblocks)
		seg->cached += pd_block_len(d, i);
	return index_segment(seg);
}

/*
 * A segment the module hashes itself (hash offload): blocks go in with
 * pd_segment_build_block(), which records their hashes, then
 * pd_segment_seal() derives HoD, Kp and the id and indexes it.
 */
struct pd_segment *pd_segment_build(u32 hash_alg, u32 size)
{
	bool v2 = hash_alg == PD_HASH_V2_SHA512_TRUNC;
	struct pd_segment_desc d = {
		.hash_alg = hash_alg, .hash_len = 32, .size = size,
		.block_size = v2 ? size : PD_V1_BLOCK_SIZE,
	};

	if (!size || size > (v2 ? PD_V2_MAX_SEGMENT : PD_V1_MAX_SEGMENT) ||
	    (!v2 && hash_alg != PD_HASH_SHA256))
		return ERR_PTR(-EINVAL);
	d.nblocks = DIV_ROUND_UP(size, d.block_size);
	return segment_new(&d, NULL, (size_t)d.nblocks * d.hash_len, NULL);
}

/* Lock contract: none; seg is not indexed yet, so nobody else sees it. */
int pd_segment_build_block(struct pd_segment *seg, u32 index, const void *buf)
{
	const struct pd_segment_desc *d = &seg->desc;
	size_t len = pd_block_len(d, index);
	u8 *hash = seg->block_hashes + (size_t)index * d->hash_len;
	loff_t pos = (loff_t)index * d->block_size;
	int err;

	if (d->hash_alg == PD_HASH_SHA256) {
		sha256(buf, len, hash);
		pd_counter_add(PD_CNT_HASH_BYTES, len);
	} else {
		/* V2: no SHA-512 library call in 6.1/6.12; pd_hash() counts */
		err = pd_hash(d->hash_alg, buf, len, hash);
		if (err)
			return err;
	}
	err = pd_backing_write(seg, buf, len, pos);
	if (err)
		return err;
	set_bit(index, seg->present);
	seg->cached += len;
	return 0;
}

int pd_segment_seal(struct pd_segment *seg, const u8 ks[32])
{
	struct pd_segment_desc *d = &seg->desc;
	int err = 0;

	if (d->hash_alg == PD_HASH_V2_SHA512_TRUNC)	/* one block: its hash is HoD */
		memcpy(d->hod, seg->block_hashes, d->hash_len);
	else
		err = pd_hash(d->hash_alg, seg->block_hashes,
			      (size_t)d->nblocks * d->hash_len, d->hod);
	err = err ?:
	      pd_hmac(d->hash_alg, ks, 32, d->hod, d->hash_len, NULL, 0, d->kp) ?:
	      pd_hmac(d->hash_alg, d->kp, d->hash_len, d->hod, d->hash_len,
		      pd_c2, sizeof(pd_c2), d->id);
	if (err) {
		pd_segment_put(seg);
		return err;
	}
	pd_backing_persist(seg);	/* its id known: it may have a file now */
	kref_get(&seg->ref);	/* the caller keeps its own */
	return index_segment(seg);
}

/* Lock contract: pd_cache_lock held. Whether the caller added seg. */
static bool is_adder_locked(const struct pd_segment *seg)
{
	kuid_t uid = current_fsuid();
	unsigned int i;

	lockdep_assert_held(&pd_cache_lock);
	for (i = 0; i < seg->nadders; i++)
		if (uid_eq(seg->adders[i], uid))
			return true;
	return false;
}

int pd_segment_flush(const u8 *id, unsigned int len, bool adders_only)
{
	struct pd_segment *seg;
	int err = -ENOENT;

	mutex_lock(&pd_cache_lock);
	seg = lookup_locked(id, len);
	if (seg && adders_only && !is_adder_locked(seg))
		err = -EPERM;
	else if (seg)
		err = 0;
	if (!err)
		evict_locked(seg);
	mutex_unlock(&pd_cache_lock);
	return err;
}

u64 pd_cache_clear(bool adders_only)
{
	struct pd_segment *seg, *next;
	u64 n = 0;

	mutex_lock(&pd_cache_lock);
	list_for_each_entry_safe(seg, next, &pd_lru, lru) {
		if (adders_only && !is_adder_locked(seg))
			continue;
		evict_locked(seg);
		n++;
	}
	mutex_unlock(&pd_cache_lock);
	return n;
}

/*
 * HMAC(Kp, HoD || C2) is the id (MS-PCCRC 2.2): the proof that the caller
 * holds the segment's content information. Compared in constant time.
 */
int pd_segment_prove(const struct pd_segment_desc *d, const u8 *hod,
		     unsigned int hod_len, const u8 *kp, unsigned int kp_len)
{
	u8 want[PD_HASH_MAX];
	int err;

	if (hod_len != d->hash_len || kp_len != d->hash_len)
		return -EACCES;
	err = pd_hmac(d->hash_alg, kp, kp_len, hod, hod_len, pd_c2, sizeof(pd_c2), want);
	if (!err && crypto_memneq(want, d->id, d->hash_len))
		err = -EACCES;
	memzero_explicit(want, sizeof(want));
	return err;
}

u32 pd_block_len(const struct pd_segment_desc *d, u32 index)
{
	u64 start = (u64)index * d->block_size;

	return min_t(u64, d->block_size, d->size - start);
}

/*
 * Lock contract: seg->lock held. Checks block index (len bytes in buf)
 * against its hash and writes it into the segment's pages.
 */
static int put_block_locked(struct pd_segment *seg, u32 index, const void *buf,
			    size_t len)
{
	const struct pd_segment_desc *d = &seg->desc;
	u8 got[PD_HASH_MAX];
	loff_t pos = (loff_t)index * d->block_size;
	int err;

	lockdep_assert_held(&seg->lock);
	if (test_bit(index, seg->present))
		return 0;
	err = pd_hash(d->hash_alg, buf, len, got);
	if (err)
		return err;
	if (memcmp(got, seg->block_hashes + (size_t)index * d->hash_len, d->hash_len)) {
		pd_counter_add(PD_CNT_VERIFY_FAILURES, 1);
		return -EBADMSG;
	}
	err = pd_backing_write(seg, buf, len, pos);
	if (err)
		return err;
	set_bit(index, seg->present);
	clear_bit(index, seg->miss_told);
	pd_backing_block_added(seg);
	mutex_lock(&pd_cache_lock);
	if (!seg->evicted) {
		seg->cached += len;
		pd_cached += len;
		pd_counter_add(PD_CNT_CACHED_BYTES, len);
	}
	mutex_unlock(&pd_cache_lock);
	return 0;
}

int pd_segment_put_block(struct pd_segment *seg, u32 index, const void *buf,
			 size_t len)
{
	int err;

	if (index >= seg->desc.nblocks || len != pd_block_len(&seg->desc, index))
		return -EINVAL;
	mutex_lock(&seg->lock);
	err = put_block_locked(seg, index, buf, len);
	mutex_unlock(&seg->lock);
	if (!err) {
		wake_up_all(&pd_block_wq);
		pd_genl_notify_block(seg, index, true);
		pd_cache_trim();
	}
	return err;
}

bool pd_segment_has_byte(const struct pd_segment *seg, loff_t pos)
{
	return pos >= 0 && pos < seg->desc.size &&
	       test_bit(pos / seg->desc.block_size, seg->present);
}

/*
 * A reader that misses retries, often many times a second: whoever fetches
 * blocks (peerdistd) hears of each missing block once, and again only
 * after a second, in case the first fetch failed.
 */
void pd_segment_note_miss(struct pd_segment *seg, u32 index)
{
	bool tell;

	spin_lock(&seg->miss_lock);
	if (time_after(jiffies, seg->miss_since + HZ)) {
		bitmap_zero(seg->miss_told, PD_MAX_BLOCKS);
		seg->miss_since = jiffies;
	}
	tell = !test_and_set_bit(index, seg->miss_told);
	spin_unlock(&seg->miss_lock);
	if (tell)
		pd_genl_notify_block(seg, index, false);
}

/* ---- the shrinker: under memory pressure, whole segments go, LRU first ---- */

static unsigned long pd_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	return (READ_ONCE(pd_cached) + READ_ONCE(pd_desc_bytes)) >> PAGE_SHIFT;
}

static unsigned long pd_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	u64 freed, held;

	/* Reclaim may run inside our own allocations: never wait for the lock. */
	if (!mutex_trylock(&pd_cache_lock))
		return SHRINK_STOP;
	/*
	 * Files in the backing directory are ordinary page cache that reclaim
	 * writes back and drops by itself: evicting them would only delete
	 * the persistent cache.
	 */
	held = pd_cached + pd_desc_bytes;
	freed = evict_to_locked(held > ((u64)sc->nr_to_scan << PAGE_SHIFT) ?
				held - ((u64)sc->nr_to_scan << PAGE_SHIFT) : 0, true);
	mutex_unlock(&pd_cache_lock);
	return freed >> PAGE_SHIFT;
}

/* The one difference between 6.1 and 6.12 this module has to bridge. */
#ifdef SHRINKER_ALLOCATED	/* 6.7 on: shrinker_alloc() */
static struct shrinker *pd_shrinker;

static int shrinker_start(void)
{
	pd_shrinker = shrinker_alloc(0, "peerdist");
	if (!pd_shrinker)
		return -ENOMEM;
	pd_shrinker->count_objects = pd_shrink_count;
	pd_shrinker->scan_objects = pd_shrink_scan;
	shrinker_register(pd_shrinker);
	return 0;
}

static void shrinker_stop(void)
{
	shrinker_free(pd_shrinker);
}
#else
/* 6.1 to 6.6: a static shrinker (shrinker_alloc() came in 6.7). */
static struct shrinker pd_shrinker = {
	.count_objects = pd_shrink_count,
	.scan_objects = pd_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int shrinker_start(void)
{
	return register_shrinker(&pd_shrinker, "peerdist");
}

static void shrinker_stop(void)
{
	unregister_shrinker(&pd_shrinker);
}
#endif

int __init pd_cache_init(void)
{
	get_random_bytes(&pd_index_key, sizeof(pd_index_key));
	return shrinker_start();
}

/*
 * Lock contract: none. The backing directory changes, or the module goes:
 * its segments leave the index but their files stay, for the next time
 * that directory is set. Open fds keep reading them.
 */
void pd_cache_unload_backed(void)
{
	struct pd_segment *seg, *next;

	mutex_lock(&pd_cache_lock);
	list_for_each_entry_safe(seg, next, &pd_lru, lru) {
		if (!seg->backed)
			continue;
		seg->keep_file = true;
		evict_locked(seg);
	}
	mutex_unlock(&pd_cache_lock);
}

void pd_cache_exit(void)
{
	struct pd_segment *seg, *next;

	shrinker_stop();
	mutex_lock(&pd_cache_lock);
	list_for_each_entry_safe(seg, next, &pd_lru, lru)
		evict_locked(seg);
	mutex_unlock(&pd_cache_lock);
}
