#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd's local BranchCache proxy (--proxy-listen), on loopback: curl
through it (curl -x and http_proxy=) gets files byte-exact from peerdist
serve (content information read through the cache: the second time no
byte comes from the origin, as the cache's byte counters say too) and
from an origin without BranchCache; a single Range is answered 206 with
its bytes (cut by the proxy when the origin sends the whole), an
unsatisfiable one 416;
concurrent clients all get their files while one client reads nothing;
a client that disconnects mid-body leaves the proxy serving others;
CONNECT is a tunnel of bytes both ways; other methods are refused with
501 and a request without an absolute URL with 400."""
import atexit
import http.server
import json
import os
import socket
import subprocess
import threading
import time

from clitest import Peerdistd
from httptest import ASK_V1, PEERDIST, Serve, Workdir, check, free_port, wait_peerdist
from httpwire import Conn

work = Workdir()
small = os.urandom(3_000_000)
large = os.urandom(24 << 20)
work.file("small.bin", small)
work.file("large.bin", large)
cache = work.path("proxy-cache")
os.environ["PEERDIST_CACHE_DIR"] = cache

server = Serve(work, work.www)
for name in ("/small.bin", "/large.bin"):
    wait_peerdist(server.port, name, ASK_V1)

proxy_port = free_port()
daemon = Peerdistd("--port", "0", "--cache-dir", cache, "--state-file",
                   work.path("state.json"), "--proxy-listen", f"127.0.0.1:{proxy_port}",
                   "--verbose")
atexit.register(daemon.proc.kill)      # a failed check leaves nothing running
daemon.wait_for("proxy: listening")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=work.www, **kw)

    def log_message(self, *a):
        pass


class PlainOrigin(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass        # the proxy ends transfers it needs no more of: not an error


plain = PlainOrigin(("127.0.0.1", 0), Quiet)
threading.Thread(target=plain.serve_forever, daemon=True).start()
served = f"http://127.0.0.1:{server.port}"
origin = f"http://127.0.0.1:{plain.server_address[1]}"
proxy = f"127.0.0.1:{proxy_port}"


def curl(url, *args, env=None):
    """curl through the proxy: (exit code, status, body)."""
    e = dict(os.environ, **(env or {}))
    out = work.path("curl.out")
    p = subprocess.run(["curl", "-s", "-o", out, "-w", "%{http_code}", *args, url],
                       capture_output=True, timeout=60, env=e)
    body = b""
    if os.path.exists(out):
        with open(out, "rb") as f:
            body = f.read()
        os.unlink(out)
    return p.returncode, int(p.stdout or 0), body


def proxy_said(url, timeout=10):
    """peerdistd's summary line of a get of url."""
    return daemon.wait_for(f"proxy: {url}: ", timeout)


# From peerdist serve: the first time from the origin, the second from the cache.
code, status, body = curl(f"{served}/small.bin", "-x", proxy)
check(code == 0 and status == 200 and body == small,
      f"curl -x, peerdist serve: byte-exact ({code}, {status}, {len(body)} bytes)")
line = proxy_said(f"{served}/small.bin")
check("from the origin" in line and " 0 from the cache" in line,
      f"the first get came from the origin: {line}")
code, status, body = curl(f"{served}/small.bin", env={"http_proxy": f"http://{proxy}"})
check(code == 0 and status == 200 and body == small,
      f"http_proxy=, peerdist serve, again: byte-exact ({code}, {status}, {len(body)})")
line = proxy_said(f"{served}/small.bin")
check(f"{len(small)} from the cache" in line and " 0 from the origin" in line,
      f"the second get came from the cache, nothing from the origin: {line}")
p = subprocess.run([PEERDIST, "cache", "--json"], capture_output=True, timeout=60)
counted = json.loads(p.stdout)["bytes"]
check(counted["fetched_from_origins"] == len(small) and
      counted["read_from_cache"] == len(small),
      f"the cache's counters count the proxy's gets: {counted}")

# An origin without BranchCache: streamed as it is.
code, status, body = curl(f"{origin}/large.bin", "-x", proxy)
check(code == 0 and status == 200 and body == large,
      f"a plain origin: byte-exact ({code}, {status}, {len(body)} bytes)")

# Ranges, from content information and from the plain origin.
for base in (served, origin):
    code, status, body = curl(f"{base}/small.bin", "-x", proxy, "-r", "1000-66535")
    check(status == 206 and body == small[1000:66536],
          f"{base}: Range 1000-66535 answered 206 with those bytes ({status}, {len(body)})")
    code, status, body = curl(f"{base}/small.bin", "-x", proxy, "-r", "-100")
    check(status == 206 and body == small[-100:], f"{base}: a suffix range ({status})")
for base in (served, origin):
    code, status, body = curl(f"{base}/small.bin", "-x", proxy, "-r", "5000000-")
    check(status == 416 and not body, f"{base}: an unsatisfiable range: 416 ({status})")
code, status, body = curl(f"{served}/small.bin", "-x", proxy, "-H", "Range: bytes=0-1,5-6")
check(status == 200 and body == small, f"two ranges: the whole body, 200 ({status})")

# Concurrent clients while one reads nothing of its answer.
stalled = Conn(proxy_port, timeout=30)
stalled.send(f"GET {served}/large.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode())
start = time.monotonic()
procs = [subprocess.Popen(["curl", "-s", "-x", proxy, f"{base}/{name}"],
                          stdout=subprocess.PIPE)
         for base in (served, origin) for name in ("small.bin", "large.bin")]
outs = [p.communicate(timeout=60)[0] for p in procs]
if outs != [small, large, small, large]:
    for _ in range(1000):       # what the proxy said about it
        if daemon.line(0.5) is None:
            break
    wrong = [o[:200] for o, want in zip(outs, [small, large, small, large]) if o != want]
    check(False, f"four clients at once, all byte-exact: {[len(o) for o in outs]}; "
          f"wrong: {wrong}; peerdistd said:\n" + "\n".join(daemon.seen[-40:]))
check(time.monotonic() - start < 20, "a client reading nothing stalls no other")
stalled.close()

# A client gone mid-body: the proxy serves the next one.
gone = Conn(proxy_port, timeout=30)
gone.send(f"GET {origin}/large.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode())
got = b""
while len(got) < 200_000:
    got += gone.s.recv(65536)
check(got.startswith(b"HTTP/1.1 200"), f"the first bytes of an answer: {got[:40]!r}")
gone.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
gone.close()        # a reset, mid-body
code, status, body = curl(f"{served}/large.bin", "-x", proxy)
check(status == 200 and body == large, f"after a client left mid-body: byte-exact ({status})")

# CONNECT: a tunnel to a loopback TCP server, bytes both ways.
echo = socket.socket()
echo.bind(("127.0.0.1", 0))
echo.listen(1)


def echo_reversed():
    s, _ = echo.accept()
    data = b""
    while len(data) < 100_000:
        data += s.recv(65536)
    s.sendall(b"hello from the server;" + data[::-1])
    s.close()


threading.Thread(target=echo_reversed, daemon=True).start()
tunnel = Conn(proxy_port, timeout=30)
port = echo.getsockname()[1]
tunnel.send(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
head = b""
while b"\r\n\r\n" not in head:
    head += tunnel.s.recv(1)
check(head.startswith(b"HTTP/1.1 200"), f"CONNECT answered 200: {head!r}")
sent = os.urandom(100_000)
tunnel.send(sent)
back = b""
while chunk := tunnel.s.recv(65536):
    back += chunk
check(back == b"hello from the server;" + sent[::-1],
      f"CONNECT: the bytes went both ways untouched ({len(back)} back)")
tunnel.close()
bad = Conn(proxy_port)
bad.send(b"CONNECT 127.0.0.1 HTTP/1.1\r\nHost: x\r\n\r\n")
check(bad.answer()[0] == 400, "CONNECT without a port: 400")

# What the proxy does not forward.
code, status, _ = curl(f"{served}/small.bin", "-x", proxy, "-d", "x")
check(status == 501, f"POST: 501 ({status})")
plainreq = Conn(proxy_port)
plainreq.send(b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n")
check(plainreq.answer()[0] == 400, "an origin-form target: 400")
code, status, _ = curl(f"http://127.0.0.1:{free_port()}/x", "-x", proxy)
check(status == 502, f"an origin that does not answer: 502 ({status})")

check(daemon.stop() == 0, "peerdistd stops cleanly with the proxy on")
plain.shutdown()
server.stop()
work.close()
print("ok")
