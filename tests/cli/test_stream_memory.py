#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hashing a stream keeps memory bounded whatever its length: 2 GiB through
a pipe, V1 and V2, with the peak resident size of peerdist well under the
size of the content (the content information itself is the only thing
that grows: 32 bytes per 64 KiB block for V1, 68 per segment for V2)."""
import os
import resource
import subprocess

from clitest import PEERDIST, check, workdir

SIZE = 2 << 30
CHUNK = b"\x5a" * (1 << 20)

with workdir() as d:
    for v2 in ([], ["--v2"]):
        p = subprocess.Popen([PEERDIST, "hash", *v2, "-o", os.path.join(d, "ci"), "-"],
                             stdin=subprocess.PIPE)
        for _ in range(SIZE // len(CHUNK)):
            p.stdin.write(CHUNK)
        p.stdin.close()
        check(p.wait(timeout=600) == 0, f"hash {v2} of a 2 GiB stream failed")
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        check(peak_kib < 64 * 1024, f"{v2}: peak RSS {peak_kib} KiB for a 2 GiB stream")
        p = subprocess.run([PEERDIST, "info", "--json", os.path.join(d, "ci")],
                           capture_output=True, check=True)
        check(b'"end": %d' % SIZE in p.stdout, f"{v2}: range must end at 2 GiB")
print("ok")
