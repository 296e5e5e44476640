#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Active Client Count (MS-PCCRR 3.2): with max_clients = 1, the first
client (127.0.0.1) is served and a second one (127.0.0.2) gets an empty
BLK and an empty BLKLIST; once the first has been idle for the upload
timeout, the second takes its place. A reload that raises max_clients
serves both at once."""
import os
import signal
import time

from clitest import Peerdistd, check, publish_served, workdir
from pccrr_wire import getblklist, getblks, parse_blk, post

with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    ci, segment, _ = publish_served(d, os.urandom(200000), env)
    conf = os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write("max_clients = 1\nupload_timeout_ms = 1000\n")
    daemon = Peerdistd("--config", conf, "--listen", "0.0.0.0", "--port", "0", env=env)
    port = daemon.port()

    def block_for(source):
        return parse_blk(post(port, getblks(segment, 1), source=source)[1])[3]

    def blklist_for(source):
        data = post(port, getblklist(segment, 0, 4), source=source)[1]
        return data[24 + len(segment):]

    check(len(block_for("127.0.0.1")) == 65536, "the first client is served")
    check(block_for("127.0.0.2") == b"", "a second client over the limit: empty BLK")
    check(blklist_for("127.0.0.2")[:4] == bytes(4), "... and an empty BLKLIST")
    before_last = time.monotonic()
    check(len(block_for("127.0.0.1")) == 65536, "the first client keeps its place")
    # The second asks until it is served (its refusals hold no place): the
    # moment the first's upload timer ran out, not a guess at it.
    deadline = before_last + 10
    while not block_for("127.0.0.2") and time.monotonic() < deadline:
        time.sleep(0.02)
    served_after = time.monotonic() - before_last
    check(1.0 <= served_after < 10, f"after the upload timeout, the second is served ({served_after:.2f} s)")
    check(block_for("127.0.0.1") == b"", "and the first now waits")
    with open(conf, "w") as f:
        f.write("max_clients = 2\nupload_timeout_ms = 1000\n")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("reloaded")
    check(len(block_for("127.0.0.1")) == 65536 and len(block_for("127.0.0.2")) == 65536,
          "a reload to max_clients = 2 serves both")
    check(daemon.stop() == 0, "peerdistd stops cleanly")
print("ok")
