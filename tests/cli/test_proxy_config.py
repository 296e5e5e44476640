#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The local proxy's setting: off by default (nothing listens); a bad
proxy_listen stops peerdistd with exit 2 and file:line; from the file or
--proxy-listen (which wins) it listens there, says so, and answers; an
address it cannot listen on stops it with exit 1 and why; a reload that
changes it says it needs a restart; proxy_peer_wait_ms is at most a
minute."""
import os
import signal
import socket

from clitest import Peerdistd, check, free_port, workdir
from httpwire import Conn


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


with workdir() as d:
    conf = os.path.join(d, "peerdistd.conf")
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    common = ["--config", conf, "--listen", "127.0.0.1", "--port", "0",
              "--state-file", os.path.join(d, "state.json")]
    for value in ["127.0.0.1", "::1:3128", "[::1]:70000", "localhost:3128"]:
        write(conf, f"# a comment\nproxy_listen = {value}\n")
        p = Peerdistd(*common, env=env)
        code, err = p.proc.wait(timeout=10), p.proc.stderr.read().decode()
        check(code == 2 and f"{conf}:2: proxy_listen: " in err and "is not ADDR:PORT" in err,
              f"proxy_listen = {value}: exit {code}: {err}")

    write(conf, "proxy_peer_wait_ms = 60001\n")
    p = Peerdistd(*common, env=env)
    code, err = p.proc.wait(timeout=10), p.proc.stderr.read().decode()
    check(code == 2 and f"{conf}:1: proxy_peer_wait_ms: " in err,
          f"proxy_peer_wait_ms above a minute: exit {code}: {err}")

    write(conf, "")
    p = Peerdistd(*common, "--verbose", env=env)
    p.wait_for("retrieval on")
    check(not any("proxy" in line for line in p.seen), f"off by default: {p.seen}")
    check(p.stop() == 0, "stops")

    port, other = free_port(), free_port()
    write(conf, f"proxy_listen = 127.0.0.1:{port}\n")
    p = Peerdistd(*common, env=env)
    p.wait_for(f"proxy: listening on 127.0.0.1 port {port}")
    c = Conn(port)
    c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _ = c.answer()
    check(status == 501 and headers.get("allow") == "GET, CONNECT",
          f"the proxy answers there: {status} {headers}")
    write(conf, f"proxy_listen = 127.0.0.1:{other}\n")
    p.proc.send_signal(signal.SIGHUP)
    p.wait_for("proxy_listen changed: needs a restart")
    check(p.stop() == 0, "stops with the proxy on")

    write(conf, f"proxy_listen = 127.0.0.1:{port}\n")
    p = Peerdistd(*common, "--proxy-listen", f"[::1]:{other}", env=env)
    p.wait_for(f"proxy: listening on ::1 port {other}")
    check(p.stop() == 0, "--proxy-listen overrides the file")

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        p = Peerdistd(*common, "--proxy-listen", f"127.0.0.1:{taken}", env=env)
        code, err = p.proc.wait(timeout=10), p.proc.stderr.read().decode()
        check(code == 1 and f"proxy: cannot listen on 127.0.0.1 port {taken}" in err,
              f"a port in use: exit {code}: {err}")
print("ok")
