#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Independent reference for the fixed-input tests (V1 and V2), from the spec text.
import hashlib, hmac, struct
MAGIC = "MS_P2P_CACHING\0".encode("utf-16-le")
def pattern(n, seed):
    x = (seed * 0x9e3779b97f4a7c15 + 1) & (2**64-1)
    out = bytearray(n)
    for i in range(n):
        x ^= x >> 12; x ^= (x << 25) & (2**64-1); x ^= x >> 27
        out[i] = ((x * 0x2545f4914f6cdd1d) & (2**64-1)) >> 56
    return bytes(out)
def v1(data, secret):
    ks = hashlib.sha256(secret).digest()
    segs = [data[i:i+32<<20] for i in range(0, len(data), 32<<20)]
    hdr = struct.pack("<HIIII", 0x100, 0x800c, 0, 0, len(segs))
    descs = b""; blks = b""; off = 0
    for s in segs:
        bh = [hashlib.sha256(s[j:j+65536]).digest() for j in range(0, len(s), 65536)]
        hod = hashlib.sha256(b"".join(bh)).digest()
        kp = hmac.new(ks, hod, hashlib.sha256).digest()
        descs += struct.pack("<QII", off, len(s), 65536) + hod + kp
        blks += struct.pack("<I", len(bh)) + b"".join(bh)
        off += len(s)
    return hdr + descs + blks
def splitmix(state):
    state = (state + 0x9e3779b97f4a7c15) & (2**64-1); z = state
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & (2**64-1)
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & (2**64-1)
    return state, z ^ (z >> 31)
st = 0x7065657264697374; GEAR = []
for i in range(256):
    st, z = splitmix(st); GEAR.append(z)
MIN, AVG, MAX = 32<<10, 64<<10, 128<<10
HARD = ((1<<64)-1) ^ ((1<<46)-1); EASY = ((1<<64)-1) ^ ((1<<50)-1)
def cut(buf):
    n = len(buf)
    if n <= MIN: return n
    limit = min(n, MAX); h = 0
    for i in range(MIN, limit):
        h = ((h << 1) + GEAR[buf[i]]) & (2**64-1)
        if not h & (HARD if i < min(limit, AVG) else EASY): return i + 1
    return limit
def v2(data, secret):
    ks = hashlib.sha512(secret).digest()[:32]
    out = b""; pos = 0; segs = []
    while pos < len(data):
        c = cut(data[pos:pos+MAX]); segs.append(data[pos:pos+c]); pos += c
    hdr = bytes([0, 2, 4]) + struct.pack(">QQIQ", 0, 0, 0, 0)
    body = b""
    for s in segs:
        hod = hashlib.sha512(s).digest()[:32]
        kp = hmac.new(ks, hod, hashlib.sha512).digest()[:32]
        body += struct.pack(">I", len(s)) + hod + kp
    return hdr + (bytes([0]) + struct.pack(">I", len(body)) + body if segs else b""), [len(s) for s in segs]
d = pattern(100000, 7)
print("V1", v1(d, b"no more secrets").hex())
d2 = pattern(300000, 11)
ci, sizes = v2(d2, b"no more secrets")
print("V2SIZES", sizes)
print("V2", ci.hex())
