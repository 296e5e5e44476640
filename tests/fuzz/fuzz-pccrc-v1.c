// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the content information V1 parser. */
#include "pccrc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pccrc(data, size, 0x01);
}
