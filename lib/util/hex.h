/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hexadecimal text of bytes (names in the cache directory, ids in logs). */
#ifndef PD_HEX_H
#define PD_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2 * len digits (lowercase; uppercase if upper) and a NUL to out. */
void pd_hex_encode(const uint8_t *p, size_t len, char *out, int upper);
/* The bytes of an even-length run of hex digits (either case): how many
 * (at most max), or -EINVAL. */
int pd_hex_decode(const char *hex, uint8_t *out, size_t max);

#endif
