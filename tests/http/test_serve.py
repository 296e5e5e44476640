#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist serve DIR: every MS-PCCRTP rule, a changed file, no stall while a
1 GiB file is hashed; nothing outside DIR is served (.., a symbolic link
out of it), and methods other than GET and HEAD are refused."""
import os

from httptest import Serve, Workdir, check, request
from rules import check_changed_file, check_rules
from stall import check_no_stall

work = Workdir()
work.file("big.bin", os.urandom(3_000_000))
work.file("small.txt", b"small\n" * 100)
work.file("change.bin", os.urandom(500_000))
server = Serve(work, work.www)
check_rules(server.port, work, "big.bin", "small.txt")
check_changed_file(server.port, work, "change.bin", os.urandom(600_000))
check_no_stall(server.port, work, "big.bin")
os.symlink(work.secret, os.path.join(work.www, "link"))
for path in ("/../secret", "/%2e%2e/secret", "/link", "/", "/nothere"):
    check(request(server.port, path).status == 404, f"{path}: 404")
check(request(server.port, "/big.bin", method="DELETE").status == 405, "DELETE: 405")
server.stop()
work.close()
print("ok")
