#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The user backend's cache is its owner's alone: after root publishes
under umask 0, a second local user (made here, removed after) can read
no cached block, no description (it holds Kp) and no publication; every
directory is 0700 and every file 0600. A cache left 0755 by an older
layout is closed (0700) on the next open, with a message saying so; one
of another user's, open to others, is refused."""
import os
import subprocess
import sys

from clitest import SKIP, check, run, workdir

if os.geteuid() != 0:
    print("skip: needs root to make a second user")
    sys.exit(SKIP)
user = f"pdtest{os.getpid()}"
if subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                   "/usr/sbin/nologin", user]).returncode:
    print("skip: useradd failed")
    sys.exit(SKIP)
try:
    import pwd
    other = pwd.getpwnam(user)

    def readable_by_other(path):
        """Whether the second user can open path (a file or a directory)."""
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(other.pw_gid, other.pw_gid, other.pw_gid)
                os.setresuid(other.pw_uid, other.pw_uid, other.pw_uid)
                if os.path.isdir(path):
                    os.listdir(path)
                else:
                    open(path, "rb").read(1)
                os._exit(0)
            except PermissionError:
                os._exit(1)
            except BaseException:
                os._exit(2)
        status = os.waitpid(pid, 0)[1]
        check(os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1),
              f"probe of {path} failed oddly: {status}")
        return os.WEXITSTATUS(status) == 0

    old_umask = os.umask(0)
    with workdir() as d:
        os.chmod(d, 0o755)	# the second user may walk up to the cache
        cache = os.path.join(d, "cache")
        env = {"PEERDIST_CACHE_DIR": cache}
        data = os.path.join(d, "data")
        with open(data, "wb") as f:
            f.write(os.urandom(3 << 20))
        for v2 in ([], ["--v2"]):
            run("publish", *v2, "-o", os.path.join(d, "ci"), f"secret-content{v2}", data,
                env=env)

        kinds = {"data": 0, "desc": 0, "publications": 0}
        for root, dirs, files in os.walk(cache):
            for name in dirs:
                path = os.path.join(root, name)
                mode = os.stat(path).st_mode & 0o7777
                check(mode == 0o700, f"{path}: directory mode {mode:04o}, not 0700")
            for name in files:
                path = os.path.join(root, name)
                mode = os.stat(path).st_mode & 0o7777
                check(mode == 0o600, f"{path}: file mode {mode:04o}, not 0600")
                check(not readable_by_other(path), f"{user} reads {path}")
                if name in ("data", "desc"):
                    kinds[name] += 1
                elif "publications" in root:
                    kinds["publications"] += 1
        check(all(kinds.values()), f"the cache must hold each kind: {kinds}")
        check(os.stat(cache).st_mode & 0o7777 == 0o700, "the cache directory is 0700")
        check(not readable_by_other(cache), f"{user} lists the cache")

        # an older cache, 0755: closed on the next open, and said so
        os.chmod(cache, 0o755)
        check(readable_by_other(cache), "the probe must see a 0755 directory")
        out = run("cache", env=env)
        check(os.stat(cache).st_mode & 0o7777 == 0o700, "a 0755 cache is made 0700")
        check(b"now 0700" in out.stderr, f"the repair must be told: {out.stderr}")
        check(not readable_by_other(cache), f"{user} lists the repaired cache")

        # someone else's cache, wide open: refused, not used
        os.chown(cache, other.pw_uid, other.pw_gid)
        os.chmod(cache, 0o755)
        out = run("cache", env=env, expect=None)
        check(out.returncode != 0 and b"refused" in out.stderr,
              f"another user's open cache must be refused: {out.stderr}")
    os.umask(old_umask)
finally:
    subprocess.run(["userdel", user])
print("ok")
