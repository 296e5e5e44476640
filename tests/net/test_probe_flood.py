#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Discovery under a datagram flood from one host of the subnet (IPv4-only
LAN): while J sends 500 datagrams a second for 7 s (3,500, to the group
and to A), the valid Probes P sends meanwhile, 10 a second, are still
answered: at least 95% of them, first with junk (random bytes, broken
XML), then with a flood of valid Probes (J gets its share of the budget,
not all of it)."""
import os
import re
import sys
import time

from netns import Lan, skip_unless_possible
from peers import Host, check, content, workdir
import wsd

# Runs in J: rate datagrams a second for seconds, to the group and to A
# by turns (a Probe's MSGID numbered, so each is new).
FLOOD = r'''
import os, random, socket, sys, time
kind, src, target, rate, seconds, probe = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), float(sys.argv[5]), bytes.fromhex(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
start, sent = time.monotonic(), 0
while sent < rate * seconds:
    if kind == "junk":
        d = os.urandom(random.randint(1, 1400))
        if sent % 3 == 0:
            d = b'<?xml version="1.0"?><soap:Envelope><wsd:Probe>' + d
    else:
        d = probe.replace(b"MSGID", str(sent).encode().rjust(5, b"0"))
    s.sendto(d, ("239.255.255.250" if sent % 2 else target, 3702))
    sent += 1
    delay = start + sent / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
print(sent)
'''


def main():
    skip_unless_possible()
    lan = Lan(["a", "j", "p"], 4, ipv6=False)
    with workdir() as root:
        a = Host(lan, "a", root)
        data, ci = content(root, 65536), os.path.join(root, "content.ci")
        a.publish(data, ci)
        a.serve()
        from test_discovery import segment_ids
        held = segment_ids(ci)[0]
        flood_probe = wsd.probe_xml([held], "urn:uuid:00000000-0000-4000-8000-0000000MSGID")
        for kind in ("junk", "probes"):
            flood = lan.start("j", [sys.executable, "-c", FLOOD, kind, lan.addr["j"],
                                    lan.addr["a"], "500",
                                    "7", flood_probe.hex()])
            time.sleep(1)
            probes = [wsd.probe_xml([held]) for _ in range(50)]
            got = wsd.probe(lan, "p", 4, lan.addr["p"], [], data=probes, interval=0.1,
                            wait=0.5)
            ids = {re.search(rb"<wsa:MessageID>([^<]*)<", p).group(1).decode() for p in probes}
            related = {re.search(r"<wsa:RelatesTo>([^<]*)<", t).group(1) for _, t in got}
            answered = len(ids & related)
            check(flood.wait(30) == 0, f"J sent its {kind} flood (3,500 datagrams)")
            check(answered >= 48, f"{kind} flood at 500/s: {answered} of 50 valid Probes "
                  "answered (at least 95%)")
        a.stop()
        served = [l for l in a.log if "Probes from our subnets" in l]
        print(served[-1].strip() if served else "no discovery summary logged")
    lan.close()


if __name__ == "__main__":
    main()
