#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd on its default listen address (::) accepts IPv4: a GETBLKS
sent to 127.0.0.1 exactly as python-peerdist's client sends it (a new TCP
connection per request; only Host, Accept-Encoding: identity and
Content-Length: 68; no Content-Type) gets the block, which decrypts to the
content; the same over IPv6 ::1."""
import os
import socket
import subprocess

from clitest import Peerdistd, check, fail, publish_served, run, workdir
from pccrr_wire import PATH, getblks, parse_blk


def decrypt(kp, iv, block):
    return subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K",
                           kp[:32], "-iv", iv.hex()], input=block,
                          capture_output=True, check=True).stdout


def fetch(family, host, port, body):
    """One POST on a connection of its own, headers as python-peerdist sends them."""
    head = (f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Accept-Encoding: identity\r\nContent-Length: {len(body)}\r\n\r\n")
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        try:
            s.connect((host, port))
        except OSError as e:
            fail(f"{host} port {port}: {e}")
        s.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            check(chunk, f"{host}: connection closed before a reply head")
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        check(lines[0].startswith("HTTP/1.1 200"), f"{host}: {lines[0]}")
        length = [int(h.split(":", 1)[1]) for h in lines[1:]
                  if h.lower().startswith("content-length:")]
        check(len(length) == 1, f"{host}: one Content-Length in the reply")
        while len(data) < length[0]:
            chunk = s.recv(65536)
            check(chunk, f"{host}: connection closed inside the body")
            data += chunk
        return data


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    content = os.urandom(200000)
    ci, segment, kp = publish_served(d, content, env)
    body = getblks(segment, 1)
    check(len(body) == 68, "python-peerdist's GETBLKS is 68 bytes")

    daemon = Peerdistd("--port", "0", env=env)
    line = daemon.wait_for("retrieval on")
    port = int(line.split()[-1])
    check(" :: " in line + " ", f"the default listen address is :: ({line})")
    try:
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            crypto, index, nxt, block, iv = parse_blk(fetch(family, host, port, body))
            check(crypto == 1 and index == 1 and nxt == 2, f"{host}: BLK fields")
            check(decrypt(kp, iv, block) == content[65536:131072],
                  f"{host}: block 1 decrypts to the content")
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
print("ok")
