// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: an HTTP request head as a client sends it to
 * peerdistd. A head taken as complete lies within the input, its method and
 * target too, and its body length is within the limit asked for.
 */
#include <stdlib.h>

#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct pd_http_request r;
	long n = pd_http_request_head(buf, size, &r), body;

	if (n > (long)size || n > PD_HTTP_HEAD_MAX)
		abort();
	if (n <= 0)
		return 0;
	if (r.method < buf || r.method + r.method_len > buf + n ||
	    r.target < buf || r.target + r.target_len > buf + n)
		abort();
	body = pd_http_request_body_len(&r, 98304);
	if (body > 98304 || (body < 0 && body != -411 && body != -413))
		abort();
	pd_http_request_target_is(&r, "/116B50EB-ECE2-41ac-8429-9F9E963361B7/");
	return 0;
}
