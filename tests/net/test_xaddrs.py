#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""On a dual-stack LAN, a ProbeMatch advertises only an address of the
Probe's family that peerdistd's retrieval socket accepts: with the default
:: (dual stack) IPv4 Probes get the IPv4 address and IPv6 ones the IPv6
address their source can reach (a link-local one with its zone,
"[fe80::1%eth0]:3703", after the same without it, which iPXE needs); with --listen 0.0.0.0 no IPv6 address is ever
advertised; with --listen 127.0.0.1 nothing at all (no answer rather than
a lie); with --listen fd77::1 only that address, to every IPv6 Probe. A
TCP connect to every XAddr of the run succeeds, and the state file says
the same."""
import json
import os
import subprocess
import time

from netns import Lan, skip_unless_possible
from peers import PEERDIST, Host, check, content, workdir
import wsd


def link_local(lan, host):
    """eth0's link-local address, once the kernel made it."""
    for _ in range(50):
        out = lan.run(host, ["ip", "-j", "-6", "addr", "show", "dev", "eth0", "scope", "link"],
                      capture_output=True, text=True).stdout
        found = [a["local"] for i in json.loads(out) for a in i.get("addr_info", [])
                 if "local" in a]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no link-local address on {host}")


def answers(lan, src, segments):
    """The XAddrs of the answers to one Probe from src (on p)."""
    family = 6 if ":" in src else 4
    return [x for _, t in wsd.probe(lan, "p", family, src, segments) for x in wsd.xaddrs(t)]


def main():
    skip_unless_possible()
    lan = Lan(["a", "p"], 46)
    with workdir() as root:
        a = Host(lan, "a", root)
        data, ci = content(root, 2 * 65536), os.path.join(root, "content.ci")
        a.publish(data, ci)
        info = json.loads(subprocess.run([PEERDIST, "info", "--json", ci], check=True,
                                         capture_output=True, text=True).stdout)
        segments = [bytes.fromhex(s["hohodk"]) for s in info["segments"]]
        a4, a6, p4, p6 = lan.addr["a"], lan.addr6["a"], lan.addr["p"], lan.addr6["p"]
        a_ll, p_ll = link_local(lan, "a"), link_local(lan, "p")

        def expect(listen, src, want, what):
            got = answers(lan, src, segments)
            check(got == want, f"--listen {listen}: {what} ({got})")
            ok = wsd.connects(lan, "p", got)
            check(all(ok), f"--listen {listen}: a TCP connect to every XAddr succeeds ({ok})")

        a.serve()
        expect("::", p4, [f"{a4}:3703"], "an IPv4 Probe gets the IPv4 address")
        expect("::", p6, [f"[{a6}]:3703"], "an IPv6 Probe gets the IPv6 address")
        expect("::", p_ll, [f"[{a_ll}]:3703", f"[{a_ll}%eth0]:3703"],
               "a link-local Probe gets the link-local address, without its zone "
               "first (as iPXE needs it), then with it")
        adv = [x["xaddr"] for x in a.state()["advertised"]]
        check(len(adv) >= 2 and adv[0] == f"{a4}:3703" and adv[1].startswith("["),
              f"state file: IPv4 first, then IPv6 ({adv})")
        a.stop()

        a.serve("--listen", "0.0.0.0")
        expect("0.0.0.0", p4, [f"{a4}:3703"], "an IPv4 Probe gets the IPv4 address")
        expect("0.0.0.0", p6, [], "no IPv6 address advertised (global Probe)")
        expect("0.0.0.0", p_ll, [], "no IPv6 address advertised (link-local Probe)")
        state = a.state()
        check(state["listen"] == [{"address": "0.0.0.0", "port": 3703, "v6only": False}] and
              state["advertised"] == [{"interface": "eth0", "xaddr": f"{a4}:3703"}],
              f"state file: IPv4 only ({state['listen']}, {state['advertised']})")
        a.stop()

        a.serve("--listen", "127.0.0.1")
        expect("127.0.0.1", p4, [], "the LAN address is not advertised")
        expect("127.0.0.1", p6, [], "nor an IPv6 one")
        check(a.state()["advertised"] == [], "state file: nothing advertised")
        a.stop()

        a.serve("--listen", a6)
        expect(a6, p_ll, [f"[{a6}]:3703"], "a link-local Probe gets the one bound address")
        expect(a6, p4, [], "an IPv4 Probe gets nothing")
        a.stop()
    lan.close()


if __name__ == "__main__":
    main()
