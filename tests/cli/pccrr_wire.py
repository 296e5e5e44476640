# SPDX-License-Identifier: GPL-2.0-or-later
"""MS-PCCRR messages as a client sends them and MSG_BLK as it reads it,
built by hand from the spec's layouts (not with the project's codec), and
one POST to a peerdistd on loopback."""
import http.client
import struct

from clitest import check

PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/"


def getblks(segment, index, crypto=1):
    body = struct.pack(">I", len(segment)) + segment + struct.pack(">III", 1, index, 1)
    body += struct.pack(">I", 0)
    return struct.pack(">IIII", 1, 3, 16 + len(body), crypto) + body


def getblklist(segment, index, count):
    body = struct.pack(">I", len(segment)) + segment + struct.pack(">III", 1, index, count)
    return struct.pack(">IIII", 1, 2, 16 + len(body), 0) + body


def getseglist(request_id, segments):
    body = request_id + struct.pack(">I", len(segments))
    for sid in segments:
        body += struct.pack(">I", len(sid)) + sid + bytes(-len(sid) % 4)
    body += struct.pack(">I", 0)
    return struct.pack(">IIII", 2, 6, 16 + len(body), 0) + body


def post(port, body, path=PATH, method="POST", source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(source, 0))
    c.request(method, path, body=body, headers={"Accept-Encoding": "identity"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def parse_blk(data):
    size, ver, typ, msize, crypto = struct.unpack(">IIIII", data[:20])
    check(size == len(data) - 4 and msize == size and typ == 5, "MSG_BLK framing")
    p = 20
    (idlen,) = struct.unpack(">I", data[p:p + 4])
    p += 4 + idlen + (-idlen % 4)
    index, nxt, blen = struct.unpack(">III", data[p:p + 12])
    p += 12
    block = data[p:p + blen]
    p += blen + (-blen % 4)
    (vrf,) = struct.unpack(">I", data[p:p + 4])
    p += 4 + vrf + (-vrf % 4)
    (ivlen,) = struct.unpack(">I", data[p:p + 4])
    iv = data[p + 4:p + 4 + ivlen]
    check(p + 4 + ivlen == len(data), "no bytes after the IV")
    return crypto, index, nxt, block, iv
