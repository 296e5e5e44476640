#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A branch with a hosted cache, over two routed subnets (multicast does
not cross): on subnet A the hosted cache (PCHC 1.0 over TLS with a
certificate made here, 2.0 over HTTP), a publisher and client 1; on subnet
B client 2. Client 1 reads the content (from the publisher, by discovery)
and offers it to the hosted cache, which pulls every block from client 1's
peerdistd and verifies it; with the publisher and client 1 gone, client 2
reads it, byte-exact, from the hosted cache alone. Then, with the hosted
cache stopped, a read on B falls back cleanly (missing data, in time).
On the way, a second content that no peer has, which client 1 gets from
the origin (AddData), is offered too and read on B from the hosted cache.
(Many clients at once: test_hosted_cache_scale.)"""
import filecmp
import os
import subprocess
import time

from netns import RoutedLans, skip_unless_possible
from peers import CLIENT, Host, block_count, check, content, workdir

SIZE = 20 * 65536 + 4321		# 21 blocks, the last one short


def certificate(root, addr):
    cert, key = os.path.join(root, "hc.pem"), os.path.join(root, "hc.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "1", "-subj", "/CN=hosted-cache", "-addext",
                    f"subjectAltName=IP:{addr}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def pulled(hc):
    return sum(int(l.split("pulled ")[1].split()[0]) for l in hc.log
               if "hosted cache: pulled" in l)


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        time.sleep(0.2)
    return cond()


def main():
    skip_unless_possible()
    lan = RoutedLans(["hc", "pub", "c1"], "c2")
    with workdir() as root:
        hc, pub, c1, c2 = (Host(lan, n, root) for n in ("hc", "pub", "c1", "c2"))
        cert, key = certificate(root, lan.addr["hc"])
        url = f"https://{lan.addr['hc']}"
        # client 1 by the environment, client 2 by its peerdistd.conf
        c1.env.update(PEERDIST_HOSTED_CACHE=url, PEERDIST_HOSTED_CACHE_CA=cert)
        conf = os.path.join(root, "c2.conf")
        with open(conf, "w") as f:
            f.write(f"# the branch's hosted cache\nhosted_cache_url = {url}\n")
        c2.env.update(PEERDIST_CONFIG=conf, PEERDIST_HOSTED_CACHE_CA=cert)
        data, ci = content(root, SIZE), os.path.join(root, "content.ci")
        pub.publish(data, ci)
        blocks = block_count(ci)
        # IPv4 sockets: the offers and the hosted cache's URL name IPv4 addresses
        hc.serve("--hosted-cache", "--no-discovery", "--listen", "0.0.0.0", "--port", "3703",
                 "--pchc-v1-listen", "0.0.0.0:443", "--pchc-v2-listen", "0.0.0.0:80",
                 "--tls-certificate", cert, "--tls-key", key,
                 ready_line="PCHC 2.0 over HTTP")
        check(any("max_clients = 1024" in l for l in hc.log),
              "the hosted cache's Active Client Count defaults to 1024")
        pub.serve("--listen", "0.0.0.0")
        # client 1's peerdistd serves the pulls only: it stays out of discovery
        c1.serve("--listen", "0.0.0.0", "--no-discovery", ready_line="retrieval on")
        r = c1.read(ci, os.path.join(root, "out-c1"))
        check(r.returncode == 0, f"client 1 reads the content (client: {r.stderr.strip()})")
        check(filecmp.cmp(data, os.path.join(root, "out-c1"), shallow=False),
              "client 1's bytes are the original's")
        check(wait_for(lambda: pulled(hc) >= blocks, 30),
              f"the hosted cache pulled all {blocks} blocks from client 1 over "
              f"PCHC 1.0 (pulled {pulled(hc)})")
        check(c1.blocks_served() >= blocks, "client 1's peerdistd answered the pulls")
        # content no peer has: client 1 reads it from the origin's copy
        # (published into a cache of its own that no peerdistd serves)
        origin = Host(lan, "pub", os.path.join(root, "origin"))
        data2, ci2 = content(origin.dir, 3 * 65536 + 7), os.path.join(root, "content2.ci")
        origin.publish(data2, ci2)
        pulled_before = pulled(hc)
        with open(os.path.join(root, "out2-c1"), "wb") as f:
            r = subprocess.run(lan.cmd("c1", [CLIENT, ci2, data2]), env=c1.env, stdout=f,
                               stderr=subprocess.PIPE, text=True, timeout=120)
        check(r.returncode == 0 and filecmp.cmp(data2, os.path.join(root, "out2-c1"),
                                                 shallow=False),
              f"client 1 reads the second content, from the origin ({r.stderr.strip()})")
        check(wait_for(lambda: pulled(hc) >= pulled_before + 4, 30),
              "what client 1 added from the origin was offered and pulled")
        pub.stop()
        c1.stop()
        served_before = hc.blocks_served()
        r = c2.read(ci, os.path.join(root, "out-c2"))
        check(r.returncode == 0, f"client 2 on subnet B reads the content with the "
              f"publisher and client 1 gone (client: {r.stderr.strip()})")
        check(filecmp.cmp(data, os.path.join(root, "out-c2"), shallow=False),
              "client 2's bytes are the original's")
        check(hc.blocks_served() - served_before >= blocks,
              "the hosted cache served client 2's blocks")
        got, hc_bytes = c2.counters(), hc.counters()
        check(got["fetched_from_hosted_cache"] == SIZE and got["fetched_from_peers"] == 0,
              f"client 2's counters: every byte fetched from the hosted cache: {got}")
        check(hc_bytes["served_as_hosted_cache"] == SIZE and
              hc_bytes["served_to_peers"] == 0 and
              hc_bytes["fetched_from_peers"] == SIZE + len(open(data2, "rb").read()),
              f"the hosted cache's counters: what client 2 fetched served as the "
              f"hosted cache, both contents pulled from client 1, each block once "
              f"however the offers overlap: {hc_bytes}")
        got = c1.counters()
        check(got["served_to_peers"] >= hc_bytes["fetched_from_peers"] and
              got["fetched_from_origins"] == len(open(data2, "rb").read()),
              f"client 1's counters: the pulls served, the second content from the "
              f"origin: {got}")
        r = c2.read(ci2, os.path.join(root, "out2-c2"))
        check(r.returncode == 0 and filecmp.cmp(data2, os.path.join(root, "out2-c2"),
                                                 shallow=False),
              f"client 2 reads the second content from the hosted cache ({r.stderr.strip()})")
        hc.stop()
        check(any("0 wrong blocks dropped" in l for l in hc.log),
              "no block was wrong")
        c3 = Host(lan, "c2", os.path.join(root, "again"))
        c3.env.update(PEERDIST_HOSTED_CACHE=url, PEERDIST_HOSTED_CACHE_CA=cert,
                      PEERDIST_REQUEST_TIMEOUT_MS="1000")
        start = time.monotonic()
        r = c3.read(ci, os.path.join(root, "out-c3"), timeout=60)
        took = time.monotonic() - start
        check(r.returncode != 0 and "in no cache" in r.stderr,
              f"with the hosted cache down, a read reports the missing bytes "
              f"({r.stderr.strip()})")
        check(took < 30, f"and does not stall ({took:.1f} s)")
    lan.close()


if __name__ == "__main__":
    main()
