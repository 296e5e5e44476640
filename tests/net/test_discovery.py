#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd's discovery as a prober written from MS-PCCRD sees it (IPv4
network namespaces): a V1 Probe for a held segment and an unknown one gets
one ProbeMatches with the held scope, its BlockCount and the service's
address; a V2 Probe gets the segment bitmap; a Probe from outside the
service's subnet gets nothing; and an answer is held back once ten as
complete answers to the same Probe have been heard (Windows 7's reply
suppression)."""
import base64
import json
import os
import re
import socket
import subprocess
import uuid

from netns import Lan, skip_unless_possible
from peers import PEERDIST, Host, check, content, workdir

NS = ('xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
      'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
      'xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery"')


def probe(message_id, scopes, v2=False):
    if v2:
        blob = len(scopes[0]).to_bytes(2, "big") + bytes([len(scopes)]) + b"".join(scopes)
        types, match = "PeerDist:PeerDistDataV2", \
            "http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule"
        text = base64.b64encode(blob).decode()
    else:
        types, match = "PeerDist:PeerDistData", \
            "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0"
        text = " ".join(s.hex().upper() for s in scopes)
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope {NS}><soap:Header>'
            '<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>'
            '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>'
            f'<wsa:MessageID>{message_id}</wsa:MessageID></soap:Header><soap:Body>'
            f'<wsd:Probe><wsd:Types>{types}</wsd:Types>'
            f'<wsd:Scopes MatchBy="{match}">{text}</wsd:Scopes>'
            '</wsd:Probe></soap:Body></soap:Envelope>').encode()


def match_from_another_peer(message_id, scope):
    return (f'<?xml version="1.0"?><soap:Envelope {NS}><soap:Header>'
            '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>'
            f'<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>'
            f'<wsa:RelatesTo>{message_id}</wsa:RelatesTo></soap:Header><soap:Body>'
            '<wsd:ProbeMatches><wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>'
            f'urn:uuid:{uuid.uuid4()}</wsa:Address></wsa:EndpointReference>'
            '<wsd:Types>PeerDist:PeerDistData</wsd:Types>'
            f'<wsd:Scopes>{scope.hex().upper()}</wsd:Scopes><wsd:XAddrs>10.77.0.9:3703</wsd:XAddrs>'
            '<wsd:MetadataVersion>1</wsd:MetadataVersion><PeerDist:PeerDistData>'
            '<PeerDist:BlockCount>00000200</PeerDist:BlockCount></PeerDist:PeerDistData>'
            '</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>').encode()


# Runs inside the prober's namespace: sends datagrams, prints what comes back.
PROBER = r'''
import json, socket, sys, time
src, sends, wait = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
for host, data in sends:
    s.sendto(bytes.fromhex(data), (host, 3702))
s.settimeout(wait)
got = []
try:
    while True:
        data, peer = s.recvfrom(65536)
        got.append([peer[0], data.decode()])
except socket.timeout:
    pass
print(json.dumps(got))
'''


def exchange(lan, src, sends, wait=0.5):
    out = lan.run("p", ["python3", "-c", PROBER, src,
                        json.dumps([[h, d.hex()] for h, d in sends]), str(wait)],
                  capture_output=True, text=True).stdout
    return json.loads(out)


def segment_ids(ci):
    info = json.loads(subprocess.run([PEERDIST, "info", "--json", ci], check=True,
                                     capture_output=True, text=True).stdout)
    return [bytes.fromhex(s["hohodk"]) for s in info["segments"]]


def main():
    skip_unless_possible()
    lan = Lan(["a", "p"], 4)
    group = "239.255.255.250"
    with workdir() as root:
        a = Host(lan, "a", root)
        data = content(root, 3 * 65536 + 5)
        ci1, ci2 = os.path.join(root, "v1.ci"), os.path.join(root, "v2.ci")
        a.publish(data, ci1)
        a.publish(data, ci2, version=2)
        a.serve()
        held, unknown = segment_ids(ci1)[0], bytes(range(32))
        me = lan.addr["p"]

        mid = f"urn:uuid:{uuid.uuid4()}"
        got = exchange(lan, me, [(group, probe(mid, [unknown, held]))])
        check(len(got) == 1 and got[0][0] == lan.addr["a"],
              f"one answer, from A ({[peer for peer, _ in got]})")
        text = got[0][1]
        check(f"<wsa:RelatesTo>{mid}</wsa:RelatesTo>" in text, "it relates to the Probe")
        check(re.search(r"<wsd:Scopes>([^<]*)</wsd:Scopes>", text).group(1) == held.hex().upper(),
              "only the held scope is listed")
        check("<PeerDist:BlockCount>00000004</PeerDist:BlockCount>" in text, "with its 4 blocks")
        check(f"<wsd:XAddrs>{lan.addr['a']}:3703</wsd:XAddrs>" in text, "and A's service address")

        v2 = segment_ids(ci2)
        got = exchange(lan, me, [(group, probe(f"urn:uuid:{uuid.uuid4()}",
                                               [v2[0], unknown], v2=True))])
        check(len(got) == 1 and "PeerDist:PeerDistDataV2" in got[0][1], "a V2 Probe: a V2 answer")
        bitmap = base64.b64decode(re.search(r"<wsd:Scopes>([^<]*)<", got[0][1]).group(1))
        check(bitmap[0] >> 4 == 0b1100, f"bitmap: first held with all blocks, second not "
              f"({bitmap.hex()})")

        # A could reach that address (a route on the link): only its subnet
        # check keeps it quiet.
        lan.run("p", ["ip", "addr", "add", "10.78.0.9/24", "dev", "eth0"])
        lan.run("a", ["ip", "route", "add", "10.78.0.0/24", "dev", "eth0"])
        got = exchange(lan, "10.78.0.9", [(group, probe(f"urn:uuid:{uuid.uuid4()}", [held]))])
        check(got == [], f"a Probe from another subnet gets no answer ({[p for p, _ in got]})")

        mid = f"urn:uuid:{uuid.uuid4()}"
        others = [(lan.addr["a"], match_from_another_peer(mid, held))] * 10
        got = exchange(lan, me, [(group, probe(mid, [held]))] + others)
        check(got == [], "after ten as complete answers heard, A holds its own back")
        got = exchange(lan, me, [(group, probe(f"urn:uuid:{uuid.uuid4()}", [held]))])
        check(len(got) == 1, "the next Probe is answered again")
        a.stop()
    lan.close()


if __name__ == "__main__":
    main()
