/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the multi-buffer code (sha256_mb.c, aes128_mb.c) asks of an x86-64
 * CPU before it uses AVX-512: that the kernel saves the opmask and zmm
 * registers (XCR0), which CPUID's feature bits alone do not say.
 */
#ifndef PD_CPU_X86_H
#define PD_CPU_X86_H

#include <cpuid.h>

static inline int pd_cpu_saves_zmm(void)
{
	unsigned a, b, c, d, xcr0_lo, xcr0_hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	__asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	return (xcr0_lo & 0xe6) == 0xe6;
}

#endif
