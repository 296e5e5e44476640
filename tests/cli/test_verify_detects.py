#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""verify fails (exit 1) on a changed byte and names the right segment and
block, on a truncated file, and on a file with extra bytes."""
import os

from clitest import check, pattern, run, workdir

with workdir() as d:
    data = os.path.join(d, "data")
    ci = os.path.join(d, "ci")
    content = bytearray(pattern((32 << 20) + 300000, 3))
    open(data, "wb").write(content)
    run("hash", "-o", ci, data)
    run("verify", ci, data)

    at = (32 << 20) + 2 * 65536 + 17           # segment 1, block 2
    content[at] ^= 1
    open(data, "wb").write(content)
    err = run("verify", ci, data, expect=1).stderr.decode()
    check("segment 1 block 2" in err, f"message must name segment 1 block 2: {err}")
    check(data in err, "message must name the file")
    content[at] ^= 1

    open(data, "wb").write(content[:-1000])
    err = run("verify", ci, data, expect=1).stderr.decode()
    check("short" in err, f"truncated file: {err}")

    open(data, "wb").write(content + b"x")
    err = run("verify", ci, data, expect=1).stderr.decode()
    check("size mismatch" in err, f"longer file: {err}")
print("ok")
