// SPDX-License-Identifier: GPL-2.0-only
/*
 * The persistent segment cache. With /sys/kernel/peerdist/backing_dir set
 * to a directory, each new segment's bytes live in a regular file there,
 * named after its id (HoHoDk, lower-case hex), instead of in shmem (a
 * segment the module hashes itself moves there once sealed): still
 * page-cache pages, but they outlive the module and a reboot. When the
 * directory is set (again), the segments found in it are indexed again,
 * under the size cap. Eviction (the cap, a flush) deletes the file; a
 * change of directory and module unload leave it.
 *
 * The file (all integers little-endian; A = 4096):
 *
 *   [0, size)                    the segment's bytes, block i at
 *                                i * block_size; absent blocks are holes
 *   [round_up(size, A), +nblocks * hash_len)
 *                                the block hashes (V2: HoD)
 *   the last 288 bytes           struct pd_backing_hdr: magic "PDSEGv1\n",
 *                                hash_alg, hash_len, size, block_size,
 *                                nblocks, 0, id, HoD, Kp (64 bytes each,
 *                                zero-padded), then the presence bitmap
 *                                (512 bits in eight u64, block i at bit
 *                                i % 64 of word i / 64)
 *
 * The bytes sit at the segment's own offsets so that a segment fd reads
 * the file exactly as it reads a shmem one; the description trails them.
 *
 * Trust: a local user must not be able to poison the cache. The directory
 * must be owned by root and writable by nobody else (refused otherwise),
 * and the module opens, creates and deletes its files with its own
 * credentials. Even so nothing read back is believed: on loading, the
 * description is verified as an added one is (HoD against the block hashes,
 * the id against HoD and Kp) and every block the bitmap calls present is
 * read and hashed before it counts as present. A file whose description
 * fails is deleted; a block that fails is dropped (and its bit cleared in
 * the file). Both count as verify failures.
 *
 * Locking: no file I/O happens under pd_cache_lock. Eviction runs under it,
 * from the shrinker too, so it only queues the file's deletion; the
 * deletion work unlinks that very file (not whatever holds its name by
 * then) and drops the segment reference it kept. The shrinker passes over
 * backed segments: reclaim writes their pages back and drops them itself.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "backing.h"
#include "segment.h"
#include "state.h"

#define PD_BACKING_ALIGN	4096
#define PD_BACKING_MAGIC	"PDSEGv1\n"

struct pd_backing_hdr {
	u8 magic[8];
	__le32 hash_alg;
	__le32 hash_len;
	__le32 size;
	__le32 block_size;
	__le32 nblocks;
	__le32 zero;
	u8 id[PD_HASH_MAX];
	u8 hod[PD_HASH_MAX];
	u8 kp[PD_HASH_MAX];
	__le64 present[PD_MAX_BLOCKS / 64];	/* last: rewritten alone */
} __packed;

static_assert(sizeof(struct pd_backing_hdr) == 288);

static DEFINE_MUTEX(pd_backing_switch);	/* serialises changes of directory */
static DEFINE_MUTEX(pd_backing_lock);	/* pd_backing_path, pd_backing_name */
static struct path pd_backing_path;	/* .dentry NULL: shmem */
static char *pd_backing_name;
static const struct cred *pd_backing_cred;

static void reap(struct work_struct *work);
static LLIST_HEAD(pd_reap_list);
static DECLARE_WORK(pd_reap_work, reap);

/*
 * vfs_unlink() takes the mount's idmap from 6.3, its user namespace before;
 * no macro marks the change, so the version does (the one #if).
 */
#if LINUX_VERSION_MAJOR > 6 || (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 3)
#define pd_file_idmap(f)	file_mnt_idmap(f)
#else
#define pd_file_idmap(f)	file_mnt_user_ns(f)
#endif

static loff_t hashes_off(const struct pd_segment_desc *d)
{
	return ALIGN((loff_t)d->size, PD_BACKING_ALIGN);
}

