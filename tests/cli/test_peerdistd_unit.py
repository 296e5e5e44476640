#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""peerdistd.service passes systemd-analyze verify without a word (it only
warns about unknown keys), with ExecStart pointed at the built binary, the
installed one not being there yet. Skipped without systemd-analyze."""
import os
import re
import shutil
import subprocess
import sys

from clitest import SKIP, check, workdir

if not shutil.which("systemd-analyze"):
    print("skip: no systemd-analyze")
    sys.exit(SKIP)

with workdir() as d:
    unit = open(os.environ["PEERDISTD_SERVICE"]).read()
    unit, n = re.subn(r"^ExecStart=\S+", "ExecStart=" + os.environ["PEERDISTD"],
                      unit, flags=re.M)
    check(n == 1, "one ExecStart")
    path = os.path.join(d, "peerdistd.service")
    with open(path, "w") as f:
        f.write(unit)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and not p.stderr.strip(),
          f"systemd-analyze verify: exit {p.returncode}\n{p.stderr}")
print("ok")
