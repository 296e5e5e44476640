// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The client's side: content opened by tag, its content information added
 * in pieces and checked at completion, data added from elsewhere (verified
 * block by block before it is kept), reads (read_engine.c), flush, cancel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "keys.h"

#define MAX_CI_BYTES	(512u << 20)	/* content information of ~1 TiB */
#define MAX_PARTIALS	64		/* blocks AddData holds part of */

/* A block AddData has some bytes of: kept until it is whole. */
struct pd_partial {
	struct pd_partial *next;
	uint32_t seg, block, len, have;
	uint8_t *filled;	/* one byte per byte: simple, bounded by MAX_PARTIALS */
	uint8_t data[];
};

static void free_partials(struct pd_content *c)
{
	struct pd_partial *p;

	while ((p = c->partials)) {
		c->partials = p->next;
		free(p->filled);
		free(p);
	}
	c->npartials = 0;
}

static void content_destroy(struct pd_object *obj)
{
	struct pd_content *c = (struct pd_content *)obj;

	free_partials(c);
	free(c->first_block);
	free(c->brought);
	if (c->content_fd >= 0)
		close(c->content_fd);
	pd_ci_free(c->ci);
	free(c->ids);
	free(c->ci_bytes);
	pthread_mutex_destroy(&c->lock);
	pd_handle_put(&c->child.inst->obj);
	free(c);
}

static struct pd_content *get_content(PEERDIST_INSTANCE_HANDLE hPeerDist,
				      PEERDIST_CONTENT_HANDLE h,
				      struct pd_instance **inst)
{
	return (struct pd_content *)pd_child_lookup(hPeerDist, h, PD_H_CONTENT, inst);
}

PD_EXPORT DWORD WINAPI PeerDistClientOpenContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	const PEERDIST_CONTENT_TAG *pContentTag, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, PPEERDIST_CONTENT_HANDLE phContentHandle)
{
	struct pd_instance *inst;
	struct pd_content *c;

	if (!pContentTag || !phContentHandle ||
	    (hCompletionPort && !pd_port_valid(hCompletionPort)))
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	c = calloc(1, sizeof(*c));
	if (!c) {
		pd_handle_put(&inst->obj);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->tag = *pContentTag;
	c->content_fd = -1;
	*phContentHandle = pd_child_add(inst, &c->child, PD_H_CONTENT,
					hCompletionPort, ulCompletionKey,
					content_destroy);
	pd_handle_put(&inst->obj);
	return *phContentHandle ? ERROR_SUCCESS : PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
}

PD_EXPORT DWORD WINAPI PeerDistClientCloseContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle)
{
	/* Pending reads end with ERROR_OPERATION_ABORTED before it returns. */
	return pd_child_close_handle(hPeerDist, hContentHandle, PD_H_CONTENT);
}

/* The operations below run under c->lock through run_content_op(). */
typedef DWORD (*content_op_fn)(struct pd_instance *inst, struct pd_content *c,
			       const BYTE *buf, DWORD n, LPOVERLAPPED ov);

/* Runs op on the content under its lock, then completes ov with the status
 * (and n bytes on success), as the asynchronous API promises. */
static DWORD run_content_op(PEERDIST_INSTANCE_HANDLE hPeerDist,
			    PEERDIST_CONTENT_HANDLE h, const BYTE *buf,
			    DWORD n, LPOVERLAPPED ov, content_op_fn op)
{
	struct pd_instance *inst;
	struct pd_content *c;
	DWORD status;

	c = get_content(hPeerDist, h, &inst);
	if (!c)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&c->lock);
	status = op(inst, c, buf, n, ov);
	pthread_mutex_unlock(&c->lock);
	pd_complete_now(ov, status, status ? 0 : n, c->child.port, c->child.key);
	pd_child_done(inst, &c->child);
	return ERROR_IO_PENDING;
}

