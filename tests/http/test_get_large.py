#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist get of a 4 GiB file (mostly zeros, some random blocks) from
peerdist serve: the output is byte-exact (compared with the file as it
streams) and the client's peak resident size (VmHWM) stays bounded: the
content goes through a window, it is never held whole; both the first
time (the origin; zero segments, all alike, come from the cache once one
is there) and the second (all from the cache)."""
import http.client
import json
import os
import random
import subprocess
import threading
import time

from httptest import ASK_V1, PEERDIST, Serve, Workdir, check

SIZE = 4 << 30
BLOCK = 65536
RSS_LIMIT_KIB = 128 * 1024

work = Workdir()
rng = random.Random(12)
path = work.file("large.bin", b"")
with open(path, "r+b") as f:
    f.truncate(SIZE)
    for b in sorted(rng.sample(range(SIZE // BLOCK - 1), 16)) + [SIZE // BLOCK - 1]:
        f.seek(b * BLOCK)
        f.write(rng.randbytes(BLOCK))
os.environ["PEERDIST_CACHE_DIR"] = work.path("client-cache")

start = time.monotonic()
server = Serve(work, work.www)
url = f"http://127.0.0.1:{server.port}/large.bin"


def hashed():
    """Whether the answer is content information now (its head only: the
    identity answer of 4 GiB is not read)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/large.bin", headers=ASK_V1)
    answer = conn.getresponse()
    conn.close()
    return answer.getheader("Content-Encoding") == "peerdist"


for _ in range(1200):       # bounded: 10 minutes
    if hashed():
        break
    time.sleep(0.5)
check(hashed(), "peerdist serve never answered with content information")
print(f"peerdist serve hashed 4 GiB in {time.monotonic() - start:.1f} s")


def peak_kib(pid, peak, done):
    """Polls the process's VmHWM (its own peak: exec started it afresh)."""
    while not done.wait(0.1):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            return


def get(label):
    """peerdist get to a pipe, compared with the file here; its summary."""
    start = time.monotonic()
    p = subprocess.Popen([PEERDIST, "get", "--json", "--timeout", "0", "-o", "-", url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, done = [0], threading.Event()
    watcher = threading.Thread(target=peak_kib, args=(p.pid, peak, done))
    watcher.start()
    same, got = True, 0
    with open(path, "rb") as f:
        while chunk := p.stdout.read(8 << 20):
            same = same and chunk == f.read(len(chunk))
            got += len(chunk)
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    done.set()
    watcher.join()
    seconds = time.monotonic() - start
    check(p.returncode == 0, f"{label}: exit {p.returncode}: {err}")
    check(same and got == SIZE, f"{label}: the 4 GiB output is byte-exact ({got} bytes)")
    summary = json.loads(err.strip().splitlines()[-1])
    print(f"{label}: {seconds:.1f} s, peak RSS {peak[0]} KiB, {summary}")
    check(0 < peak[0] < RSS_LIMIT_KIB, f"{label}: peak RSS {peak[0]} KiB, "
          f"over {RSS_LIMIT_KIB} KiB")
    return summary


first = get("from the origin")
check(first["peerdist"] and first["from_cache"] == 0 and first["from_origin"] > 0,
      f"the first time: content information, bytes from the origin: {first}")
second = get("from the cache")
check(second["from_cache"] == SIZE and second["from_origin"] == 0,
      f"the second time: every byte from the cache: {second}")
server.stop()
work.close()
print("ok")
