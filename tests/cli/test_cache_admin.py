#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdist cache as Set-BCCache and Clear-BCCache: --max-bytes takes N%,
default and sizes, and refuses 0, more than 100% and more than the volume;
the cap applies at once (evictions); --clear empties the data cache and
keeps publications; flush of an unknown tag fails in words; --json parses."""
import json
import os

from clitest import check, run, workdir


def cache(env, *args, expect=0):
    p = run("cache", "--json", *args, env=env, expect=expect)
    return json.loads(p.stdout) if expect == 0 else p.stderr.decode()


with workdir() as d:
    env = {"PEERDIST_CACHE_DIR": os.path.join(d, "cache")}
    data = os.path.join(d, "data")
    open(data, "wb").write(os.urandom(3 << 20))
    run("publish", "-o", os.path.join(d, "ci"), "kept", data, env=env)

    c = cache(env)
    st = os.statvfs(d)
    volume = st.f_blocks * st.f_frsize
    check(c["backend"] == "user" and c["location"] == env["PEERDIST_CACHE_DIR"], c)
    check(c["volume_bytes"] == volume, f"volume {c['volume_bytes']} != {volume}")
    check(c["data"]["bytes"] >= 2 * (3 << 20) and c["data"]["segments"] > 1, c)
    check(set(c["counters"]) == {"block_lookups_found", "block_lookups_missed",
                                 "segments_evicted", "hash_check_failures"}, c)

    c = cache(env, "--max-bytes", "2%")
    check(c["max_bytes"] == volume // 100 * 2, c)
    check(abs(c["max_percent_of_volume"] - 2.0) < 0.01, c)
    c = cache(env, "--max-bytes", "default")
    check(c["max_bytes"] == max(volume // 100 * 5, 64 << 20), c)
    text = run("cache", "--max-bytes", "1M", env=env).stdout.decode()
    check("size cap:             1048576 bytes" in text and "% of the volume" in text, text)
    c = cache(env)
    check(c["data"]["bytes"] <= 1 << 20 and c["counters"]["segments_evicted"] > 0,
          f"the cap must apply: {c}")

    for arg, words in (("0", "a cap of 0 bytes would keep nothing"),
                       ("0%", "a percentage is 1% to 100%"),
                       ("101%", "a percentage is 1% to 100%"),
                       (str(volume + 1), "larger than the volume"),
                       ("lots", "'lots' is not a size, N% or default")):
        err = cache(env, "--max-bytes", arg, expect=2)
        check(words in err and "peerdist cache --help" in err, f"{arg}: {err}")
    check(cache(env)["max_bytes"] == 1 << 20, "a refused cap changes nothing")

    run("cache", "--max-bytes", "default", env=env)
    run("publish", "-o", os.path.join(d, "ci2"), "second", data, env=env)
    check(cache(env)["data"]["bytes"] > 0, "published data is cached")
    c = cache(env, "--clear")
    check(c["data"] == {"bytes": 0, "segments": 0}, f"--clear empties the cache: {c}")
    check(c["publications"]["kept"] == 2, f"--clear keeps publications: {c}")

    err = run("flush", "0123456789abcdef0123456789abcdef", expect=1, env=env).stderr
    check(b"0123456789abcdef0123456789abcdef: no content in the cache has this tag" in err,
          err)
    err = run("flush", "this tag is far too long", expect=2, env=env).stderr
    check(b"32 hex digits or up to 16 characters" in err, err)
    run("unpublish", "kept", env=env)
    run("unpublish", "second", env=env)
print("ok")
