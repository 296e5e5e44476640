#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A broken byte counters file (garbage of the right size, a short file)
is made anew by the next command that opens the cache: it says so with the
file's path, works on (exit 0, the counters at 0), and the new file is a
well-formed 0600 one that the command after accepts without a word."""
import json
import os

from clitest import check, run, workdir

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    path = os.path.join(env["PEERDIST_CACHE_DIR"], "counters")
    run("status", env=env)
    check(os.path.getsize(path) > 16 and os.stat(path).st_mode & 0o7777 == 0o600,
          "the first command makes a 0600 counters file")
    good = open(path, "rb").read()
    for broken in (os.urandom(len(good)), good[:10]):
        with open(path, "wb") as f:
            f.write(broken)
        p = run("status", "--json", env=env)
        err = p.stderr.decode()
        check(f"{path} was " in err and "made anew" in err,
              f"the repair is said, with the path: {err!r}")
        c = json.loads(p.stdout)["cache"]["bytes"]
        check(set(c.values()) == {0}, f"and the counters start from 0: {c}")
        check(open(path, "rb").read() == good and os.stat(path).st_mode & 0o7777 == 0o600,
              "the file is a fresh counters file again")
        p = run("cache", env=env)
        check(p.stderr == b"", f"once repaired, nothing to say: {p.stderr}")
print("ok")
