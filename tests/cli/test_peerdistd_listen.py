#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Several listen addresses: --listen given twice, or "listen = A, B" in
the configuration file (the command line replacing the file's), gives one
"retrieval on" line per address, all on the same port (port 0: the one
picked for the first), and each address serves blocks; an address not
listed is refused; a listen value that is no address is an error naming it."""
import os
import socket

from clitest import Peerdistd, check, publish_served, workdir
from httpwire import Conn, request
from pccrr_wire import getblks, parse_blk


def serves(port, host):
    c = Conn(port, host=host)
    c.send(request(getblks(segment, 1)))
    status, _, body = c.answer()
    c.close()
    return status == 200 and len(parse_blk(body)[3]) == 65536


def refused(port, host):
    with socket.socket() as s:
        s.settimeout(5)
        return s.connect_ex((host, port)) != 0


def lines(daemon, n):
    return [daemon.wait_for("retrieval on") for _ in range(n)]


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(200000), env)
    conf = os.path.join(d, "conf")

    daemon = Peerdistd("--listen", "127.0.0.1", "--listen", "::1", "--port", "0", env=env)
    try:
        got = lines(daemon, 2)
        port = int(got[0].split()[-1])
        check(got == [f"peerdistd: retrieval on 127.0.0.1 port {port}",
                      f"peerdistd: retrieval on ::1 port {port}"], f"two listeners: {got}")
        check(serves(port, "127.0.0.1") and serves(port, "::1"), "both serve")
        check(refused(port, "127.0.0.2"), "an address not listed is refused")
    finally:
        check(daemon.stop() == 0, "peerdistd stops cleanly")

    with open(conf, "w") as f:
        f.write("listen = 127.0.0.3, 127.0.0.4\nport = 0\n")
    daemon = Peerdistd("--config", conf, env=env)
    try:
        got = lines(daemon, 2)
        port = int(got[0].split()[-1])
        check(serves(port, "127.0.0.3") and serves(port, "127.0.0.4"), "a list in the file")
        check(refused(port, "127.0.0.1"), "and only its addresses")
    finally:
        check(daemon.stop() == 0, "peerdistd stops cleanly")

    daemon = Peerdistd("--config", conf, "--listen", "127.0.0.5", env=env)
    try:
        port = int(daemon.wait_for("retrieval on 127.0.0.5").split()[-1])
        check(serves(port, "127.0.0.5") and refused(port, "127.0.0.3"),
              "--listen replaces the file's addresses")
    finally:
        check(daemon.stop() == 0, "peerdistd stops cleanly")

    daemon = Peerdistd("--listen", "127.0.0.1,nowhere", env=env)
    code = daemon.proc.wait(timeout=10)
    err = daemon.proc.stderr.read().decode()
    check(code == 2 and "'127.0.0.1,nowhere' is not up to 8 IPv4 or IPv6 addresses" in err,
          f"a bad listen value: exit {code}, {err}")
print("ok")
