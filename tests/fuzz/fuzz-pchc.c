// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the MS-PCHC codec, requests (the SEGMENT_INFO's
 * content information through the pccrc parser) and responses (seeds in
 * corpus/pchc). Whatever decodes must encode to the same bytes, padding
 * aside, and decode to the same message.
 */
#include <stdlib.h>
#include <string.h>

#include "pchc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void request(const uint8_t *data, size_t size)
{
	static struct pd_pchc_msg m, again;
	static uint8_t out[PD_PCHC_REQUEST_MAX];
	struct pd_ci *ci;
	long n;

	if (pd_pchc_decode_request(data, size, &m, &ci))
		return;
	if ((m.type == PD_PCHC_SEGMENT_INFO) != (ci != NULL))
		abort();
	pd_ci_free(ci);
	n = pd_pchc_encode_request(&m, out, sizeof(out));
	if (n != (long)size || memcmp(out + PD_PCHC_PREFIX_SIZE,
				      data + PD_PCHC_PREFIX_SIZE,
				      size - PD_PCHC_PREFIX_SIZE))
		abort();
	if (pd_pchc_decode_request(out, n, &again, NULL) ||
	    again.type != m.type || again.port != m.port ||
	    again.nsegments != m.nsegments)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[PD_PCHC_RESPONSE_SIZE];
	unsigned code;

	request(data, size);
	if (!pd_pchc_decode_response(data, size, &code) &&
	    (pd_pchc_encode_response(code, out, sizeof(out)) != (long)size ||
	     memcmp(out, data, size)))
		abort();
	return 0;
}