static loff_t hdr_off(const struct pd_segment_desc *d)
{
	return hashes_off(d) + (loff_t)d->nblocks * d->hash_len;
}

static void file_name(char *name, const u8 *id, unsigned int len)
{
	*bin2hex(name, id, len) = '\0';
}

/*
 * A write into the cache's files (shmem or the backing directory's),
 * done by a kernel worker, with the kernel's credentials: the caller may
 * be anyone, and neither its RLIMIT_FSIZE (its task's: overriding the
 * credentials does not change it) nor its memory cgroup may make the
 * shared cache fail. The cache's own cap bounds what it holds.
 */
struct module_write {
	struct work_struct work;
	struct file *f;
	const void *buf;		/* kernel memory */
	size_t len;
	loff_t pos;
	ssize_t written;
};

/* A kworker's credentials are the kernel's own (init_cred), its limits none. */
static void module_write(struct work_struct *work)
{
	struct module_write *w = container_of(work, struct module_write, work);

	w->written = kernel_write(w->f, w->buf, w->len, &w->pos);
}

static int write_all(struct file *f, const void *buf, size_t len, loff_t pos)
{
	struct module_write w = { .f = f, .buf = buf, .len = len, .pos = pos };

	INIT_WORK_ONSTACK(&w.work, module_write);
	queue_work(system_unbound_wq, &w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	return w.written == len ? 0 : w.written < 0 ? w.written : -EIO;
}

static int write_present(struct file *f, const struct pd_segment_desc *d,
			 const unsigned long *present)
{
	__le64 words[PD_MAX_BLOCKS / 64] = {};
	u32 i;

	for_each_set_bit(i, present, d->nblocks)
		words[i / 64] |= cpu_to_le64(BIT_ULL(i % 64));
	return write_all(f, words, sizeof(words),
			 hdr_off(d) + offsetof(struct pd_backing_hdr, present));
}

static int write_meta(struct file *f, const struct pd_segment_desc *d,
		      const u8 *hashes)
{
	struct pd_backing_hdr *h = kzalloc(sizeof(*h), GFP_KERNEL);
	int err;

	if (!h)
		return -ENOMEM;
	memcpy(h->magic, PD_BACKING_MAGIC, sizeof(h->magic));
	h->hash_alg = cpu_to_le32(d->hash_alg);
	h->hash_len = cpu_to_le32(d->hash_len);
	h->size = cpu_to_le32(d->size);
	h->block_size = cpu_to_le32(d->block_size);
	h->nblocks = cpu_to_le32(d->nblocks);
	memcpy(h->id, d->id, d->hash_len);
	memcpy(h->hod, d->hod, d->hash_len);
	memcpy(h->kp, d->kp, d->hash_len);
	/* a new segment: no block present yet */
	err = write_all(f, hashes, (size_t)d->nblocks * d->hash_len, hashes_off(d)) ?:
	      write_all(f, h, sizeof(*h), hdr_off(d));
	kfree(h);
	return err;
}

/*
 * Deletes this very file, if it still has its name in its directory: a
 * file made since under the same name is not the one to delete. With the
 * module's credentials, as the caller may be anyone.
 */
static void backing_unlink(struct file *f)
{
	struct dentry *dentry = f->f_path.dentry, *parent;
	const struct cred *old;
	int err;

	err = mnt_want_write(f->f_path.mnt);
	if (err)
		goto warn;
	old = override_creds(pd_backing_cred);
	parent = dget_parent(dentry);
	inode_lock_nested(d_inode(parent), I_MUTEX_PARENT);
	/*
	 * Our own hold on the dentry: with f's alone, unlinking would turn it
	 * negative under the open file.
	 */
	dget(dentry);
	if (dentry->d_parent == parent && !d_unhashed(dentry) &&
	    d_inode(dentry) == file_inode(f))
		err = vfs_unlink(pd_file_idmap(f), d_inode(parent), dentry, NULL);
	inode_unlock(d_inode(parent));
	dput(dentry);
	dput(parent);
	revert_creds(old);
	mnt_drop_write(f->f_path.mnt);
	if (!err)
		return;
warn:
	pr_warn_ratelimited("peerdist: cannot delete %pD from the backing directory: %d\n",
			    f, err);
}

static void reap(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&pd_reap_list);
	struct pd_segment *seg, *next;

	llist_for_each_entry_safe(seg, next, list, reap) {
		backing_unlink(seg->data);
		pd_segment_put(seg);	/* the last put, often: here, not in reclaim */
	}
}

