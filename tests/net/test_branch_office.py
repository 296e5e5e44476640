#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The branch office: N = 5 clients with peerdistd behind a 20 Mbit/s WAN
get one file with `peerdist get`, one after the other. Every file is
byte-exact, the clients after the first get it from peers, and the bytes
over the WAN (the server link's interface counters) stay within
1/N + 1% of what N plain HTTP downloads cost (one plain download through
the same link is measured first: its bytes are the file with its TCP/IP
framing, which is what N x size means on a wire)."""
from branch import BranchOffice
from netns import skip_unless_possible
from peers import check, workdir

N = 5
SIZE = 4 << 20


def main():
    skip_unless_possible()
    with workdir() as root:
        office = BranchOffice(N, root, SIZE)
        _, plain, _ = office.download(office.clients[0], True, "plain")
        check(plain >= SIZE, f"a plain HTTP download crosses the WAN whole ({plain} bytes)")
        wan = 0
        for i, c in enumerate(office.clients):
            seconds, bytes_over, peers = office.download(c, False, "get")
            print(f"{c.name}: {seconds:.2f} s, {bytes_over} bytes over the WAN, "
                  f"{peers} from peers")
            if i:
                check(peers == SIZE, f"{c.name} got every byte from peers")
            wan += bytes_over
        ratio = wan / (N * plain)
        check(ratio <= 1 / N + 0.01, f"WAN bytes {wan} / ({N} x {plain}) = {ratio:.4f} "
              f"<= 1/{N} + 1% (per file size: {wan / (N * SIZE):.4f})")
        office.close()


if __name__ == "__main__":
    main()
