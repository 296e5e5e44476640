#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Memory under half-sent requests: 500 connections each send a request
head announcing the largest body (98,304 bytes) and then only 1,000 bytes
of it, and wait. peerdistd holds what it received, not buffers sized for
what was announced: its RSS (VmRSS) grows by less than 10 MB, and a second
round of 500 after the first was closed does not add to it."""
import os
import resource
import socket
import time

from clitest import Peerdistd, check, publish_served, workdir
from httpwire import Conn, request
from pccrr_wire import getblks

HALF, LIMIT_KB = 500, 10 * 1024

resource.setrlimit(resource.RLIMIT_NOFILE, (max(HALF + 500, resource.getrlimit(
    resource.RLIMIT_NOFILE)[0]), resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def half_sent(port, n):
    socks = []
    data = request(os.urandom(1000), {"Host": "a", "Content-Length": "98304"})
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(data)
        socks.append(s)
    time.sleep(1)   # peerdistd reads them all
    return socks


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(200000), env)
    conf = os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write("max_connections_per_address = 2000\nrequest_timeout_ms = 60000\n")
    daemon = Peerdistd("--config", conf, "--listen", "127.0.0.1", "--port", "0", env=env)
    port = daemon.port()
    pid = daemon.proc.pid
    try:
        for _ in range(4):      # every loop has served once: its buffers are in
            c = Conn(port)
            for i in range(3):
                c.send(request(getblks(segment, i)))
                check(c.answer()[0] == 200, "a block before the half-sent requests")
            c.close()
        base = rss_kb(pid)
        peaks = []
        for _ in range(2):
            socks = half_sent(port, HALF)
            peaks.append(rss_kb(pid) - base)
            for s in socks:
                s.close()
            time.sleep(0.5)
        check(peaks[0] < LIMIT_KB, f"500 half-sent requests: RSS +{peaks[0]} kB")
        check(peaks[1] < LIMIT_KB, f"a second round: RSS +{peaks[1]} kB")
        c = Conn(port)
        c.send(request(getblks(segment, 0)))
        check(c.answer()[0] == 200, "still serving")
        c.close()
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
print(f"ok (RSS +{peaks[0]} kB, then +{peaks[1]} kB)")