/* Lock contract: pd_cache_lock held by the caller, maybe in reclaim: only queues. */
void pd_backing_evicted(struct pd_segment *seg)
{
	if (!seg->backed || seg->keep_file)
		return;
	kref_get(&seg->ref);
	llist_add(&seg->reap, &pd_reap_list);
	queue_work(system_unbound_wq, &pd_reap_work);
}

/*
 * The caller may be anyone: the write is the module's (write_all), so an
 * LSM judges the module, not whoever added a block, and the caller's
 * limits do not apply.
 */
int pd_backing_write(struct pd_segment *seg, const void *buf, size_t len, loff_t pos)
{
	return write_all(seg->data, buf, len, pos);
}

/* Lock contract: seg->lock held, so that bitmap writes do not interleave. */
void pd_backing_block_added(struct pd_segment *seg)
{
	int err;

	lockdep_assert_held(&seg->lock);
	if (!seg->backed)
		return;
	err = write_present(seg->data, &seg->desc, seg->present);
	/*
	 * Not fatal: the block is present in memory; should the bitmap not
	 * reach the file, a reload only lacks that block.
	 */
	if (err)
		pr_warn_ratelimited("peerdist: cannot record a block in %pD\n", seg->data);
}

/* The current directory, with a reference; false for none. */
static bool get_dir(struct path *dir)
{
	mutex_lock(&pd_backing_lock);
	*dir = pd_backing_path;
	if (dir->dentry)
		path_get(dir);
	mutex_unlock(&pd_backing_lock);
	return dir->dentry;
}

struct file *pd_backing_create(struct pd_segment *seg)
{
	const struct pd_segment_desc *d = &seg->desc;
	char name[2 * PD_HASH_MAX + 1];
	const struct cred *old;
	struct pd_segment *dup;
	struct file *f = NULL;
	struct path dir;
	int err;

	/* A segment the module hashes itself has no id before it is sealed. */
	if (!memchr_inv(d->id, 0, d->hash_len) || !get_dir(&dir))
		return NULL;
	/* Indexed already: this copy is only verified and dropped. */
	dup = pd_segment_get(d->id, d->hash_len);
	if (dup) {
		pd_segment_put(dup);
		goto put_dir;
	}
	/* An evicted namesake's deletion must not find our name taken. */
	flush_work(&pd_reap_work);
	file_name(name, d->id, d->hash_len);
	old = override_creds(pd_backing_cred);
	f = file_open_root(&dir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			   O_LARGEFILE | O_NOATIME, 0600);
	revert_creds(old);
	if (IS_ERR(f)) {
		/* EEXIST: a racing add of the same segment has it. */
		if (PTR_ERR(f) != -EEXIST)
			pr_warn_ratelimited("peerdist: cannot create %s in the backing directory (%pe): the segment stays in memory\n",
					    name, f);
		f = NULL;
		goto put_dir;
	}
	err = write_meta(f, d, seg->block_hashes);
	if (err) {
		pr_warn_ratelimited("peerdist: cannot write %pD (%d): the segment stays in memory\n",
				    f, err);
		goto delete_file;
	}
	seg->backed = true;
	goto put_dir;

delete_file:
	backing_unlink(f);
	fput(f);
	f = NULL;
put_dir:
	path_put(&dir);
	return f;
}

