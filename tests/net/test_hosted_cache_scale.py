#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hosted cache at scale: 50 client processes at once, on ten hosts
(network namespaces, so each address stays within the hosted cache's
default per-address connection limit), each with the API's default read
timeout: three in five read a content that the hosted cache holds, the others
get a content of their own from the origin (AddData) and offer it, which
the hosted cache pulls from their host's peerdistd. Every read is byte-exact;
nothing offered is lost: with every host's peerdistd stopped, all the
offered contents are read back from the hosted cache alone; the hosted
cache's memory stays bounded and no block was wrong. Under ASan, whose
processes cost several times the CPU, 20 clients on four hosts."""
import filecmp
import json
import os
import subprocess
import time

from netns import Lan, skip_unless_possible
from peers import CLIENT, PEERDIST, Host, check, content, workdir
from test_hosted_cache import certificate, wait_for

HOSTS = 4 if "ASAN_OPTIONS" in os.environ else 10
PER_HOST = 5
SHARED = 20 * 65536 + 4321		# 21 blocks, the last one short
OWN = 3 * 65536 + 7			# 4 blocks


def run_at_once(lan, runs, what):
    """runs: (host, env, the example client's arguments, its output file,
    the file that must equal it), all started, then waited for."""
    procs = []
    for host, env, args, out, want in runs:
        f = open(out, "wb")
        procs.append((subprocess.Popen(lan.cmd(host, [CLIENT, *args]), env=env, stdout=f,
                                       stderr=subprocess.PIPE, text=True), f, out, want))
    errors = []
    for p, f, out, want in procs:
        err = p.communicate(timeout=120)[1]
        f.close()
        if p.returncode or not filecmp.cmp(want, out, shallow=False):
            errors.append(f"exit {p.returncode}: {err.strip()}")
    check(not errors, f"{len(runs)} clients {what}, byte-exact "
          f"({len(runs) - len(errors)} did; {sorted(set(errors))[:3]})")


def peak_kib(host):
    with open(f"/proc/{host.daemon.pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))


def segments(ci):
    """(the id's first four bytes as the log shows them, the block count)
    of each segment of ci."""
    info = json.loads(subprocess.run([PEERDIST, "info", "--json", ci], check=True,
                                     capture_output=True, text=True).stdout)
    return [(s["hohodk"][:8].lower(), len(s["blocks"])) for s in info["segments"]]


def all_pulled(hc, segs):
    """Whether the hosted cache's log shows every block of segs pulled."""
    got = {}
    for line in hc.log:
        if "hosted cache: pulled" in line:
            words = line.split("hosted cache: pulled ")[1].split()
            got[words[4][:8]] = got.get(words[4][:8], 0) + int(words[0])
    return all(got.get(seg, 0) >= n for seg, n in segs)


def main():
    skip_unless_possible()
    names = [f"h{i}" for i in range(HOSTS)]
    lan = Lan(["hc", *names], 4, ipv6=False)
    with workdir() as root:
        hc = Host(lan, "hc", root)
        cert, key = certificate(root, lan.addr["hc"])
        url = f"https://{lan.addr['hc']}"
        # the content everyone reads, in the hosted cache's own store
        shared, shared_ci = content(root, SHARED), os.path.join(root, "shared.ci")
        hc.publish(shared, shared_ci)
        hc.serve("--hosted-cache", "--no-discovery", "--listen", "0.0.0.0", "--port", "3703",
                 "--pchc-v1-listen", "0.0.0.0:443", "--pchc-v2-listen", "off",
                 "--tls-certificate", cert, "--tls-key", key,
                 ready_line="PCHC 1.0 over HTTPS")
        # The hosted cache alone. The request timer as long as a read may
        # wait (the API's 5 s): on this shared 2-core machine, 50 clients
        # starting at once sometimes wait over the default 2 s for an answer
        # (while the hosted cache uses under 0.5 s of CPU in all), and a
        # client that timed out pauses before it asks the hosted cache again.
        hosted = dict(PEERDIST_HOSTED_CACHE=url, PEERDIST_HOSTED_CACHE_CA=cert,
                      PEERDIST_DISCOVERY="off", PEERDIST_REQUEST_TIMEOUT_MS="5000")
        hosts = []
        for name in names:	# a peerdistd each, for the hosted cache's pulls
            h = Host(lan, name, root)
            h.env.update(hosted)
            h.serve("--listen", "0.0.0.0", "--no-discovery", ready_line="retrieval on")
            hosts.append(h)
        readers, offerers, own = [], [], []
        for h in hosts:
            for k in range(PER_HOST):
                if k % 2:	# offers: the host's cache, which its peerdistd serves
                    origin = Host(lan, h.name, os.path.join(h.dir, f"origin{k}"))
                    data, ci = content(origin.dir, OWN), os.path.join(origin.dir, "ci")
                    origin.publish(data, ci)
                    offerers.append((h.name, h.env, [ci, data],
                                     os.path.join(origin.dir, "out"), data))
                    own.append((ci, data))
                else:	# reads: a cache of its own
                    r = Host(lan, h.name, os.path.join(root, f"{h.name}-r{k}"))
                    r.env.update(hosted)
                    readers.append((h.name, r.env, [shared_ci], os.path.join(r.dir, "out"),
                                    shared))
        run_at_once(lan, readers + offerers, "read the hosted cache's content or got their "
                    "own from the origin and offered it, all at once")
        segs = [seg for ci, _ in own for seg in segments(ci)]
        check(wait_for(lambda: all_pulled(hc, segs), 30),
              f"the hosted cache pulled every block of the {len(segs)} offered segments")
        for h in hosts:
            h.stop()
        back = []
        for i, (ci, data) in enumerate(own):
            r = Host(lan, names[i % HOSTS], os.path.join(root, f"back{i}"))
            r.env.update(hosted)
            back.append((r.name, r.env, [ci], os.path.join(r.dir, "out"), data))
        run_at_once(lan, back, "read the offered contents back from the hosted cache alone")
        check(peak_kib(hc) < 256 * 1024, f"the hosted cache's memory stayed bounded "
              f"(peak {peak_kib(hc) // 1024} MiB)")
        hc.stop()
        check(any("0 wrong blocks dropped" in l for l in hc.log), "no block was wrong")
    lan.close()


if __name__ == "__main__":
    main()
