// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The publisher's side: streams that are hashed as their bytes arrive (V1
 * and V2 at once) and land in the store, publications per user, and the
 * content information of a range of published content, handed out in
 * pieces. These operations finish within the call; they complete through
 * the OVERLAPPED all the same, as the API promises.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "fileio.h"
#include "keys.h"
#include "pccrc_gen.h"
#include "secret.h"

#define MAX_IDENTIFIER	(64u << 10)

struct pd_stream {
	struct pd_child child;
	pthread_mutex_t lock;
	struct pd_gen *gen[2];	/* V1, V2 */
	int data_fd;		/* the bytes, unlinked temporary file */
	uint64_t declared;	/* 0: unknown */
	uint64_t added;
	int completed;
	size_t ident_len;
	uint8_t ident[];
};

struct pd_contentinfo {
	struct pd_child child;
	pthread_mutex_t lock;
	size_t pos;		/* where the next retrieval starts (under lock) */
	size_t len;
	uint8_t bytes[];
};

static void stream_destroy(struct pd_object *obj)
{
	struct pd_stream *st = (struct pd_stream *)obj;

	pd_gen_free(st->gen[0]);
	pd_gen_free(st->gen[1]);
	if (st->data_fd >= 0)
		close(st->data_fd);
	pthread_mutex_destroy(&st->lock);
	pd_handle_put(&st->child.inst->obj);
	free(st);
}

static int make_generators(struct pd_stream *st)
{
	struct pd_gen_opts o[2] = {
		{ .version = 1, .hash_alg = PD_HASH_SHA256 },
		{ .version = 2 },
	};
	struct pd_secret secret;
	int err, i;

	err = pd_secret_load(pd_secret_default_path(), 1, &secret);
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		pd_key_ks(o[i].version, secret.bytes, secret.len, o[i].ks);
		st->gen[i] = pd_gen_new(&o[i]);
		if (!st->gen[i])
			err = -ENOMEM;
	}
	memset(&secret, 0, sizeof(secret));
	return err;
}

static int is_published(struct pd_instance *inst, const BYTE *id, DWORD len)
{
	uint8_t *ci;
	size_t n;

	if (inst->store->ops->lookup(inst->store, geteuid(), id, len, 1, &ci, &n))
		return 0;
	free(ci);
	return 1;
}

PD_EXPORT DWORD WINAPI PeerDistServerPublishStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG cbContentLength,
	const PEERDIST_PUBLICATION_OPTIONS *pPublishOptions,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_STREAM_HANDLE phStream)
{
	struct pd_instance *inst;
	struct pd_stream *st;
	DWORD ret = ERROR_SUCCESS;

	if (!cbContentIdentifier || cbContentIdentifier > MAX_IDENTIFIER ||
	    !pContentIdentifier || !phStream ||
	    (pPublishOptions && (pPublishOptions->dwVersion < PEERDIST_PUBLICATION_OPTIONS_VERSION_1 ||
				 pPublishOptions->dwVersion > PEERDIST_PUBLICATION_OPTIONS_VERSION_2)) ||
	    (hCompletionPort && !pd_port_valid(hCompletionPort)))
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	if (is_published(inst, pContentIdentifier, cbContentIdentifier)) {
		pd_handle_put(&inst->obj);
		return PEERDIST_ERROR_ALREADY_EXISTS;
	}
	st = calloc(1, sizeof(*st) + cbContentIdentifier);
	if (!st) {
		pd_handle_put(&inst->obj);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	pthread_mutex_init(&st->lock, NULL);
	st->declared = cbContentLength;
	st->ident_len = cbContentIdentifier;
	memcpy(st->ident, pContentIdentifier, cbContentIdentifier);
	st->data_fd = pd_open_temp();	/* the bytes until they are in the store */
	if (st->data_fd < 0 || make_generators(st))
		ret = PEERDIST_ERROR_SERVICE_UNAVAILABLE;
	if (!ret) {
		*phStream = pd_child_add(inst, &st->child, PD_H_STREAM,
					 hCompletionPort, ulCompletionKey,
					 stream_destroy);
		st = NULL;	/* the handle owns it now, or destroyed it */
		if (!*phStream)
			ret = PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
	}
	if (st) {
		st->child.inst = inst;
		pd_handle_ref(&inst->obj);
		stream_destroy(&st->child.obj);
	}
	pd_handle_put(&inst->obj);
	return ret;
}

static struct pd_stream *get_stream(PEERDIST_INSTANCE_HANDLE hPeerDist,
				    PEERDIST_STREAM_HANDLE h,
				    struct pd_instance **inst)
{
	return (struct pd_stream *)pd_child_lookup(hPeerDist, h, PD_H_STREAM, inst);
}

static DWORD add_to_stream(struct pd_stream *st, const BYTE *buf, DWORD n)
{
	if (st->completed)
		return PEERDIST_ERROR_ALREADY_COMPLETED;
	if (st->declared && st->added + n > st->declared)
		return ERROR_INVALID_PARAMETER;
	if (pd_pwrite_full(st->data_fd, buf, n, st->added))
		return ERROR_NOT_ENOUGH_MEMORY;	/* no room for the bytes */
	if (pd_gen_update(st->gen[0], buf, n) || pd_gen_update(st->gen[1], buf, n))
		return ERROR_NOT_ENOUGH_MEMORY;
	st->added += n;
	return ERROR_SUCCESS;
}

PD_EXPORT DWORD WINAPI PeerDistServerPublishAddToStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped)
{
	struct pd_instance *inst;
	struct pd_stream *st;
	DWORD status;

	if (!lpOverlapped || (cbNumberOfBytes && !pBuffer))
		return ERROR_INVALID_PARAMETER;
	st = get_stream(hPeerDist, hStream, &inst);
	if (!st)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&st->lock);
	status = add_to_stream(st, pBuffer, cbNumberOfBytes);
	pthread_mutex_unlock(&st->lock);
	pd_complete_now(lpOverlapped, status, status ? 0 : cbNumberOfBytes,
			st->child.port, st->child.key);
	pd_child_done(inst, &st->child);
	return ERROR_IO_PENDING;
}

