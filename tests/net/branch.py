# SPDX-License-Identifier: GPL-2.0-or-later
"""A branch office in network namespaces: a content server (peerdist serve)
whose link is a simulated WAN (20 Mbit/s and 40 ms each way: tc netem, or
where the kernel has no sch_netem, tc tbf and a user-space delay line in a
router on the link, tests/net/wan_delay.c), and branch clients on the LAN,
each with peerdistd. Clients download with
`peerdist get` (BranchCache) or curl (plain HTTP); each download's time and
bytes over the WAN (the server link's interface counters) are measured.
Run as a program, it is the main job's demo (tests/demo): two clients,
BranchCache and plain HTTP, as a table."""
import json
import os
import subprocess
import sys
import time

from netns import Lan, ip
from peers import PEERDIST, Host, check

WAN = ["netem", "rate", "20mbit", "delay", "40ms", "limit", "10000"]
# Without sch_netem in the kernel: the rate (tbf), and the delay from a
# delay line (wan_delay) in a router namespace put on the server's link.
WAN_RATE = ["tbf", "rate", "20mbit", "burst", "32kbit", "latency", "400ms"]
WAN_DELAY = os.environ.get("WAN_DELAY")
DELAY_MS = 40
PORT = 8080


class BranchOffice:
    def __init__(self, clients, root, size, others=()):
        """others: more hosts on the LAN, without peerdistd (the test's own)."""
        self.names = [f"c{i}" for i in range(1, clients + 1)]
        self.lan = Lan(["srv", *self.names, *others], 4)
        self.root = root
        self.clients = [Host(self.lan, n, root) for n in self.names]
        self.www = os.path.join(root, "www")
        os.makedirs(self.www)
        self.file = os.path.join(self.www, "file.bin")
        with open(self.file, "wb") as f:
            f.write(os.urandom(size))
        self.size = size
        self.url = self.url_of("file.bin")
        # the server's link is the WAN: shaped leaving the server and
        # leaving its other end towards it (the bridge's p1, or the router's)
        self.wan_end, self.delay_line = "br", None
        if self._shape(WAN):
            self.wan = "a 20 Mbit/s WAN, 40 ms each way (tc netem)"
            # a router passes no link-local multicast (the peers' discovery) to the WAN
            subprocess.run(["ip", "-n", f"{self.lan.tag}-br", "link", "set", "p1", "type",
                            "bridge_slave", "mcast_flood", "off"], check=True)
        else:
            self._delay_line()
            check(self._shape(WAN_RATE), "the WAN link is shaped (tc tbf)")
            self.wan = (f"a 20 Mbit/s WAN, {DELAY_MS} ms each way "
                        "(tc tbf and a user-space delay line: no sch_netem)")
        print(f"branch office: the WAN is {self.wan}", file=sys.stderr)
        # its counters count what a wire carries: packets of one MTU each
        # (a segmentation offload's burst counts its headers once)
        ip("-n", f"{self.lan.tag}-srv", "link", "set", "dev", "eth0", "gso_max_segs", "1")
        ip("-n", f"{self.lan.tag}-{self.wan_end}", "link", "set", "dev", "p1",
           "gso_max_segs", "1")
        secret = os.path.join(root, "server-secret")
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(os.urandom(32))
        self.server = self.lan.start("srv", [
            PEERDIST, "serve", "--listen", self.lan.addr["srv"], "--port", str(PORT),
            "--cache-dir", os.path.join(root, "server-cache"), "--secret-file", secret,
            self.www], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.server.stdout.readline().decode()
        check(line.startswith("serving on"), f"the content server is up ({line.strip()})")
        for c in self.clients:
            c.serve()
        self.wait_hashed("file.bin")

    def url_of(self, name):
        return f"http://{self.lan.addr['srv']}:{PORT}/{name}"

    def add(self, name, data):
        """Another file on the server, hashed when this returns."""
        with open(os.path.join(self.www, name), "wb") as f:
            f.write(data)
        self.wait_hashed(name)

    def _shape(self, qdisc):
        ends = [self.lan.cmd("srv", ["tc", "qdisc", "replace", "dev", "eth0", "root"]),
                ["ip", "netns", "exec", f"{self.lan.tag}-{self.wan_end}", "tc", "qdisc",
                 "replace", "dev", "p1", "root"]]
        return all(subprocess.run(argv + qdisc, stderr=subprocess.DEVNULL).returncode == 0
                   for argv in ends)

    def _delay_line(self):
        """A router namespace on the server's link, with the same addresses
        (proxy ARP both ways): the server's p1 moves from the bridge into
        it, and a new link joins it to the bridge (lan). Packets that arrive
        on p1 or lan, for the far side, are routed into a TUN device (wan0)
        where wan_delay holds each DELAY_MS; what it writes back (iif wan0)
        takes the main table, to the real link. Multicast is not routed."""
        check(WAN_DELAY is not None, "WAN_DELAY names the delay line program")
        tag, srv, lan = self.lan.tag, self.lan.addr["srv"], "10.77.0.0/24"
        router = self.lan._netns("wan")
        self.wan_end = "wan"
        ip("-n", f"{tag}-br", "link", "set", "p1", "netns", router)
        ip("-n", f"{tag}-br", "link", "add", "pw", "type", "veth", "peer", "name", "lan",
           "netns", router)
        ip("-n", f"{tag}-br", "link", "set", "pw", "master", "br0", "up")
        sysctls = ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                   "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0"]
        for dev in ("p1", "lan"):
            sysctls += [f"net.ipv4.conf.{dev}.rp_filter=0", f"net.ipv4.conf.{dev}.proxy_arp=1",
                        f"net.ipv4.neigh.{dev}.proxy_delay=0"]
            # the router's own address, the source of its ARP requests
            ip("-n", router, "addr", "add", "10.77.0.254/32", "dev", dev)
            ip("-n", router, "link", "set", dev, "up")
        self.lan.run("wan", ["sysctl", "-qw", *sysctls])
        self.delay_line = self.lan.start("wan", [WAN_DELAY, "wan0", str(DELAY_MS)],
                                         stdout=subprocess.PIPE, text=True)
        line = self.delay_line.stdout.readline()
        check(line == "ready\n", f"the WAN delay line is up ({line.strip()})")
        ip("-n", router, "link", "set", "wan0", "up")
        ip("-n", router, "route", "add", srv, "dev", "p1")
        ip("-n", router, "route", "add", lan, "dev", "lan")
        # each side's far side through the delay line; dropped, never
        # routed around it, if the delay line is gone
        for table, iif, far in ((101, "lan", srv), (102, "p1", lan)):
            ip("-n", router, "route", "add", far, "dev", "wan0", "table", str(table))
            ip("-n", router, "route", "add", "blackhole", far, "metric", "1000",
               "table", str(table))
            ip("-n", router, "rule", "add", "iif", iif, "lookup", str(table),
               "pref", str(table))

    def wait_hashed(self, name):
        """The server hashes the file on the first request: ask it (from its
        own namespace, not over the WAN) until it answers with content
        information."""
        env = dict(os.environ, PEERDIST_DISCOVERY="off",
                   PEERDIST_CACHE_DIR=os.path.join(self.root, "probe-cache"))
        for _ in range(200):
            p = subprocess.run(self.lan.cmd("srv", [
                PEERDIST, "get", "--json", "--timeout", "0", "-o", os.devnull,
                self.url_of(name)]),
                env=env, capture_output=True, text=True)
            if p.returncode == 0 and json.loads(p.stderr.splitlines()[-1])["peerdist"]:
                return
            time.sleep(0.05)
        check(False, "the server never answered with content information")

    def wan_bytes(self):
        stats = "/sys/class/net/eth0/statistics/"
        p = self.lan.run("srv", ["cat", stats + "tx_bytes", stats + "rx_bytes"],
                         capture_output=True, text=True)
        return sum(int(x) for x in p.stdout.split())

    def download(self, client, plain, name, source="file.bin", args=()):
        """One download of source on client into name; (seconds, WAN bytes,
        bytes from peers); self.summary is peerdist get's."""
        out, url = os.path.join(client.dir, name), self.url_of(source)
        if plain:
            argv = ["curl", "-sSf", "-o", out, url]
        else:
            # 1 s for peers to answer (a LAN's discovery takes 300 ms), not
            # Windows' 5 s: the first client waits that long for nobody
            argv = [PEERDIST, "get", "--json", "--timeout", "1000", *args, "-o", out, url]
        before, start = self.wan_bytes(), time.monotonic()
        p = subprocess.run(self.lan.cmd(client.name, argv), env=client.env,
                           capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - start
        what = "curl" if plain else "peerdist get"
        check(p.returncode == 0, f"{client.name}: {what}" +
              ("" if p.returncode == 0 else f": exit {p.returncode}: {p.stderr.strip()}"))
        with open(out, "rb") as f, open(os.path.join(self.www, source), "rb") as orig:
            check(f.read() == orig.read(), f"{client.name}: {name} is byte-exact")
        self.summary = {} if plain else json.loads(p.stderr.splitlines()[-1])
        return seconds, self.wan_bytes() - before, self.summary.get("from_peers", 0)

    def close(self):
        self.server.terminate()
        self.server.wait(20)
        for c in self.clients:
            c.stop()
        if self.delay_line:
            self.delay_line.terminate()	# it says what it delayed and dropped
            self.delay_line.wait(20)
        self.lan.close()


def demo():
    """The main job's table: two clients with BranchCache, then with plain HTTP."""
    from peers import workdir
    size = 8 << 20
    with workdir() as root:
        office = BranchOffice(2, root, size)
        rows = []
        for plain in (False, True):
            for c in office.clients:
                rows.append((c.name, "plain HTTP" if plain else "BranchCache",
                             *office.download(c, plain, "plain" if plain else "get")))
        office.close()
    print(f"\n== a {size >> 20} MiB file from a server behind {office.wan}, "
          "to two branch clients on a LAN")
    print(f"{'client':8} {'how':12} {'time':>8} {'over the WAN':>14} {'from peers':>12}")
    for name, how, seconds, wan, peers in rows:
        print(f"{name:8} {how:12} {seconds:7.2f}s {wan / 2**20:10.2f} MiB "
              f"{peers / 2**20:8.2f} MiB")


if __name__ == "__main__":
    demo()
