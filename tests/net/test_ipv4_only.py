#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd on its defaults (no --listen) on an IPv4-only LAN (IPv6
disabled in every namespace, as on many real networks): a prober written
from MS-PCCRD gets ProbeMatches whose every XAddr takes a TCP connection,
and a plain MS-PCCRR client (one GETBLKS per connection, as
python-peerdist sends them) fetches and decrypts every block from it;
libpeerdist reads the whole content from it too. The state file tells
what runs while it runs and is gone after SIGTERM."""
import filecmp
import json
import os
import stat
import subprocess

from netns import Lan, skip_unless_possible
from peers import PEERDIST, Host, block_count, check, content, workdir
import wsd


def main():
    skip_unless_possible()
    lan = Lan(["a", "p", "c"], 4, ipv6=False)
    with workdir() as root:
        a, c = Host(lan, "a", root), Host(lan, "c", root)
        data_path, ci = content(root, 5 * 65536 + 4321), os.path.join(root, "content.ci")
        data = open(data_path, "rb").read()
        a.publish(data_path, ci)
        config = os.path.join(root, "peerdistd.conf")
        with open(config, "w") as f:
            f.write("# defaults only\n")
        a.serve("--config", config)

        state = a.state()
        check(state["pid"] == a.daemon.pid and state["discovery"] is True and
              state["version"] and state["config_file"] == config and
              state["cache_dir"] == a.env["PEERDIST_CACHE_DIR"] and
              isinstance(state["started"], int), f"state file: who runs ({state})")
        check(state["listen"] == [{"address": "::", "port": 3703, "v6only": False}],
              f"state file: :: dual stack, port 3703 ({state['listen']})")
        check(state["interfaces"] == [{"name": "eth0", "addresses": [lan.addr["a"]]}],
              f"state file: eth0 with its IPv4 address only ({state['interfaces']})")
        check(state["advertised"] == [{"interface": "eth0",
                                       "xaddr": f"{lan.addr['a']}:3703"}],
              f"state file: what a Probe gets ({state['advertised']})")
        check(stat.S_IMODE(os.stat(a.state_file).st_mode) == 0o644, "state file mode 0644")

        info = json.loads(subprocess.run([PEERDIST, "info", "--json", "--show-secrets", ci],
                                         check=True, capture_output=True, text=True).stdout)
        segments = [bytes.fromhex(s["hohodk"]) for s in info["segments"]]
        got = wsd.probe(lan, "p", 4, lan.addr["p"], segments)
        check(len(got) == 1 and got[0][0] == lan.addr["a"],
              f"one ProbeMatches, from A ({[peer for peer, _ in got]})")
        seen = [x for _, text in got for x in wsd.xaddrs(text)]
        check(seen == [f"{lan.addr['a']}:3703"], f"it advertises A's IPv4 address ({seen})")
        good, total = wsd.fetch_all(lan, "p", seen[0], info, data)
        check(good == total, f"the MS-PCCRR client decrypts every block ({good}/{total})")

        r = c.read(ci, os.path.join(root, "out-c"))
        check(r.returncode == 0, f"libpeerdist reads the content (client: {r.stderr.strip()})")
        check(filecmp.cmp(data_path, os.path.join(root, "out-c"), shallow=False),
              "libpeerdist's bytes are the original's")
        blocks = block_count(ci)
        check(a.blocks_served() >= total + blocks,
              f"A served both clients' blocks ({a.blocks_served()} answers)")

        ok = wsd.connects(lan, "p", seen)
        check(all(ok), f"a TCP connect to every XAddr of the run succeeds ({seen}: {ok})")
        a.stop()
        check(not os.path.exists(a.state_file), "the state file is gone after SIGTERM")
    lan.close()


if __name__ == "__main__":
    main()
