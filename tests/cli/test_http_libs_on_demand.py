#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libcurl and libmicrohttpd are loaded when first used: the commands that
do not speak HTTP map neither (the dynamic loader's own account says so),
and with a library of their sonames that has none of their functions first
on the search path, those that do fail with a message naming the library,
not a crash."""
import os

from clitest import check, run, workdir

FAKES = os.environ["FAKE_LIBRARIES"]
env = {"LD_LIBRARY_PATH": FAKES}

with workdir() as d:
    data, ci = os.path.join(d, "data"), os.path.join(d, "data.ci")
    with open(data, "wb") as f:
        f.write(os.urandom(200000))
    for args in (["hash", "-o", ci, data], ["verify", ci, data], ["info", ci]):
        loaded = run(*args, env={"LD_DEBUG": "files"}).stderr
        check(b"libpeerdist" in loaded or b"libcrypto" in loaded,
              f"LD_DEBUG=files gave no account: {loaded[:200]}")
        check(b"libcurl" not in loaded and b"libmicrohttpd" not in loaded,
              f"peerdist {args[0]} maps libcurl or libmicrohttpd at start")

    err = run("get", "-o", os.path.join(d, "out"), "http://127.0.0.1:9/x",
              env=env, expect=None)
    check(err.returncode != 0 and b"libcurl.so.4 has no curl_global_init" in err.stderr,
          f"get without libcurl: exit {err.returncode}, {err.stderr}")
    check(not os.path.exists(os.path.join(d, "out")), "no output without libcurl")

    err = run("serve", "--listen", "127.0.0.1", "--port", "0", d, env=env, expect=1)
    check(b"libmicrohttpd.so.12 has no MHD_start_daemon" in err.stderr, err.stderr)
    err = run("serve", "--upstream", "http://127.0.0.1:9", env=env, expect=1)
    check(b"has no" in err.stderr, err.stderr)
