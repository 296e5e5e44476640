// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the head of an HTTP response from a peer. A head taken
 * as complete is within the input, and a valid one has what was asked.
 */
#include <stdlib.h>

#include "retrieval_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_http_head h;
	long n = pd_http_response_head((const char *)data, size, &h);

	if (n > (long)size || (n > 0 && (h.status != 200 || h.length < 0)))
		abort();
	return 0;
}
