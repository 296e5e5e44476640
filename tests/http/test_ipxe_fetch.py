#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A fetch the way iPXE makes it: its first request's headers to the content
server (nginx with the module, else peerdist serve), then each segment from
a peer (a peerdistd that has only the first half of the content: MS-PCCRR
GETBLKS, AES-128-CBC with Kp, checked against HoD), then a Range request
with MissingDataRequest=true to the origin for each segment no peer had.
The result is the file, byte for byte."""
import hashlib
import hmac
import json
import os
import subprocess

from clitest import Peerdistd
from httptest import (MISSING, Nginx, Serve, Workdir, check, free_port, peerdist,
                      request, wait_peerdist)
from pccrr_wire import getblks, parse_blk, post

IPXE = {"Accept-Encoding": "peerdist", "X-P2P-PeerDist": "Version=1.1",
        "X-P2P-PeerDistEx": "MinContentInformation=1.0, MaxContentInformation=2.0"}

work = Workdir()
data = os.urandom(900_000)
work.file("boot.img", data)
if os.environ.get("NGINX_MODULE"):
    port = free_port()
    server = Nginx(work, [(port, f"root {work.www}; peerdist on;")])
else:
    server = Serve(work, work.www)
    port = server.port

# the content server: content information (V2: iPXE allows it)
ci_path = work.path("boot.ci")
with open(ci_path, "wb") as f:
    f.write(wait_peerdist(port, "/boot.img", IPXE).body)
info = json.loads(peerdist("info", "--json", ci_path))
check(info["version"] == "2.0", "iPXE's headers get V2 content information")

# a peer that has the first half: the same secret, content sharing a prefix
cache = work.path("peer-cache")
peer_file = work.path("peer.img")
with open(peer_file, "wb") as f:
    f.write(data[:450_000] + os.urandom(450_000))
env = {"PEERDIST_CACHE_DIR": cache, "PEERDIST_SECRET_FILE": work.secret}
p = subprocess.run([os.environ["PEERDIST"], "publish", "--v2", "-o", work.path("peer.ci"),
                    "peer", peer_file], env=dict(os.environ, **env), capture_output=True)
check(p.returncode == 0, f"publish the peer's content: {p.stderr.decode()}")
peer = Peerdistd("--listen", "127.0.0.1", "--port", "0", env=env)
peer_port = peer.port()

ks = hashlib.sha512(open(work.secret, "rb").read()).digest()[:32]
out, from_peer, from_origin = bytearray(), 0, 0
for seg in info["segments"]:
    hod = bytes.fromhex(seg["hod"])
    kp = hmac.new(ks, hod, hashlib.sha512).digest()[:32]
    status, body = post(peer_port, getblks(bytes.fromhex(seg["hohodk"]), 0))
    crypto, _, _, block, iv = parse_blk(body)
    if block:
        check(crypto == 1, "the peer encrypts with AES-128")
        plain = subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad",
                                "-K", kp[:16].hex(), "-iv", iv.hex()],
                               input=block, capture_output=True, check=True).stdout
        plain = plain[:seg["size"]]
        check(hashlib.sha512(plain).digest()[:32] == hod, "a peer's block matches its HoD")
        from_peer += 1
    else:
        first, last = seg["offset"], seg["offset"] + seg["size"] - 1
        r = request(port, "/boot.img", dict(MISSING, Range=f"bytes={first}-{last}"))
        check(r.status == 206 and not r.peerdist(), "missing data: the bytes, partial")
        plain = r.body
        check(hashlib.sha512(plain).digest()[:32] == hod, "the origin's bytes match HoD")
        from_origin += 1
    out += plain
check(from_peer > 0 and from_origin > 0,
      f"segments came from both the peer ({from_peer}) and the origin ({from_origin})")
check(bytes(out) == data, "the fetch ends byte-exact")
check(peer.stop() == 0, "peerdistd stops cleanly")
server.stop()
work.close()
print("ok")
