#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A hostile PeerDist peer for fault tests, written from the specs: it
answers every Probe (IPv4) claiming all blocks, then misbehaves as argv[1]
says: "corrupt" serves blocks of random bytes, "stall" never answers a
block request, "garbage" answers with malformed MS-PCCRR messages, "flood"
sends a burst of ProbeMatches and malformed XML for every Probe (and
serves nothing). Prints "ready" when listening."""
import http.server
import os
import re
import socket
import struct
import sys
import threading
import time
import uuid

MODE = sys.argv[1]
PORT = 3703
NS = ('xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
      'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
      'xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery"')


def probe_matches(relates_to, scopes, my_addr):
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope {NS}><soap:Header>'
            '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>'
            '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>'
            f'<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>'
            f'<wsa:RelatesTo>{relates_to}</wsa:RelatesTo>'
            '<wsd:AppSequence InstanceId="1" MessageNumber="1"></wsd:AppSequence>'
            '</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>'
            f'<wsa:EndpointReference><wsa:Address>urn:uuid:{uuid.uuid4()}</wsa:Address>'
            '</wsa:EndpointReference><wsd:Types>PeerDist:PeerDistData</wsd:Types>'
            f'<wsd:Scopes>{" ".join(scopes)}</wsd:Scopes>'
            f'<wsd:XAddrs>{my_addr}:{PORT}</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion>'
            '<PeerDist:PeerDistData><PeerDist:BlockCount>'
            + "00000200" * len(scopes) +
            '</PeerDist:BlockCount></PeerDist:PeerDistData>'
            '</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>').encode()


MALFORMED = [b"<not xml", b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
             b"\x00\xff" * 100, b"<a>" * 40 + b"</a>" * 40]


def discovery(my_addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 3702))
    mreq = socket.inet_aton("239.255.255.250") + socket.inet_aton(my_addr)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    while True:
        data, peer = s.recvfrom(65536)
        text = data.decode(errors="replace")
        mid = re.search(r"MessageID>([^<]+)<", text)
        scopes = re.search(r"Scopes[^>]*>([^<]+)<", text)
        if not mid or not scopes or "ProbeMatches" in text:
            continue
        answer = probe_matches(mid.group(1), scopes.group(1).split(), my_addr)
        if MODE == "flood":
            for i in range(200):
                s.sendto(MALFORMED[i % len(MALFORMED)], peer)
                s.sendto(answer.replace(b"00000200", b"zzzz"), peer)
        else:
            s.sendto(answer, peer)


def blk(segment, index, block, iv, crypto=1):
    body = struct.pack(">I", len(segment)) + segment + b"\0" * (-len(segment) % 4)
    body += struct.pack(">III", index, 0, len(block)) + block
    body += struct.pack(">I", 0) + struct.pack(">I", len(iv)) + iv
    msg = struct.pack(">IIII", 1, 5, 16 + len(body), crypto) + body
    return struct.pack(">I", len(msg)) + msg


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if MODE == "stall":
            time.sleep(3600)
        (idlen,) = struct.unpack(">I", req[16:20])
        segment = req[20:20 + idlen]
        index = struct.unpack(">I", req[20 + idlen + 4:20 + idlen + 8])[0]
        if MODE == "garbage":
            reply = os.urandom(37)
        else:
            reply = blk(segment, index, os.urandom(65536), os.urandom(16))
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        print("served", index, flush=True)	# for tests that count

    def log_message(self, *args):
        pass


def main():
    my_addr = sys.argv[2]
    threading.Thread(target=discovery, args=(my_addr,), daemon=True).start()
    server = http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
