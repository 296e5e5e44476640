# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the peerdist CLI tests: run the tool, make files, fail clearly."""
import os
import subprocess
import sys
import tempfile

PEERDIST = os.environ["PEERDIST"]
SKIP = 77


def run(*args, stdin=None, expect=0, env=None):
    """Runs peerdist with args; checks the exit code; returns the process."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([PEERDIST, *map(str, args)], input=stdin,
                       capture_output=True, env=e, timeout=300)
    if expect is not None and p.returncode != expect:
        fail(f"peerdist {' '.join(map(str, args))}: exit {p.returncode}, "
             f"expected {expect}\nstderr: {p.stderr.decode(errors='replace')}")
    return p


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def workdir():
    d = tempfile.TemporaryDirectory(prefix="pd-cli-")
    os.environ["PEERDIST_SECRET_FILE"] = os.path.join(d.name, "secret")
    return d


def pattern(n, seed):
    """Deterministic bytes, quick for large n."""
    block = bytes((i * 131 + seed * 7 + (i >> 8)) & 255 for i in range(65521))
    return (block * (n // len(block) + 1))[:n]