void pd_backing_persist(struct pd_segment *seg)
{
	const struct pd_segment_desc *d = &seg->desc;
	struct file *shm = seg->data, *f;
	size_t len;
	loff_t pos;
	void *buf;
	int err = -ENOMEM;
	u32 i;

	if (seg->backed)
		return;
	f = pd_backing_create(seg);
	if (!f)
		return;
	buf = kvmalloc(d->block_size, GFP_KERNEL);
	if (!buf)
		goto delete_file;
	err = 0;
	for_each_set_bit(i, seg->present, d->nblocks) {
		len = pd_block_len(d, i);
		pos = (loff_t)i * d->block_size;
		if (kernel_read(shm, buf, len, &pos) != len) {
			err = -EIO;
			break;
		}
		err = write_all(f, buf, len, (loff_t)i * d->block_size);
		if (err)
			break;
	}
	kvfree(buf);
	err = err ?: write_present(f, d, seg->present);
	if (err)
		goto delete_file;
	seg->data = f;
	fput(shm);
	return;

delete_file:
	pr_warn_ratelimited("peerdist: cannot write %pD (%d): the segment stays in memory\n",
			    f, err);
	seg->backed = false;
	backing_unlink(f);
	fput(f);
}

/* ---- loading what a directory holds ---- */

struct backing_entry {
	struct list_head node;
	unsigned int len;
	u8 id[PD_HASH_MAX];
};

struct backing_scan {
	struct dir_context ctx;
	struct list_head entries;
	unsigned int count;
	int err;
};

/* Collects the names that are segment ids; opening waits for the scan's end. */
static bool scan_entry(struct dir_context *ctx, const char *name, int len,
		       loff_t off, u64 ino, unsigned int type)
{
	struct backing_scan *s = container_of(ctx, struct backing_scan, ctx);
	struct backing_entry *e;

	if ((type != DT_REG && type != DT_UNKNOWN) ||
	    (len != 64 && len != 96 && len != 128))
		return true;
	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		s->err = -ENOMEM;
		return false;
	}
	e->len = len / 2;
	if (hex2bin(e->id, name, e->len)) {
		kfree(e);
		return true;
	}
	list_add_tail(&e->node, &s->entries);
	s->count++;
	return true;
}

static int read_all(struct file *f, void *buf, size_t len, loff_t pos)
{
	ssize_t n = kernel_read(f, buf, len, &pos);

	return n == len ? 0 : n < 0 ? n : -EBADMSG;	/* short: truncated */
}

/* The description in h, for the file named id; -EBADMSG if it is not one. */
static int parse_hdr(const struct pd_backing_hdr *h, const u8 *id,
		     unsigned int len, loff_t size, struct pd_segment_desc *d)
{
	if (memcmp(h->magic, PD_BACKING_MAGIC, sizeof(h->magic)) || h->zero)
		return -EBADMSG;
	d->hash_alg = le32_to_cpu(h->hash_alg);
	d->hash_len = le32_to_cpu(h->hash_len);
	d->size = le32_to_cpu(h->size);
	d->block_size = le32_to_cpu(h->block_size);
	d->nblocks = le32_to_cpu(h->nblocks);
	if (d->hash_len != len || memcmp(h->id, id, len) || !d->block_size ||
	    d->nblocks != DIV_ROUND_UP(d->size, d->block_size) ||
	    !d->nblocks || d->nblocks > PD_MAX_BLOCKS ||
	    hdr_off(d) + sizeof(*h) != size)
		return -EBADMSG;
	memcpy(d->id, h->id, sizeof(d->id));
	memcpy(d->hod, h->hod, sizeof(d->hod));
	memcpy(d->kp, h->kp, sizeof(d->kp));
	return 0;
}

/*
 * Blocks the file calls present whose bytes match their hash; the others
 * are dropped (and counted). True if any was.
 */
