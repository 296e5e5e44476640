#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist publish, status, cache and unpublish as a user runs them:
publish writes content information that verifies against the file and
leaves the blocks in the cache; cache shows them and applies a size cap;
status says the service is available on the user backend."""
import json
import os

from clitest import check, run, workdir

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    data = os.path.join(d, "data")
    open(data, "wb").write(os.urandom(5 << 20))
    for v2 in ([], ["--v2"]):
        ci = os.path.join(d, "ci")
        run("publish", *v2, "-o", ci, "my-content", data, env=env)
        run("verify", ci, data)
        info = json.loads(run("info", "--json", ci).stdout)
        check(info["version"] == ("2.0" if v2 else "1.0"), "version")
        check(info["range"] == {"start": 0, "end": 5 << 20}, "range")

    out = run("cache", env=env).stdout.decode()
    fields = dict(line.split(": ", 1) for line in out.strip().splitlines())
    check(int(fields["bytes cached"]) >= 5 << 20, f"cache must hold the content: {out}")
    check(int(fields["segments"]) > 1, out)
    out = run("cache", "--max-bytes", "1M", env=env).stdout.decode()
    fields = dict(line.split(": ", 1) for line in out.strip().splitlines())
    check(int(fields["bytes cached"]) <= 1 << 20, f"the cap must apply: {out}")
    check(int(fields["evictions"]) > 0, out)

    status = run("status", env=env).stdout.decode()
    check("status: available" in status and "backend: user" in status, status)
    run("unpublish", "my-content", env=env)
    err = run("status", env=dict(env, PEERDIST_BACKEND="kernel"), expect=1).stderr
    check(b"unavailable" in err, err)
    run("publish", "x", os.path.join(d, "missing"), expect=1, env=env)
    run("flush", "0123456789abcdef0123456789abcdef", env=env)
    run("flush", "this tag is far too long", expect=2, env=env)
print("ok")
