#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hosted cache's settings: bad values stop peerdistd with exit 2 and
file:line; PCHC 1.0 without a certificate, or with both listeners off,
does not start (exit 1, said why); the Active Client Count is 1024 in
hosted-cache mode unless max_clients says otherwise; a reload that changes
the hosted cache's settings says it needs a restart."""
import os
import signal

from clitest import Peerdistd, check, free_port, workdir


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def exits(conf, code, texts, *args):
    """peerdistd with conf exits with code and says each of texts."""
    p = Peerdistd("--config", conf, *args)
    got = p.proc.wait(timeout=10)
    err = p.proc.stderr.read().decode()
    check(got == code, f"exit {got} (not {code}) for {texts}: {err}")
    for text in texts:
        check(text in err, f"expected {text!r}, got: {err}")


with workdir() as d:
    conf = os.path.join(d, "peerdistd.conf")
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    for line, says in [("pchc_v1_listen = 127.0.0.1", "is not ADDR:PORT"),
                       ("pchc_v2_listen = ::1:80", "is not ADDR:PORT"),
                       ("pchc_v2_listen = [::1]:70000", "is not ADDR:PORT"),
                       ("tls_key = relative.pem", "is not an absolute path"),
                       ("hosted_cache = yes", "is not on or off"),
                       ("hosted_cache_pulls = 0", "is not a number in 1..64"),
                       ("hosted_cache_url = ftp://hc", "is not an https:// or http:// URL"),
                       ("pchc_v2_unverified = yes", "is not on or off"),
                       ("pchc_v2_unverified_mib = 0", "is not a number in 1..16777216"),
                       ("pchc_v2_unverified_per_client_mib = x", "is not a number in")]:
        write(conf, "# a comment\n" + line + "\n")
        exits(conf, 2, [f"{conf}:2: {line.split()[0]}: ", says])
    write(conf, "hosted_cache = on\npchc_v2_listen = off\n")
    exits(conf, 1, ["PCHC 1.0 (HTTPS) needs tls_certificate and tls_key"],
          "--listen", "127.0.0.1", "--port", "0")
    write(conf, "hosted_cache = on\npchc_v1_listen = off\npchc_v2_listen = off\n")
    exits(conf, 1, ["both PCHC listeners are off"], "--listen", "127.0.0.1", "--port", "0")

    v2 = free_port()
    write(conf, f"pchc_v1_listen = off\npchc_v2_listen = 127.0.0.1:{v2}\n")
    hc = Peerdistd("--config", conf, "--hosted-cache", "--listen", "127.0.0.1",
                   "--port", "0", "--verbose", env=env)
    hc.wait_for("max_clients = 1024")
    hc.wait_for(f"PCHC 2.0 over HTTP on 127.0.0.1:{v2}")
    # its unverified blocks' directory is its alone
    write(os.path.join(d, "second.conf"), "pchc_v1_listen = off\n"
          f"pchc_v2_listen = 127.0.0.1:{free_port()}\n")
    p = Peerdistd("--config", os.path.join(d, "second.conf"), "--hosted-cache", "--listen",
                  "127.0.0.1", "--port", "0", env=env)
    check(p.proc.wait(timeout=10) == 1 and "another process uses it" in
          p.proc.stderr.read().decode(), "a second hosted cache on the same cache directory "
          "does not start")
    write(conf, f"pchc_v1_listen = off\npchc_v2_listen = 127.0.0.1:{free_port()}\n")
    hc.proc.send_signal(signal.SIGHUP)
    hc.wait_for("the hosted cache's settings changed: needs a restart")
    check(hc.stop() == 0, "the hosted cache stops cleanly")

    write(conf, f"max_clients = 8\npchc_v1_listen = off\n"
          f"pchc_v2_listen = 127.0.0.1:{free_port()}\n")
    hc = Peerdistd("--config", conf, "--hosted-cache", "--listen", "127.0.0.1",
                   "--port", "0", "--verbose", env=env)
    hc.wait_for("max_clients = 8")
    hc.wait_for("PCHC 2.0 over HTTP")
    check(hc.stop() == 0, "max_clients given: that one")
print("ok")
