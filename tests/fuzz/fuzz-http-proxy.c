// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a request head as a client sends it to the local
 * proxy. The target read as an absolute URL and as a CONNECT authority
 * gives a terminated host within its buffer and a path inside the input;
 * every header field found lies within the head.
 */
#include <stdlib.h>
#include <string.h>

#include "http_proxy.h"
#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_authority(const struct pd_http_authority *a)
{
	if (strnlen(a->host, sizeof(a->host)) == sizeof(a->host) || !a->port)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *path;
	struct pd_http_authority a;
	struct pd_http_request r;
	struct pd_http_field f;
	long n = pd_http_request_head(buf, size, &r);
	size_t pos = 0, plen, fields = 0;
	bool https;

	if (n <= 0)
		return 0;
	if (!pd_http_absolute_target(r.target, r.target_len, &a, &https, &path, &plen)) {
		check_authority(&a);
		if (path < r.target || path + plen != r.target + r.target_len)
			abort();
	}
	if (!pd_http_authority_parse(r.target, r.target_len, 0, &a))
		check_authority(&a);
	while (pd_http_field_next(buf, (size_t)n, &pos, &f)) {
		if (f.name < buf || f.name + f.name_len > buf + n ||
		    f.value < buf || f.value + f.value_len > buf + n || ++fields > (size_t)n)
			abort();
		pd_http_hop_by_hop(f.name, f.name_len);
	}
	return 0;
}
