#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Addresses that come after peerdistd started (DHCP after boot): A starts
with no address at all on an IPv4-only LAN; once one is added, Probes on
it are answered within 2 s (the multicast group joined, the subnet known,
from rtnetlink's news, no restart) with an XAddr that takes connections,
and every block is fetched through it, by a client written from the
specs and by libpeerdist. An address on a second subnet is answered for
in turn; addresses removed leave the state file with nothing advertised."""
import filecmp
import json
import os
import subprocess
import time

from netns import Lan, skip_unless_possible
from peers import PEERDIST, Host, check, content, workdir
import wsd


def answered_within(lan, src, segments, seconds):
    """The XAddrs of the first answer to Probes sent every 0.2 s, and how
    long it took; [] when none came in time."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        got = wsd.probe(lan, "p", 4, src, segments, wait=0.2)
        if got:
            return [x for _, t in got for x in wsd.xaddrs(t)], time.monotonic() - start
    return [], seconds


def wait_state(host, want, seconds=2):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if want(host.state()):
            return True
        time.sleep(0.05)
    return False


def main():
    skip_unless_possible()
    lan = Lan(["a", "p"], 4, ipv6=False, addresses=False)
    with workdir() as root:
        a, p = Host(lan, "a", root), Host(lan, "p", root)
        data_path, ci = content(root, 4 * 65536 + 99), os.path.join(root, "content.ci")
        data = open(data_path, "rb").read()
        a.publish(data_path, ci)
        lan.run("p", ["ip", "addr", "add", "10.77.0.2/24", "dev", "eth0"])
        a.serve()
        check(a.state()["interfaces"] == [] and a.state()["advertised"] == [],
              "A starts with no address: nothing advertised")
        info = json.loads(subprocess.run([PEERDIST, "info", "--json", "--show-secrets", ci],
                                         check=True, capture_output=True, text=True).stdout)
        segments = [bytes.fromhex(s["hohodk"]) for s in info["segments"]]

        lan.run("a", ["ip", "addr", "add", "10.77.0.1/24", "dev", "eth0"])
        seen, took = answered_within(lan, "10.77.0.2", segments, 2)
        check(seen == ["10.77.0.1:3703"], f"an address added later is answered for within "
              f"2 s ({seen}, {took:.2f} s)")
        check(wait_state(a, lambda s: s["advertised"] ==
                         [{"interface": "eth0", "xaddr": "10.77.0.1:3703"}]),
              f"the state file follows ({a.state()['advertised']})")
        good, total = wsd.fetch_all(lan, "p", seen[0], info, data)
        check(good == total, f"every block fetched through it ({good}/{total})")
        r = p.read(ci, os.path.join(root, "out-p"))
        check(r.returncode == 0 and
              filecmp.cmp(data_path, os.path.join(root, "out-p"), shallow=False),
              f"libpeerdist reads the content through it ({r.stderr.strip()})")

        lan.run("a", ["ip", "addr", "add", "10.79.0.1/24", "dev", "eth0"])
        lan.run("p", ["ip", "addr", "add", "10.79.0.2/24", "dev", "eth0"])
        seen2, took = answered_within(lan, "10.79.0.2", segments, 2)
        check(seen2 == ["10.79.0.1:3703"], f"a second subnet added later: its address "
              f"advertised to its Probes ({seen2}, {took:.2f} s)")
        ok = wsd.connects(lan, "p", seen + seen2)
        check(all(ok), f"a TCP connect to every XAddr of the run succeeds ({ok})")

        lan.run("a", ["ip", "addr", "flush", "dev", "eth0"])
        check(wait_state(a, lambda s: s["interfaces"] == [] and s["advertised"] == []),
              f"addresses removed: nothing advertised ({a.state()})")
        a.stop()
    lan.close()


if __name__ == "__main__":
    main()