static bool verify_blocks(struct file *f, const struct pd_segment_desc *d,
			  const u8 *hashes, const __le64 *words,
			  unsigned long *present, u8 *buf)
{
	u8 got[PD_HASH_MAX];
	bool dropped = false;
	u32 i, len;

	bitmap_zero(present, PD_MAX_BLOCKS);
	for (i = 0; i < d->nblocks; i++) {
		if (!(le64_to_cpu(words[i / 64]) & BIT_ULL(i % 64)))
			continue;
		len = pd_block_len(d, i);
		if (read_all(f, buf, len, (loff_t)i * d->block_size) ||
		    pd_hash(d->hash_alg, buf, len, got) ||
		    memcmp(got, hashes + (size_t)i * d->hash_len, d->hash_len)) {
			pd_counter_add(PD_CNT_VERIFY_FAILURES, 1);
			dropped = true;
			continue;
		}
		set_bit(i, present);
	}
	return dropped;
}

/*
 * Lock contract: pd_backing_switch held (nothing else loads). Indexes the
 * segment whose file in dir is named after id, once verified.
 */
static int load_one(const struct path *dir, const u8 *id, unsigned int len, u8 *buf)
{
	DECLARE_BITMAP(present, PD_MAX_BLOCKS);
	struct pd_segment_desc d = {};
	char name[2 * PD_HASH_MAX + 1];
	struct pd_backing_hdr *h;
	const struct cred *old;
	struct pd_segment *seg;
	u8 *hashes = NULL;
	struct file *f;
	loff_t size;
	int err;

	lockdep_assert_held(&pd_backing_switch);
	/* Kept from before the switch (in memory or a file): already served. */
	seg = pd_segment_get(id, len);
	if (seg) {
		pd_segment_put(seg);
		return 0;
	}
	file_name(name, id, len);
	old = override_creds(pd_backing_cred);
	/* O_NONBLOCK: a fifo put there must not hang the load */
	f = file_open_root(dir, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
			   O_LARGEFILE | O_NOATIME, 0);
	revert_creds(old);
	if (IS_ERR(f))
		return PTR_ERR(f);
	err = -EINVAL;
	if (!S_ISREG(file_inode(f)->i_mode))
		goto put_file;		/* not ours: left alone */
	spin_lock(&f->f_lock);
	f->f_flags &= ~O_NONBLOCK;
	spin_unlock(&f->f_lock);
	err = -ENOMEM;
	h = kmalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		goto put_file;
	size = i_size_read(file_inode(f));
	err = size < sizeof(*h) ? -EBADMSG :
	      read_all(f, h, sizeof(*h), size - sizeof(*h)) ?:
	      parse_hdr(h, id, len, size, &d);
	if (err)
		goto refuse;
	err = -ENOMEM;
	hashes = kvmalloc((size_t)d.nblocks * d.hash_len, GFP_KERNEL);
	if (!hashes)
		goto free_hdr;
	err = read_all(f, hashes, (size_t)d.nblocks * d.hash_len, hashes_off(&d)) ?:
	      pd_segment_check_desc(&d, hashes, (size_t)d.nblocks * d.hash_len);
	if (err)
		goto refuse;
	if (verify_blocks(f, &d, hashes, h->present, present, buf) &&
	    write_present(f, &d, present))
		pr_warn_ratelimited("peerdist: cannot update %pD\n", f);
	err = pd_segment_load(&d, hashes, (size_t)d.nblocks * d.hash_len, f, present);
	if (err)
		goto free_hashes;
	kvfree(hashes);
	kfree(h);
	return 0;

refuse:
	/* A description that does not verify never will: the file goes. */
	if (err == -EBADMSG || err == -EINVAL) {
		pd_counter_add(PD_CNT_VERIFY_FAILURES, 1);
		pr_warn_ratelimited("peerdist: %s in the backing directory fails verification: deleted\n",
				    name);
		backing_unlink(f);
	}
free_hashes:
	kvfree(hashes);
free_hdr:
	kfree(h);
put_file:
	fput(f);
	return err;
}