#define STORE_BATCH	16	/* blocks read and stored together */

/* Every segment of ci, with its bytes from the stream's data file. */
static int store_segments(struct pd_store *store, const struct pd_ci *ci,
			  int data_fd)
{
	size_t cap = STORE_BATCH * (size_t)(PD_V2_MAX_SEGMENT > PD_BLOCK_SIZE ?
					    PD_V2_MAX_SEGMENT : PD_BLOCK_SIZE);
	uint8_t *buf = malloc(cap);
	struct pd_segment_desc d;
	uint32_t s, b, n;
	int err = buf ? 0 : -ENOMEM;

	for (s = 0; !err && s < ci->nsegments; s++) {
		pd_segment_desc_from_ci(ci, s, &d);
		err = store->ops->add_segment(store, &d);
		for (b = 0; !err && b < d.nblocks; b += n) {
			uint64_t start = pd_ci_block_span(ci, s, b).start, end;

			n = d.nblocks - b < STORE_BATCH ? d.nblocks - b : STORE_BATCH;
			end = pd_ci_block_span(ci, s, b + n - 1).end;
			if (pread(data_fd, buf, end - start, start) != (ssize_t)(end - start))
				err = -EIO;
			else
				err = store->ops->put_blocks(store, d.id, d.hash_len,
							     b, n, buf, end - start);
		}
	}
	free(buf);
	return err;
}

