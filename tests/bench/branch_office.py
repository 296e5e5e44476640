#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench, the branch office (tests/net/branch.py, as root): for each N
of argv[2:], a new file of argv[1] MiB on the content server behind the
WAN; N branch clients get it with plain HTTP (curl), then with BranchCache
(peerdist get): client 1 first, then the other N - 1 at once, as an office
does when everyone wants a file. Every file is checked byte-exact. Prints
the WAN, then per N: "bench N PLAIN_S PLAIN_WAN_BYTES PD_S PD_WAN_BYTES":
seconds from client 1's start to the last client's end, and bytes over
the WAN (both directions)."""
import os
import subprocess
import sys
import time

from branch import BranchOffice
from peers import PEERDIST, check, workdir


def get_all(office, clients, plain, name):
    """The clients' downloads of name at once; every file byte-exact."""
    procs, what = [], "curl" if plain else "peerdist get"
    for c in clients:
        out = os.path.join(c.dir, f"{name}.{'plain' if plain else 'get'}")
        argv = (["curl", "-sSf", "-o", out, office.url_of(name)] if plain else
                # 1 s for peers to answer, as the demo: client 1 waits for nobody
                [PEERDIST, "get", "--timeout", "1000", "-o", out, office.url_of(name)])
        procs.append((c, out, subprocess.Popen(office.lan.cmd(c.name, argv), env=c.env,
                                               stderr=subprocess.PIPE, text=True)))
    with open(os.path.join(office.www, name), "rb") as f:
        want = f.read()
    for c, out, p in procs:
        err = p.communicate(timeout=300)[1]
        check(p.returncode == 0, f"{c.name}: {what} exits 0 ({err.strip()})")
        with open(out, "rb") as f:
            check(f.read() == want, f"{c.name}: {name} is byte-exact")


def office_run(office, n, plain, name):
    """Client 1, then the other n - 1 at once: seconds, WAN bytes."""
    before, start = office.wan_bytes(), time.monotonic()
    get_all(office, office.clients[:1], plain, name)
    get_all(office, office.clients[1:n], plain, name)
    return f"{time.monotonic() - start:.2f}", office.wan_bytes() - before


def main():
    size = int(sys.argv[1]) << 20
    counts = [int(a) for a in sys.argv[2:]]
    with workdir() as root:
        office = BranchOffice(max(counts), root, 64 << 10)
        print(f"wan {office.wan}", flush=True)
        for n in counts:
            name = f"n{n}.bin"
            office.add(name, os.urandom(size))
            runs = office_run(office, n, True, name) + office_run(office, n, False, name)
            print("bench", n, *runs, flush=True)
        office.close()


if __name__ == "__main__":
    main()
