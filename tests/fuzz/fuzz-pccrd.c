// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the WS-Discovery (MS-PCCRD) parser. A message that
 * parses must be written again and parse to the same scopes and counts.
 */
#include <stdlib.h>
#include <string.h>

#include "pccrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_pccrd_msg m, again;
	static char out[PD_PCCRD_MAX_MESSAGE];
	long n;

	if (pd_pccrd_parse((const char *)data, size, &m))
		return 0;
	if (m.kind == PD_WSD_PROBE_MATCHES && !m.nxaddrs)
		return 0;	/* parses, but is not something we would write */
	n = m.kind == PD_WSD_PROBE ? pd_pccrd_write_probe(&m, out, sizeof(out)) :
				     pd_pccrd_write_probe_matches(&m, out, sizeof(out));
	if (n < 0)
		return 0;	/* e.g. ids with characters we never write */
	if (pd_pccrd_parse(out, n, &again) || again.nscopes != m.nscopes ||
	    memcmp(again.scopes, m.scopes, m.nscopes * sizeof(m.scopes[0])) ||
	    (m.kind == PD_WSD_PROBE_MATCHES &&
	     memcmp(again.block_counts, m.block_counts, m.nscopes * 4)))
		abort();
	return 0;
}
