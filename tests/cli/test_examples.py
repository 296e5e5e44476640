#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Windows-style example programs, as a user runs them: the publisher
publishes a file and writes its content information; the client reads the
content back byte-exact through a cache that has it, and reports the
missing range (exit 1) through a cache that has none of it."""
import os
import subprocess

from clitest import check, workdir

PUBLISHER = os.environ["EXAMPLE_PUBLISHER"]
CLIENT = os.environ["EXAMPLE_CLIENT"]

with workdir() as d:
    data = os.urandom(3 << 20)
    src, ci = os.path.join(d, "content"), os.path.join(d, "content.ci")
    open(src, "wb").write(data)
    env = dict(os.environ, PEERDIST_CACHE_DIR=os.path.join(d, "cache"))
    subprocess.run([PUBLISHER, src, ci], env=env, check=True, timeout=120)
    out = subprocess.run([CLIENT, ci], env=env, capture_output=True, timeout=120)
    check(out.returncode == 0, f"client failed: {out.stderr}")
    check(out.stdout == data, "client output differs from the published file")

    env["PEERDIST_CACHE_DIR"] = os.path.join(d, "empty-cache")
    out = subprocess.run([CLIENT, ci], env=env, capture_output=True, timeout=120)
    check(out.returncode == 1, "a client with an empty cache must fail")
    check(b"bytes 0+%d are in no cache" % len(data) in out.stderr, out.stderr)
print("ok")
