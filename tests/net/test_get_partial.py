#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist get with partial peer availability: client 1 has got a file
that shares its first half with another (content information 2.0: a
segment per chunk, so the shared chunks are the same segments); client 2
gets the other file: the shared half from client 1, only the rest from the
origin over the WAN, byte-exact."""
import os

from branch import BranchOffice
from netns import skip_unless_possible
from peers import check, workdir

HALF = 1 << 20


def main():
    skip_unless_possible()
    with workdir() as root:
        office = BranchOffice(2, root, 2 * HALF)
        shared = os.urandom(HALF)
        office.add("old.bin", shared + os.urandom(HALF))
        office.add("new.bin", shared + os.urandom(HALF))
        c1, c2 = office.clients
        office.download(c1, False, "old", "old.bin", ["--v2"])
        # Windows' read timeout: with 2.0, each chunk is probed for on its own
        _, wan, peers = office.download(c2, False, "new", "new.bin",
                                        ["--v2", "--timeout", "5000"])
        s = office.summary
        check(s["from_peers"] + s["from_origin"] == 2 * HALF and s["from_cache"] == 0,
              f"client 2: every byte from peers or the origin: {s}")
        # chunk boundaries near the half are content-defined: a chunk or two
        # around it is not shared
        check(peers >= HALF * 3 // 4, f"client 2: the shared half from client 1 ({peers})")
        check(s["from_origin"] <= HALF * 5 // 4 and wan < HALF * 3 // 2,
              f"client 2: only the rest from the origin ({s['from_origin']}, {wan} "
              "bytes over the WAN)")
        office.close()


if __name__ == "__main__":
    main()
