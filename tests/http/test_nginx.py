#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Debian's nginx with ngx_http_peerdist_module: every MS-PCCRTP rule for
static files and, as a filter, for answers proxied from an origin without
the module; a changed file; no stall while a 1 GiB file is hashed."""
import os

from httptest import Nginx, Workdir, check, free_port, request
from rules import check_changed_file, check_rules
from stall import check_no_stall

work = Workdir()
work.file("big.bin", os.urandom(3_000_000))
work.file("small.txt", b"small\n" * 100)
work.file("change.bin", os.urandom(500_000))
static, proxied, origin = free_port(), free_port(), free_port()
nginx = Nginx(work, [
    (static, f"root {work.www}; peerdist on;"),
    # the whole entity from the origin, ranges cut here (content information
    # describes the whole entity; see Documentation/http.md)
    (proxied, f"location / {{ proxy_pass http://127.0.0.1:{origin}; peerdist on; "
              "proxy_set_header Range \"\"; proxy_force_ranges on; }"),
    (origin, f"root {work.www};"),
    ])
check_rules(static, work, "big.bin", "small.txt")
check_rules(proxied, work, "big.bin", "small.txt")
check_changed_file(static, work, "change.bin", os.urandom(600_000))
# peerdist_min_size and peerdist off, per location
nginx.stop()
limits = free_port()
nginx = Nginx(work, [(limits, f"root {work.www}; peerdist on; peerdist_min_size 4m;"
                      "location /off/ { peerdist off; }")], name="nginx2")
os.mkdir(os.path.join(work.www, "off"))
work.file("off/big.bin", os.urandom(5_000_000))
check(request(limits, "/big.bin").get("Vary") is None, "below peerdist_min_size 4m: untouched")
check(request(limits, "/off/big.bin").get("Vary") is None, "peerdist off: untouched")
check_no_stall(limits, work, "big.bin")
nginx.stop()
work.close()
print("ok")
