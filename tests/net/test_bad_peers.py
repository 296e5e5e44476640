#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile peers on the LAN (IPv4 network namespaces): one serves corrupt
blocks, one stalls, one answers with malformed MS-PCCRR messages, one
floods ProbeMatches and malformed XML. A client still reads the content
byte-exact from the honest peer; peerdistd keeps serving throughout. With
only the corrupting peer left, a read ends with PEERDIST_ERROR_TRUST_FAILURE
(4066) instead of hanging or returning bad bytes."""
import filecmp
import os
import subprocess
import sys

from netns import Lan, skip_unless_possible
from peers import Host, check, content, workdir

SIZE = 8 * 65536 + 777
BAD = ["corrupt", "stall", "garbage", "flood"]


def start_bad(lan, mode):
    p = lan.start(mode, [sys.executable, os.path.join(os.path.dirname(__file__),
                                                       "bad_peer.py"), mode, lan.addr[mode]],
                  stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", f"the {mode} peer is up")


def main():
    skip_unless_possible()
    lan = Lan(["a", "b", "c"] + BAD, 4)
    with workdir() as root:
        a, b, c = (Host(lan, n, root) for n in "abc")
        data, ci = content(root, SIZE), os.path.join(root, "content.ci")
        a.publish(data, ci)
        a.serve()
        for mode in BAD:
            start_bad(lan, mode)
        r = b.read(ci, os.path.join(root, "out-b"))
        check(r.returncode == 0, f"B reads the content despite the bad peers "
              f"(client: {r.stderr.strip()})")
        check(filecmp.cmp(data, os.path.join(root, "out-b"), shallow=False),
              "B's bytes are the original's")
        check(a.daemon.poll() is None, "A's peerdistd still runs")
        a.stop()
        for p in lan.procs:
            if p.args[-2:-1] != ["corrupt"] and p.poll() is None and p is not a.daemon:
                p.kill()
        r = c.read(ci, os.path.join(root, "out-c"))
        check(r.returncode == 1 and "error 4066" in r.stderr,
              f"with only the corrupting peer, C's read ends in TRUST_FAILURE "
              f"(client: {r.stderr.strip()})")
    lan.close()


if __name__ == "__main__":
    main()
