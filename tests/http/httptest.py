# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the MS-PCCRTP tests: an HTTP client that sends exactly the
headers MS-PCCRTP describes (http.client, nothing added), and the servers
under test (peerdist serve, the gateway, Debian's nginx with and without
the module), each on a loopback port the test picks, stopped after."""
import atexit
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PEERDIST = os.environ["PEERDIST"]
SKIP = 77

# The first request of a Windows 8+ client, and of iPXE.
ASK_V2 = {"Accept-Encoding": "peerdist", "X-P2P-PeerDist": "Version=1.1",
          "X-P2P-PeerDistEx": "MinContentInformation=1.0, MaxContentInformation=2.0"}
ASK_V1 = dict(ASK_V2, **{"X-P2P-PeerDistEx":
                         "MinContentInformation=1.0, MaxContentInformation=1.0"})
# Windows 7 / Server 2008 R2: Version=1.0 and no PeerDistEx.
ASK_WIN7 = {"Accept-Encoding": "gzip, deflate, peerdist", "X-P2P-PeerDist": "Version=1.0"}
MISSING = {"X-P2P-PeerDist": "Version=1.1, MissingDataRequest=true"}


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def skip(msg):
    print("SKIP:", msg)
    sys.exit(SKIP)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # [(name, value)] as received
        self.body = body

    def get(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def peerdist(self):
        return (self.get("Content-Encoding") or "").lower() == "peerdist"


def request(port, path, headers=None, method="GET", timeout=30):
    """One request with only Host and the headers given (no Accept-Encoding
    of http.client's own)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.putrequest(method, path, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        c.putheader(name, value)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return Reply(r.status, r.getheaders(), body)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peerdist(*args):
    p = subprocess.run([PEERDIST, *map(str, args)], capture_output=True, timeout=300)
    check(p.returncode == 0, f"peerdist {' '.join(map(str, args))}: {p.stderr.decode()}")
    return p.stdout


def expected_ci(secret, path, version, offset=None, length=None):
    """What `peerdist hash` makes of path with the same secret."""
    args = ["hash", "--secret-file", secret, path]
    if version == 2:
        args.insert(1, "--v2")
    if offset is not None:
        args += ["--offset", offset, "--length", length]
    return peerdist(*args)


def wait_peerdist(port, path, headers, tries=200):
    """Asks until content information comes (bounded); the reply."""
    for _ in range(tries):
        r = request(port, path, headers)
        if r.peerdist():
            return r
        time.sleep(0.05)
    fail(f"{path} ({headers}): never answered with content information; "
         f"last answer {r.status} {r.headers}")


class Workdir:
    """A temporary directory with a server secret (0600) and content."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pd-http-")
        self.dir = self.tmp.name
        self.www = os.path.join(self.dir, "www")
        os.mkdir(self.www)
        self.secret = os.path.join(self.dir, "secret")
        fd = os.open(self.secret, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, os.urandom(32))
        os.close(fd)
        os.environ["PEERDIST_SECRET_FILE"] = self.secret

    def file(self, name, data):
        path = os.path.join(self.www, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def path(self, name):
        return os.path.join(self.dir, name)

    def close(self):
        self.tmp.cleanup()


class Serve:
    """peerdist serve DIR or --upstream URL on a port it picks."""

    def __init__(self, work, *args):
        self.proc = subprocess.Popen(
            [PEERDIST, "serve", "--port", "0", "--cache-dir", work.path("serve-cache"),
             "--secret-file", work.secret, *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        atexit.register(self.proc.kill)      # a failed check leaves nothing running
        line = self.proc.stdout.readline().decode()
        check(line.startswith("serving on"), f"peerdist serve did not start: {line!r}")
        self.port = int(line.split()[-1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        check(code == 0, f"peerdist serve exit {code}: {self.proc.stderr.read().decode()}")


class Nginx:
    """Debian's nginx with a config this writes: servers is a list of
    (port, directives) for server blocks; module loads ours."""

    def __init__(self, work, servers, module=True, name="nginx"):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            skip("nginx is not installed")
        if module and not os.environ.get("NGINX_MODULE"):
            skip("the nginx module was not built (nginx-dev missing)")
        self.prefix = work.path(name)
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        lines = []
        if module:
            lines.append(f"load_module {os.environ['NGINX_MODULE']};")
        lines += ["user root;", "worker_processes 2;", "daemon off;", "master_process on;",
                  f"pid {self.prefix}/nginx.pid;", f"error_log {self.prefix}/logs/error.log;",
                  "events { worker_connections 128; }", "http {", "access_log off;",
                  f"client_body_temp_path {self.prefix}/body;",
                  f"proxy_temp_path {self.prefix}/proxy;", "sendfile on;"]
        if module:
            lines += [f"peerdist_cache_dir {self.prefix}/cache;",
                      f"peerdist_secret_file {work.secret};"]
        for port, body in servers:
            lines.append(f"server {{ listen 127.0.0.1:{port}; {body} }}")
        lines.append("}")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([binary, "-p", self.prefix, "-c", conf],
                                     stderr=subprocess.PIPE)
        atexit.register(self.kill)
        for port, _ in servers:
            self.wait_listening(port)

    def wait_listening(self, port):
        for _ in range(100):
            if self.proc.poll() is not None:
                fail(f"nginx exited: {self.proc.stderr.read().decode()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        fail(f"nginx never listened on {port}")

    def kill(self):
        """The master and its workers, when a check failed midway."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        code = self.proc.wait(timeout=20)
        log = open(os.path.join(self.prefix, "logs", "error.log")).read()
        check("signal 11" not in log and "[alert]" not in log and "[emerg]" not in log,
              f"nginx logged trouble:\n{log}")
        check(code == 0, f"nginx exit {code}")
