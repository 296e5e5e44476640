#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist serve --upstream in front of Debian's nginx without the module:
every MS-PCCRTP rule, and a changed file."""
import os

from httptest import Nginx, Serve, Workdir, free_port
from rules import check_changed_file, check_rules

work = Workdir()
work.file("big.bin", os.urandom(3_000_000))
work.file("small.txt", b"small\n" * 100)
work.file("change.bin", os.urandom(500_000))
origin_port = free_port()
origin = Nginx(work, [(origin_port, f"root {work.www};")], module=False, name="origin")
gateway = Serve(work, "--upstream", f"http://127.0.0.1:{origin_port}")
check_rules(gateway.port, work, "big.bin", "small.txt")
check_changed_file(gateway.port, work, "change.bin", os.urandom(600_000))
gateway.stop()
origin.stop()
work.close()
print("ok")
