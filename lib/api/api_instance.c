// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PeerDist instances: Startup and Shutdown, status and its change
 * notification, and the handles an instance owns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"

static void status_news(struct pd_instance *inst);

struct pd_instance *pd_instance_get(PEERDIST_INSTANCE_HANDLE h)
{
	return (struct pd_instance *)pd_handle_get(h, PD_H_INSTANCE);
}

struct pd_child *pd_child_get(struct pd_instance *inst, HANDLE h,
			      enum pd_handle_type type)
{
	struct pd_child *c = (struct pd_child *)pd_handle_get(h, type);

	/* Another instance's handle is as invalid here as a made-up one. */
	if (c && c->inst != inst) {
		pd_handle_put(&c->obj);
		return NULL;
	}
	return c;
}

struct pd_child *pd_child_lookup(PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE h,
				 enum pd_handle_type type, struct pd_instance **inst)
{
	struct pd_child *c;

	*inst = pd_instance_get(hPeerDist);
	if (!*inst)
		return NULL;
	c = pd_child_get(*inst, h, type);
	if (!c)
		pd_handle_put(&(*inst)->obj);
	return c;
}

void pd_child_done(struct pd_instance *inst, struct pd_child *c)
{
	pd_child_release(c);
	pd_handle_put(&inst->obj);
}

HANDLE pd_child_add(struct pd_instance *inst, struct pd_child *c,
		    enum pd_handle_type type, HANDLE port, ULONG_PTR key,
		    void (*destroy)(struct pd_object *))
{
	HANDLE h;

	c->inst = inst;
	c->port = port;
	c->key = key;
	pd_handle_ref(&inst->obj);
	h = pd_handle_new(&c->obj, type, destroy);
	if (!h) {
		destroy(&c->obj);	/* drops the instance reference too */
		return NULL;
	}
	pthread_mutex_lock(&inst->lock);
	if (inst->shutting_down) {
		pthread_mutex_unlock(&inst->lock);
		pd_handle_close(h, type);
		return NULL;
	}
	c->next = inst->children;
	inst->children = c;
	pthread_mutex_unlock(&inst->lock);
	return h;
}

/* Lock contract: takes inst->lock. Unlinks c if it is inst's child. */
static int unlink_child(struct pd_instance *inst, struct pd_child *c)
{
	struct pd_child **p;
	int found = 0;

	pthread_mutex_lock(&inst->lock);
	for (p = &inst->children; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&inst->lock);
	return found;
}

int pd_child_close(struct pd_instance *inst, HANDLE h, enum pd_handle_type type)
{
	struct pd_child *c = pd_child_get(inst, h, type);
	int found;

	if (!c)
		return 0;
	if (type == PD_H_CONTENT)
		pd_engine_abort(inst->engine, (struct pd_content *)c);
	found = unlink_child(inst, c) && pd_handle_close(h, type);
	pd_child_release(c);
	return found;
}

DWORD pd_child_close_handle(PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE h,
			    enum pd_handle_type type)
{
	struct pd_instance *inst = pd_instance_get(hPeerDist);
	DWORD ret;

	if (!inst)
		return ERROR_INVALID_HANDLE;
	ret = pd_child_close(inst, h, type) ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
	pd_handle_put(&inst->obj);
	return ret;
}

static void instance_destroy(struct pd_object *obj)
{
	struct pd_instance *inst = (struct pd_instance *)obj;

	pd_engine_free(inst->engine);
	if (inst->store)
		inst->store->ops->close(inst->store);
	pthread_mutex_destroy(&inst->lock);
	free(inst);
}

