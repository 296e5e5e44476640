#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd's HTTP framing as clients use it, over raw sockets: pipelined
GETBLKS sent in one write are answered in order on the same connection;
a request split into pieces (inside the request line, the headers and the
body) is answered once whole; the connection stays open between requests; six connections with 40
pipelined requests each, all sent before any answer is read (more than
one pass of the server holds), get every answer;
HTTP/1.0 and "Connection: close" get their answer and then the close; two
different Content-Length headers get 400, chunked and a missing length
411, an oversized head 431, an oversized body 413, HTTP/2.0 505, each with
Connection: close and the connection closed."""
import os
import time

from clitest import Peerdistd, check, publish_served, workdir
from httpwire import Conn, request
from pccrr_wire import getblks, parse_blk

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(300000), env)
    daemon = Peerdistd("--listen", "127.0.0.1", "--port", "0", env=env)
    port = daemon.port()
    try:
        c = Conn(port)
        c.send(b"".join(request(getblks(segment, i)) for i in (0, 3, 1, 4)))
        for i in (0, 3, 1, 4):
            status, headers, body = c.answer()
            check(status == 200 and "connection" not in headers, f"pipelined {i}: {status}")
            check(parse_blk(body)[1] == i, f"pipelined answers in order ({i})")

        many = [Conn(port) for _ in range(6)]
        for m in many:
            m.send(b"".join(request(getblks(segment, i % 5)) for i in range(40)))
        for k, m in enumerate(many):
            for i in range(40):
                status, _, body = m.answer()
                check(status == 200 and parse_blk(body)[1] == i % 5,
                      f"connection {k}, pipelined request {i}")
            m.close()

        whole = request(getblks(segment, 2))
        for cut in (3, 30, len(whole) - 70, len(whole) - 10):
            c.send(whole[:cut])
            time.sleep(0.05)
            c.send(whole[cut:])
            status, headers, body = c.answer()
            check(status == 200 and parse_blk(body)[1] == 2, f"split at {cut}")
        c.close()

        for version, headers in (("HTTP/1.0", None),
                                 ("HTTP/1.1", {"Host": "a", "Content-Length": "68",
                                               "Connection": "close"})):
            c = Conn(port)
            c.send(request(getblks(segment, 1), headers, version=version))
            status, h, body = c.answer()
            check(status == 200 and len(parse_blk(body)[3]) == 65536, f"{version} served")
            check(h.get("connection") == "close" and c.closed(), f"{version}: then closed")
            c.close()

        body = getblks(segment, 1)
        refused = [
            (400, request(body, [("Host", "a"), ("Content-Length", "68"),
                                 ("Content-Length", "69")])),
            (411, request(body, {"Host": "a", "Transfer-Encoding": "chunked"})),
            (411, request(b"", {"Host": "a"})),
            (431, request(b"", {"Host": "a", "X-Long": "x" * 9000})),
            (413, request(b"", {"Host": "a", "Content-Length": "98305"})),
            (505, request(body, version="HTTP/2.0")),
            (400, b"\x00\x01 garbage\r\n\r\n"),
        ]
        for want, data in refused:
            c = Conn(port)
            c.send(data)
            status, h, _ = c.answer()
            check(status == want, f"expected {want}, got {status}")
            check(h.get("connection") == "close" and c.closed(), f"{want}: closed after it")
            c.close()
        c = Conn(port)
        c.send(request(getblks(segment, 0)))
        check(c.answer()[0] == 200, "still serving after the refusals")
        c.close()
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
print("ok")
