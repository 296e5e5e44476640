# SPDX-License-Identifier: GPL-2.0-or-later
"""Raw HTTP/1.1 over a socket, as the retrieval tests need it: requests
written byte for byte, answers read one at a time (status, headers, body)."""
import socket

from clitest import check, fail
from pccrr_wire import PATH


def request(body, headers=None, path=PATH, method="POST", version="HTTP/1.1"):
    """The bytes of one request: Host and Content-Length unless headers say otherwise."""
    if headers is None:
        headers = {"Host": "peer", "Content-Length": str(len(body))}
    head = f"{method} {path} {version}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in (headers.items() if isinstance(headers, dict) else headers))
    return head.encode() + b"\r\n" + body


class Conn:
    def __init__(self, port, host="127.0.0.1", source=None, timeout=10):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        if source:
            self.s.bind((source, 0))
        try:
            self.s.connect((host, port))
        except OSError as e:
            fail(f"connect to {host} port {port}: {e}")
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self, what):
        chunk = self.s.recv(262144)
        if not chunk:
            fail(f"connection closed before {what}")
        self.buf += chunk

    def answer(self):
        """(status, {lower-case name: value}, body) of the next answer."""
        while b"\r\n\r\n" not in self.buf:
            self._fill("an answer's head")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            check(k.lower() not in headers, f"header {k} twice")
            headers[k.lower()] = v.strip()
        length = int(headers["content-length"])
        while len(self.buf) < length:
            self._fill("the end of an answer")
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self):
        """Whether the peer closed (EOF or reset) with nothing more to read."""
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()
