# SPDX-License-Identifier: GPL-2.0-or-later
"""What the multi-host tests share: hosts with their own cache, peerdistd
started and watched, the example client run with discovery on."""
import json
import os
import subprocess
import tempfile
import threading
import time

PEERDISTD = os.environ["PEERDISTD"]
PUBLISHER = os.environ["EXAMPLE_PUBLISHER"]
CLIENT = os.environ["EXAMPLE_CLIENT"]
PEERDIST = os.environ["PEERDIST"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


class Host:
    def __init__(self, lan, name, root):
        self.lan, self.name = lan, name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.env = dict(os.environ, PEERDIST_CACHE_DIR=os.path.join(self.dir, "cache"),
                        PEERDIST_SECRET_FILE=os.path.join(self.dir, "secret"),
                        PEERDIST_DISCOVERY="on", PEERDIST_BACKEND="user")
        self.daemon, self.log = None, []
        self.state_file = os.path.join(self.dir, "run", "peerdistd.json")
        self.logged = threading.Condition()	# notified at every log line

    def serve(self, *args, ready_line="discovery on"):
        """Starts peerdistd (its own state file; args added); returns when it
        logged ready_line (by default: when it answers discovery)."""
        self.daemon = self.lan.start(self.name, [PEERDISTD, "--verbose", "--state-file",
                                                 self.state_file, *args], env=self.env,
                                     stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def reader():
            for line in self.daemon.stderr:
                with self.logged:
                    self.log.append(line)
                    self.logged.notify_all()
                if ready_line in line:
                    ready.set()
        threading.Thread(target=reader, daemon=True).start()
        check(ready.wait(20), f"peerdistd on {self.name} is up")

    def stop(self):
        self.daemon.terminate()
        check(self.daemon.wait(20) == 0, f"peerdistd on {self.name} stops cleanly")

    def state(self):
        """The state file peerdistd writes for peerdist status."""
        with open(self.state_file) as f:
            return json.load(f)

    def counters(self):
        """The byte counters of this host's cache, as peerdist status shows them."""
        p = subprocess.run([PEERDIST, "status", "--json", "--state-file", self.state_file],
                           env=self.env, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"{self.name}: peerdist status ({p.stderr.strip()})")
        return json.loads(p.stdout)["cache"]["bytes"]

    def blocks_served(self):
        """Requests answered with a block (a MSG_BLK carrying data)."""
        return sum(1 for l in self.log if " -> " in l and
                   int(l.split(" -> ")[1].split()[0]) > 1024)

    def wait_served_more(self, than, timeout):
        """Returns as soon as the log shows more than `than` blocks served
        (True), or after timeout seconds (False)."""
        with self.logged:
            return self.logged.wait_for(lambda: self.blocks_served() > than, timeout)

    def publish(self, path, ci, version=1):
        """Content information version 1 the way a Windows program makes
        it (the example publisher), version 2 with the CLI."""
        if version == 1:
            self.lan.run(self.name, [PUBLISHER, path, ci], env=self.env)
        else:
            self.lan.run(self.name, [PEERDIST, "publish", "--v2", "-o", ci, "content", path],
                         env=self.env)

    def read(self, ci, out, timeout=120):
        with open(out, "wb") as f:
            return subprocess.run(self.lan.cmd(self.name, [CLIENT, ci]), env=self.env,
                                  stdout=f, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout)


def block_count(ci):
    info = json.loads(subprocess.run([PEERDIST, "info", "--json", ci], check=True,
                                     capture_output=True, text=True).stdout)
    return sum(len(s["blocks"]) for s in info["segments"])


def content(root, size):
    path = os.path.join(root, "content")
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def workdir():
    return tempfile.TemporaryDirectory(prefix="pd-net-")
