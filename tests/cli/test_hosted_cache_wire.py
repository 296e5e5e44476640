#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hosted cache (peerdistd --hosted-cache) on loopback, driven by a
PCHC client written here from MS-PCHC's layouts (not the project's codec):
offers over 1.0 (HTTPS, a certificate made here) and 2.0 (HTTP) and their
answers; the pull from the offering peerdistd, checked by reading the
blocks back from the hosted cache and decrypting them; and hostile
offerers: wrong hashes, wrong blocks, segments the offerer cannot serve,
messages of the other version, a flood of offers over the limits. The
hosted cache goes on serving the others throughout."""
import atexit
import hashlib
import hmac
import http.client
import http.server
import os
import socket
import ssl
import struct
import subprocess
import threading
import time

from clitest import Peerdistd, check, free_port, run, workdir
from pccrr_wire import getblklist, getblks, getseglist, parse_blk, post

V1_PATH = "/C574AC30-5794-4AEE-B1BB-6651C5315029"
V2_PATH = "/0131501b-d67f-491b-9a40-c4bf27bcb4d4"
MAGIC = "MS_P2P_CACHING\0".encode("utf-16-le")
TAG = b"wire-test-tag-16"
OK, INTERESTED = 0, 1


def prefix(major, typ, port):
    """MESSAGE_HEADER {Minor, Major, Type, padding} + CONNECTION_INFORMATION."""
    return bytes([0, major]) + struct.pack(">H", typ) + b"\xaa" * 4 + \
        struct.pack(">H", port) + b"\x55" * 6


def initial_offer(port, hohodk):
    return prefix(1, 1, port) + hohodk


def segment_info(port, ci):
    return prefix(1, 2, port) + TAG + ci


def batched_offer(port, segments):
    body = prefix(2, 3, port)
    for size, hohodk in segments:
        body += struct.pack(">IIH", 65536, size, 16) + TAG + b"\x01" + hohodk
    return body


class Segment:
    """The one segment of V1 content information (MS-PCCRC 2.3)."""

    def __init__(self, ci):
        self.size, = struct.unpack("<I", ci[26:30])
        self.hod, self.kp = ci[34:66], ci[66:98]
        nblocks, = struct.unpack("<I", ci[98:102])
        self.hashes = ci[102:102 + 32 * nblocks]
        self.nblocks = nblocks
        self.hohodk = hmac.new(self.kp, self.hod + MAGIC, hashlib.sha256).digest()

    def info(self):
        """As SEGMENT_INFO carries it: dwReadBytesInLastSegment = the segment."""
        return struct.pack("<HIIII", 0x0100, 0x800C, 0, self.size, 1) + \
            struct.pack("<QII", 0, self.size, 65536) + self.hod + self.kp + \
            struct.pack("<I", self.nblocks) + self.hashes


def fake_segment(seed):
    """A consistent description (HoD of its block hashes) of bytes nobody has."""
    hashes = hashlib.sha512(seed).digest()
    s = Segment(bytes(102))
    s.size, s.nblocks, s.hashes = 2 * 65536, 2, hashes
    s.hod, s.kp = hashlib.sha256(hashes).digest(), hashlib.sha256(seed + b"kp").digest()
    s.hohodk = hmac.new(s.kp, s.hod + MAGIC, hashlib.sha256).digest()
    return s


class Pchc:
    """POSTs to the hosted cache: 1.0 over TLS (the certificate checked), 2.0 over HTTP."""

    def __init__(self, v1_port, v2_port, cert):
        self.v1, self.v2 = v1_port, v2_port
        self.ctx = ssl.create_default_context(cafile=cert)

    def send(self, version, body):
        if version == 1:
            c = http.client.HTTPSConnection("127.0.0.1", self.v1, timeout=10,
                                            context=self.ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.v2, timeout=10)
        c.request("POST", V1_PATH if version == 1 else V2_PATH, body=body)
        r = c.getresponse()
        data = r.read()
        c.close()
        if r.status != 200:
            return r.status, None
        check(len(data) == 5 and struct.unpack(">I", data[:4])[0] == 1,
              f"response framing: {data.hex()}")
        return r.status, data[4]


def decrypt(kp, iv, block):
    return subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K",
                           kp[:16].hex(), "-iv", iv.hex()], input=block,
                          capture_output=True, check=True).stdout


def served(port, seg, index, content):
    """The hosted cache serves block index of seg, and it decrypts to content's."""
    status, data = post(port, getblks(seg.hohodk, index))
    crypto, got_index, nxt, block, iv = parse_blk(data)
    want = content[index * 65536:(index + 1) * 65536]
    return status == 200 and len(block) > 0 and \
        decrypt(seg.kp, iv, block)[:len(want)] == want


