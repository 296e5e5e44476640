#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A peer killed in the middle of a transfer (IPv4 network namespaces): A
and B both hold the content; C starts reading it from both; A's peerdistd
is killed (SIGKILL) as soon as it has served C a block. C still reads the
whole content byte-exact, the rest of it from B."""
import filecmp
import os
import subprocess

from netns import Lan, skip_unless_possible
from peers import Host, block_count, check, content, workdir

SIZE = 8 * 1024 * 1024 + 4321		# 129 blocks


def main():
    skip_unless_possible()
    lan = Lan(["a", "b", "c"], 4)
    with workdir() as root:
        a, b, c = (Host(lan, n, root) for n in "abc")
        data, ci = content(root, SIZE), os.path.join(root, "content.ci")
        a.publish(data, ci)
        a.serve()
        b.serve()
        r = b.read(ci, os.path.join(root, "out-b"))
        check(r.returncode == 0, "B holds the content")
        served_b, served_a = b.blocks_served(), a.blocks_served()
        out = open(os.path.join(root, "out-c"), "wb")
        reader = lan.start("c", [os.environ["EXAMPLE_CLIENT"], ci], env=c.env,
                           stdout=out, stderr=subprocess.PIPE, text=True)
        a.wait_served_more(served_a, 60)	# woken by the log line itself
        a.daemon.kill()
        check(a.blocks_served() > served_a, "A served C a block before it was killed")
        check(reader.wait(120) == 0, f"C's read completes ({reader.stderr.read().strip()})")
        out.close()
        check(filecmp.cmp(data, os.path.join(root, "out-c"), shallow=False),
              "C's bytes are the original's")
        check(a.blocks_served() - served_a < block_count(ci),
              f"A served only part of C's blocks ({a.blocks_served() - served_a})")
        check(b.blocks_served() > served_b, "B served the rest")
        b.stop()
    lan.close()


if __name__ == "__main__":
    main()
