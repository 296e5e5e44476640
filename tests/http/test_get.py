#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist get: from peerdist serve and nginx with the module, the file is
byte-exact and a second get comes from the cache with 0 origin bytes; from
an origin without BranchCache the identity answer is saved; an origin whose
bytes do not match its content information exits 61 and writes nothing;
HTTP errors, an unreachable server and usage errors exit as curl's users
expect."""
import http.client
import http.server
import json
import os
import subprocess
import threading

from httptest import (ASK_V2, PEERDIST, Nginx, Serve, Workdir, check, free_port,
                      wait_peerdist)

work = Workdir()
data = os.urandom(3_000_000)
work.file("big.bin", data)
os.environ["PEERDIST_CACHE_DIR"] = work.path("client-cache")


def get(url, name, *args):
    out = work.path(name)
    p = subprocess.run([PEERDIST, "get", "--json", "--timeout", "300", "-o", out, *args, url],
                       capture_output=True, timeout=120)
    summary = None
    if p.returncode == 0:
        summary = json.loads(p.stderr.decode().strip().splitlines()[-1])
        with open(out, "rb") as f:
            check(f.read() == data, f"{url}: the file is byte-exact")
    return p.returncode, summary, p.stderr.decode()


def check_branchcache(port, label):
    wait_peerdist(port, "/big.bin", ASK_V2)     # hashed: the next answer is peerdist
    url = f"http://127.0.0.1:{port}/big.bin"
    code, first, err = get(url, label + "-1")
    check(code == 0, f"{label}: first get: exit {code}: {err}")
    check(first["peerdist"] and first["from_origin"] == len(data),
          f"{label}: first get: content information, then all bytes from the origin: {first}")
    code, second, err = get(url, label + "-2")
    check(code == 0, f"{label}: second get: exit {code}: {err}")
    check(second["peerdist"] and second["from_origin"] == 0 and
          second["from_cache"] == len(data),
          f"{label}: second get: every byte from the cache, none from the origin: {second}")
    code, _, err = get(f"http://127.0.0.1:{port}/nothere", label + "-3")
    check(code == 22, f"{label}: a 404 exits 22 as curl --fail: {code} {err}")


server = Serve(work, work.www)
check_branchcache(server.port, "serve")


class Corrupting(http.server.BaseHTTPRequestHandler):
    """peerdist serve's answers, with one byte of every Range answer changed."""

    def do_GET(self):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", self.path, headers=dict(self.headers))
        r = conn.getresponse()
        body = bytearray(r.read())
        if self.headers.get("Range") and body:
            body[len(body) // 2] ^= 1
        self.send_response(r.status)
        for name, value in r.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


os.environ["PEERDIST_CACHE_DIR"] = work.path("client-cache-corrupt")
bad = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Corrupting)
threading.Thread(target=bad.serve_forever, daemon=True).start()
code, _, err = get(f"http://127.0.0.1:{bad.server_port}/big.bin", "corrupt")
check(code == 61 and "do not match" in err,
      f"bytes that do not match the content information: exit 61 ({code}: {err})")
check(not os.path.exists(work.path("corrupt")), "and nothing is written")
bad.shutdown()
server.stop()

if os.environ.get("NGINX_MODULE"):
    os.environ["PEERDIST_CACHE_DIR"] = work.path("client-cache-nginx")
    port = free_port()
    nginx = Nginx(work, [(port, f"root {work.www}; peerdist on;")])
    check_branchcache(port, "nginx")
    nginx.stop()


class Plain(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=work.www, **kw)

    def log_message(self, *a):
        pass


plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
threading.Thread(target=plain.serve_forever, daemon=True).start()
code, summary, err = get(f"http://127.0.0.1:{plain.server_port}/big.bin", "plain")
check(code == 0 and not summary["peerdist"] and summary["from_origin"] == len(data),
      f"an origin without BranchCache: the identity answer saved: {code} {summary} {err}")
plain.shutdown()

code, _, err = get(f"http://127.0.0.1:{free_port()}/big.bin", "refused")
check(code == 7, f"a refused connection exits 7 as curl: {code} {err}")
p = subprocess.run([PEERDIST, "get"], capture_output=True)
check(p.returncode == 2 and b"URL" in p.stderr, f"no URL: a usage error: {p.stderr}")
work.close()
print("ok")
