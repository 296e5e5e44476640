#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist status against a real peerdistd: it reads the state file the
running peerdistd wrote, names its pid and the port it serves and says that
port is reachable; once peerdistd stopped (the file removed) it says
"not running"."""
import json
import os

from clitest import Peerdistd, check, run, workdir

with workdir() as d:
    state = os.path.join(d, "run", "peerdistd.json")
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache"), "PEERDIST_STATE_FILE": state}
    daemon = Peerdistd("--listen", "127.0.0.1", "--port", "0", "--state-file", state, env=env)
    try:
        port = daemon.port()
        shown = json.loads(run("status", "--json", env=env).stdout)
        text = run("status", env=env).stdout.decode()
    finally:
        code = daemon.stop()
    check(code == 0, "peerdistd stops cleanly")
    check(f"pid:                  {daemon.proc.pid}," in text, text)
    check(f"127.0.0.1 port {port}: reachable" in text, text)
    check("peerdistd" in shown and json.dumps(shown).count(str(port)) >= 1,
          f"--json names the port: {shown}")
    check(not os.path.exists(state), "the state file is gone after SIGTERM")
    after = run("status", env=env).stdout.decode()
    check("peerdistd:              not running" in after, after)
print("ok")
