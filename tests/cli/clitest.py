# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the peerdist CLI tests: run the tool, make files, fail clearly."""
import json
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


def publish_served(d, content, env):
    """Publishes content (bytes) from d/content as tag "served": the path of
    its content information, its first segment's id and Kp (hex)."""
    src, ci = os.path.join(d, "content"), os.path.join(d, "content.ci")
    with open(src, "wb") as f:
        f.write(content)
    run("publish", "-o", ci, "served", src, env=env)
    seg = json.loads(run("info", "--json", "--show-secrets", ci).stdout)["segments"][0]
    return ci, bytes.fromhex(seg["hohodk"]), seg["kp"]


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


def unprivileged():
    """A home directory owned by nobody (created here, with no ~/.cache) and
    the environment to run peerdist as nobody in it; None when the test
    does not run as root or setpriv is missing."""
    import pwd
    import shutil
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    pw = pwd.getpwnam("nobody")
    import atexit
    home = tempfile.mkdtemp(prefix="pd-cli-home-")
    atexit.register(shutil.rmtree, home, True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PEERDIST_CACHE_DIR", "PEERDIST_SECRET_FILE", "XDG_CACHE_HOME",
                        "XDG_RUNTIME_DIR", "PEERDIST_STATE_FILE")}
    env.update(HOME=home, USER="nobody", PEERDIST_BACKEND="user")
    return {"uid": pw.pw_uid, "gid": pw.pw_gid, "home": home, "env": env}


def run_as(user, *args, expect=0, stdin=None, env=None):
    """Runs peerdist as user (from unprivileged()); checks the exit code."""
    e = dict(user["env"])
    e.update(env or {})
    cmd = ["setpriv", f"--reuid={user['uid']}", f"--regid={user['gid']}",
           "--clear-groups", PEERDIST, *map(str, args)]
    p = subprocess.run(cmd, input=stdin, capture_output=True, env=e, timeout=300,
                       cwd=user["home"])
    if expect is not None and p.returncode != expect:
        fail(f"as {user['uid']}: peerdist {' '.join(map(str, args))}: exit "
             f"{p.returncode}, expected {expect}\nstderr: "
             f"{p.stderr.decode(errors='replace')}")
    return p
