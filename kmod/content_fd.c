// SPDX-License-Identifier: GPL-2.0-only
/*
 * A content as a file descriptor (an anonymous inode, handed out by the
 * open-content netlink operation): the segments of a content information,
 * one after the other from a file offset on, so that a reader's offsets
 * are the content's own. pread returns cached bytes up to the end of the
 * run of present blocks within a segment, and ENODATA where a block is
 * absent (the API's MISSING_DATA); poll is readable once the block of the
 * last read that missed has arrived; SEEK_DATA and SEEK_HOLE find present
 * and absent blocks.
 *
 * The fd names segments by id and looks each one up when it reads: a
 * segment may be added after the content is opened (fetched from a peer),
 * evicted and added again, and the fd always reads whatever the cache
 * holds now. Only the block a read missed is held (miss_seg), so that
 * poll can tell without a lookup; an evicted one reads as readable, which
 * sends the reader back to look again.
 *
 * Reads never wait for a block (ENODATA), so the fd is FMODE_NOWAIT:
 * io_uring issues reads inline. A nonblocking read only tries the locks
 * and says EAGAIN when one is taken; since io_uring then waits on poll,
 * poll says readable after such a read (rather than wait for the block
 * the last miss wanted, which would stall a read of a present block).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "content_fd.h"
#include "segment.h"
#include "state.h"

#define PD_CONTENT_MAX_SEGMENTS	BIT(18)

struct pd_content {
	struct rw_semaphore lock;	/* the table: appends write, reads read */
	u32 hash_len;
	u32 n;
	u8 *ids;			/* n * hash_len */
	u64 *starts;			/* n + 1 file offsets; starts[n] is the end */
	spinlock_t miss_lock;		/* the three below */
	struct pd_segment *miss_seg;	/* held; NULL: not in the cache */
	u32 miss_block;
	s64 miss_indexed;		/* pd_segments_indexed when it missed */
	bool missed;
};

static const struct file_operations pd_content_fops;

