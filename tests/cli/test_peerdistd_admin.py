#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd as an administrator runs it: --version; --check-config says
whether the file and options are valid (exit 0) or names file, line and
key (exit 2); a second --daemon with the same pid file is refused while
the first runs (the pid file is locked, and keeps the first pid); daemon
logs go to the syslog socket, and without one they stay on stderr instead
of vanishing."""
import os
import signal
import socket
import subprocess
import time

from clitest import check, free_port, run, workdir

PEERDISTD = os.environ["PEERDISTD"]


def peerdistd(*args, env=None, stderr=subprocess.PIPE):
    return subprocess.run([PEERDISTD, "--no-discovery", *map(str, args)], timeout=20,
                          stdout=subprocess.PIPE, stderr=stderr,
                          env=dict(os.environ, **(env or {})))


def stop(pidfile):
    pid = int(open(pidfile).read())
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while os.path.exists(pidfile) and time.time() < deadline:
        time.sleep(0.05)
    check(not os.path.exists(pidfile), "SIGTERM removes the pid file")


def wait_for(path, text):
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.05)
    fail_text = open(path).read() if os.path.exists(path) else "(nothing)"
    check(False, f"{path} never said {text!r}: {fail_text}")


with workdir() as d:
    version = run("--version").stdout.decode().split()[1]
    p = peerdistd("--version")
    check(p.returncode == 0 and p.stdout.decode() == f"peerdistd {version}\n", p.stdout)

    conf = os.path.join(d, "peerdistd.conf")
    port = free_port()
    open(conf, "w").write(f"listen = 127.0.0.1\nport = {port}\ncache_dir = {d}/cache\n")
    p = peerdistd("--check-config", "--config", conf)
    check(p.returncode == 0 and f"{conf}: the configuration is valid" in p.stdout.decode(),
          p.stdout + p.stderr)
    check(not os.path.exists(os.path.join(d, "cache")), "--check-config starts nothing")
    bad = os.path.join(d, "bad.conf")
    open(bad, "w").write("port = 3703\nmax_clients = lots\n")
    p = peerdistd("--check-config", "--config", bad)
    check(p.returncode == 2 and f"{bad}:2: max_clients" in p.stderr.decode(), p.stderr)
    p = peerdistd("--check-config", "--config", conf, "--port", "99999")
    check(p.returncode == 2 and b"--port" in p.stderr, p.stderr)

    # The pid file's lock: a second daemon with the same file is refused.
    pidfile = os.path.join(d, "peerdistd.pid")
    sock_path = os.path.join(d, "syslog")
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog.bind(sock_path)
    syslog.settimeout(10)
    env = {"PEERDIST_SYSLOG_SOCKET": sock_path}
    p = peerdistd("--daemon", "--config", conf, "--pid-file", pidfile, env=env)
    check(p.returncode == 0, f"--daemon: {p.stderr}")
    first = int(open(pidfile).read())
    try:
        check(os.readlink(f"/proc/{first}/fd/2") == "/dev/null",
              "with syslog listening, stderr goes to /dev/null")
        other = os.path.join(d, "other.conf")
        open(other, "w").write(f"listen = 127.0.0.1\nport = {free_port()}\n"
                               f"cache_dir = {d}/cache\n")
        p = peerdistd("--daemon", "--config", other, "--pid-file", pidfile, env=env)
        check(p.returncode == 1, f"a second daemon on the pid file: exit {p.returncode}")
        check(f"{pidfile} is held by a running peerdistd (pid {first})".encode() in p.stderr,
              p.stderr)
        check(int(open(pidfile).read()) == first, "the pid file keeps the first pid")
        # The daemon's log reaches the syslog socket, with its priority.
        os.kill(first, signal.SIGHUP)
        while True:
            msg = syslog.recv(2048).decode()
            if "reloaded" in msg:
                break
        check(msg.startswith(f"<30>peerdistd[{first}]: reloaded {conf}"), msg)
    finally:
        stop(pidfile)

    # No syslog socket: the log stays on the stderr the daemon was given.
    log = os.path.join(d, "daemon.log")
    with open(log, "w") as f:
        p = peerdistd("--daemon", "--config", conf, "--pid-file", pidfile, stderr=f,
                      env={"PEERDIST_SYSLOG_SOCKET": os.path.join(d, "no-syslog")})
    check(p.returncode == 0, open(log).read())
    pid = int(open(pidfile).read())
    try:
        wait_for(log, "no syslog socket: logging on standard error")
        os.kill(pid, signal.SIGHUP)
        wait_for(log, f"reloaded {conf}")
    finally:
        stop(pidfile)
    wait_for(log, "stopped")
print("ok")
