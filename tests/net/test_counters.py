#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The byte counters of `peerdist cache` / `peerdist status` tell where
bytes came from, in a branch office: client 1 gets a file nobody near has
(fetched from origins == its size), client 2 gets it through client 1
(fetched from peers == its size, and client 1's peerdistd served exactly
those bytes), client 2 reads it again (read from the cache == its size,
nothing fetched); client 1's counts survive its peerdistd's restart."""
from branch import BranchOffice
from netns import skip_unless_possible
from peers import check, workdir

SIZE = 2 << 20


def only(c, **want):
    """c has the values given, every other counter 0."""
    return all(v == want.get(k, 0) for k, v in c.items())


def main():
    skip_unless_possible()
    with workdir() as root:
        office = BranchOffice(2, root, SIZE)
        c1, c2 = office.clients

        office.download(c1, False, "first")
        got = c1.counters()
        check(only(got, fetched_from_origins=SIZE),
              f"client 1: every byte fetched from the origin, none read from the "
              f"cache: {got}")

        office.download(c2, False, "second")
        got, served = c2.counters(), c1.counters()
        check(office.summary["from_peers"] == SIZE, f"client 2: from peers {office.summary}")
        check(only(got, fetched_from_peers=SIZE),
              f"client 2: every byte fetched from peers: {got}")
        check(only(served, fetched_from_origins=SIZE, served_to_peers=SIZE),
              f"client 1: its peerdistd served the bytes client 2 fetched: {served}")

        office.download(c2, False, "again")
        got = c2.counters()
        check(office.summary["from_cache"] == SIZE, f"client 2 again: {office.summary}")
        check(only(got, fetched_from_peers=SIZE, read_from_cache=SIZE),
              f"client 2 again: every byte read from the cache, nothing fetched: {got}")

        c1.stop()
        c1.serve()
        check(c1.counters() == served, "client 1: the counters survive a restart of "
              f"its peerdistd: {c1.counters()}")
        office.close()


if __name__ == "__main__":
    main()
