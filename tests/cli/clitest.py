# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the peerdist CLI tests: run the tool, make files, fail clearly."""
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

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


def free_port():
    """A TCP port on loopback that nothing listens on, for a moment at least."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peerdistd:
    """peerdistd (PEERDISTD) in the foreground, its stderr read line by line.
    Discovery stays off: these tests never answer the machine's real
    networks (tests/net turns it on inside its own namespaces)."""

    def __init__(self, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen([os.environ["PEERDISTD"], "--no-discovery",
                                      *map(str, args)],
                                     env=e, stderr=subprocess.PIPE)
        self.buf = b""
        self.seen = []

    def line(self, timeout):
        """The next line of stderr, or None once timeout seconds have passed."""
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.proc.stderr], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stderr.fileno(), 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.seen.append(line.decode(errors="replace"))
        return self.seen[-1]

    def wait_for(self, text, timeout=20):
        """Reads stderr up to the first line containing text; that line."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.line(deadline - time.time())
            if line is None:
                break
            if text in line:
                return line
        fail(f"peerdistd never said {text!r}; it said:\n" + "\n".join(self.seen))

    def port(self):
        """The port from the 'retrieval on ADDR port N' line."""
        return int(self.wait_for("retrieval on").split()[-1])

    def stop(self):
        """SIGTERM; the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        rest, self.buf = self.buf + self.proc.stderr.read(), b""
        self.seen += rest.decode(errors="replace").splitlines()
        return code
