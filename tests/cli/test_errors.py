#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input gets exit 1 and a message naming the file and the problem;
usage errors exit 2; binary output is never written to a terminal; a
server secret readable by others is refused."""
import os
import pty
import subprocess

from clitest import PEERDIST, check, run, workdir

with workdir() as d:
    bad = os.path.join(d, "bad.ci")
    # V1 header claiming one segment with a 4096-byte block size.
    raw = bytearray(b"\x00\x01\x0c\x80" + bytes(10) + b"\x01\x00\x00\x00")
    raw += (0).to_bytes(8, "little") + (4096).to_bytes(4, "little") * 2 + bytes(64)
    raw += (1).to_bytes(4, "little") + bytes(32)
    open(bad, "wb").write(raw)
    err = run("info", bad, expect=1).stderr.decode()
    check(bad in err and "block size is not 65536" in err and "segment 0" in err,
          f"precise parse error expected: {err}")
    open(bad, "wb").write(b"\x00\x07junk")
    err = run("info", bad, expect=1).stderr.decode()
    check("unsupported content information version" in err, err)
    err = run("info", os.path.join(d, "missing"), expect=1).stderr.decode()
    check("No such file" in err, err)
    run("hash", os.path.join(d, "missing"), "-o", os.path.join(d, "o"), expect=1)
    check(not os.path.exists(os.path.join(d, "o")), "no output file on failure")

    # --kernel: a whole file, the module's secret; without the module, said so.
    for args in (["--secret-file", "s"], ["--offset", "5"], ["--hash", "sha512"],
                 ["--threads", "2"], ["-"]):
        run("hash", "--kernel", *(args if args == ["-"] else args + ["x"]), expect=2)
    if not os.path.exists("/sys/module/peerdist"):
        src = os.path.join(d, "src")
        open(src, "wb").write(b"y" * 100)
        err = run("hash", "--kernel", "-o", os.path.join(d, "k"), src, expect=1)
        check(b"peerdist.ko: not loaded" in err.stderr, err.stderr)
        err = run("secret", "kernel", expect=1)
        check(b"peerdist.ko: not loaded" in err.stderr, err.stderr)

    for args in (["frobnicate"], ["hash"], ["hash", "--hash", "md5", "x"],
                 ["info"], ["verify", "x"], ["hash", "--threads", "0", "x"],
                 ["hash", "--offset", "-5", "x"]):
        run(*args, expect=2)
    check(run("--help").stdout.startswith(b"usage: peerdist"), "--help")
    check(b"--secret-file" in run("hash", "--help").stdout, "hash --help")
    check(run("--version").stdout.startswith(b"peerdist "), "--version")

    # Binary content information is not written to a terminal.
    data = os.path.join(d, "data")
    open(data, "wb").write(b"x" * 1000)
    master, slave = pty.openpty()
    p = subprocess.run([PEERDIST, "hash", data], stdout=slave,
                       stderr=subprocess.PIPE, timeout=60)
    os.close(slave)
    os.close(master)
    check(p.returncode == 2 and b"terminal" in p.stderr, "tty must be refused")

    # The server secret: created 0600 on first use, refused when others can read it.
    secret = os.environ["PEERDIST_SECRET_FILE"]
    run("hash", "-o", os.path.join(d, "ci"), data)
    check(os.stat(secret).st_mode & 0o777 == 0o600, "secret must be created 0600")
    os.chmod(secret, 0o644)
    err = run("hash", "-o", os.path.join(d, "ci"), data, expect=1).stderr.decode()
    check("group or others" in err, err)
print("ok")
