#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hash then verify round-trips at block and segment boundaries, V1 and V2;
stdin and file give the same bytes; the same secret gives the same output
and another secret changes Kp but not HoD; a sub-range describes exactly
the bytes asked for."""
import json
import os

from clitest import check, pattern, run, workdir

with workdir() as d:
    secret = os.path.join(d, "pass")
    other = os.path.join(d, "other")
    open(secret, "wb").write(b"no more secrets")
    open(other, "wb").write(b"other secrets")
    for size in (0, 1, 65535, 65536, 65537, 3 << 20, (32 << 20) + 5):
        data = os.path.join(d, "data")
        open(data, "wb").write(pattern(size, size % 251))
        for v2 in ([], ["--v2"]):
            ci = os.path.join(d, "ci")
            run("hash", *v2, "--secret-file", secret, "-o", ci, data)
            run("verify", ci, data)
            from_stdin = run("hash", *v2, "--secret-file", secret, "-",
                             stdin=open(data, "rb").read()).stdout
            check(from_stdin == open(ci, "rb").read(),
                  f"size {size} {v2}: stdin and file differ")
            info = json.loads(run("info", "--json", "--show-secrets", ci).stdout)
            check(info["range"] == {"start": 0, "end": size}, f"size {size}: range")
            check(sum(s["size"] for s in info["segments"]) == size, "segment sizes")
            run("hash", *v2, "--secret-file", other, "-o", ci + "2", data)
            info2 = json.loads(run("info", "--json", "--show-secrets", ci + "2").stdout)
            for a, b in zip(info["segments"], info2["segments"]):
                check(a["hod"] == b["hod"] and a["kp"] != b["kp"] and
                      a["hohodk"] != b["hohodk"], "another secret must change only Kp and ids")

    for alg, hexlen in (("sha384", 96), ("sha512", 128)):
        ci = os.path.join(d, "ci-" + alg)
        run("hash", "--hash", alg, "--secret-file", secret, "-o", ci, data)
        run("verify", ci, data)
        info = json.loads(run("info", "--json", ci).stdout)
        check(len(info["segments"][0]["hod"]) == hexlen, f"{alg}: digest size")

    # A sub-range: exactly the bytes asked for, from the covering segments.
    for v2 in ([], ["--v2"]):
        ci = os.path.join(d, "sub")
        run("hash", *v2, "--secret-file", secret, "--offset", "100000",
            "--length", "1M", "-o", ci, data)
        info = json.loads(run("info", "--json", ci).stdout)
        check(info["range"] == {"start": 100000, "end": 100000 + (1 << 20)},
              f"sub-range {v2}: {info['range']}")
        run("verify", ci, data)
    run("hash", "--secret-file", secret, "--offset", str(64 << 20), "-o",
        os.path.join(d, "x"), data, expect=1)
print("ok")
