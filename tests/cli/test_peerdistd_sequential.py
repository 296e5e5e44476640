#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A client that asks for block after block, as Windows and iPXE do
(peerdistd makes the next answers ahead and encrypts them together): on
one keep-alive connection, every block of a 20-block segment, asked for
one at a time, then all pipelined in one write, then out of order, then
again in order after a pause, decrypts to the content, carries the right
index and NextBlockIndex, and no IV is ever sent twice."""
import os
import subprocess
import time

from clitest import Peerdistd, check, publish_served, run, workdir
from httpwire import Conn, request
from pccrr_wire import getblks, parse_blk

BLOCK = 65536


def decrypt(kp, iv, block):
    return subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K",
                           kp[:32], "-iv", iv.hex()], input=block,
                          capture_output=True, check=True).stdout


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    content = os.urandom(20 * BLOCK - 1000)
    ci, segment, kp = publish_served(d, content, env)
    daemon = Peerdistd("--listen", "127.0.0.1", "--port", "0", env=env)
    port = daemon.port()
    ivs = set()

    def check_answer(c, i, what):
        status, _, body = c.answer()
        crypto, index, nxt, block, iv = parse_blk(body)
        check(status == 200 and crypto == 1 and index == i, f"{what}: block {i} ({index})")
        check(nxt == (i + 1 if i < 19 else 0), f"{what}: block {i} NextBlockIndex {nxt}")
        want = content[i * BLOCK:(i + 1) * BLOCK]
        check(decrypt(kp, iv, block)[:len(want)] == want, f"{what}: block {i} decrypts")
        check(iv not in ivs, f"{what}: block {i}: an IV sent before")
        ivs.add(iv)

    try:
        c = Conn(port)
        for i in range(20):
            c.send(request(getblks(segment, i)))
            check_answer(c, i, "one at a time")
        c.send(b"".join(request(getblks(segment, i)) for i in range(20)))
        for i in range(20):
            check_answer(c, i, "pipelined")
        for i in (3, 4, 5, 12, 6, 7, 0, 1, 2, 19):
            c.send(request(getblks(segment, i)))
            check_answer(c, i, "out of order")
        time.sleep(1.5)
        for i in range(8, 20):
            c.send(request(getblks(segment, i)))
            check_answer(c, i, "after a pause")
        c.close()
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
print("ok")
