#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Progress on a terminal: hash, verify and publish of 64 MiB or more show
"NAME: P% (D of T MiB)" on a standard error that is a terminal, ending at
100%, and say nothing of it when standard error is not one."""
import os
import pty
import subprocess

from clitest import PEERDIST, check, pattern, workdir

SIZE = 64 << 20


def on_terminal(*args, env):
    """Runs peerdist with stderr on a pseudo-terminal; (exit code, what it showed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([PEERDIST, *args], stdout=subprocess.DEVNULL, stderr=slave,
                         env=dict(os.environ, **env))
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:		# EIO: the terminal's other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return p.wait(timeout=300), shown.decode(errors="replace")


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    data, ci = os.path.join(d, "data"), os.path.join(d, "ci")
    with open(data, "wb") as f:
        f.write(pattern(SIZE, 3))
    for args in (["hash", "-o", ci, data], ["verify", ci, data],
                 ["publish", "-o", os.path.join(d, "pci"), "big", data]):
        code, shown = on_terminal(*args, env=env)
        check(code == 0, f"{args}: exit {code}: {shown}")
        check(f"peerdist: {data}: 100% (64 of 64 MiB)" in shown, f"{args}: {shown!r}")
    p = subprocess.run([PEERDIST, "verify", ci, data], capture_output=True, timeout=300)
    check(p.returncode == 0 and b"%" not in p.stderr, f"no progress off a terminal: {p.stderr}")
    subprocess.run([PEERDIST, "unpublish", "big"], env=dict(os.environ, **env), check=True)
print("ok")
