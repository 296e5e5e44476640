#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist publish and unpublish as a user runs them: publish writes
content information that verifies against the file, says that V1 and V2
are both stored, and the publication lasts after the command exits (listed
by publish --list, counted by cache --json, refused a second time) until
peerdist unpublish; unpublishing what is not published fails in words."""
import json
import os
import pty
import subprocess

from clitest import PEERDIST, check, run, workdir

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    data = os.path.join(d, "data")
    open(data, "wb").write(os.urandom(5 << 20))
    for ident, v2 in (("my-content", []), ("my-v2-content", ["--v2"])):
        ci = os.path.join(d, "ci")
        p = run("publish", *v2, "-o", ci, ident, data, env=env)
        out = p.stdout.decode()
        check(f"published '{ident}'" in out and "V1" in out and "V2" in out and
              "both stored" in out and f"peerdist unpublish {ident}" in out, out)
        run("verify", ci, data)
        info = json.loads(run("info", "--json", ci).stdout)
        check(info["version"] == ("2.0" if v2 else "1.0"), "version")
        check(info["range"] == {"start": 0, "end": 5 << 20}, "range")

    # Content information to standard output: the summary goes to stderr.
    p = run("publish", "piped", data, env=env)
    check(p.stdout[:2] == b"\x00\x01" and b"published 'piped'" in p.stderr,
          "CI on stdout, words on stderr")
    run("unpublish", "piped", env=env)

    # The publications outlived the commands that made them.
    listed = run("publish", "--list", env=env).stdout.decode().split()
    check(sorted(listed) == ["my-content", "my-v2-content"], f"--list: {listed}")
    cache = json.loads(run("cache", "--json", env=env).stdout)
    check(cache["publications"]["kept"] == 2, cache)
    check(cache["publications"]["content_information_bytes"] > 0, cache)
    check(cache["data"]["bytes"] >= 2 * (5 << 20), f"V1 and V2 segments cached: {cache}")

    err = run("publish", "-o", os.path.join(d, "x"), "my-content", data,
              expect=1, env=env).stderr.decode()
    check("my-content" in err and "already published" in err and "unpublish" in err, err)

    # On a terminal without -o: published, nothing binary written.
    master, slave = pty.openpty()
    p = subprocess.run([PEERDIST, "publish", "tty-one", data], stdout=slave,
                       stderr=subprocess.PIPE, env=dict(os.environ, **env), timeout=60)
    os.close(slave)
    shown = os.read(master, 4096)
    os.close(master)
    check(p.returncode == 0 and b"published 'tty-one'" in shown and b"\x00\x01" not in shown,
          f"terminal: {p.returncode} {shown!r} {p.stderr!r}")

    for ident in ("my-content", "my-v2-content", "tty-one"):
        run("unpublish", ident, env=env)
    check(run("publish", "--list", env=env).stdout == b"", "nothing left listed")
    err = run("unpublish", "my-content", expect=1, env=env).stderr.decode()
    check("my-content" in err and "not published" in err, err)

    # What cannot be published is said in words, naming the file.
    empty = os.path.join(d, "empty")
    open(empty, "wb").close()
    err = run("publish", "e", empty, expect=1, env=env).stderr.decode()
    check(empty in err and "is empty" in err, err)
    err = run("publish", "e", d, expect=1, env=env).stderr.decode()
    check(d in err and "is a directory" in err, err)
    err = run("publish", "x", os.path.join(d, "missing"), expect=1, env=env).stderr.decode()
    check("missing" in err and "No such file" in err, err)
    check(b"not published" in run("unpublish", "e", expect=1, env=env).stderr,
          "a refused publish leaves nothing published")
print("ok")
