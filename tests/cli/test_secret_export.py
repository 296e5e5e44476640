#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The server secret in Windows' `netsh branchcache exportkey` format:
decrypting the export with openssl (AES-256-CBC, zero IV, key SHA-256 of
the UTF-16LE passphrase) gives SHA-256(secret) || secret; importing it on
another "server" yields the same segment ids; a wrong passphrase fails."""
import hashlib
import json
import os
import subprocess

from clitest import check, run, workdir

with workdir() as d:
    passfile = os.path.join(d, "pass")
    open(passfile, "w").write("Ünïcode passphrase\n")
    secret_a = os.path.join(d, "a")
    secret_b = os.path.join(d, "b")
    blob = os.path.join(d, "key.exported")
    run("secret", "export", "--passphrase-file", passfile, "--secret-file", secret_a, blob)

    key = hashlib.sha256("Ünïcode passphrase".encode("utf-16-le")).hexdigest()
    plain = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-K", key,
                            "-iv", "00" * 16, "-in", blob],
                           capture_output=True, check=True).stdout
    secret = open(secret_a, "rb").read()
    check(plain == hashlib.sha256(secret).digest() + secret,
          "export must be SHA-256(secret) || secret under AES-256-CBC")

    run("secret", "import", "--passphrase-file", passfile, "--secret-file", secret_b, blob)
    check(open(secret_b, "rb").read() == secret, "imported secret differs")
    check(os.stat(secret_b).st_mode & 0o777 == 0o600, "imported secret must be 0600")

    data = os.path.join(d, "data")
    open(data, "wb").write(os.urandom(200000))
    ids = []
    for s in (secret_a, secret_b):
        ci = run("hash", "-", stdin=open(data, "rb").read(),
                 env={"PEERDIST_SECRET_FILE": s}).stdout
        open(os.path.join(d, "ci"), "wb").write(ci)
        info = json.loads(run("info", "--json", os.path.join(d, "ci")).stdout)
        ids.append([seg["hohodk"] for seg in info["segments"]])
    check(ids[0] == ids[1], "servers sharing the secret must give the same segment ids")

    open(passfile, "w").write("wrong\n")
    err = run("secret", "import", "--passphrase-file", passfile, "--secret-file",
              os.path.join(d, "c"), blob, expect=1).stderr.decode()
    check("wrong passphrase" in err, err)
    check(not os.path.exists(os.path.join(d, "c")), "nothing written on a failed import")
print("ok")