PD_EXPORT DWORD WINAPI PeerDistStartup(DWORD dwVersionRequested,
				       PPEERDIST_INSTANCE_HANDLE phPeerDist,
				       PDWORD pdwSupportedVersion)
{
	struct pd_instance *inst;
	HANDLE h;
	int err;

	if (!phPeerDist)
		return ERROR_INVALID_PARAMETER;
	if (pdwSupportedVersion)
		*pdwSupportedVersion = PEERDIST_VERSION;
	if (dwVersionRequested < PEERDIST_VERSION_1_0)
		return PEERDIST_ERROR_VERSION_UNSUPPORTED;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return ERROR_NOT_ENOUGH_MEMORY;
	pthread_mutex_init(&inst->lock, NULL);
	err = pd_store_open(&inst->store);
	if (!err)
		err = pd_engine_start(inst, status_news);
	if (err) {
		instance_destroy(&inst->obj);
		return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
	}
	h = pd_handle_new(&inst->obj, PD_H_INSTANCE, instance_destroy);
	if (!h) {
		pd_engine_stop(inst->engine);
		instance_destroy(&inst->obj);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	*phPeerDist = h;
	return ERROR_SUCCESS;
}

/* Lock contract: inst->lock held. Completes a registered notification. */
static void end_status_notification(struct pd_instance *inst, DWORD status)
{
	LPOVERLAPPED ov = inst->status_ov;

	if (!ov)
		return;
	inst->status_ov = NULL;
	pd_overlapped_complete(ov, status, 0, inst->status_port, inst->status_key);
}

PD_EXPORT DWORD WINAPI PeerDistShutdown(PEERDIST_INSTANCE_HANDLE hPeerDist)
{
	struct pd_instance *inst = pd_instance_get(hPeerDist);
	struct pd_publication *pub;
	struct pd_child *c;

	if (!inst)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&inst->lock);
	if (inst->shutting_down) {
		pthread_mutex_unlock(&inst->lock);
		pd_handle_put(&inst->obj);
		return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
	}
	inst->shutting_down = 1;
	end_status_notification(inst, ERROR_OPERATION_ABORTED);
	pthread_mutex_unlock(&inst->lock);

	/* Every operation in flight ends with ERROR_OPERATION_ABORTED. */
	pd_engine_stop(inst->engine);
	while ((pub = inst->pubs)) {
		inst->pubs = pub->next;
		inst->store->ops->unpublish(inst->store, geteuid(), pub->ident,
					    pub->len);
		free(pub);
	}
	for (;;) {
		pthread_mutex_lock(&inst->lock);
		c = inst->children;
		if (c)
			inst->children = c->next;
		pthread_mutex_unlock(&inst->lock);
		if (!c)
			break;
		pd_handle_close(c->obj.handle, c->obj.type);
	}
	pd_handle_close(hPeerDist, PD_H_INSTANCE);
	pd_handle_put(&inst->obj);
	return ERROR_SUCCESS;
}

/* Unavailable while shutting down; disabled when an administrator switched
 * the cache off (peerdist.ko's enabled), else available. */
static DWORD current_status(struct pd_instance *inst, PEERDIST_STATUS *status)
{
	struct pd_store_stats st = { 0 };

	if (inst->shutting_down)
		*status = PEERDIST_STATUS_UNAVAILABLE;
	else if (!inst->store->ops->stats(inst->store, &st) && st.disabled)
		*status = PEERDIST_STATUS_DISABLED;
	else
		*status = PEERDIST_STATUS_AVAILABLE;
	return ERROR_SUCCESS;
}

static DWORD fill_status_info(struct pd_instance *inst, PEERDIST_STATUS_INFO *info)
{
	if (info->cbSize < sizeof(*info))
		return ERROR_INVALID_PARAMETER;
	info->dwMinVer = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1;
	info->dwMaxVer = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2;
	return current_status(inst, &info->status);
}

/* Exactly one of status and info is filled. */
static DWORD get_status(PEERDIST_INSTANCE_HANDLE hPeerDist,
			PEERDIST_STATUS *status, PEERDIST_STATUS_INFO *info)
{
	struct pd_instance *inst;
	DWORD ret;

	if (!status && !info)
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	ret = info ? fill_status_info(inst, info) : current_status(inst, status);
	pd_handle_put(&inst->obj);
	return ret;
}

PD_EXPORT DWORD WINAPI PeerDistGetStatus(PEERDIST_INSTANCE_HANDLE hPeerDist,
					 PEERDIST_STATUS *pPeerDistStatus)
{
	return pPeerDistStatus ? get_status(hPeerDist, pPeerDistStatus, NULL) :
				 ERROR_INVALID_PARAMETER;
}

PD_EXPORT DWORD WINAPI PeerDistGetStatusEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
					   PEERDIST_STATUS_INFO *pPeerDistStatus)
{
	return pPeerDistStatus ? get_status(hPeerDist, NULL, pPeerDistStatus) :
				 ERROR_INVALID_PARAMETER;
}

