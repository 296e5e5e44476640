#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd's memory stays bounded across 1,000 SIGHUP reloads (each used
to keep its configuration snapshot, about 20 KB, until exit): RSS grows by
less than 1 MiB from the 100th reload to the 1,000th, and a setting
changed by the last reload is in effect. The state file is there while it
runs and gone after SIGTERM."""
import os
import signal
import time

from netns import Lan, skip_unless_possible
from peers import Host, check, workdir


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def main():
    skip_unless_possible()
    lan = Lan(["a"], 4, ipv6=False)
    with workdir() as root:
        a = Host(lan, "a", root)
        # Under ASan freed memory waits in quarantine: that is not a leak.
        a.env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                       "quarantine_size_mb=0",
                                                       "thread_local_quarantine_size_kb=0"]))
        config = os.path.join(root, "peerdistd.conf")
        with open(config, "w") as f:
            f.write("max_clients = 10\n")
        a.serve("--config", config)
        check(os.path.exists(a.state_file), "the state file is there while peerdistd runs")

        def reload(n):
            done = sum("reloaded" in l for l in a.log)
            a.daemon.send_signal(signal.SIGHUP)
            end = time.monotonic() + 10
            while sum("reloaded" in l for l in a.log) == done:
                if time.monotonic() > end:
                    raise AssertionError(f"reload {n} not done in 10 s")
                time.sleep(0.0005)

        for n in range(100):
            reload(n)
        before = rss_kib(a.daemon.pid)
        with open(config, "w") as f:
            f.write("max_clients = 11\n")
        for n in range(100, 1000):
            reload(n)
        after = rss_kib(a.daemon.pid)
        check(after - before < 1024, f"RSS across 900 more reloads: {before} -> {after} KiB")
        check(any("max_clients = 11" in l for l in a.log[-5:]),
              "the last reload's settings are in effect")
        a.stop()
        check(not os.path.exists(a.state_file), "the state file is gone after SIGTERM")
    lan.close()


if __name__ == "__main__":
    main()