class WrongBlocks(http.server.BaseHTTPRequestHandler):
    """A PCCRR server whose blocks are random: they cannot match any hash."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        idlen, = struct.unpack(">I", req[16:20])
        segment = req[20:20 + idlen]
        index, = struct.unpack(">I", req[24 + idlen:28 + idlen])
        body = struct.pack(">I", idlen) + segment + struct.pack(">III", index, 0, 65536)
        body += os.urandom(65536) + struct.pack(">II", 0, 16) + os.urandom(16)
        msg = struct.pack(">IIII", 1, 5, 16 + len(body), 1) + body
        reply = struct.pack(">I", len(msg)) + msg
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass	# the hosted cache hung up at the first wrong block

    def log_message(self, *args):
        pass


def pulled_line(hc, seg):
    return hc.wait_for(f"segment {seg.hohodk[:4].hex()}...", timeout=20)


def publish(d, env, name, size):
    data = os.urandom(size)
    src, ci = os.path.join(d, name), os.path.join(d, name + ".ci")
    open(src, "wb").write(data)
    run("publish", "-o", ci, name, src, env=env)
    return data, Segment(open(ci, "rb").read())


with workdir() as d:
    cert, key = os.path.join(d, "hc.pem"), os.path.join(d, "hc.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    offerer_env = {"PEERDIST_CACHE_DIR": os.path.join(d, "offerer")}
    a_data, a = publish(d, offerer_env, "a", 5 * 65536 + 99)
    b_data, b = publish(d, offerer_env, "b", 3 * 65536)
    offerer = Peerdistd("--listen", "127.0.0.1", "--port", "0", env=offerer_env)
    atexit.register(offerer.proc.kill)
    offerer_port = offerer.port()

    v1, v2 = free_port(), free_port()
    hc = Peerdistd("--hosted-cache", "--listen", "127.0.0.1", "--port", "0",
                   "--pchc-v1-listen", f"127.0.0.1:{v1}", "--pchc-v2-listen",
                   f"127.0.0.1:{v2}", "--tls-certificate", cert, "--tls-key", key,
                   "--verbose",
                   env={"PEERDIST_CACHE_DIR": os.path.join(d, "hc")})
    atexit.register(hc.proc.kill)
    hc_port = hc.port()
    hc.wait_for("PCHC 2.0 over HTTP")
    pchc = Pchc(v1, v2, cert)

    # 1.0: an unknown segment is INTERESTED; its SEGMENT_INFO gets OK and a pull
    check(pchc.send(1, initial_offer(offerer_port, a.hohodk)) == (200, INTERESTED),
          "INITIAL_OFFER of a segment it lacks: INTERESTED")
    bad = bytearray(a.info())
    bad[-1] ^= 1
    check(pchc.send(1, segment_info(offerer_port, bytes(bad)))[0] == 400,
          "SEGMENT_INFO whose block hashes do not give its HoD: dropped")
    answer = pchc.send(1, segment_info(offerer_port, a.info()))
    check(answer == (200, OK), f"SEGMENT_INFO: OK ({answer})")
    line = pulled_line(hc, a)
    check(f"pulled {a.nblocks} blocks" in line, f"it pulled every block of a: {line}")
    check(all(served(hc_port, a, i, a_data) for i in range(a.nblocks)),
          "it serves a's blocks over MS-PCCRR, byte-exact")
    check(pchc.send(1, initial_offer(offerer_port, a.hohodk)) == (200, OK),
          "INITIAL_OFFER of a segment whose hashes it holds: OK")

    # the other version's messages on each URL
    check(pchc.send(1, batched_offer(offerer_port, [(a.size, a.hohodk)]))[0] == 400,
          "a 2.0 message over HTTPS: dropped")
    check(pchc.send(2, initial_offer(offerer_port, a.hohodk))[0] == 400,
          "a 1.0 message over HTTP: dropped")
    check(pchc.send(2, prefix(2, 3, offerer_port))[0] == 400,
          "a BATCHED_OFFER without segments: dropped")

    # 2.0: b's description came over 1.0, but its pull failed (nothing
    # listens where that offer said); a BATCHED_OFFER has it pulled
    nobody = free_port()
    check(pchc.send(1, segment_info(nobody, b.info())) == (200, OK), "SEGMENT_INFO of b: OK")
    check("Connection refused" in pulled_line(hc, b), "the pull from a closed port fails")
    check(not served(hc_port, b, 0, b_data), "so b is not served yet")
    unknown = fake_segment(b"unknown")
    check(pchc.send(2, batched_offer(offerer_port, [(b.size, b.hohodk),
                                                    (unknown.size, unknown.hohodk)]))
          == (200, OK), "BATCHED_OFFER over HTTP: OK")
    line = pulled_line(hc, b)
    check(f"pulled {b.nblocks} blocks" in line, f"it pulled b after the 2.0 offer: {line}")
    check(all(served(hc_port, b, i, b_data) for i in range(b.nblocks)),
          "it serves b's blocks, byte-exact")
    # pulled alongside b: its line may have come first
    line = next((l for l in hc.seen if f"segment {unknown.hohodk[:4].hex()}..." in l),
                None) or pulled_line(hc, unknown)
    check("pulled 0 unverified blocks" in line and "2 it lacks" in line,
          f"the 2.0 segment without a description is pulled to be kept unverified "
          f"(the offerer lacks it): {line}")

    # 2.0: a segment the offerer holds and the hosted cache has no
    # description of: pulled unverified, replayed as it came, and it
    # decrypts with the segment's own Kp (which the hosted cache never had)
    u_data, u = publish(d, offerer_env, "u", 3 * 65536 + 500)
    check(pchc.send(2, batched_offer(offerer_port, [(u.size, u.hohodk)])) == (200, OK),
          "BATCHED_OFFER of a segment without a description: OK")
    line = pulled_line(hc, u)
    check(f"pulled {u.nblocks} unverified blocks" in line, f"it pulled u unverified: {line}")
    check(all(served(hc_port, u, i, u_data) for i in range(u.nblocks)),
          "it serves u's blocks: they decrypt with u's Kp to u's bytes")
    first, again = (parse_blk(post(hc_port, getblks(u.hohodk, 3))[1]) for _ in range(2))
    check(first == again and first[0] == 1 and len(first[3]) == 512,
          "the same IV and ciphertext each time: kept as they came, never re-encrypted")
    body = post(hc_port, getblklist(u.hohodk, 0, 512))[1][24 + 32:]
    check(struct.unpack(">III", body[:12]) == (1, 0, u.nblocks),
          f"BLKLIST lists u's {u.nblocks} blocks")
    rid = os.urandom(16)
    data = post(hc_port, getseglist(rid, [bytes(32), u.hohodk]))[1]
    check(struct.unpack(">3I", data[36:48]) == (1, 1, 1), "SEGLIST names u, not the other")
    # u published on the hosted cache's host (the same secret): the verified path wins
    unverified = os.path.join(d, "hc", "hosted-cache-unverified")
    check(len(os.listdir(unverified)) == 1, "u's blocks are in an unverified file")
    run("publish", "-o", os.path.join(d, "u-hc.ci"), "u-hc", os.path.join(d, "u"),
        env={"PEERDIST_CACHE_DIR": os.path.join(d, "hc")})
    first, again = (parse_blk(post(hc_port, getblks(u.hohodk, 3))[1]) for _ in range(2))
    check(first[4] != again[4] and served(hc_port, u, 3, u_data),
          "then its blocks are encrypted afresh for each answer, from the verified store")
    check(not os.listdir(unverified), "and the unverified copy is dropped")

    # an offerer that lacks what it offers, and one whose blocks are wrong
    c = fake_segment(b"lacked")
    check(pchc.send(1, segment_info(offerer_port, c.info())) == (200, OK),
          "SEGMENT_INFO of a segment the offerer does not have: OK")
    line = pulled_line(hc, c)
    check("pulled 0 blocks" in line and "2 it lacks" in line, f"nothing pulled: {line}")
    liar = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WrongBlocks)
    threading.Thread(target=liar.serve_forever, daemon=True).start()
    w = fake_segment(b"wrong")
    check(pchc.send(1, segment_info(liar.server_address[1], w.info())) == (200, OK),
          "SEGMENT_INFO naming an offerer that sends wrong blocks: OK")
    line = pulled_line(hc, w)
    check("a wrong block, dropped" in line and "1 wrong blocks in all" in line,
          f"the wrong block is dropped and counted: {line}")
    check(not served(hc_port, w, 0, bytes(65536)), "and never served")

    # a flood: offers of many segments from one address, pulls that stall
    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(256)
    answers = set()
    start = time.monotonic()
    for i in range(150):
        s = fake_segment(b"flood%d" % i)
        answers.add(pchc.send(1, segment_info(stall.getsockname()[1], s.info())))
    check(answers == {(200, OK)}, f"150 offers answered OK ({answers})")
    check(served(hc_port, a, 0, a_data), "during the flood, it still serves a")
    check(time.monotonic() - start < 60, "and answered the flood in time")
    stall.close()
    liar.shutdown()
    check(hc.stop() == 0, "the hosted cache stops cleanly")
    summary = [l for l in hc.seen if "segments refused over the limits" in l][-1]
    refused = int(summary.split(", ")[1].split()[0])
    # 64 queued per offerer; each stalled pull frees its place after the
    # 2 s request timer, so a few more than 64 got in
    check(refused > 0, f"offers over the per-client limit were refused: {summary}")
    check(" 0 not verifiable" in summary, f"every 2.0 segment was pulled: {summary}")

    # pchc_v2_unverified = off: only segments with a description are pulled
    v2_off = free_port()
    off = Peerdistd("--hosted-cache", "--listen", "127.0.0.1", "--port", "0",
                    "--pchc-v1-listen", "off", "--pchc-v2-listen", f"127.0.0.1:{v2_off}",
                    "--pchc-v2-unverified", "off", "--verbose",
                    env={"PEERDIST_CACHE_DIR": os.path.join(d, "hc-off")})
    atexit.register(off.proc.kill)
    off_port = off.port()
    off.wait_for("PCHC 2.0 over HTTP")
    check(Pchc(None, v2_off, cert).send(2, batched_offer(offerer_port, [(u.size, u.hohodk)]))
          == (200, OK), "pchc_v2_unverified = off: the 2.0 offer gets OK")
    check(not served(off_port, u, 0, u_data), "but u is not served")
    check(off.stop() == 0, "that hosted cache stops cleanly")
    summary = [l for l in off.seen if "segments refused over the limits" in l][-1]
    check(" 1 not verifiable" in summary and " 0 blocks pulled" in summary,
          f"the segment without a description was not pulled: {summary}")
    check(not os.path.exists(os.path.join(d, "hc-off", "hosted-cache-unverified")),
          "and no unverified store was made")
    check(offerer.stop() == 0, "the offerer stops cleanly")
print("ok")
