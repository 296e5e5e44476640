// SPDX-License-Identifier: GPL-2.0-only
/*
 * MS-PCCRR block encryption in the kernel (the encrypt-block netlink
 * operation): a block as MSG_BLK carries it, AES-CBC with the first 16,
 * 24 or 32 bytes of the segment secret Kp as the key (CryptoAlgoId 1, 2,
 * 3), the block zero-padded to a multiple of 16, the IV the caller chose.
 * So the service that serves peers the segments other users added never
 * holds their Kp: it names a block and gets its ciphertext.
 */
#include <crypto/skcipher.h>
#include <linux/cpumask.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "encrypt.h"

static void free_slots(struct pd_cipher_slot *slots, unsigned int n)
{
	while (n--) {
		crypto_free_sync_skcipher(slots[n].tfm);
		mutex_destroy(&slots[n].lock);
	}
	kfree(slots);
}

int pd_cipher_init(struct pd_cipher *c)
{
	unsigned int want = min_t(unsigned int, num_possible_cpus(), PD_CIPHER_SLOTS_MAX);
	struct pd_cipher_slot *slots = kcalloc(want, sizeof(*slots), GFP_KERNEL);
	struct crypto_sync_skcipher *tfm;
	unsigned int n;
	int err = -ENOMEM;

	c->slots = NULL;
	c->n = 0;
	if (!slots)
		return err;
	for (n = 0; n < want; n++) {
		tfm = crypto_alloc_sync_skcipher("cbc(aes)", 0, 0);
		if (IS_ERR(tfm)) {
			err = PTR_ERR(tfm) == -ENOMEM ? -ENOMEM : -ENOENT;
			goto free_slots;
		}
		slots[n].tfm = tfm;
		mutex_init(&slots[n].lock);
	}
	c->slots = slots;
	c->n = n;
	return 0;

free_slots:
	free_slots(slots, n);
	return err;
}

void pd_cipher_exit(struct pd_cipher *c)
{
	free_slots(c->slots, c->n);
	c->slots = NULL;
	c->n = 0;
}

int pd_cipher_encrypt(struct pd_cipher *c, const u8 *key, unsigned int key_len,
		      const u8 iv[PD_IV_SIZE], struct kvec *in, unsigned int n)
{
	struct scatterlist sg[PD_CIPHERTEXT_PIECES];
	u8 chain[PD_IV_SIZE];	/* CBC leaves the last ciphertext block here */
	struct pd_cipher_slot *slot;
	unsigned int i, len = 0;
	int err;

	if (!c->n)
		return -EOPNOTSUPP;
	if (!n || n > ARRAY_SIZE(sg))
		return -EINVAL;
	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		if (in[i].iov_len % PD_CIPHER_BLOCK)
			return -EINVAL;
		sg_set_buf(&sg[i], in[i].iov_base, in[i].iov_len);
		len += in[i].iov_len;
	}
	memcpy(chain, iv, PD_IV_SIZE);
	/*
	 * The slot of the CPU this runs on: moving to another CPU after the
	 * choice only shares a slot, whose lock keeps the key of one use.
	 */
	slot = &c->slots[raw_smp_processor_id() % c->n];
	mutex_lock(&slot->lock);
	err = crypto_sync_skcipher_setkey(slot->tfm, key, key_len);
	if (!err) {
		SYNC_SKCIPHER_REQUEST_ON_STACK(req, slot->tfm);

		skcipher_request_set_sync_tfm(req, slot->tfm);
		skcipher_request_set_callback(req, 0, NULL, NULL);
		skcipher_request_set_crypt(req, sg, sg, len, chain);
		err = crypto_skcipher_encrypt(req);
		skcipher_request_zero(req);
	}
	mutex_unlock(&slot->lock);
	return err;
}

/* Reads len bytes of seg at pos into out (n buffers); -ENODATA if absent. */
static int read_block(struct pd_segment *seg, loff_t pos, size_t len,
		      struct kvec *out, unsigned int n)
{
	struct iov_iter to;
	ssize_t got;

	iov_iter_kvec(&to, READ, out, n, len);
	while (iov_iter_count(&to)) {
		got = pd_segment_read(seg, pos, &to);
		if (got <= 0)
			return got ? got : -EIO;
		pos += got;
	}
	return 0;
}

int pd_segment_encrypt_block(struct pd_cipher *c, struct pd_segment *seg, u32 index,
			     unsigned int key_len, const u8 iv[PD_IV_SIZE],
			     struct kvec *out, unsigned int n)
{
	const struct pd_segment_desc *d = &seg->desc;
	size_t len, padded, total = 0, at = 0, skip;
	unsigned int i;
	int err;

	if (index >= d->nblocks || key_len > d->hash_len)
		return -EINVAL;
	len = pd_block_len(d, index);
	padded = pd_padded_len(len);
	for (i = 0; i < n; i++)
		total += out[i].iov_len;
	if (total != padded)
		return -EINVAL;
	err = read_block(seg, (loff_t)index * d->block_size, len, out, n);
	if (err)
		return err;
	for (i = 0; i < n; at += out[i++].iov_len) {	/* the padding: zeroes */
		skip = len > at ? len - at : 0;
		if (skip < out[i].iov_len)
			memset(out[i].iov_base + skip, 0, out[i].iov_len - skip);
	}
	return pd_cipher_encrypt(c, d->kp, key_len, iv, out, n);
}