/* Lock contract: pd_backing_switch held. Indexes every segment dir holds. */
static int load_dir(const struct path *dir)
{
	struct backing_scan scan = { .ctx.actor = scan_entry };
	struct backing_entry *e, *next;
	unsigned int before;
	struct file *f;
	u8 *buf;
	int err;

	lockdep_assert_held(&pd_backing_switch);
	INIT_LIST_HEAD(&scan.entries);
	f = dentry_open(dir, O_RDONLY | O_DIRECTORY, pd_backing_cred);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/* Some filesystems hand out a directory in several passes. */
	do {
		before = scan.count;
		err = iterate_dir(f, &scan.ctx);
	} while (!err && !scan.err && scan.count != before);
	fput(f);
	err = err ?: scan.err;
	/* room for the largest block: V2's is a whole segment */
	buf = err ? NULL : kvmalloc(max_t(size_t, PD_V1_BLOCK_SIZE, PD_V2_MAX_SEGMENT),
				     GFP_KERNEL);
	if (!err && !buf)
		err = -ENOMEM;
	list_for_each_entry_safe(e, next, &scan.entries, node) {
		if (buf)
			load_one(dir, e->id, e->len, buf);
		list_del(&e->node);
		kfree(e);
	}
	kvfree(buf);
	return err;
}

/* ---- /sys/kernel/peerdist/backing_dir ---- */

ssize_t pd_backing_dir_show(char *buf)
{
	ssize_t n;

	mutex_lock(&pd_backing_lock);
	n = sysfs_emit(buf, "%s\n", pd_backing_name ?: "");
	mutex_unlock(&pd_backing_lock);
	return n;
}

/* Refuses a directory that someone other than root could write into. */
static int check_dir(const struct path *p, const char *name)
{
	struct inode *inode = d_inode(p->dentry);
	int err;

	if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID) ||
	    (inode->i_mode & 0022)) {
		pr_warn("peerdist: backing_dir %s refused: it must be owned by root and writable by root only (uid %u, mode %04o)\n",
			name, from_kuid(&init_user_ns, inode->i_uid),
			inode->i_mode & 07777);
		return -EPERM;
	}
	err = mnt_want_write(p->mnt);
	if (err) {
		pr_warn("peerdist: backing_dir %s refused: not writable (%d)\n", name, err);
		return err;
	}
	mnt_drop_write(p->mnt);
	return 0;
}

int pd_backing_dir_set(const char *text, size_t len)
{
	struct path new = {};
	char *name;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len && text[len - 1] == '\n')
		len--;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	name = kstrndup(text, len, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	if (*name) {
		err = -EINVAL;
		if (name[0] != '/')
			goto free_name;
		err = kern_path(name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &new);
		if (err)
			goto free_name;
		err = check_dir(&new, name);
		if (err)
			goto put_path;
	} else {
		kfree(name);
		name = NULL;
	}
	mutex_lock(&pd_backing_switch);
	mutex_lock(&pd_backing_lock);
	swap(pd_backing_path, new);
	swap(pd_backing_name, name);
	mutex_unlock(&pd_backing_lock);
	/*
	 * New segments go to the new directory from here on; those of the
	 * old one (and any made in the new one meanwhile) leave the index,
	 * and whatever the new one holds comes in, verified.
	 */
	pd_cache_unload_backed();
	flush_work(&pd_reap_work);
	err = pd_backing_path.dentry ? load_dir(&pd_backing_path) : 0;
	mutex_unlock(&pd_backing_switch);
put_path:
	path_put(&new);		/* the old directory's, after a switch */
free_name:
	kfree(name);
	return err;
}

int pd_backing_init(void)
{
	pd_backing_cred = prepare_kernel_cred(&init_task);
	return pd_backing_cred ? 0 : -ENOMEM;
}

/* The files stay: the point of a persistent cache. */
void pd_backing_exit(void)
{
	pd_cache_unload_backed();
	flush_work(&pd_reap_work);
	path_put(&pd_backing_path);
	kfree(pd_backing_name);
	put_cred(pd_backing_cred);
}
