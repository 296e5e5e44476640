#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The branch office's simulated WAN is what issue #12 specifies, 20 Mbit/s
and 40 ms each way, whichever way it is built (tc netem, or tc tbf and the
user-space delay line): a TCP connect from a branch client to the server
takes one round trip, >= 80 ms (and < 400 ms: nothing else is slow), and
a plain HTTP download of 8 MiB runs at about 20 Mbit/s (12..21: slow start
and TCP/IP headers take their share; the link is shaped). It checks the
simulated link, not peerdist's speed."""
from branch import BranchOffice
from netns import skip_unless_possible
from peers import check, workdir

SIZE = 8 << 20


def curl(office, *args):
    """curl on c1 of the server's file: its timings (seconds) and size."""
    fmt = "%{time_connect} %{time_starttransfer} %{time_total} %{size_download}"
    p = office.lan.run("c1", ["curl", "-sSf", "-o", "/dev/null", "-w", fmt, *args,
                              office.url], capture_output=True, text=True, timeout=60)
    connect, first, total, size = p.stdout.split()
    return float(connect), float(first), float(total), int(size)


def main():
    skip_unless_possible()
    with workdir() as root:
        office = BranchOffice(1, root, SIZE)
        check("40 ms each way" in office.wan, f"the WAN says its delay ({office.wan})")
        rtts = [curl(office, "-r", "0-0")[0] * 1000 for _ in range(3)]
        print("TCP connect round trips:", ", ".join(f"{ms:.1f} ms" for ms in rtts))
        check(min(rtts) >= 80, f"a round trip over the WAN takes >= 80 ms ({min(rtts):.1f})")
        check(max(rtts) < 400, f"and < 400 ms ({max(rtts):.1f})")
        _, first, total, size = curl(office)
        check(size == SIZE, f"the download is whole ({size} bytes)")
        mbit = size * 8 / (total - first) / 1e6
        check(12 <= mbit <= 21, f"a download over the WAN runs at about 20 Mbit/s "
              f"({mbit:.1f} Mbit/s, {total:.2f} s)")
        office.close()


if __name__ == "__main__":
    main()
