#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd --daemon: returns 0 once the daemon listens, with the daemon's
pid in the pid file, its working directory /, its stdio on /dev/null (a
syslog socket listening: the test's own); a
second one on the same port exits 1 with the reason on stderr; SIGTERM
stops the daemon and removes the pid file."""
import os
import signal
import socket
import subprocess
import time

from clitest import check, free_port, workdir

PEERDISTD = os.environ["PEERDISTD"]


def alive(pid):
    """Running, not a zombie left for a PID 1 that does not reap."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start(*args):
    return subprocess.run([PEERDISTD, "--no-discovery", *map(str, args)], capture_output=True,
                          timeout=20)


with workdir() as d:
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog.bind(os.path.join(d, "syslog"))
    os.environ["PEERDIST_SYSLOG_SOCKET"] = os.path.join(d, "syslog")
    pidfile, conf = os.path.join(d, "peerdistd.pid"), os.path.join(d, "peerdistd.conf")
    port = free_port()
    with open(conf, "w") as f:
        f.write(f"listen = 127.0.0.1\nport = {port}\ncache_dir = {d}/cache\n")
    p = start("--daemon", "--config", conf, "--pid-file", pidfile)
    check(p.returncode == 0, f"--daemon: exit {p.returncode}: {p.stderr}")
    pid = int(open(pidfile).read())
    try:
        check(alive(pid), "the daemon runs")
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        check(os.readlink(f"/proc/{pid}/cwd") == "/", "working directory /")
        check(os.readlink(f"/proc/{pid}/fd/2") == "/dev/null", "stderr on /dev/null")
        check(os.getsid(pid) == pid, "a session of its own")

        p = start("--daemon", "--config", conf)
        check(p.returncode == 1, f"a second daemon on the port: exit {p.returncode}")
        check(b"cannot listen" in p.stderr, f"and says why: {p.stderr}")
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while (alive(pid) or os.path.exists(pidfile)) and time.time() < deadline:
        time.sleep(0.05)
    check(not alive(pid), "SIGTERM stops the daemon")
    check(not os.path.exists(pidfile), "and removes the pid file")

    check(start("--pid-file", pidfile).returncode == 2, "--pid-file needs --daemon")
print("ok")
