#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A hosted cache filled only by PCHC 2.0 offers, as Windows 8 and later
clients make them: a BATCHED_OFFER carries segment ids and sizes, no
hashes, so the hosted cache (started fresh, under umask 0) keeps the
blocks it pulls unverified, exactly as they came, and replays them. On
subnet A the hosted cache, a publisher, client 1 (libpeerdist offering
over http://, so BATCHED_OFFER only) and a hostile offerer; on subnet B
client 2. Client 1 reads content A and offers it; with the publisher and
client 1 gone, client 2 reads A byte-exact from the hosted cache. The
hostile offerer offers content X's segment (a spec-written PCHC client)
and serves random blocks for it: client 2's read of X falls back to the
origin and is still right, and A is unaffected. The unverified files are
0600 in a 0700 directory. A budget of 1 MiB evicts the least recently
used segment (X) when client 1 offers content B, which client 2 then
reads from the hosted cache."""
import filecmp
import os
import stat
import subprocess
import sys
import time

from netns import RoutedLans, skip_unless_possible
from peers import CLIENT, Host, block_count, check, content, workdir

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE_A = 12 * 65536 - 1000	# 12 blocks, the last one short
SIZE_X = 3 * 65536
SIZE_B = 2 * 65536 + 7


def pulled(hc, what="unverified "):
    return sum(int(l.split("pulled ")[1].split()[0]) for l in hc.log
               if f"hosted cache: pulled" in l and f" {what}blocks" in l)


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        time.sleep(0.2)
    return cond()


def read(lan, host, ci, out, origin=None):
    """The example client on host; with origin, the origin's bytes to fall back to."""
    with open(out, "wb") as f:
        return subprocess.run(lan.cmd(host.name, [CLIENT, ci] + ([origin] if origin else [])),
                              env=host.env, stdout=f, stderr=subprocess.PIPE, text=True,
                              timeout=120)


def unverified_files(hc):
    d = os.path.join(hc.dir, "cache", "hosted-cache-unverified")
    return d, sorted(os.listdir(d))


def main():
    skip_unless_possible()
    lan = RoutedLans(["hc", "pub", "c1", "evil"], "c2")
    with workdir() as root:
        hc, pub, c1, c2 = (Host(lan, n, root) for n in ("hc", "pub", "c1", "c2"))
        url = f"http://{lan.addr['hc']}"
        for c in (c1, c2):
            c.env.update(PEERDIST_HOSTED_CACHE=url)
        data_a, ci_a = content(pub.dir, SIZE_A), os.path.join(root, "a.ci")
        pub.publish(data_a, ci_a)
        # X and B: only the origin has them (a cache no peerdistd serves)
        origin = Host(lan, "pub", os.path.join(root, "origin"))
        data_x, ci_x = os.path.join(root, "x"), os.path.join(root, "x.ci")
        data_b, ci_b = os.path.join(root, "b"), os.path.join(root, "b.ci")
        for path, size, ci in ((data_x, SIZE_X, ci_x), (data_b, SIZE_B, ci_b)):
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            origin.publish(path, ci)
        conf = os.path.join(root, "hc.conf")
        with open(conf, "w") as f:
            f.write("pchc_v2_unverified = on\npchc_v2_unverified_mib = 1\n")
        old = os.umask(0)
        hc.serve("--config", conf, "--hosted-cache", "--no-discovery", "--listen", "0.0.0.0",
                 "--port", "3703", "--pchc-v1-listen", "off", "--pchc-v2-listen", "0.0.0.0:80",
                 ready_line="PCHC 2.0 over HTTP")
        os.umask(old)
        pub.serve("--listen", "0.0.0.0")
        c1.serve("--listen", "0.0.0.0", "--no-discovery", ready_line="retrieval on")

        r = read(lan, c1, ci_a, os.path.join(root, "out-a-c1"))
        check(r.returncode == 0 and filecmp.cmp(data_a, os.path.join(root, "out-a-c1"),
                                                 shallow=False),
              f"client 1 reads A from the publisher ({r.stderr.strip()})")
        blocks = block_count(ci_a)
        check(wait_for(lambda: pulled(hc) >= blocks, 30),
              f"the hosted cache pulled all {blocks} blocks of A, unverified, after "
              f"client 1's 2.0 offers (pulled {pulled(hc)})")
        check(not any("pulled" in l and " blocks of" in l and "unverified" not in l
                      for l in hc.log), "none of it as verified")

        # the hostile offerer: random blocks of the right form for X's segment
        evil = lan.start("evil", [sys.executable, os.path.join(HERE, "bad_peer.py"), "corrupt",
                                  lan.addr["evil"]], stdout=subprocess.PIPE, text=True)
        check(evil.stdout.readline().strip() == "ready", "the hostile offerer is up")
        p = subprocess.run(lan.cmd("evil", [sys.executable, os.path.join(HERE, "pchc_offer.py"),
                                            lan.addr["hc"], "3703", ci_x]),
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stdout.strip() == "OK",
              f"a spec-written 2.0 client's BATCHED_OFFER gets OK ({p.stdout}{p.stderr})")
        check(wait_for(lambda: pulled(hc) >= blocks + 3, 30),
              f"the hosted cache pulled X's 3 blocks from the hostile offerer ({pulled(hc)})")
        evil.kill()
        evil.wait()

        d, files = unverified_files(hc)
        modes = {os.path.join(d, n): stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode)
                 for n in files}
        check(stat.S_IMODE(os.stat(d).st_mode) == 0o700 and len(files) == 2 and
              set(modes.values()) == {0o600},
              f"under umask 0: the directory 0700, a file per segment, 0600 ({modes})")

        pub.stop()
        c1.stop()
        served = hc.blocks_served()
        r = read(lan, c2, ci_x, os.path.join(root, "out-x"), origin=data_x)
        check(r.returncode == 0 and filecmp.cmp(data_x, os.path.join(root, "out-x"),
                                                 shallow=False),
              f"client 2 reads X, poisoned in the hosted cache, byte-exact ({r.stderr.strip()})")
        check(hc.blocks_served() > served, "the hosted cache answered with X's wrong blocks")
        got = c2.counters()
        check(got["fetched_from_origins"] == SIZE_X and got["fetched_from_hosted_cache"] == 0,
              f"every block of X came from the origin: the wrong ones were refused: {got}")
        r = read(lan, c2, ci_a, os.path.join(root, "out-a-c2"))
        check(r.returncode == 0 and filecmp.cmp(data_a, os.path.join(root, "out-a-c2"),
                                                 shallow=False),
              f"client 2 on subnet B reads A from the hosted cache alone, byte-exact "
              f"({r.stderr.strip()})")
        got = c2.counters()
        check(got["fetched_from_hosted_cache"] == SIZE_A and
              got["fetched_from_origins"] == SIZE_X,
              f"every byte of A came from the hosted cache: {got}")

        # B fills the 1 MiB budget: X, used least recently, goes
        c1.serve("--listen", "0.0.0.0", "--no-discovery", ready_line="retrieval on")
        before = pulled(hc)
        r = read(lan, c1, ci_b, os.path.join(root, "out-b-c1"), origin=data_b)
        check(r.returncode == 0, f"client 1 reads B from the origin ({r.stderr.strip()})")
        check(wait_for(lambda: pulled(hc) >= before + block_count(ci_b), 30),
              f"the hosted cache pulled B ({pulled(hc) - before} blocks)")
        c1.stop()
        r = read(lan, c2, ci_b, os.path.join(root, "out-b-c2"))
        check(r.returncode == 0 and filecmp.cmp(data_b, os.path.join(root, "out-b-c2"),
                                                 shallow=False),
              f"client 2 reads B from the hosted cache ({r.stderr.strip()})")
        got = c2.counters()
        check(got["fetched_from_hosted_cache"] == SIZE_A + SIZE_B,
              f"every byte of B came from the hosted cache: {got}")
        hc.stop()
        summary = [l for l in hc.log if "hosted cache: unverified:" in l]
        check(summary and "2 segments kept" in summary[-1] and "1 evicted" in summary[-1],
              f"the budget evicted one segment: {summary}")
        check(len(unverified_files(hc)[1]) == 2, "its file went with it")
        check(any("0 not verifiable" in l for l in hc.log), "every 2.0 offer was pulled")
    lan.close()


if __name__ == "__main__":
    main()
