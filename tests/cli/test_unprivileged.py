#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The CLI as a fresh unprivileged user (nobody, in a new home without
~/.cache): the cache directory is created (~/.cache 0700), publish, list,
unpublish, cache and status work; a cache directory the user cannot write
and one whose parent is missing are named with the cause in words."""
import json
import os
import stat

from clitest import SKIP, check, run_as, unprivileged

user = unprivileged()
if not user:
    print("skip: needs root and setpriv to become nobody")
    raise SystemExit(SKIP)
home = user["home"]
env = {"PEERDIST_SECRET_FILE": os.path.join(home, "secret")}
check(not os.path.exists(os.path.join(home, ".cache")), "the home starts without ~/.cache")

c = json.loads(run_as(user, "cache", "--json", env=env).stdout)
cache_dir = os.path.join(home, ".cache", "peerdist")
check(c["location"] == cache_dir and os.path.isdir(cache_dir), c)
check(stat.S_IMODE(os.stat(os.path.join(home, ".cache")).st_mode) == 0o700, "~/.cache 0700")
check(os.stat(cache_dir).st_uid == user["uid"], "the cache belongs to the user")

data = os.path.join(home, "data")
open(data, "wb").write(os.urandom(200000))
os.chown(data, user["uid"], user["gid"])
out = run_as(user, "publish", "-o", os.path.join(home, "ci"), "mine", data, env=env).stdout
check(b"published 'mine'" in out, out)
check(run_as(user, "publish", "--list", env=env).stdout == b"mine\n", "listed as nobody")
run_as(user, "verify", os.path.join(home, "ci"), data)
s = json.loads(run_as(user, "status", "--json", env=env).stdout)
check(s["status"] == "available" and s["cache"]["publications"]["kept"] == 1, s)
check(s["peerdistd"]["state_file"] in ("/tmp/peerdist-%d/peerdistd.json" % user["uid"],
                                       "/run/peerdist/peerdistd.json"), s)
run_as(user, "unpublish", "mine", env=env)
err = run_as(user, "unpublish", "mine", expect=1, env=env).stderr.decode()
check("mine: not published by this user" in err, err)

# Caches the user cannot use: the path and the cause.
locked = os.path.join(home, "locked")
os.mkdir(locked, 0o755)			# root's, not writable by nobody
err = run_as(user, "cache", expect=1, env=dict(env, PEERDIST_CACHE_DIR=locked)).stderr
check(f"cache directory {locked} is not writable: Permission denied".encode() in err, err)
err = run_as(user, "publish", "x", data, expect=1,
             env=dict(env, PEERDIST_CACHE_DIR=locked)).stderr
check(b"is not writable" in err and b"error 4065" not in err, err)
orphan = os.path.join(home, "no", "such", "cache")
err = run_as(user, "status", expect=1, env=dict(env, PEERDIST_CACHE_DIR=orphan)).stderr
check(f"cache directory {orphan} cannot be created: its parent directory does not "
      "exist".encode() in err, err)
print("ok")
