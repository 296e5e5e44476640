#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bash completion (tools/peerdist/peerdist.bash) completes every
command, each command's options, option values and subcommands, as bash
would call it (without the bash-completion package too)."""
import os
import shutil
import subprocess

from clitest import SKIP, check

SCRIPT = os.environ["PEERDIST_COMPLETION"]
if not shutil.which("bash"):
    raise SystemExit(SKIP)


def complete(line, func="_peerdist"):
    words = line.split(" ")
    script = (f"source {SCRIPT}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={line!r}\nCOMP_POINT={len(line)}\n"
              f"{func}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile"], input=script.encode(),
                       capture_output=True, timeout=30)
    check(p.returncode == 0 and not p.stderr, f"{line!r}: {p.stderr}")
    return sorted(p.stdout.decode().split())


check(complete("peerdist ") == sorted("hash info verify secret publish unpublish status "
                                      "cache flush serve get --help --version".split()), "commands")
check(complete("peerdist ca") == ["cache"], "a command's prefix")
check(complete("peerdist cache --") == ["--clear", "--help", "--json", "--max-bytes",
                                       "--reset-counters"],
      complete("peerdist cache --"))
check(complete("peerdist status --") == ["--help", "--json", "--state-file"], "status")
check("--force" in complete("peerdist secret --"), "secret --force")
check(complete("peerdist secret ") == ["export", "import", "kernel"], "secret subcommands")
check(complete("peerdist hash --hash sha") == ["sha256", "sha384", "sha512"], "--hash")
check(complete("peerdist publish --l") == ["--list"], "publish --list")
check(complete("peerdist serve --u") == ["--upstream"], "serve --upstream")
check("--check-config" in complete("peerdistd --", "_peerdistd"), "peerdistd options")
check(complete("peerdistd --log-level d", "_peerdistd") == ["debug"], "--log-level")
print("ok")
