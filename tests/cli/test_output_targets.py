#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""-o FILE: a regular file is replaced atomically (a new inode, mode 0644);
an existing device, FIFO or symlink is written into, never replaced (as
root, -o /dev/null leaves /dev/null a device). peerdist secret export
writes the key 0600 even under umask 0 and refuses an existing file
without --force. The same as an unprivileged user, where one is at hand."""
import os
import stat
import threading

from clitest import check, run, run_as, unprivileged, workdir


def reader(path, out):
    with open(path, "rb") as f:
        out.append(f.read())


def check_targets(d, hash_to, own=lambda path: None):
    data = os.path.join(d, "data")
    open(data, "wb").write(b"z" * 300000)
    ci = os.path.join(d, "ref.ci")
    hash_to(data, ci)
    want = open(ci, "rb").read()
    check(stat.S_IMODE(os.stat(ci).st_mode) == 0o644, "content information is 0644")

    # A regular file: replaced by rename (new inode), never half-written.
    before = os.stat(ci).st_ino
    hash_to(data, ci)
    check(os.stat(ci).st_ino != before, "a regular file is replaced atomically")

    # A symlink: its target gets the bytes, the link stays a link.
    target = os.path.join(d, "target")
    open(target, "wb").write(b"old")
    own(target)
    link = os.path.join(d, "link")
    os.symlink(target, link)
    hash_to(data, link)
    check(os.path.islink(link), "a symlink must stay a symlink")
    check(open(target, "rb").read() == want, "the symlink's target holds the output")

    # A FIFO: written into, still a FIFO afterwards.
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo, 0o666)
    own(fifo)
    got = []
    t = threading.Thread(target=reader, args=(fifo, got))
    t.start()
    hash_to(data, fifo)
    t.join(30)
    check(got and got[0] == want, "the FIFO's reader got the content information")
    check(stat.S_ISFIFO(os.stat(fifo).st_mode), "a FIFO must stay a FIFO")

    # A device.
    hash_to(data, "/dev/null")
    check(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null must stay a device")
    leftovers = [n for n in os.listdir("/dev") if n.startswith("null.")]
    check(not leftovers, f"no temporary left in /dev: {leftovers}")


with workdir() as d:
    check_targets(d, lambda src, out: run("hash", "-o", out, src))

    # secret export: 0600 whatever the umask, no silent overwrite.
    passfile = os.path.join(d, "pass")
    open(passfile, "w").write("pw\n")
    key = os.path.join(d, "key")
    old = os.umask(0)
    try:
        run("secret", "export", "--passphrase-file", passfile, key)
    finally:
        os.umask(old)
    check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "an exported key is 0600")
    first = open(key, "rb").read()
    err = run("secret", "export", "--passphrase-file", passfile, key, expect=1).stderr
    check(b"already exists" in err and b"--force" in err and key.encode() in err, err)
    check(open(key, "rb").read() == first, "a refused export leaves the file as it was")
    os.chmod(key, 0o644)
    run("secret", "export", "--force", "--passphrase-file", passfile, key)
    check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "--force writes it 0600 again")

user = unprivileged()
if user:
    d = user["home"]
    env = {"PEERDIST_SECRET_FILE": os.path.join(d, "secret")}
    os.chmod(d, 0o777)
    check_targets_user = lambda src, out: run_as(user, "hash", "-o", out, src, env=env)
    sub = os.path.join(d, "t")
    os.mkdir(sub)
    os.chown(sub, user["uid"], user["gid"])
    # /dev/null is writable by anyone: as nobody it must stay a device too.
    check_targets(sub, check_targets_user,
                  lambda path: os.chown(path, user["uid"], user["gid"]))
print("ok")
