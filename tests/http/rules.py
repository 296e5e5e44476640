# SPDX-License-Identifier: GPL-2.0-or-later
"""The MS-PCCRTP rules, header by header, against any content server: the
same checks for nginx with the module (static and proxied), peerdist serve
and the gateway. big and small name files under work.www."""
import os

from httptest import (ASK_V1, ASK_V2, ASK_WIN7, MISSING, check, expected_ci,
                      request, wait_peerdist)


def identity_of(r, data, what):
    check(r.status == 200 and r.body == data, f"{what}: the identity body ({r.status})")
    check(not r.peerdist(), f"{what}: no Content-Encoding: peerdist")


def check_rules(port, work, big, small):
    data = open(os.path.join(work.www, big), "rb").read()
    url, path = "/" + big, os.path.join(work.www, big)

    # no peerdist in Accept-Encoding: identity, but Vary says it depends on it
    r = request(port, url)
    identity_of(r, data, "a plain GET")
    check(r.get("X-P2P-PeerDist") is None, "a plain GET: no X-P2P-PeerDist")
    check("accept-encoding" in (r.get("Vary") or "").lower(), "Vary: Accept-Encoding")
    check(r.get("ETag") or r.get("Last-Modified"), "the answer has a validator")

    # the first peerdist request: identity while hashes are made, MakeHashRequest
    r = request(port, url, ASK_V2)
    if not r.peerdist():
        identity_of(r, data, "the first peerdist request")
        check(r.get("X-P2P-PeerDistEx") == "MakeHashRequest=true",
              f"MakeHashRequest=true on the first answer ({r.headers})")
        check(r.get("X-P2P-PeerDist") == "Version=1.1", "X-P2P-PeerDist: Version=1.1 with it")

    # V2 when PeerDistEx allows it, byte-exact with peerdist hash --v2
    r = wait_peerdist(port, url, ASK_V2)
    check(r.status == 200, "content information: 200")
    check(r.get("X-P2P-PeerDist") == f"Version=1.1, ContentLength={len(data)}",
          f"X-P2P-PeerDist: Version=1.1, ContentLength=N ({r.get('X-P2P-PeerDist')})")
    check(int(r.get("Content-Length")) == len(r.body), "Content-Length is the body's")
    check("accept-encoding" in (r.get("Vary") or "").lower(), "Vary on peerdist too")
    check(r.body == expected_ci(work.secret, path, 2), "V2 content information of the file")

    # V1 for MaxContentInformation=1.0, for Version=1.1 without PeerDistEx,
    # and for Windows 7's Version=1.0 (answered as 1.0)
    v1 = expected_ci(work.secret, path, 1)
    r = wait_peerdist(port, url, ASK_V1)
    check(r.body == v1, "V1 for MaxContentInformation=1.0")
    r = wait_peerdist(port, url, {"Accept-Encoding": "peerdist", "X-P2P-PeerDist": "Version=1.1"})
    check(r.body == v1, "V1 without PeerDistEx")
    r = wait_peerdist(port, url, ASK_WIN7)
    check(r.body == v1 and r.get("X-P2P-PeerDist").startswith("Version=1.0,"),
          "Version=1.0 gets V1, answered as 1.0")

    # identity: q=0, no X-P2P-PeerDist, bounds outside what exists, HEAD
    identity_of(request(port, url, dict(ASK_V2, **{"Accept-Encoding": "peerdist;q=0"})),
                data, "peerdist;q=0")
    identity_of(request(port, url, {"Accept-Encoding": "peerdist"}), data, "no Version")
    identity_of(request(port, url, dict(ASK_V2, **{
        "X-P2P-PeerDistEx": "MinContentInformation=3.0, MaxContentInformation=3.0"})),
        data, "content information bounds 3.0")
    r = request(port, url, ASK_V2, method="HEAD")
    check(r.status == 200 and not r.peerdist(), "HEAD: never peerdist")

    # a Range with MissingDataRequest: the bytes themselves, partial
    r = request(port, url, dict(MISSING, Range="bytes=70000-200000"))
    check(r.status == 206 and r.body == data[70000:200001] and not r.peerdist(),
          f"Range + MissingDataRequest: 206 with those bytes ({r.status})")
    # a Range from a peerdist client: content information for that range
    r = wait_peerdist(port, url, dict(ASK_V1, Range="bytes=100000-299999"))
    check(r.body == expected_ci(work.secret, path, 1, 100000, 200000),
          "content information of the range asked")
    check(r.get("X-P2P-PeerDist") == "Version=1.1, ContentLength=200000",
          "ContentLength of a range: its length")

    # below the minimum size: identity, no PeerDist headers
    small_data = open(os.path.join(work.www, small), "rb").read()
    r = request(port, "/" + small, ASK_V2)
    identity_of(r, small_data, "a small file")
    check(r.get("X-P2P-PeerDistEx") is None, "a small file: no MakeHashRequest")


def check_changed_file(port, work, name, new_data):
    """A changed file gets new hashes (never the old ones)."""
    path = os.path.join(work.www, name)
    old = expected_ci(work.secret, path, 2)
    wait_peerdist(port, "/" + name, ASK_V2)
    st = os.stat(path)
    with open(path, "wb") as f:
        f.write(new_data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    r = wait_peerdist(port, "/" + name, ASK_V2)
    check(r.body != old and r.body == expected_ci(work.secret, path, 2),
          "a changed file: the new file's content information")
