// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: MS-PCCRTP headers. The input is "name:value" lines,
 * fed to both the request and the reply parser; the decision over them
 * never answers peerdist for what the rules exclude, and the headers
 * formatted are NUL-terminated. A first line is also read as a Range.
 */
#include <stdlib.h>
#include <string.h>

#include "pccrtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const struct pd_pccrtp_request *r,
			 const struct pd_pccrtp_entity *e)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	struct pd_pccrtp_answer a;
	unsigned n, i;

	pd_pccrtp_decide(r, e, &a);
	if (a.peerdist && (!r->accept_peerdist || r->missing_data || r->malformed ||
			   !e->hashes_ready || a.ci_version < 1 || a.ci_version > 2))
		abort();
	n = pd_pccrtp_response_headers(&a, h);
	if (n > PD_PCCRTP_HEADERS_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (!memchr(h[i].value, 0, sizeof(h[i].value)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct pd_pccrtp_entity e = {
		.get = true, .status = 200, .strong_etag = true,
		.length = 1 << 20, .hashes_ready = size & 1,
	};
	struct pd_pccrtp_request r;
	struct pd_pccrtp_reply rep;
	uint64_t s, t;

	pd_pccrtp_request_init(&r);
	pd_pccrtp_reply_init(&rep);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *line_end = nl ? nl : end;
		const char *colon = memchr(p, ':', line_end - p);

		if (p == (const char *)data &&
		    !pd_pccrtp_parse_range(p, line_end - p, e.length, &s, &t)) {
			if (s >= t || t > e.length)
				abort();
			e.range = true, e.range_start = s, e.range_end = t;
		}
		if (colon) {
			pd_pccrtp_request_header(&r, p, colon - p, colon + 1, line_end - colon - 1);
			pd_pccrtp_reply_header(&rep, p, colon - p, colon + 1, line_end - colon - 1);
		}
		p = nl ? nl + 1 : end;
	}
	check_answer(&r, &e);
	if (pd_pccrtp_reply_usable(&rep) && (!rep.peerdist || rep.malformed))
		abort();
	return 0;
}
