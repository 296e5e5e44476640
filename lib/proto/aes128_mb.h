/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AES-128-CBC encryption of many independent buffers at once. One CBC
 * stream is latency-bound (each block waits for the previous one);
 * interleaving eight streams with different keys and IVs on one core
 * (AES-NI; sixteen with AVX-512 VAES) keeps the AES unit busy. Falls back
 * to OpenSSL one buffer at a time where the CPU lacks AES-NI.
 */
#ifndef PD_AES128_MB_H
#define PD_AES128_MB_H

#include <stddef.h>
#include <stdint.h>

struct pd_aes128_cbc_job {
	uint8_t key[16];
	uint8_t iv[16];
	uint8_t *buf;		/* encrypted in place */
	size_t len;		/* a multiple of 16 */
};

/* Encrypts every job's buffer: 0, or -1 (a length that is no multiple of 16,
 * or OpenSSL failing): the buffers are then not all encrypted. */
int pd_aes128_cbc_encrypt_many(const struct pd_aes128_cbc_job *jobs, size_t n);

/* Name of the implementation in use: "vaes x16", "aes-ni x8" or "openssl". */
const char *pd_aes128_mb_impl(void);

#endif
