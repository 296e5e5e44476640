#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The byte counters with `peerdist get` from an origin and no peers: the
first get counts every byte as fetched from origins and none as read from
the cache; a second get (another process) counts them read from the cache;
`peerdist status` shows both in words and in JSON; `cache --clear` keeps
the counters (statistics, not cached data) and `cache --reset-counters`
starts them again from 0."""
import json
import os
import subprocess

from httptest import ASK_V2, PEERDIST, Serve, Workdir, check, wait_peerdist

work = Workdir()
data = os.urandom(3_000_000)
work.file("big.bin", data)
os.environ["PEERDIST_CACHE_DIR"] = work.path("client-cache")
os.environ["PEERDIST_DISCOVERY"] = "off"     # no peers: the origin or the cache


def get(url, name):
    p = subprocess.run([PEERDIST, "get", "--timeout", "300", "-o", work.path(name), url],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, f"peerdist get: exit {p.returncode}: {p.stderr.decode()}")


def counters(*args):
    p = subprocess.run([PEERDIST, *args, "--json"], capture_output=True, timeout=60)
    check(p.returncode == 0, f"peerdist {args}: {p.stderr.decode()}")
    out = json.loads(p.stdout)
    return (out["cache"] if args[0] == "status" else out)["bytes"]


def only(c, **want):
    return all(v == want.get(k, 0) for k, v in c.items())


server = Serve(work, work.www)
wait_peerdist(server.port, "/big.bin", ASK_V2)
url = f"http://127.0.0.1:{server.port}/big.bin"

get(url, "first")
c = counters("status")
check(only(c, fetched_from_origins=len(data)),
      f"first get: every byte fetched from the origin, none read from the cache: {c}")
get(url, "second")
c = counters("status")
check(only(c, fetched_from_origins=len(data), read_from_cache=len(data)),
      f"second get: every byte read from the cache, nothing fetched: {c}")
text = subprocess.run([PEERDIST, "status"], capture_output=True, text=True).stdout
check(f"read from the cache:       {len(data)}" in text and
      f"fetched from origins:      {len(data)}" in text, text)

c = counters("cache", "--clear")
check(only(c, fetched_from_origins=len(data), read_from_cache=len(data)),
      f"cache --clear empties the cache, the counters stay: {c}")
c = counters("cache", "--reset-counters")
check(only(c), f"cache --reset-counters: all 0: {c}")
get(url, "third")
check(only(counters("cache"), fetched_from_origins=len(data)),
      "after --clear, the content comes from the origin again, and is counted so")
server.stop()
work.close()
print("ok")
