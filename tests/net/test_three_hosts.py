#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Peer distribution across three hosts on one LAN (network namespaces,
IPv4 or IPv6 as argv[1] says, content information version argv[2]; V2
means V2 discovery and one block per segment): A publishes a file and serves it; B, given
only the content information, reads the content through the API and gets
every block from A by discovery and retrieval; then, with A stopped, C gets
every block from B. Byte-exact results, and the servers' own logs show
which host served the blocks."""
import filecmp
import os
import sys

from netns import Lan, skip_unless_possible
from peers import Host, block_count, check, content, workdir

SIZE = 3 * 65536 * 16 + 12345		# V1: 49 blocks, the last one short


def main():
    skip_unless_possible()
    family, version = int(sys.argv[1]), int(sys.argv[2])
    lan = Lan(["a", "b", "c"], family)
    with workdir() as root:
        a, b, c = (Host(lan, n, root) for n in "abc")
        data, ci = content(root, SIZE), os.path.join(root, "content.ci")
        a.publish(data, ci, version)
        a.serve()
        b.serve()
        r = b.read(ci, os.path.join(root, "out-b"))
        check(r.returncode == 0, f"B reads the whole content (client: {r.stderr.strip()})")
        check(filecmp.cmp(data, os.path.join(root, "out-b"), shallow=False),
              "B's bytes are the original's")
        blocks = block_count(ci)
        check(a.blocks_served() >= blocks, f"A served B's {blocks} blocks "
              f"({a.blocks_served()} answers)")
        a.stop()
        r = c.read(ci, os.path.join(root, "out-c"))
        check(r.returncode == 0, f"C reads the whole content with A stopped "
              f"(client: {r.stderr.strip()})")
        check(filecmp.cmp(data, os.path.join(root, "out-c"), shallow=False),
              "C's bytes are the original's")
        check(b.blocks_served() >= blocks, f"B served C's {blocks} blocks "
              f"({b.blocks_served()} answers)")
        b.stop()
    lan.close()


if __name__ == "__main__":
    main()
