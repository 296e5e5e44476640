/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libmicrohttpd for peerdist serve, loaded when serve starts (see
 * util/dl.h: every other command starts without its TLS stack).
 */
#ifndef PD_MHD_DL_H
#define PD_MHD_DL_H

#include <microhttpd.h>

struct pd_mhd {
	typeof(&MHD_start_daemon) start_daemon;
	typeof(&MHD_stop_daemon) stop_daemon;
	typeof(&MHD_get_daemon_info) get_daemon_info;
	typeof(&MHD_get_connection_values) get_connection_values;
	typeof(&MHD_lookup_connection_value) lookup_connection_value;
	typeof(&MHD_create_response_from_buffer) create_response_from_buffer;
	typeof(&MHD_create_response_from_fd_at_offset64) create_response_from_fd_at_offset64;
	typeof(&MHD_add_response_header) add_response_header;
	typeof(&MHD_queue_response) queue_response;
	typeof(&MHD_destroy_response) destroy_response;
};

/* libmicrohttpd's functions, loaded once, from any thread; NULL when it
 * cannot be (why: pd_mhd_error()). */
const struct pd_mhd *pd_mhd(void);
/* Why pd_mhd() gave NULL ("libmicrohttpd.so.12 has no MHD_stop_daemon"). */
const char *pd_mhd_error(void);

#endif
