// SPDX-License-Identifier: GPL-2.0-only
/*
 * A segment as a file descriptor (an anonymous inode, handed out by the
 * open-segment netlink operation). pread returns the segment's bytes at
 * an offset, up to the end of the run of present blocks, and ENODATA for
 * an absent block (what the API reports as MISSING_DATA); pwrite of one
 * whole block at its offset adds it, once its hash matched (EBADMSG
 * otherwise); SEEK_DATA and SEEK_HOLE find present and absent blocks. The
 * fd holds a reference: the bytes stay readable even if the segment is
 * evicted meanwhile, and the module cannot be unloaded while it is open.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "segment.h"
#include "state.h"

static bool present(const struct pd_segment *seg, u32 index)
{
	return test_bit(index, seg->present);
}

/*
 * Reads seg's bytes at pos (within the segment) into to, up to the end of
 * the run of present blocks; -ENODATA when the block at pos is absent.
 * Shared by the segment fds and the content fds.
 */
ssize_t pd_segment_read(struct pd_segment *seg, loff_t pos, struct iov_iter *to)
{
	const struct pd_segment_desc *d = &seg->desc;
	struct kiocb inner;
	loff_t end;
	u32 b;
	ssize_t n;

	if (pos >= d->size || !iov_iter_count(to))
		return 0;
	b = pos / d->block_size;
	if (!present(seg, b)) {
		pd_counter_add(PD_CNT_MISSES, 1);
		pd_segment_note_miss(seg, b);
		return -ENODATA;
	}
	while (b < d->nblocks && present(seg, b))
		b++;
	end = min_t(loff_t, (loff_t)b * d->block_size, d->size);
	iov_iter_truncate(to, end - pos);
	init_sync_kiocb(&inner, seg->data);
	inner.ki_pos = pos;
	n = seg->data->f_op->read_iter(&inner, to);
	if (n > 0)
		pd_counter_add(PD_CNT_HITS, 1);
	return n;
}

static ssize_t pd_seg_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	ssize_t n;

	if (iocb->ki_pos < 0)
		return -EINVAL;
	n = pd_segment_read(iocb->ki_filp->private_data, iocb->ki_pos, to);
	if (n > 0)
		iocb->ki_pos += n;
	return n;
}

static ssize_t pd_seg_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct pd_segment *seg = iocb->ki_filp->private_data;
	const struct pd_segment_desc *d = &seg->desc;
	size_t len = iov_iter_count(from);
	loff_t pos = iocb->ki_pos;
	void *buf;
	u32 b;
	int err;

	if (pos < 0 || pos >= d->size || pos % d->block_size)
		return -EINVAL;
	b = pos / d->block_size;
	if (len != pd_block_len(d, b))
		return -EINVAL;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* A copy is needed anyway: the hash must match what is kept. */
	err = copy_from_iter(buf, len, from) == len ? 0 : -EFAULT;
	if (!err)
		err = pd_segment_put_block(seg, b, buf, len);
	kvfree(buf);
	if (err)
		return err;
	iocb->ki_pos = pos + len;
	return len;
}

/* SEEK_DATA/SEEK_HOLE: the next present or absent block from offset. */
static loff_t seek_block(struct pd_segment *seg, loff_t offset, bool want)
{
	const struct pd_segment_desc *d = &seg->desc;
	u32 b;

	if (offset < 0 || offset >= d->size)
		return -ENXIO;
	for (b = offset / d->block_size; b < d->nblocks; b++)
		if (present(seg, b) == want)
			return max_t(loff_t, offset, (loff_t)b * d->block_size);
	return want ? -ENXIO : d->size;
}

static loff_t pd_seg_llseek(struct file *file, loff_t offset, int whence)
{
	struct pd_segment *seg = file->private_data;
	loff_t pos;

	switch (whence) {
	case SEEK_DATA:
	case SEEK_HOLE:
		pos = seek_block(seg, offset, whence == SEEK_DATA);
		return pos < 0 ? pos : vfs_setpos(file, pos, seg->desc.size);
	}
	return fixed_size_llseek(file, offset, whence, seg->desc.size);
}

static int pd_seg_release(struct inode *inode, struct file *file)
{
	pd_segment_put(file->private_data);
	return 0;
}

static const struct file_operations pd_segment_fops = {
	.owner = THIS_MODULE,
	.read_iter = pd_seg_read_iter,
	.write_iter = pd_seg_write_iter,
	.llseek = pd_seg_llseek,
	.release = pd_seg_release,
};

struct file *pd_segment_file(struct pd_segment *seg)
{
	struct file *file;

	kref_get(&seg->ref);
	file = anon_inode_getfile("[peerdist-segment]", &pd_segment_fops, seg,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		pd_segment_put(seg);
		return file;
	}
	/* Anonymous files are streams unless told: these have offsets. */
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
#ifdef FMODE_LSEEK
	file->f_mode |= FMODE_LSEEK;
#endif
	return file;
}
