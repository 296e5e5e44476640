#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The connection limits as settings: with max_connections_per_address = 2
a third connection from the same address is closed at once while one from
another address is kept; a reload to 4 keeps a fourth; keepalive_timeout_ms
closes a connection idle after a request; request_timeout_ms closes one
that never sends a whole request; values out of range stop peerdistd with
exit 2."""
import os
import signal
import time

from clitest import Peerdistd, check, publish_served, workdir
from httpwire import Conn, request
from pccrr_wire import getblks


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def still_open(c):
    c.s.settimeout(0.1)
    try:
        return c.s.recv(1) != b""
    except TimeoutError:
        return True
    except OSError:
        return False


def open_ones(conns, closed, within=5.0):
    """The connections still open once the server closed `closed` of them
    (waiting up to `within` s: the event loops accept in their own order)."""
    end = time.monotonic() + within
    while True:
        alive = [c for c in conns if still_open(c)]
        if len(conns) - len(alive) >= closed or time.monotonic() > end:
            return alive


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(100000), env)
    conf = os.path.join(d, "conf")
    write(conf, "max_connections_per_address = 2\nrequest_timeout_ms = 2500\n"
          "keepalive_timeout_ms = 1000\n")
    daemon = Peerdistd("--config", conf, "--listen", "127.0.0.1", "--port", "0", env=env)
    port = daemon.port()
    try:
        a = [Conn(port) for _ in range(3)]
        other = Conn(port, source="127.0.0.2")
        check(len(open_ones(a, 1)) == 2,
              "of three connections from one address, two are kept and one closed")
        check(still_open(other), "one from another address is kept")
        for c in a + [other]:
            c.close()
        time.sleep(0.3)

        write(conf, "max_connections_per_address = 4\nrequest_timeout_ms = 2500\n"
              "keepalive_timeout_ms = 1000\n")
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("reloaded")
        a = [Conn(port) for _ in range(4)]
        check(all(still_open(c) for c in a), "after a reload to 4, four are kept")
        a[0].send(request(getblks(segment, 0)))
        check(a[0].answer()[0] == 200, "a request on one of them")
        time.sleep(2.7)
        check(not still_open(a[0]), "idle past keepalive_timeout_ms: closed")
        check(not still_open(a[1]), "no whole request within request_timeout_ms: closed")
        for c in a:
            c.close()
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")

    for bad in ("max_connections_per_address = 0", "request_timeout_ms = 99",
                "keepalive_timeout_ms = x"):
        write(conf, bad + "\n")
        p = Peerdistd("--config", conf, env=env)
        code = p.proc.wait(timeout=10)
        err = p.proc.stderr.read().decode()
        check(code == 2 and f"{conf}:1: {bad.split()[0]}" in err, f"{bad}: exit {code}, {err}")
print("ok")
