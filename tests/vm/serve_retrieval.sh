#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# In the guest, peerdist.ko loaded and its secret set: peerdistd on the
# kernel backend serves MS-PCCRR blocks of a file the module hashed (its
# segments, which peerdistd did not add, so it opens them by id and never
# holds their Kp: the module encrypts each block, encrypt-block), and a
# client that asks as Windows does (GETBLKS, AES-128; tests/bench's
# bench_serve) decrypts every block it gets with the content
# information's Kp and checks it against its hash. TAP: "ok 0 NAME".
PEERDIST=${PEERDIST:-/bin/peerdist}
PEERDISTD=${PEERDISTD:-/bin/peerdistd}
CLIENT=${CLIENT:-/api/bench_serve}
name=peerdistd-on-kernel-serves-blocks-a-windows-client-verifies

ip link set lo up
ok=1 port=""
rm -rf /tmp/pr && mkdir -p /tmp/pr/cache
head -c 1500007 /dev/urandom >/tmp/pr/f	# a short last block: padded
"$PEERDIST" hash --kernel -o /tmp/pr/f.ci /tmp/pr/f || { echo "$name: hash --kernel failed"; ok=0; }
PEERDIST_BACKEND=kernel PEERDIST_CACHE_DIR=/tmp/pr/cache "$PEERDISTD" --listen 127.0.0.1 \
	--port 0 --no-discovery --state-file /tmp/pr/state.json 2>/tmp/pr/log &
pid=$!
for i in $(seq 100); do
	port=$(sed -n 's/.*retrieval on.* \([0-9][0-9]*\)$/\1/p' /tmp/pr/log)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "$name: peerdistd did not start"; ok=0; }
if [ $ok = 1 ]; then
	"$CLIENT" pccrr 127.0.0.1 "$port" /tmp/pr/f.ci 1 ||
		{ echo "$name: the client did not get every block, decrypted and verified"; ok=0; }
fi
kill $pid 2>/dev/null
wait $pid
[ $ok = 1 ] && echo "ok 0 $name" || { cat /tmp/pr/log; echo "not ok 0 $name"; }
rm -rf /tmp/pr
