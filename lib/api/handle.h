/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handle table: every HANDLE the library gives out is an index and a
 * generation, never a pointer, so a stale, closed, foreign or made-up value
 * is recognised (ERROR_INVALID_HANDLE) instead of dereferenced.
 *
 * Contract: pd_handle_get() returns the object with a reference held, or
 * NULL; the caller drops it with pd_handle_put(). pd_handle_close() removes
 * the handle at once (later gets fail) and drops the table's reference; the
 * object's destructor runs when the last reference goes, so a close racing
 * a use never frees an object still in use.
 */
#ifndef PD_HANDLE_H
#define PD_HANDLE_H

#include "peerdist/win32.h"

enum pd_handle_type {
	PD_H_PORT = 1,
	PD_H_EVENT,
	PD_H_INSTANCE,
	PD_H_STREAM,
	PD_H_CONTENTINFO,
	PD_H_CONTENT,
};

/* Objects in the table start with this header. */
struct pd_object {
	enum pd_handle_type type;
	void (*destroy)(struct pd_object *obj);
	int refs;		/* protected by the table lock */
	HANDLE handle;
};

/* Inserts obj (refs set to 1 for the table); NULL when out of memory. */
HANDLE pd_handle_new(struct pd_object *obj, enum pd_handle_type type,
		     void (*destroy)(struct pd_object *obj));
/* The object behind h if it is of the given type, with a reference. */
struct pd_object *pd_handle_get(HANDLE h, enum pd_handle_type type);
void pd_handle_ref(struct pd_object *obj);
void pd_handle_put(struct pd_object *obj);
/* Removes h; false if it was not a live handle of the type. */
int pd_handle_close(HANDLE h, enum pd_handle_type type);
/* Type of a live handle, 0 if none (a snapshot: it may close at once). */
enum pd_handle_type pd_handle_type_of(HANDLE h);

#endif