static DWORD append_ci(struct pd_instance *inst, struct pd_content *c,
		       const BYTE *buf, DWORD n, LPOVERLAPPED ov)
{
	uint8_t *b;

	if (c->ci)
		return PEERDIST_ERROR_ALREADY_COMPLETED;
	if (c->ci_len + n > MAX_CI_BYTES)
		return ERROR_INVALID_PARAMETER;
	b = realloc(c->ci_bytes, c->ci_len + n + 1);
	if (!b)
		return ERROR_NOT_ENOUGH_MEMORY;
	memcpy(b + c->ci_len, buf, n);
	c->ci_bytes = b;
	c->ci_len += n;
	return ERROR_SUCCESS;
}

PD_EXPORT DWORD WINAPI PeerDistClientAddContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped)
{
	/* Offset and OffsetHigh are reserved: zero. */
	if (!lpOverlapped || !pBuffer || !cbNumberOfBytes ||
	    lpOverlapped->Offset || lpOverlapped->OffsetHigh)
		return ERROR_INVALID_PARAMETER;
	return run_content_op(hPeerDist, hContentHandle, pBuffer, cbNumberOfBytes,
			      lpOverlapped, append_ci);
}

/* Parses the content information and registers its segments. */
static DWORD complete_ci(struct pd_instance *inst, struct pd_content *c,
			 const BYTE *buf, DWORD n, LPOVERLAPPED ov)
{
	struct pd_store *st = inst->store;
	struct pd_segment_desc d;
	struct pd_ci *ci;
	uint32_t s;
	int err;

	if (c->ci)
		return PEERDIST_ERROR_ALREADY_COMPLETED;
	err = pd_ci_parse(c->ci_bytes, c->ci_len, &ci, NULL);
	if (err)
		return pd_ci_err_is_version(err) ?
			PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED :
			PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO;
	c->ids = calloc(ci->nsegments ? ci->nsegments : 1, sizeof(*c->ids));
	if (!c->ids || pd_engine_track(c, ci)) {
		free(c->ids);
		c->ids = NULL;
		pd_ci_free(ci);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	for (s = 0; s < ci->nsegments; s++) {
		pd_segment_desc_from_ci(ci, s, &d);
		memcpy(c->ids[s], d.id, d.hash_len);
		/* Refused only if inconsistent: content info that lies about
		 * its own hashes cannot be used. */
		err = st->ops->add_segment(st, &d);
		if (!err)
			err = st->ops->tag_segment(st, c->tag.Data, d.id, d.hash_len);
		if (err) {
			pd_ci_free(ci);
			free(c->ids);
			c->ids = NULL;
			return err == -EBADMSG || err == -EINVAL ?
				PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO :
				pd_errno_to_win32(err);
		}
	}
	free(c->ci_bytes);
	c->ci_bytes = NULL;
	c->ci_len = 0;
	c->range = pd_ci_range(ci);
	c->stream_pos = c->range.start;
	/* Reads go through one fd where the store offers it, else per block. */
	if (st->ops->open_content)
		c->content_fd = st->ops->open_content(st, ci, c->ids);
	/* Published last: the read engine looks at c->ci without the lock. */
	__atomic_store_n(&c->ci, ci, __ATOMIC_RELEASE);
	return ERROR_SUCCESS;
}

PD_EXPORT DWORD WINAPI PeerDistClientCompleteContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED lpOverlapped)
{
	if (!lpOverlapped)
		return ERROR_INVALID_PARAMETER;
	return run_content_op(hPeerDist, hContentHandle, NULL, 0, lpOverlapped,
			      complete_ci);
}

/* Stores whole blocks b.. of segment s; re-registers the segment if it
 * was evicted meanwhile. */
