// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How an API call ends: a store error as the Win32 error it reports, and
 * an operation that finished within the call completed as asynchronous.
 */
#include <errno.h>

#include "api.h"

DWORD pd_errno_to_win32(int err)
{
	switch (-err) {
	case 0:
		return ERROR_SUCCESS;
	case ENOMEM:
		return ERROR_NOT_ENOUGH_MEMORY;
	case ENOENT:
		return ERROR_NOT_FOUND;
	case EEXIST:
		return PEERDIST_ERROR_ALREADY_EXISTS;
	case EBADMSG:
		return ERROR_INVALID_DATA;
	case EINVAL:
		return ERROR_INVALID_PARAMETER;
	case ENOTSUP:
		return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
	}
	return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
}

DWORD pd_complete_now(LPOVERLAPPED ov, DWORD status, DWORD bytes,
		      HANDLE port, ULONG_PTR key)
{
	pd_overlapped_start(ov);
	pd_overlapped_complete(ov, status, bytes, port, key);
	return ERROR_IO_PENDING;
}
