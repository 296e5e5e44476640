# SPDX-License-Identifier: GPL-2.0-or-later
"""A discovery prober and a retrieval client written from MS-PCCRD and
MS-PCCRR (not libpeerdist), as iPXE and python-peerdist behave: the prober
multicasts a V1 Probe and collects the ProbeMatches' XAddrs; the client
sends each GETBLKS on a new TCP connection to an XAddr and decrypts the
block with openssl. The network parts run inside a host's namespace
(`python3 wsd.py probe|fetch|connect JSON`); the rest runs in the test."""
import json
import os
import re
import socket
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

GROUP4, GROUP6, PORT = "239.255.255.250", "ff02::c", 3702
NS = ('xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
      'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
      'xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery"')


def probe_xml(scopes, message_id=None):
    """A V1 Probe (MS-PCCRD 2.2.2.1) for the segment ids in scopes."""
    message_id = message_id or f"urn:uuid:{uuid.uuid4()}"
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope {NS}><soap:Header>'
            '<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>'
            '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>'
            f'<wsa:MessageID>{message_id}</wsa:MessageID></soap:Header><soap:Body>'
            '<wsd:Probe><wsd:Types>PeerDist:PeerDistData</wsd:Types>'
            '<wsd:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0">'
            + " ".join(s.hex().upper() for s in scopes) +
            '</wsd:Scopes></wsd:Probe></soap:Body></soap:Envelope>').encode()


def xaddrs(text):
    """The XAddrs of a ProbeMatches: whitespace-separated host:port."""
    return [x for m in re.findall(r"<wsd:XAddrs>([^<]*)</wsd:XAddrs>", text) for x in m.split()]


def split_xaddr(xaddr):
    """(host without brackets or zone, port, zone or None)."""
    host, port = xaddr.rsplit(":", 1)
    host = host.strip("[]")
    host, _, zone = host.partition("%")
    return host, int(port), zone or None


# --- run inside a namespace ---------------------------------------------

def _socket(family, src, ifname):
    index = socket.if_nametoindex(ifname)
    if family == 4:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
        return s, (GROUP4, PORT)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((src, 0, 0, index if src.startswith("fe80") else 0))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    return s, (GROUP6, PORT, 0, index)


def _probe(a):
    """Sends a["count"] Probes a["interval"] s apart (each of them, or the
    data given), then collects answers until a["wait"] s pass quietly."""
    import time
    s, group = _socket(a["family"], a["src"], a["ifname"])
    datagrams = [bytes.fromhex(d) for d in a["data"]]
    got = []
    s.settimeout(0)
    for d in datagrams:
        s.sendto(d, group)
        end = time.monotonic() + a.get("interval", 0)
        while time.monotonic() < end:
            try:
                data, peer = s.recvfrom(65536)
                got.append([peer[0], data.decode()])
            except BlockingIOError:
                time.sleep(0.002)
    s.settimeout(a["wait"])
    try:
        while True:
            data, peer = s.recvfrom(65536)
            got.append([peer[0], data.decode()])
    except socket.timeout:
        pass
    return got


def _connect(a):
    """Whether a TCP connect to each (host, port, zone) succeeds."""
    ok = []
    for host, port, zone in a["targets"]:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # A link-local address is reached on our interface (the zone an
        # XAddr may carry names the sender's).
        scope = socket.if_nametoindex(a["ifname"]) if host.startswith("fe80") else 0
        c = socket.socket(family, socket.SOCK_STREAM)
        c.settimeout(3)
        try:
            c.connect((host, port) if family == socket.AF_INET else (host, port, 0, scope))
            ok.append(True)
        except OSError:
            ok.append(False)
        c.close()
    return ok


def _fetch(a):
    """GETBLKS for each (segment hex, index), one connection each, to the
    host and port: [status, MSG_BLK fields] per request."""
    import http.client
    from pccrr_wire import PATH, getblks, parse_blk
    host = a["host"] + (f"%{a['ifname']}" if a["host"].startswith("fe80") else "")
    out = []
    for seg, index in a["blocks"]:
        c = http.client.HTTPConnection(host, a["port"], timeout=10)
        c.request("POST", PATH, body=getblks(bytes.fromhex(seg), index),
                  headers={"Accept-Encoding": "identity"})
        r = c.getresponse()
        data = r.read()
        c.close()
        crypto, got_index, nxt, block, iv = parse_blk(data)
        out.append([r.status, crypto, got_index, block.hex(), iv.hex()])
    return out


# --- the test's side ----------------------------------------------------

def run_in(lan, host, what, args):
    out = lan.run(host, [sys.executable, os.path.abspath(__file__), what, json.dumps(args)],
                  capture_output=True, text=True).stdout
    return json.loads(out)


def probe(lan, host, family, src, scopes, wait=0.5, count=1, interval=0.0, data=None):
    """[[peer, ProbeMatches text]] that host got for its Probes."""
    datagrams = data or [probe_xml(scopes) for _ in range(count)]
    return run_in(lan, host, "probe", {"family": family, "src": src, "ifname": "eth0",
                                       "data": [d.hex() for d in datagrams],
                                       "wait": wait, "interval": interval})


def connects(lan, host, addrs):
    """Whether host can open a TCP connection to each XAddr."""
    return run_in(lan, host, "connect", {"ifname": "eth0",
                                         "targets": [split_xaddr(x) for x in addrs]})


def decrypt(kp, iv, block):
    return subprocess.run(["openssl", "enc", "-d", "-aes-128-cbc", "-nopad", "-K", kp[:32],
                           "-iv", iv], input=block, capture_output=True, check=True).stdout


def fetch_all(lan, host, xaddr, info, data):
    """Fetches every block of the content information (peerdist info
    --json --show-secrets) from xaddr; whether each decrypts to data's."""
    h, port, zone = split_xaddr(xaddr)
    want, blocks = [], []
    for seg in info["segments"]:
        for b in seg["blocks"]:
            blocks.append([seg["hohodk"], b["index"]])
            want.append((seg["kp"], data[b["start"]:b["end"]]))
    got = run_in(lan, host, "fetch", {"host": h, "port": port, "ifname": "eth0",
                                      "blocks": blocks})
    good = 0
    for (status, crypto, index, block, iv), (kp, plain) in zip(got, want):
        if status == 200 and crypto == 1 and block and \
                decrypt(kp, iv, bytes.fromhex(block))[:len(plain)] == plain:
            good += 1
    return good, len(blocks)


if __name__ == "__main__":
    print(json.dumps({"probe": _probe, "connect": _connect,
                      "fetch": _fetch}[sys.argv[1]](json.loads(sys.argv[2]))))