static int put_blocks(struct pd_instance *inst, struct pd_content *c,
		      uint32_t s, uint32_t b, uint32_t n, const uint8_t *data,
		      size_t len)
{
	struct pd_store *st = inst->store;
	struct pd_segment_desc d;
	int err;

	err = st->ops->put_blocks(st, c->ids[s], c->ci->hash_len, b, n, data, len);
	if (err == -ENOENT) {
		pd_segment_desc_from_ci(c->ci, s, &d);
		err = st->ops->add_segment(st, &d);
		if (!err)
			err = st->ops->put_blocks(st, d.id, d.hash_len, b, n, data, len);
	}
	if (!err) {
		/* What callers add is what they fetched from the origin (the
		 * MissingDataRequest answers of MS-PCCRTP): counted once verified. */
		pd_store_count(st, PD_COUNT_FETCHED_FROM_ORIGINS, len);
		pd_engine_brought(c, s, b, n);
		pd_engine_added(inst->engine, c, s, n);
	}
	return err;
}

/* Lock contract: c->lock held. The partial block (s, b), made if need be. */
static struct pd_partial *partial_for(struct pd_content *c, uint32_t s,
				      uint32_t b, uint32_t len)
{
	struct pd_partial *p;

	for (p = c->partials; p; p = p->next)
		if (p->seg == s && p->block == b)
			return p;
	if (c->npartials >= MAX_PARTIALS)
		return NULL;
	p = calloc(1, sizeof(*p) + len);
	if (!p)
		return NULL;
	p->filled = calloc(1, len);
	if (!p->filled) {
		free(p);
		return NULL;
	}
	p->seg = s;
	p->block = b;
	p->len = len;
	p->next = c->partials;
	c->partials = p;
	c->npartials++;
	return p;
}

/* Lock contract: c->lock held. */
static void drop_partial(struct pd_content *c, struct pd_partial *victim)
{
	struct pd_partial **p;

	for (p = &c->partials; *p; p = &(*p)->next) {
		if (*p == victim) {
			*p = victim->next;
			free(victim->filled);
			free(victim);
			c->npartials--;
			return;
		}
	}
}

/* Lock contract: c->lock held. Adds part of a block from data (at off). */
static int add_partial(struct pd_instance *inst, struct pd_content *c,
		       uint32_t s, uint32_t b, struct pd_range span,
		       uint64_t from, uint64_t to, const uint8_t *data, uint64_t off)
{
	struct pd_partial *p = partial_for(c, s, b, span.end - span.start);
	uint64_t i;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (i = from; i < to; i++) {
		p->data[i - span.start] = data[i - off];
		p->have += !p->filled[i - span.start];
		p->filled[i - span.start] = 1;
	}
	if (p->have == p->len) {
		err = put_blocks(inst, c, s, b, 1, p->data, p->len);
		drop_partial(c, p);
	}
	return err;
}

/* Lock contract: c->lock held. Adds data[0..n) at content offset off:
 * runs of whole blocks of a segment go to the store together. */
static DWORD add_data(struct pd_instance *inst, struct pd_content *c,
		      const BYTE *data, DWORD n, LPOVERLAPPED ov)
{
	uint64_t off = pd_ov_offset(ov), end = off + n, pos = off;
	uint32_t s, b, k;
	int err;

	if (!c->ci)
		return PEERDIST_ERROR_NOT_INITIALIZED;
	/* Bytes outside the described segments cannot be verified: ignored. */
	while (pos < end) {
		struct pd_range span;

		if (pd_content_locate(c, pos, &s, &b)) {
			pos++;
			continue;
		}
		span = pd_ci_block_span(c->ci, s, b);
		if (pos != span.start || end < span.end) {
			uint64_t to = end < span.end ? end : span.end;

			err = add_partial(inst, c, s, b, span, pos, to, data, off);
			pos = to;
		} else {
			for (k = 1; b + k < c->ci->segments[s].nblocks &&
				    pd_ci_block_span(c->ci, s, b + k).end <= end; k++)
				;
			span.end = pd_ci_block_span(c->ci, s, b + k - 1).end;
			err = put_blocks(inst, c, s, b, k, data + (pos - off),
					 span.end - pos);
			pos = span.end;
		}
		if (err)
			return err == -EBADMSG ? ERROR_INVALID_DATA : pd_errno_to_win32(err);
	}
	return ERROR_SUCCESS;
}

