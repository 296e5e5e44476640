# SPDX-License-Identifier: GPL-2.0-or-later
"""A LAN of network namespaces for multi-host tests: one namespace per host,
each with an eth0 veth plugged into a bridge that lives in a namespace of
its own, so nothing is added to the machine's own network. Everything is
removed on exit, also when the test fails or is interrupted.

The family: 4 (IPv4 addresses; IPv6 link-local ones remain), 6, or 46
(dual stack: both, IPv4 in addr, IPv6 in addr6). ipv6=False makes an
IPv4-only LAN as many real ones are: IPv6 disabled in every namespace
(sysctl disable_ipv6), so no link-local address hides an IPv4 problem.
addresses=False leaves eth0 without addresses (the test adds them)."""
import atexit
import os
import shutil
import signal
import subprocess
import sys


def skip_unless_possible():
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("SKIP: needs root and iproute2 to create network namespaces")
        sys.exit(77)


def ip(*args):
    subprocess.run(["ip", *args], check=True, stdout=subprocess.DEVNULL)


class Lan:
    def __init__(self, hosts, family, ipv6=True, addresses=True):
        self.tag = "pd%d" % (os.getpid() % 100000)
        self.namespaces = []
        self.procs = []
        self.addr, self.addr6 = {}, {}
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
        bridge = self._netns("br")
        ip("-n", bridge, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        ip("-n", bridge, "link", "set", "br0", "up")
        for i, host in enumerate(hosts, 1):
            ns = self._netns(host)
            # Link-local addresses usable at once: no duplicate detection.
            for key in ("default", "all"):
                self.run(host, ["sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0"])
                if not ipv6:
                    self.run(host, ["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"])
            ip("-n", bridge, "link", "add", f"p{i}", "type", "veth",
               "peer", "name", "eth0", "netns", ns)
            ip("-n", bridge, "link", "set", f"p{i}", "master", "br0", "up")
            if family in (4, 46):
                self.addr[host] = f"10.77.0.{i}"
            if family in (6, 46):
                self.addr6[host] = f"fd77::{i}"
            if family == 6:
                self.addr[host] = self.addr6[host]
            if addresses and family in (4, 46):
                ip("-n", ns, "addr", "add", f"10.77.0.{i}/24", "dev", "eth0")
            if addresses and family in (6, 46):
                ip("-n", ns, "addr", "add", f"fd77::{i}/64", "dev", "eth0", "nodad")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", "eth0", "up")

    def _netns(self, name):
        ns = f"{self.tag}-{name}"
        ip("netns", "add", ns)
        self.namespaces.append(ns)
        return ns

    def cmd(self, host, argv):
        return ["ip", "netns", "exec", f"{self.tag}-{host}", *argv]

    def run(self, host, argv, **kw):
        return subprocess.run(self.cmd(host, argv), check=True, **kw)

    def start(self, host, argv, **kw):
        p = subprocess.Popen(self.cmd(host, argv), **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.procs = []
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.namespaces = []


class RoutedLans(Lan):
    """Two IPv4 subnets joined by a router namespace that forwards unicast
    only (no multicast routing): discovery cannot cross. Hosts in a are on
    10.77.1.0/24 (a bridge), the one host in b on 10.77.2.0/24."""

    def __init__(self, a_hosts, b_host):
        self.tag = "pd%d" % (os.getpid() % 100000)
        self.namespaces, self.procs, self.addr = [], [], {}
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
        bridge, router = self._netns("br"), self._netns("router")
        ip("-n", bridge, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        ip("-n", bridge, "link", "set", "br0", "up")
        self.run("router", ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        ip("-n", bridge, "link", "add", "pr", "type", "veth", "peer", "name", "eth0",
           "netns", router)
        ip("-n", bridge, "link", "set", "pr", "master", "br0", "up")
        ip("-n", router, "addr", "add", "10.77.1.254/24", "dev", "eth0")
        ip("-n", router, "link", "set", "eth0", "up")
        for i, host in enumerate(a_hosts, 1):
            ns = self._netns(host)
            ip("-n", bridge, "link", "add", f"p{i}", "type", "veth",
               "peer", "name", "eth0", "netns", ns)
            ip("-n", bridge, "link", "set", f"p{i}", "master", "br0", "up")
            self._address(ns, host, f"10.77.1.{i}", "10.77.1.254")
        ns = self._netns(b_host)
        ip("-n", router, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0",
           "netns", ns)
        ip("-n", router, "addr", "add", "10.77.2.254/24", "dev", "eth1")
        ip("-n", router, "link", "set", "eth1", "up")
        self._address(ns, b_host, "10.77.2.1", "10.77.2.254")

    def _address(self, ns, host, addr, gateway):
        self.addr[host] = addr
        ip("-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "route", "add", "default", "via", gateway)
