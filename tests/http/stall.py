# SPDX-License-Identifier: GPL-2.0-or-later
"""A 1 GiB file being hashed does not stall the server: while its answer is
still identity with MakeHashRequest, other requests are answered, and its
content information comes once made."""
import os

from httptest import ASK_V2, check, request, wait_peerdist

SIZE = 1 << 30


def check_no_stall(port, work, other):
    path = os.path.join(work.www, "huge.bin")
    with open(path, "wb") as f:          # sparse: no disk, the same hashing work
        f.truncate(SIZE)
    # one byte of it, from a peerdist client: identity (206) and hashing starts
    r = request(port, "/huge.bin", dict(ASK_V2, Range="bytes=0-0"))
    check(r.status == 206 and r.body == b"\0", f"the first byte as identity ({r.status})")
    check(r.get("X-P2P-PeerDistEx") == "MakeHashRequest=true", "hashing was asked for")
    for _ in range(20):
        o = request(port, "/" + other, ASK_V2, timeout=5)
        check(o.status == 200, "another request answered while hashing")
    r = request(port, "/huge.bin", dict(ASK_V2, Range="bytes=0-0"))
    check(not r.peerdist(), "the 1 GiB file was still being hashed meanwhile "
          "(else this check proves nothing)")
    r = wait_peerdist(port, "/huge.bin", dict(ASK_V2, Range="bytes=0-0"), tries=1200)
    check(r.get("X-P2P-PeerDist") == "Version=1.1, ContentLength=1", "then its content information")
    os.unlink(path)
