#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The content information of a real Windows server (shared/vectors) shows,
through `peerdist info --json --show-secrets`, exactly the listed segments,
ranges, blocks and hashes, and Kp and HoHoDk re-derive from the exported
server passphrase (computed here independently with hashlib/hmac)."""
import hashlib
import hmac
import json
import os
import sys

from clitest import SKIP, check, run, workdir

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
path = os.path.join(root, "..", "shared", "vectors", "pccrc-windows-iis.json")
if not os.path.exists(path):
    print("shared/vectors not found beside the project: skipped")
    sys.exit(SKIP)
vectors = json.load(open(path))
passphrase = bytes.fromhex(vectors["server_passphrase_hex"])
magic = bytes.fromhex(vectors["segment_id_magic_hex"])


def derive(version, hod):
    if version == "1.0":
        ks = hashlib.sha256(passphrase).digest()
        kp = hmac.new(ks, hod, hashlib.sha256).digest()
        return kp, hmac.new(kp, hod + magic, hashlib.sha256).digest()
    ks = hashlib.sha512(passphrase).digest()[:32]
    kp = hmac.new(ks, hod, hashlib.sha512).digest()[:32]
    return kp, hmac.new(kp, hod + magic, hashlib.sha512).digest()[:32]


with workdir() as d:
    for case in vectors["cases"]:
        name = case["name"]
        ci = os.path.join(d, name)
        with open(ci, "wb") as f:
            f.write(bytes.fromhex(case["content_information_hex"]))
        got = json.loads(run("info", "--json", "--show-secrets", ci).stdout)
        check(got["version"] == case["content_information_version"], f"{name}: version")
        check(got["digest_size"] == case["digest_size"], f"{name}: digest size")
        check([got["range"]["start"], got["range"]["end"]] == case["expected_range"],
              f"{name}: range {got['range']}")
        check(len(got["segments"]) == case["expected_segment_count"], f"{name}: segments")
        for want, seg in zip(case["segments"], got["segments"]):
            where = f"{name} segment {want['index']}"
            check(seg["index"] == want["index"], f"{where}: index")
            check([seg["offset"], seg["offset"] + seg["size"]] == want["expected_range"],
                  f"{where}: range")
            check(seg["block_size"] == want["expected_blksize"], f"{where}: block size")
            check(len(seg["blocks"]) == want["expected_blocks"], f"{where}: block count")
            check(seg["hod"] == want["hod_hex"], f"{where}: HoD")
            check(seg["kp"] == want["kp_hex"], f"{where}: Kp")
            check(seg["hohodk"] == want["hohodk_upper_base16"], f"{where}: HoHoDk")
            kp, hohodk = derive(case["content_information_version"],
                                bytes.fromhex(want["hod_hex"]))
            check(kp.hex() == want["kp_hex"], f"{where}: Kp does not re-derive")
            check(hohodk.hex().upper() == seg["hohodk"], f"{where}: HoHoDk does not re-derive")
            for wb, gb in zip(want["blocks"], seg["blocks"]):
                check(gb["hash"] == wb["hash_hex"], f"{where} block {wb['index']}: hash")
                check([gb["start"], gb["end"]] == wb["expected_trim"],
                      f"{where} block {wb['index']}: range")
print("ok")
