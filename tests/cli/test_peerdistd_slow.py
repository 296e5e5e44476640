#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection exhaustion from one address: 1,100 connections from
127.0.0.2 that trickle a byte of a request every half second. peerdistd
keeps max_connections_per_address (32 by default) of them and refuses the
rest at once, logging it; meanwhile a client from 127.0.0.1 is served
within its request timer; the 32 kept are closed by the request deadline
(request_timeout_ms, here 3 s) although their bytes keep coming, and that
is logged too."""
import os
import resource
import socket
import time

from clitest import Peerdistd, check, publish_served, workdir
from httpwire import Conn, request
from pccrr_wire import getblks, parse_blk

SLOW, TIMEOUT = 1100, 3.0

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < SLOW + 200:
    print(f"SKIP: RLIMIT_NOFILE hard limit {hard}")
    raise SystemExit(77)
resource.setrlimit(resource.RLIMIT_NOFILE, (SLOW + 1000, hard))

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(200000), env)
    conf = os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write(f"request_timeout_ms = {int(TIMEOUT * 1000)}\n")
    daemon = Peerdistd("--config", conf, "--listen", "127.0.0.1", "--port", "0", env=env)
    port = daemon.port()
    slow = []
    try:
        start = time.monotonic()
        for _ in range(SLOW):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            slow.append(s)
        trickle = request(getblks(segment, 0))
        sent, open_ = 0, set(range(SLOW))
        served_in = None
        while time.monotonic() - start < TIMEOUT + 2.5 and open_:
            for i in list(open_):
                try:
                    slow[i].send(trickle[sent:sent + 1])
                    if slow[i].recv(1) == b"":
                        open_.discard(i)
                except BlockingIOError:
                    pass
                except OSError:
                    open_.discard(i)
            sent += 1
            if served_in is None and time.monotonic() - start > 1.0:
                t = time.monotonic()
                c = Conn(port, timeout=TIMEOUT)
                c.send(request(getblks(segment, 1)))
                status, _, body = c.answer()
                served_in = time.monotonic() - t
                check(status == 200 and len(parse_blk(body)[3]) == 65536,
                      "the client from 127.0.0.1 gets its block")
                c.close()
                kept = len(open_)
            time.sleep(0.5)
        check(served_in is not None and served_in < TIMEOUT,
              f"served within its request timer ({served_in})")
        check(0 < kept <= 32, f"{kept} slow connections kept (at most 32)")
        check(not open_, f"{len(open_)} slow connections outlived the request deadline")
    finally:
        for s in slow:
            s.close()
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
    log = "\n".join(daemon.seen)
    check("127.0.0.2: connection refused: max_connections_per_address" in log,
          "the per-address limit is logged")
    check("127.0.0.2: connection closed: no whole request within request_timeout_ms" in log,
          "the deadline is logged")
    check(log.count("max_connections_per_address reached") == 1, "rate-limited")
print("ok")