/*
 * A registration completes when the status changes from the one it
 * started from (an administrator switching peerdist.ko's cache off or on),
 * with the new status where the caller asked for it; at Unregister and at
 * shutdown it completes aborted.
 */
static DWORD register_status(PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE port,
			     ULONG_PTR key, LPOVERLAPPED ov,
			     PEERDIST_STATUS *status, PEERDIST_STATUS_INFO *info)
{
	struct pd_instance *inst;
	DWORD ret = ERROR_IO_PENDING;

	if (!ov || (!status && !info) || (port && !pd_port_valid(port)))
		return ERROR_INVALID_PARAMETER;
	inst = pd_instance_get(hPeerDist);
	if (!inst)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&inst->lock);
	if (info && fill_status_info(inst, info))
		ret = ERROR_INVALID_PARAMETER;
	else if (status)
		current_status(inst, status);
	if (ret == ERROR_IO_PENDING && inst->status_ov)
		ret = PEERDIST_ERROR_ALREADY_EXISTS;
	if (ret == ERROR_IO_PENDING) {
		pd_overlapped_start(ov);
		inst->status_ov = ov;
		inst->status_port = port;
		inst->status_key = key;
		inst->status_out = status;
		inst->status_info_out = info;
		inst->status_told = info ? info->status : *status;
	}
	pthread_mutex_unlock(&inst->lock);
	pd_handle_put(&inst->obj);
	return ret;
}

/* The store told of a status change: a registered notification completes
 * if the status differs from the one it started from. */
static void status_news(struct pd_instance *inst)
{
	PEERDIST_STATUS now;

	pthread_mutex_lock(&inst->lock);
	if (inst->status_ov && !current_status(inst, &now) && now != inst->status_told) {
		if (inst->status_info_out)
			inst->status_info_out->status = now;
		else
			*inst->status_out = now;
		end_status_notification(inst, ERROR_SUCCESS);
	}
	pthread_mutex_unlock(&inst->lock);
}

PD_EXPORT DWORD WINAPI PeerDistRegisterForStatusChangeNotification(
	PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped,
	PEERDIST_STATUS *pPeerDistStatus)
{
	return register_status(hPeerDist, hCompletionPort, ulCompletionKey,
			       lpOverlapped, pPeerDistStatus, NULL);
}

PD_EXPORT DWORD WINAPI PeerDistRegisterForStatusChangeNotificationEx(
	PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped,
	PEERDIST_STATUS_INFO *pPeerDistStatus)
{
	return register_status(hPeerDist, hCompletionPort, ulCompletionKey,
			       lpOverlapped, NULL, pPeerDistStatus);
}

PD_EXPORT DWORD WINAPI PeerDistUnregisterForStatusChangeNotification(
	PEERDIST_INSTANCE_HANDLE hPeerDist)
{
	struct pd_instance *inst = pd_instance_get(hPeerDist);

	if (!inst)
		return ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&inst->lock);
	end_status_notification(inst, ERROR_OPERATION_ABORTED);
	pthread_mutex_unlock(&inst->lock);
	pd_handle_put(&inst->obj);
	return ERROR_SUCCESS;
}

PD_EXPORT BOOL WINAPI PeerDistGetOverlappedResult(LPOVERLAPPED lpOverlapped,
						  LPDWORD lpNumberOfBytesTransferred,
						  BOOL bWait)
{
	DWORD status;

	if (!lpOverlapped || !lpNumberOfBytesTransferred) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	/* Not on hEvent: an auto-reset event may already have been consumed. */
	if (bWait)
		pd_overlapped_wait(lpOverlapped, INFINITE);
	else if (__atomic_load_n(&lpOverlapped->Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING)
		pd_deferred_run();	/* a read put off until a wait: this looks */
	status = __atomic_load_n(&lpOverlapped->Internal, __ATOMIC_ACQUIRE);
	if (status == STATUS_PENDING) {
		SetLastError(ERROR_IO_INCOMPLETE);
		return FALSE;
	}
	*lpNumberOfBytesTransferred = lpOverlapped->InternalHigh;
	if (status != ERROR_SUCCESS) {
		SetLastError(status);
		return FALSE;
	}
	return TRUE;
}
