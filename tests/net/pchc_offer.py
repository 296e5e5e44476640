#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A PCHC 2.0 client written from MS-PCHC (not the project's codec): sends
one BATCHED_OFFER_MESSAGE for every segment of a V1 content information
file to a hosted cache over HTTP, naming PORT as its MS-PCCRR port, and
prints the ResponseCode. Usage: pchc_offer.py HOST PORT CI"""
import hashlib
import hmac
import http.client
import struct
import sys

PATH = "/0131501b-d67f-491b-9a40-c4bf27bcb4d4"
MAGIC = "MS_P2P_CACHING\0".encode("utf-16-le")
TAG = b"pchc-offer-test!"


def segments(ci):
    """(BlockSize, SegmentSize, HoHoDk) of each segment (MS-PCCRC 2.3, SHA-256)."""
    version, algo, _, _, count = struct.unpack("<HIIII", ci[:18])
    assert version == 0x0100 and algo == 0x800C, "V1 SHA-256 content information"
    out = []
    for i in range(count):
        p = 18 + 80 * i
        _, size, block = struct.unpack("<QII", ci[p:p + 16])
        hod, kp = ci[p + 16:p + 48], ci[p + 48:p + 80]
        out.append((block, size, hmac.new(kp, hod + MAGIC, hashlib.sha256).digest()))
    return out


def batched_offer(port, segs):
    """MESSAGE_HEADER {Minor 0, Major 2, Type 3, padding},
    CONNECTION_INFORMATION {Port, padding}, then SegmentDescriptors."""
    body = bytes([0, 2]) + struct.pack(">H", 3) + bytes(4) + struct.pack(">H", port) + bytes(6)
    for block, size, hohodk in segs:
        body += struct.pack(">IIH", block, size, len(TAG)) + TAG + b"\x01" + hohodk
    return body


def main():
    host, port, ci = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
    c = http.client.HTTPConnection(host, 80, timeout=10)
    c.request("POST", PATH, body=batched_offer(port, segments(ci)))
    r = c.getresponse()
    data = r.read()
    assert r.status == 200 and len(data) == 5 and data[:4] == struct.pack(">I", 1), \
        f"HTTP {r.status}, {data.hex()}"
    print("OK" if data[4] == 0 else "INTERESTED" if data[4] == 1 else data[4])


if __name__ == "__main__":
    main()