static uint8_t *encode_ci(const struct pd_ci *ci, size_t *len)
{
	uint8_t *buf;

	*len = pd_ci_encoded_size(ci);
	buf = malloc(*len);
	if (buf && pd_ci_encode(ci, buf, *len) != (long)*len) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static DWORD complete_stream(struct pd_instance *inst, struct pd_stream *st)
{
	struct pd_ci *ci[2] = { NULL, NULL };
	uint8_t *bytes[2] = { NULL, NULL };
	size_t len[2];
	struct pd_publication *pub;
	DWORD status = ERROR_SUCCESS;
	int i, err = 0;

	if (st->completed)
		return PEERDIST_ERROR_ALREADY_COMPLETED;
	if (st->declared && st->added != st->declared)
		return ERROR_INVALID_PARAMETER;	/* fewer bytes than declared */
	for (i = 0; i < 2 && !err; i++) {
		err = pd_gen_final(st->gen[i], &ci[i]);
		if (!err)
			err = store_segments(inst->store, ci[i], st->data_fd);
		if (!err && !(bytes[i] = encode_ci(ci[i], &len[i])))
			err = -ENOMEM;
	}
	if (!err)
		err = inst->store->ops->publish(inst->store, geteuid(), st->ident,
						st->ident_len, bytes[0], len[0],
						bytes[1], len[1]);
	if (!err) {
		pub = malloc(sizeof(*pub) + st->ident_len);
		if (pub) {
			pub->len = st->ident_len;
			memcpy(pub->ident, st->ident, st->ident_len);
			pthread_mutex_lock(&inst->lock);
			pub->next = inst->pubs;
			inst->pubs = pub;
			pthread_mutex_unlock(&inst->lock);
		}
		st->completed = 1;
	} else {
		status = pd_errno_to_win32(err);
	}
	for (i = 0; i < 2; i++) {
		pd_ci_free(ci[i]);
		free(bytes[i]);
	}
	return status;
}

PD_EXPORT DWORD WINAPI PeerDistServerPublishCompleteStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream, LPOVERLAPPED lpOverlapped)
{
	struct pd_instance *inst;
	struct pd_stream *st;
	DWORD status;

	if (!lpOverlapped)
		return ERROR_INVALID_PARAMETER;
	st = get_stream(hPeerDist, hStream, &inst);
	if (!st)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&st->lock);
	status = complete_stream(inst, st);
	pthread_mutex_unlock(&st->lock);
	pd_complete_now(lpOverlapped, status, 0, st->child.port, st->child.key);
	pd_child_done(inst, &st->child);
	return ERROR_IO_PENDING;
}

PD_EXPORT DWORD WINAPI PeerDistServerCloseStreamHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream)
{
	return pd_child_close_handle(hPeerDist, hStream, PD_H_STREAM);
}

PD_EXPORT DWORD WINAPI PeerDistServerUnpublish(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier)
{
	struct pd_publication **p, *pub;
	struct pd_instance *inst;

	if (!cbContentIdentifier || cbContentIdentifier > MAX_IDENTIFIER ||
	    !pContentIdentifier)
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	inst->store->ops->unpublish(inst->store, geteuid(), pContentIdentifier,
				    cbContentIdentifier);
	pthread_mutex_lock(&inst->lock);
	for (p = &inst->pubs; (pub = *p); p = &pub->next) {
		if (pub->len == cbContentIdentifier &&
		    !memcmp(pub->ident, pContentIdentifier, pub->len)) {
			*p = pub->next;
			free(pub);
			break;
		}
	}
	pthread_mutex_unlock(&inst->lock);
	pd_handle_put(&inst->obj);
	return ERROR_SUCCESS;
}

/* ---- content information of published content ---- */

static void contentinfo_destroy(struct pd_object *obj)
{
	struct pd_contentinfo *ci = (struct pd_contentinfo *)obj;

	pthread_mutex_destroy(&ci->lock);
	pd_handle_put(&ci->child.inst->obj);
	free(ci);
}

/* The encoded content information of [offset, offset + length). */
static DWORD range_ci(struct pd_instance *inst, const BYTE *id, DWORD idlen,
		      unsigned version, uint64_t offset, uint64_t length,
		      struct pd_contentinfo **out)
{
	struct pd_ci *whole = NULL, *sub = NULL;
	uint8_t *bytes;
	size_t len;
	DWORD ret = ERROR_SUCCESS;
	int err;

	err = inst->store->ops->lookup(inst->store, geteuid(), id, idlen,
				       version, &bytes, &len);
	if (err)
		return err == -ENOENT ? ERROR_NOT_FOUND : pd_errno_to_win32(err);
	if (pd_ci_parse(bytes, len, &whole, NULL))
		ret = PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO;
	free(bytes);
	if (!ret && pd_ci_subrange(whole, offset, length, &sub))
		ret = PEERDIST_ERROR_OUT_OF_BOUNDS;
	if (!ret) {
		len = pd_ci_encoded_size(sub);
		*out = calloc(1, sizeof(**out) + len);
		if (!*out)
			ret = ERROR_NOT_ENOUGH_MEMORY;
	}
	if (!ret) {
		pthread_mutex_init(&(*out)->lock, NULL);
		(*out)->len = len;
		pd_ci_encode(sub, (*out)->bytes, len);
	}
	pd_ci_free(whole);
	pd_ci_free(sub);
	return ret;
}

