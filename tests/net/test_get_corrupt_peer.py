#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist get with a corrupting peer on the branch LAN: a peer that
answers discovery for every segment and serves MS-PCCRR blocks of random
bytes (bad_peer.py, written from the specs). The client asks it, rejects
every block it sends, and gets those blocks from the origin: the bytes
written (to a pipe, so nothing written can be taken back) are the file's,
byte-exact, and peerdist get exits 0."""
import json
import os
import subprocess
import sys
import threading

from branch import BranchOffice
from netns import skip_unless_possible
from peers import PEERDIST, check, workdir

SIZE = 1 << 20		# 16 blocks


def start_corrupting_peer(lan):
    p = lan.start("bad", [sys.executable, os.path.join(os.path.dirname(__file__),
                                                       "bad_peer.py"), "corrupt",
                          lan.addr["bad"]], stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "the corrupting peer is up")
    served = []
    threading.Thread(target=lambda: served.extend(p.stdout), daemon=True).start()
    return served


def main():
    skip_unless_possible()
    with workdir() as root:
        office = BranchOffice(1, root, SIZE, others=["bad"])
        served = start_corrupting_peer(office.lan)
        c = office.clients[0]
        # Windows' read timeout: time for the peer to be found and asked
        p = subprocess.run(office.lan.cmd(c.name, [PEERDIST, "get", "--json", "--timeout",
                                                   "5000", office.url]),
                           env=c.env, capture_output=True, timeout=120)
        err = p.stderr.decode(errors="replace").strip()
        check(p.returncode == 0, f"peerdist get exits 0 despite the corrupting peer "
              f"(exit {p.returncode}: {err})")
        with open(office.file, "rb") as f:
            check(p.stdout == f.read(), "every byte written is the file's, in order "
                  f"({len(p.stdout)} of {SIZE} bytes)")
        check(served, f"the corrupting peer was asked ({len(served)} blocks sent)")
        s = json.loads(err.splitlines()[-1])
        check(s["from_peers"] == 0 and s["from_origin"] == SIZE,
              f"no byte came from the corrupting peer; the origin sent them all: {s}")
        office.close()


if __name__ == "__main__":
    main()
