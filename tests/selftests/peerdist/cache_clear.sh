#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# peerdist cache --clear on the kernel backend, as Clear-BCCache: an
# unprivileged user clears only the segments it added (and is told that
# others' stay), an administrator clears everything (the hash results
# too: hashing again adds the segments again); the backing directory's
# files are backing_dir's test. TAP lines; run in the guest with peerdist.ko
# loaded and a server secret set, /bin/peerdist and /as_nobody present.
sys=/sys/kernel/peerdist
n=0
check() {	# NAME COMMAND...: one TAP line
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n cache-clear:$name"; else echo "not ok $n cache-clear:$name"; fi
}
segments() { cat $sys/segments; }
pd() { PEERDIST_BACKEND=kernel PEERDIST_DISCOVERY=off PEERDIST_CACHE_DIR=$dir "$@"; }

chmod 1777 /tmp
mkdir -p -m 700 /tmp/clear-root /tmp/clear-nobody
chown 65534:65534 /tmp/clear-nobody
head -c 200000 /dev/urandom >/tmp/clear-root/file
head -c 300000 /dev/urandom >/tmp/clear-nobody/file
chmod 644 /tmp/clear-nobody/file

dir=/tmp/clear-root
pd /bin/peerdist hash --kernel -o /tmp/clear-root/ci /tmp/clear-root/file >/dev/null
roots=$(segments)
dir=/tmp/clear-nobody
pd /as_nobody /bin/peerdist hash --kernel -o /tmp/clear-nobody/ci /tmp/clear-nobody/file >/dev/null
check unprivileged-hash-adds-a-segment [ "$(segments)" -gt "$roots" ]
pd /as_nobody /bin/peerdist cache --clear >/tmp/clear.out 2>/tmp/clear.err
rc=$?
check unprivileged-clears-only-its-own test $rc = 0 -a "$(segments)" = "$roots"
check unprivileged-is-told-what-stays grep -q "segments others added stay" /tmp/clear.err

dir=/tmp/clear-root
pd /bin/peerdist cache --clear --json >/tmp/clear.out 2>/tmp/clear.err
rc=$?
check administrator-clears-everything test $rc = 0 -a "$(segments)" = 0 -a \
	"$(cat $sys/cached_bytes)" = 0
check json-shows-an-empty-cache grep -q '"data": {"bytes": 0, "segments": 0}' /tmp/clear.out
check administrator-is-told-nothing [ ! -s /tmp/clear.err ]
sed 's/^/# /' /tmp/clear.err
pd /bin/peerdist hash --kernel -o /tmp/clear-root/ci /tmp/clear-root/file >/dev/null
check hashing-again-adds-the-segments-again [ "$(segments)" -gt 0 ]

