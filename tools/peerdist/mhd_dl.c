// SPDX-License-Identifier: GPL-2.0-or-later
/* libmicrohttpd through dlopen (libmicrohttpd.so.12: its ABI since 0.9.x). */
#include "dl.h"
#include "mhd_dl.h"

static struct pd_mhd mhd;

static const char *const sonames[] = { "libmicrohttpd.so.12", NULL };

static const struct pd_dl_sym syms[] = {
	PD_DL_SYM(mhd, start_daemon, MHD_start_daemon),
	PD_DL_SYM(mhd, stop_daemon, MHD_stop_daemon),
	PD_DL_SYM(mhd, get_daemon_info, MHD_get_daemon_info),
	PD_DL_SYM(mhd, get_connection_values, MHD_get_connection_values),
	PD_DL_SYM(mhd, lookup_connection_value, MHD_lookup_connection_value),
	PD_DL_SYM(mhd, create_response_from_buffer, MHD_create_response_from_buffer),
	PD_DL_SYM(mhd, create_response_from_fd_at_offset64,
		  MHD_create_response_from_fd_at_offset64),
	PD_DL_SYM(mhd, add_response_header, MHD_add_response_header),
	PD_DL_SYM(mhd, queue_response, MHD_queue_response),
	PD_DL_SYM(mhd, destroy_response, MHD_destroy_response),
};

static struct pd_dl_lib lib = PD_DL_LIB(sonames, syms, NULL);

const struct pd_mhd *pd_mhd(void)
{
	return pd_dl_open(&lib) ? NULL : &mhd;
}

const char *pd_mhd_error(void)
{
	return pd_dl_why(&lib);
}