static DWORD open_ci(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD idlen,
		     const BYTE *id, ULONGLONG offset, ULONGLONG length,
		     unsigned version, HANDLE port, ULONG_PTR key,
		     PPEERDIST_CONTENTINFO_HANDLE out)
{
	struct pd_contentinfo *ci = NULL;
	struct pd_instance *inst;
	DWORD ret;

	if (!idlen || idlen > MAX_IDENTIFIER || !id || !out ||
	    (port && !pd_port_valid(port)))
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	ret = range_ci(inst, id, idlen, version, offset, length, &ci);
	if (!ret) {
		*out = pd_child_add(inst, &ci->child, PD_H_CONTENTINFO, port, key,
				    contentinfo_destroy);
		if (!*out)
			ret = PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
	}
	pd_handle_put(&inst->obj);
	return ret;
}

PD_EXPORT DWORD WINAPI PeerDistServerOpenContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_CONTENTINFO_HANDLE phContentInfo)
{
	return open_ci(hPeerDist, cbContentIdentifier, pContentIdentifier,
		       ullContentOffset, cbContentLength, 1, hCompletionPort,
		       ulCompletionKey, phContentInfo);
}

PD_EXPORT DWORD WINAPI PeerDistServerOpenContentInformationEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
	PEERDIST_RETRIEVAL_OPTIONS *pRetrievalOptions,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_CONTENTINFO_HANDLE phContentInfo)
{
	DWORD lo, hi;

	if (!pRetrievalOptions || pRetrievalOptions->cbSize < sizeof(*pRetrievalOptions))
		return ERROR_INVALID_PARAMETER;
	lo = pRetrievalOptions->dwContentInfoMinVersion;
	hi = pRetrievalOptions->dwContentInfoMaxVersion;
	if (lo > hi || lo < PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1)
		return ERROR_INVALID_PARAMETER;
	if (lo > PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2)
		return PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED;
	/* The newest version the caller accepts. */
	return open_ci(hPeerDist, cbContentIdentifier, pContentIdentifier,
		       ullContentOffset, cbContentLength,
		       hi >= PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2 ? 2 : 1,
		       hCompletionPort, ulCompletionKey, phContentInfo);
}

/*
 * The offset is kept per handle (the OVERLAPPED's Offset fields are
 * reserved, zero); at the end the call itself returns NO_MORE.
 */
PD_EXPORT DWORD WINAPI PeerDistServerRetrieveContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENTINFO_HANDLE hContentInfo, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, LPOVERLAPPED lpOverlapped)
{
	struct pd_contentinfo *ci;
	struct pd_instance *inst;
	DWORD n = 0, ret = ERROR_IO_PENDING;

	if (!lpOverlapped || !pBuffer || !cbMaxNumberOfBytes ||
	    lpOverlapped->Offset || lpOverlapped->OffsetHigh)
		return ERROR_INVALID_PARAMETER;
	ci = (struct pd_contentinfo *)pd_child_lookup(hPeerDist, hContentInfo,
						      PD_H_CONTENTINFO, &inst);
	if (!ci)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&ci->lock);
	if (ci->pos >= ci->len) {
		ret = PEERDIST_ERROR_NO_MORE;
	} else {
		n = ci->len - ci->pos < cbMaxNumberOfBytes ? ci->len - ci->pos :
							     cbMaxNumberOfBytes;
		memcpy(pBuffer, ci->bytes + ci->pos, n);
		ci->pos += n;
	}
	pthread_mutex_unlock(&ci->lock);
	if (ret == ERROR_IO_PENDING)
		pd_complete_now(lpOverlapped, ERROR_SUCCESS, n, ci->child.port,
				ci->child.key);
	pd_child_done(inst, &ci->child);
	return ret;
}

PD_EXPORT DWORD WINAPI PeerDistServerCloseContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENTINFO_HANDLE hContentInfo)
{
	return pd_child_close_handle(hPeerDist, hContentInfo, PD_H_CONTENTINFO);
}

/* Publishing operations finish within their call: nothing is ever left to
 * cancel, which is what PEERDIST_ERROR_OPERATION_NOTFOUND says. */
PD_EXPORT DWORD WINAPI PeerDistServerCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	LPOVERLAPPED pOverlapped)
{
	struct pd_instance *inst;

	if (!cbContentIdentifier || !pContentIdentifier || !pOverlapped)
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	pd_handle_put(&inst->obj);
	return PEERDIST_ERROR_OPERATION_NOTFOUND;
}
