#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every command has --help (exit 0, its usage, and it does nothing else:
flush --help flushes no tag named "--help"); an unknown option or a missing
value is exit 2 with the option named and a hint; the top-level help lists
every command in one aligned column."""
import os
import re

from clitest import check, run, workdir

COMMANDS = ["hash", "info", "verify", "secret", "publish", "unpublish", "status",
            "cache", "flush", "serve", "get"]

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    for cmd in COMMANDS:
        for flag in ("--help", "-h"):
            out = run(cmd, flag, env=env).stdout.decode()
            check(out.startswith(f"usage: peerdist {cmd}"), f"{cmd} {flag}: {out}")
        err = run(cmd, "--no-such-option", expect=2, env=env).stderr.decode()
        check(f"peerdist {cmd}: unknown option '--no-such-option'" in err and
              f"try 'peerdist {cmd} --help'" in err, f"{cmd}: {err}")
    check(not os.path.exists(os.path.join(d, "cache", "tags")) or
          not os.listdir(os.path.join(d, "cache", "tags")), "flush --help flushed nothing")
    err = run("cache", "--max-bytes", expect=2, env=env).stderr.decode()
    check("option '--max-bytes' needs a value" in err, err)
    err = run("hash", "-o", expect=2).stderr.decode()
    check("option '-o' needs a value" in err, err)

    top = run("--help").stdout.decode()
    rows = [l for l in top.splitlines() if re.match(r"  [a-z]+ +\S", l)]
    check([r.split()[0] for r in rows] == COMMANDS, f"every command listed: {top}")
    starts = {r.index(r[2:].split(None, 1)[1], 2 + len(r[2:].split(None, 1)[0]))
              for r in rows}
    check(len(starts) == 1, f"summaries start in one column: {top}")
    err = run("frobnicate", expect=2).stderr.decode()
    check("unknown command 'frobnicate'" in err and "usage: peerdist" in err, err)
    err = run("--frob", expect=2).stderr.decode()
    check("options go after the command" in err, err)
print("ok")
