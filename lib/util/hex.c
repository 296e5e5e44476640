// SPDX-License-Identifier: LGPL-2.1-or-later
/* Hexadecimal text of bytes, and bytes of hexadecimal text. */
#include <errno.h>
#include <string.h>

#include "hex.h"

void pd_hex_encode(const uint8_t *p, size_t len, char *out, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pd_hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t len = strlen(hex), i;
	int hi, lo;

	if (len % 2 || len / 2 > max)
		return -EINVAL;
	for (i = 0; i < len / 2; i++) {
		hi = digit_value(hex[2 * i]);
		lo = digit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = hi << 4 | lo;
	}
	return len / 2;
}