/* Lock contract: c->lock held. The segment holding pos, or c->n. */
static u32 find_locked(const struct pd_content *c, loff_t pos)
{
	u32 lo = 0, hi = c->n;

	lockdep_assert_held(&c->lock);
	if (pos < c->starts[0] || pos >= c->starts[c->n])
		return c->n;
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (c->starts[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The cached segment holding pos (with a reference), pos within it and
 * the file offset where it ends; NULL when the cache does not hold it;
 * ERR_PTR(-ERANGE) when pos is outside the content; with nowait,
 * ERR_PTR(-EAGAIN) rather than wait for a lock.
 */
static struct pd_segment *segment_at(struct pd_content *c, loff_t pos, loff_t *in,
				     loff_t *end, bool nowait)
{
	struct pd_segment *seg;
	u8 id[PD_HASH_MAX];
	u64 size;
	u32 i;

	if (!nowait)
		down_read(&c->lock);
	else if (!down_read_trylock(&c->lock))
		return ERR_PTR(-EAGAIN);
	i = find_locked(c, pos);
	if (i == c->n) {
		up_read(&c->lock);
		return ERR_PTR(-ERANGE);
	}
	memcpy(id, c->ids + (size_t)i * c->hash_len, c->hash_len);
	size = c->starts[i + 1] - c->starts[i];
	*in = pos - c->starts[i];
	*end = c->starts[i + 1];
	up_read(&c->lock);
	seg = nowait ? pd_segment_get_nowait(id, c->hash_len) : pd_segment_get(id, c->hash_len);
	if (IS_ERR(seg))
		return seg;
	if (seg && seg->desc.size != size) {	/* same id, other length: not ours */
		pd_segment_put(seg);
		seg = NULL;
	}
	return seg;
}

/* Remembers what a read missed, for poll; takes over the reference. */
static void note_miss(struct pd_content *c, struct pd_segment *seg, loff_t in)
{
	struct pd_segment *old;

	spin_lock(&c->miss_lock);
	old = c->miss_seg;
	c->miss_seg = seg;
	c->miss_block = seg ? in / seg->desc.block_size : 0;
	c->miss_indexed = atomic64_read(&pd_segments_indexed);
	c->missed = true;
	spin_unlock(&c->miss_lock);
	if (old)
		pd_segment_put(old);
}

/*
 * A nonblocking read found a lock taken: io_uring waits for poll before
 * it tries again, so poll must say readable (it is, once the lock is
 * free), whatever the last miss waited for.
 */
static void contended(struct pd_content *c)
{
	spin_lock(&c->miss_lock);
	c->missed = false;
	spin_unlock(&c->miss_lock);
}

static ssize_t pd_content_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct pd_content *c = iocb->ki_filp->private_data;
	struct pd_segment *seg;
	loff_t in, end;
	ssize_t n;

	if (iocb->ki_pos < 0)
		return -EINVAL;
	if (!iov_iter_count(to))
		return 0;
	seg = segment_at(c, iocb->ki_pos, &in, &end, iocb->ki_flags & IOCB_NOWAIT);
	if (PTR_ERR(seg) == -EAGAIN) {
		contended(c);
		return -EAGAIN;
	}
	if (IS_ERR(seg))
		return 0;	/* past the end */
	if (!seg) {
		pd_counter_add(PD_CNT_MISSES, 1);
		note_miss(c, NULL, 0);
		return -ENODATA;
	}
	n = pd_segment_read(seg, in, to);
	if (n == -ENODATA) {
		note_miss(c, seg, in);
		return n;
	}
	pd_segment_put(seg);
	if (n > 0)
		iocb->ki_pos += n;
	return n;
}

/*
 * Readable when no read missed yet, or the block the last one missed is
 * present now (or its segment was evicted, or, when it was not cached at
 * all, a segment was indexed since). It never sleeps: only a bit is read.
 */
static __poll_t pd_content_poll(struct file *file, struct poll_table_struct *pt)
{
	struct pd_content *c = file->private_data;
	bool ready;

	poll_wait(file, &pd_block_wq, pt);
	spin_lock(&c->miss_lock);
	if (!c->missed)
		ready = true;
	else if (c->miss_seg)
		ready = test_bit(c->miss_block, c->miss_seg->present) ||
			READ_ONCE(c->miss_seg->evicted);
	else
		ready = atomic64_read(&pd_segments_indexed) != c->miss_indexed;
	spin_unlock(&c->miss_lock);
	return ready ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * SEEK_DATA/SEEK_HOLE: the next present (want) or absent byte from pos;
 * a segment the cache does not hold is one hole, the end another.
 */
static loff_t seek_block(struct pd_content *c, loff_t pos, bool want)
{
	struct pd_segment *seg;
	loff_t in, end;
	bool first = true;

	for (;; first = false) {	/* pos grows every round */
		seg = segment_at(c, pos, &in, &end, false);
		if (IS_ERR(seg))
			return want || first ? -ENXIO : pos;
		while (pos < end && (seg && pd_segment_has_byte(seg, in)) != want) {
			loff_t step = seg ? seg->desc.block_size - in % seg->desc.block_size :
				      end - pos;

			step = min(step, end - pos);	/* a short last block */
			pos += step;
			in += step;
		}
		if (seg)
			pd_segment_put(seg);
		if (pos < end)
			return pos;
	}
}

static loff_t pd_content_llseek(struct file *file, loff_t offset, int whence)
{
	struct pd_content *c = file->private_data;
	loff_t end, pos;

	down_read(&c->lock);
	end = c->starts[c->n];
	up_read(&c->lock);
	switch (whence) {
	case SEEK_DATA:
	case SEEK_HOLE:
		pos = seek_block(c, offset, whence == SEEK_DATA);
		return pos < 0 ? pos : vfs_setpos(file, pos, end);
	}
	return fixed_size_llseek(file, offset, whence, end);
}

static void content_free(struct pd_content *c)
{
	if (c->miss_seg)
		pd_segment_put(c->miss_seg);
	kvfree(c->ids);
	kvfree(c->starts);
	kfree(c);
	pd_counter_add(PD_CNT_OBJECTS, -1);
}

static int pd_content_release(struct inode *inode, struct file *file)
{
	content_free(file->private_data);
	return 0;
}

static const struct file_operations pd_content_fops = {
	.owner = THIS_MODULE,
	.read_iter = pd_content_read_iter,
	.poll = pd_content_poll,
	.llseek = pd_content_llseek,
	.release = pd_content_release,
};

/*
 * Appends n segments to c's table (a new table, swapped in); start must be
 * where the content ends now.
 */
static int append(struct pd_content *c, const u8 *ids, const u32 *sizes, u32 n,
		  u64 start)
{
	u8 *new_ids, *old_ids;
	u64 *new_starts, *old_starts;
	u64 end = start;
	u32 i, total;

	/* The offsets stay file offsets: SEEK_DATA's walk must end. */
	for (i = 0; i < n; i++) {
		if (!sizes[i] || sizes[i] > PD_V1_MAX_SEGMENT)
			return -EINVAL;
		if (check_add_overflow(end, (u64)sizes[i], &end) || end > MAX_LFS_FILESIZE)
			return -EOVERFLOW;
	}
	down_write(&c->lock);
	total = c->n + n;
	if (c->starts[c->n] != start || total > PD_CONTENT_MAX_SEGMENTS) {
		up_write(&c->lock);
		return c->starts[c->n] != start ? -EINVAL : -E2BIG;
	}
	new_ids = kvmalloc_array(total, c->hash_len, GFP_KERNEL_ACCOUNT);
	new_starts = kvmalloc_array(total + 1, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!new_ids || !new_starts) {
		up_write(&c->lock);
		kvfree(new_ids);
		kvfree(new_starts);
		return -ENOMEM;
	}
	memcpy(new_ids, c->ids, (size_t)c->n * c->hash_len);
	memcpy(new_ids + (size_t)c->n * c->hash_len, ids, (size_t)n * c->hash_len);
	memcpy(new_starts, c->starts, (c->n + 1) * sizeof(u64));
	for (i = 0; i < n; i++)
		new_starts[c->n + i + 1] = new_starts[c->n + i] + sizes[i];
	old_ids = c->ids;
	old_starts = c->starts;
	c->ids = new_ids;
	c->starts = new_starts;
	c->n = total;
	up_write(&c->lock);
	kvfree(old_ids);
	kvfree(old_starts);
	return 0;
}

static struct pd_content *content_new(u32 hash_len, u64 start)
{
	struct pd_content *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->starts = kvmalloc(sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!c->starts) {
		kfree(c);
		return NULL;
	}
	c->starts[0] = start;
	c->hash_len = hash_len;
	init_rwsem(&c->lock);
	spin_lock_init(&c->miss_lock);
	pd_counter_add(PD_CNT_OBJECTS, 1);
	return c;
}

static struct file *open_new(u32 hash_len, const u8 *ids, const u32 *sizes, u32 n,
			     u64 start)
{
	struct pd_content *c = content_new(hash_len, start);
	struct file *file;
	int err;

	if (!c)
		return ERR_PTR(-ENOMEM);
	err = append(c, ids, sizes, n, start);
	if (err)
		goto free_content;
	file = anon_inode_getfile("[peerdist-content]", &pd_content_fops, c,
				  O_RDONLY | O_CLOEXEC);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto free_content;
	}
	file->f_mode |= FMODE_PREAD | FMODE_NOWAIT;
#ifdef FMODE_LSEEK
	file->f_mode |= FMODE_LSEEK;
#endif
	return file;

free_content:
	content_free(c);
	return ERR_PTR(err);
}

/*
 * Every segment's HoD and Kp prove its id: reading a content takes its
 * content information, not just the ids that discovery makes public.
 */
static int prove_all(u32 hash_alg, u32 hash_len, const u8 *ids, const u8 *hods,
		     const u8 *kps, u32 n)
{
	struct pd_segment_desc d = { .hash_alg = hash_alg, .hash_len = hash_len };
	size_t at;
	u32 i;
	int err;

	for (i = 0; i < n; i++) {
		at = (size_t)i * hash_len;
		memcpy(d.id, ids + at, hash_len);
		err = pd_segment_prove(&d, hods + at, hash_len, kps + at, hash_len);
		if (err)
			return err;
	}
	return 0;
}

struct file *pd_content_open(int fd, u32 hash_alg, const u8 *ids, const u8 *hods,
			     const u8 *kps, const u32 *sizes, u32 n, u64 start)
{
	u32 hash_len = pd_hash_digest_len(hash_alg);
	struct pd_content *c;
	struct file *file;
	int err;

	if (!hash_len || !n)
		return ERR_PTR(-EINVAL);
	err = prove_all(hash_alg, hash_len, ids, hods, kps, n);
	if (err)
		return ERR_PTR(err);
	if (fd < 0)
		return open_new(hash_len, ids, sizes, n, start);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	c = file->private_data;
	err = -EINVAL;	/* not a content fd, or another hash */
	if (file->f_op == &pd_content_fops && c->hash_len == hash_len)
		err = append(c, ids, sizes, n, start);
	fput(file);
	return ERR_PTR(err);	/* 0: appended, nothing new */
}
