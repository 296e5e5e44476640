#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd serves MS-PCCRR retrieval from the local store, on loopback:
a GETBLKS as a real client sends it gets the block encrypted with
AES-128-CBC under the first 16 bytes of Kp (decrypted here with openssl)
and the next block's index; a block it lacks gets an empty BLK; GETBLKLIST
gets the held blocks as ranges; GETSEGLIST (2.0) gets the indexes of the
held segments as ranges with its RequestID; wrong paths, methods and bodies get
404/405/400; SIGTERM stops it cleanly."""
import http.client
import os
import select
import signal
import struct
import subprocess
import time

from clitest import check, publish_served, run, workdir
from pccrr_wire import PATH, getblklist, getblks, getseglist, parse_blk, post

PEERDISTD = os.environ["PEERDISTD"]
def decrypt(kp, iv, block):
    return subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K",
                           kp[:32], "-iv", iv.hex()], input=block,
                          capture_output=True, check=True).stdout


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    content = os.urandom(300000)
    ci, segment, kp = publish_served(d, content, env)

    daemon = subprocess.Popen([PEERDISTD, "--listen", "127.0.0.1", "--port", "0",
                               "--no-discovery"],
                              env=dict(os.environ, **env), stderr=subprocess.PIPE)
    port, deadline, line = None, time.time() + 20, b""
    while port is None and time.time() < deadline:
        if select.select([daemon.stderr], [], [], 1)[0]:
            line = daemon.stderr.readline()
            if b"retrieval on" in line:
                port = int(line.split()[-1])
    check(port, f"peerdistd did not start: {line}")
    try:
        status, data = post(port, getblks(segment, 1))
        check(status == 200, f"GETBLKS: HTTP {status}")
        crypto, index, nxt, block, iv = parse_blk(data)
        check(crypto == 1 and index == 1 and nxt == 2 and len(iv) == 16, "BLK fields")
        check(decrypt(kp, iv, block) == content[65536:131072], "block 1 decrypts to the content")

        status, data = post(port, getblks(segment, 4, crypto=0))
        crypto, index, nxt, block, iv = parse_blk(data)
        check(crypto == 1, "plaintext asked, AES-128 given (real clients refuse plaintext)")
        check(nxt == 0 and len(block) == 37856 + (-37856 % 16), "last block: no next, padded")
        check(decrypt(kp, iv, block)[:37856] == content[262144:], "last block decrypts")

        status, data = post(port, getblks(bytes(32), 0))
        crypto, index, nxt, block, iv = parse_blk(data)
        check(status == 200 and block == b"" and crypto == 0, "a block not held: empty BLK")

        status, data = post(port, getblklist(segment, 0, 10))
        check(status == 200, "GETBLKLIST")
        body = data[20:]
        (idlen,) = struct.unpack(">I", body[:4])
        body = body[4 + idlen:]
        count, idx, cnt = struct.unpack(">III", body[:12])
        check((count, idx, cnt) == (1, 0, 5), f"BLKLIST ranges {(count, idx, cnt)}")

        rid = os.urandom(16)
        status, data = post(port, getseglist(rid, [bytes(32), segment, segment,
                                                   bytes(20), segment]))
        ver, typ, msize = struct.unpack(">III", data[4:16])
        check(status == 200 and (ver, typ, msize) == (2, 7, len(data) - 4), "SEGLIST framing")
        check(data[20:36] == rid, "SEGLIST echoes the RequestID")
        ranges = struct.unpack(">5I", data[36:56])
        check(ranges == (2, 1, 2, 4, 1), f"SEGLIST ranges {ranges}")
        check(data[56:] == bytes(4), "SEGLIST without ages")

        check(post(port, getblks(segment, 0), path=PATH.lower())[0] == 200, "path case")
        check(post(port, getblks(segment, 0), path="/other/")[0] == 404, "404")
        check(post(port, None, method="GET")[0] == 405, "405")
        check(post(port, b"\x00" * 40)[0] == 400, "400 for garbage")
        check(post(port, b"\x00" * 100000)[0] == 413, "413 over the request limit")
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=10)
    check(code == 0, f"peerdistd exited {code} on SIGTERM")
print("ok")