PD_EXPORT DWORD WINAPI PeerDistClientAddData(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped)
{
	if (!lpOverlapped || !pBuffer || !cbNumberOfBytes)
		return ERROR_INVALID_PARAMETER;
	return run_content_op(hPeerDist, hContentHandle, pBuffer, cbNumberOfBytes,
			      lpOverlapped, add_data);
}

static DWORD client_read(PEERDIST_INSTANCE_HANDLE hPeerDist,
			 PEERDIST_CONTENT_HANDLE h, DWORD cb, PBYTE buf,
			 DWORD timeout, LPOVERLAPPED ov, int stream)
{
	struct pd_instance *inst;
	struct pd_content *c;
	DWORD ret;

	if (!ov || (cb && !buf))
		return ERROR_INVALID_PARAMETER;
	c = get_content(hPeerDist, h, &inst);
	if (!c)
		return ERROR_INVALID_HANDLE;
	ret = pd_engine_read(inst->engine, c, stream, cb, buf, timeout, ov);
	pd_child_done(inst, &c->child);
	return ret;
}

PD_EXPORT DWORD WINAPI PeerDistClientBlockRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped)
{
	return client_read(hPeerDist, hContentHandle, cbMaxNumberOfBytes, pBuffer,
			   dwTimeoutInMilliseconds, lpOverlapped, 0);
}

PD_EXPORT DWORD WINAPI PeerDistClientStreamRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped)
{
	return client_read(hPeerDist, hContentHandle, cbMaxNumberOfBytes, pBuffer,
			   dwTimeoutInMilliseconds, lpOverlapped, 1);
}

PD_EXPORT DWORD WINAPI PeerDistClientFlushContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	const PEERDIST_CONTENT_TAG *pContentTag, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped)
{
	struct pd_instance *inst;
	int err;

	if (!pContentTag || !lpOverlapped ||
	    (hCompletionPort && !pd_port_valid(hCompletionPort)))
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	err = inst->store->ops->flush_tag(inst->store, pContentTag->Data);
	if (err == -ENOENT)
		err = 0;	/* nothing had the tag: flushed, as on Windows */
	pd_complete_now(lpOverlapped, pd_errno_to_win32(err), 0, hCompletionPort,
			ulCompletionKey);
	pd_handle_put(&inst->obj);
	return ERROR_IO_PENDING;
}

PD_EXPORT DWORD WINAPI PeerDistClientCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED pOverlapped)
{
	struct pd_instance *inst;
	struct pd_content *c;
	int found;

	c = get_content(hPeerDist, hContentHandle, &inst);
	if (!c)
		return ERROR_INVALID_HANDLE;
	found = pd_engine_cancel(inst->engine, c, pOverlapped);
	pd_child_done(inst, &c->child);
	return found || !pOverlapped ? ERROR_SUCCESS : PEERDIST_ERROR_OPERATION_NOTFOUND;
}

PD_EXPORT DWORD WINAPI PeerDistClientGetInformationByHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle,
	PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS PeerDistClientInfoClass,
	DWORD dwBufferSize, LPVOID lpInformation)
{
	PEERDIST_CLIENT_BASIC_INFO *info = lpInformation;
	struct pd_instance *inst;
	struct pd_content *c;

	if (PeerDistClientInfoClass != PeerDistClientBasicInfo || !lpInformation)
		return ERROR_INVALID_PARAMETER;
	if (dwBufferSize < sizeof(*info))
		return ERROR_INSUFFICIENT_BUFFER;
	c = get_content(hPeerDist, hContentHandle, &inst);
	if (!c)
		return ERROR_INVALID_HANDLE;
	/* Flash crowds (many local clients on one content) are detected by
	 * the peer service, which does not exist yet: never one here. */
	info->fFlashCrowd = FALSE;
	pd_child_done(inst, &c->child);
	return ERROR_SUCCESS;
}
