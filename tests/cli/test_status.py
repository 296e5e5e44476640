#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist status as Get-BCStatus: the mode, whether peerdistd runs (from
its state file: pid alive, a stale file said so) and whether each listening
address accepts a TCP connection (a wildcard through loopback), whether the
module is loaded, the cache with its byte counters (and no block lookup
counts, which mean different things on a server and a client); --json
parses; an unavailable API is exit 1 with the cause in words (a bad
PEERDIST_BACKEND, an unwritable cache)."""
import json
import os
import socket
import subprocess

from clitest import check, free_port, run, workdir


def state(path, pid, port, discovery=True, address="::"):
    json.dump({"pid": pid, "started": 1764600000, "version": "0.1.0",
               "config_file": "/etc/peerdist/peerdistd.conf",
               "cache_dir": "/var/cache/peerdist", "discovery": discovery,
               "listen": [{"address": address, "port": port, "v6only": False}],
               "interfaces": [{"name": "lo", "addresses": ["127.0.0.1"]}],
               "advertised": [{"interface": "lo", "xaddr": "127.0.0.1:%d" % port}]},
              open(path, "w"))


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache"),
           "PEERDIST_STATE_FILE": os.path.join(d, "none.json")}
    out = run("status", env=env).stdout.decode()
    check("PeerDist:               available" in out, out)
    check("mode:                   local only" in out, out)
    check("peerdistd:              not running (no state file)" in out, out)
    check("location:             " + env["PEERDIST_CACHE_DIR"] in out, out)
    check("peerdist.ko:" in out and "read from the cache:" in out and
          "fetched from peers:" in out, out)
    check("lookups" not in out, f"status shows no ambiguous hit counts: {out}")
    s = json.loads(run("status", "--json", env=env).stdout)
    check(s["status"] == "available" and s["mode"] == "local only", s)
    check(s["peerdistd"]["running"] is False and s["cache"]["backend"] == "user", s)
    check(s["content_information_versions"] == ["1.0", "2.0"], s)
    check(set(s["cache"]["bytes"]) == {"read_from_cache", "fetched_from_peers",
                                       "fetched_from_hosted_cache", "fetched_from_origins",
                                       "served_to_peers", "served_as_hosted_cache"} and
          "block_lookups_found" not in s["cache"]["counters"], s["cache"])

    # A running peerdistd (this process stands in) listening on loopback.
    path = os.path.join(d, "peerdistd.json")
    listener = socket.socket(socket.AF_INET6)
    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    listener.bind(("::", 0))
    listener.listen()
    port = listener.getsockname()[1]
    state(path, os.getpid(), port)
    out = run("status", "--state-file", path, env=env).stdout.decode()
    check("mode:                   distributed" in out, out)
    check("peerdistd:              running" in out and f"pid:                  {os.getpid()}" in out,
          out)
    check(f"retrieval:            :: port {port}: reachable" in out, out)
    check("2025-12-01 14:40:00 UTC" in out, out)
    check("interfaces:           lo (127.0.0.1)" in out, out)
    check(f"advertised:           127.0.0.1:{port} on lo" in out, out)
    s = json.loads(run("status", "--json", "--state-file", path, env=env).stdout)
    p = s["peerdistd"]
    check(p["running"] and p["pid"] == os.getpid() and p["discovery"] is True, p)
    check(p["listen"] == [{"address": "::", "port": port, "v6only": False,
                           "reachable": True, "error": None}], p)
    check(p["interfaces"][0]["name"] == "lo" and p["advertised"][0]["interface"] == "lo", p)

    # The same through the environment; discovery off is local only; an
    # address nobody listens on is unreachable, with the reason.
    closed = free_port()
    state(path, os.getpid(), closed, discovery=False, address="0.0.0.0")
    s = json.loads(run("status", "--json", env=dict(env, PEERDIST_STATE_FILE=path)).stdout)
    check(s["mode"] == "local only", s)
    check(s["peerdistd"]["listen"][0]["reachable"] is False and
          s["peerdistd"]["listen"][0]["error"] == "Connection refused", s)
    out = run("status", env=dict(env, PEERDIST_STATE_FILE=path)).stdout.decode()
    check(f"0.0.0.0 port {closed}: not reachable: Connection refused" in out, out)

    # Hosted-cache roles, once peerdistd reports them in its state file.
    for extra, want in (({"hosted_cache_server": True}, "hosted-cache server"),
                        ({"hosted_cache": "192.0.2.9:443"}, "hosted-cache client")):
        st = json.load(open(path))
        st.update(extra)
        json.dump(st, open(path, "w"))
        s = json.loads(run("status", "--json", "--state-file", path, env=env).stdout)
        check(s["mode"] == want, f"{extra}: {s['mode']}")
        state(path, os.getpid(), closed, discovery=False, address="0.0.0.0")

    # A stale state file: its pid is gone.
    dead = subprocess.Popen(["true"])
    dead.wait()
    state(path, dead.pid, port)
    out = run("status", "--state-file", path, env=env).stdout.decode()
    check("peerdistd:              not running (stale state file)" in out, out)
    check(json.loads(run("status", "--json", "--state-file", path,
                         env=env).stdout)["peerdistd"]["stale"] is True, "stale in JSON")
    open(path, "w").write("{not json")
    out = run("status", "--state-file", path, env=env).stdout.decode()
    check("not a peerdistd state file" in out, out)
    listener.close()

    # Unavailable: the cause in words, exit 1.
    err = run("status", env=dict(env, PEERDIST_BACKEND="bogus"), expect=1).stderr.decode()
    check("PEERDIST_BACKEND='bogus' is not a backend" in err, err)
    if not os.path.exists("/sys/module/peerdist"):
        err = run("status", env=dict(env, PEERDIST_BACKEND="kernel"), expect=1).stderr
        check(b"PEERDIST_BACKEND=kernel, but peerdist.ko is not loaded" in err, err)
    s = json.loads(run("status", "--json", env=dict(env, PEERDIST_BACKEND="bogus"),
                       expect=1).stdout)
    check(s["status"] == "unavailable" and s["cache"] is None, s)
print("ok")
