#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd's configuration file: listen, port and cache_dir from the file
are used; options override it; an unknown key or a bad value stops it with
exit 2 and file:line; SIGHUP applies a new log_level and max_clients, says
a new port needs a restart, and after a broken file keeps running as it
was."""
import json
import os
import signal
import struct
import http.client

from clitest import Peerdistd, check, free_port, run, workdir

PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/"


def post(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", PATH, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def blklist(port, segment, count):
    """The ranges a GETBLKLIST for blocks 0..count-1 of segment answers."""
    body = struct.pack(">I", len(segment)) + segment + struct.pack(">III", 1, 0, count)
    status, data = post(port, struct.pack(">IIII", 1, 2, 16 + len(body), 0) + body)
    check(status == 200, f"GETBLKLIST: HTTP {status}")
    data = data[24 + len(segment):]
    (n,) = struct.unpack(">I", data[:4])
    return [struct.unpack(">II", data[4 + 8 * i:12 + 8 * i]) for i in range(n)]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def refused(conf, text, *args):
    """peerdistd with conf exits 2 and says text."""
    p = Peerdistd("--config", conf, *args)
    code = p.proc.wait(timeout=10)
    err = p.proc.stderr.read().decode()
    check(code == 2, f"exit {code} for {text}: {err}")
    check(text in err, f"expected {text!r}, got: {err}")


with workdir() as d:
    cache, conf = os.path.join(d, "cache"), os.path.join(d, "peerdistd.conf")
    # The file's cache_dir wins over the environment.
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "other")}
    src, ci = os.path.join(d, "content"), os.path.join(d, "content.ci")
    with open(src, "wb") as f:
        f.write(os.urandom(100000))
    run("publish", "-o", ci, "served", src, env={"PEERDIST_CACHE_DIR": cache})
    seg = json.loads(run("info", "--json", ci).stdout)["segments"][0]
    segment = bytes.fromhex(seg["hohodk"])

    port = free_port()
    write(conf, f"# a comment\n\n  listen = 127.0.0.1\nport={port}\n"
                f"cache_dir = {cache}\nlog_level = info\n")
    p = Peerdistd("--config", conf, env=env)
    line = p.wait_for("retrieval on")
    check(line.endswith(f"127.0.0.1 port {port}"), f"listen and port from the file: {line}")
    check(blklist(port, segment, 4) == [(0, 2)], "blocks served from the file's cache_dir")
    check(p.stop() == 0, "SIGTERM: exit 0")
    check(p.seen[-1] == "peerdistd: stopped", f"last line: {p.seen[-1]}")

    other = free_port()
    p = Peerdistd("--config", conf, "--port", other, env=env)
    check(p.port() == other, "--port overrides the file")
    check(p.stop() == 0, "SIGTERM: exit 0")

    write(conf, "port = 0\n\n# fine so far\nbogus = 1\n")
    refused(conf, f"{conf}:4: unknown key 'bogus'")
    write(conf, "max_clients = 16385\n")
    refused(conf, f"{conf}:1: max_clients: '16385' is not a number in 1..16384")
    write(conf, "discovery = maybe\n")
    refused(conf, f"{conf}:1: discovery: 'maybe' is not on or off")
    write(conf, "port 80\n")
    refused(conf, f"{conf}:1: expected 'key = value'")
    refused(os.path.join(d, "missing.conf"), "cannot read")
    write(conf, "port = 0\n")
    refused(conf, "--log-level: 'loud' is not error, warning, info or debug",
            "--log-level", "loud")

    # Reload: the debug lines start once log_level = debug is read again.
    write(conf, f"listen = 127.0.0.1\nport = 0\ncache_dir = {cache}\n")
    p = Peerdistd("--config", conf, env=env)
    port = p.port()
    check(not any("settings:" in l for l in p.seen), "no debug lines at info")
    write(conf, f"listen = 127.0.0.1\nport = 0\ncache_dir = {cache}\n"
                "log_level = debug\nmax_clients = 5\n")
    p.proc.send_signal(signal.SIGHUP)
    p.wait_for("log_level = debug, max_clients = 5")
    p.wait_for(f"reloaded {conf}")

    write(conf, f"listen = 127.0.0.1\nport = {free_port()}\nlog_level = debug\n")
    p.proc.send_signal(signal.SIGHUP)
    p.wait_for("port changed: needs a restart")
    p.wait_for("cache_dir changed: needs a restart")
    line = p.wait_for("settings: listen")
    check(f"port = 0, cache_dir = {cache}," in line, f"still in effect: {line}")

    write(conf, "log_level = info\nlog_level = shouting\n")
    p.proc.send_signal(signal.SIGHUP)
    p.wait_for(f"{conf}:2: log_level: 'shouting' is not")
    p.wait_for("not reloaded")
    check(p.proc.poll() is None, "a broken file on reload: still running")
    check(blklist(port, segment, 4) == [(0, 2)], "still serving after a broken reload")
    check(p.stop() == 0, "SIGTERM after reloads: exit 0")
print("ok")
