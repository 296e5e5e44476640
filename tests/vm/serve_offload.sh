#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# In the guest, peerdist.ko loaded: peerdist serve on the kernel backend
# answers with content information (V1 and V2) byte for byte what peerdist
# hash writes, and the module hashed it (its hash_bytes counter, which also
# counts the hashes it hashes again, moved by the file's size for each
# version). With PEERDIST_BACKEND=user it hashes in user space (the counter
# stays); with a secret the module does not hold, it refuses the module's
# first result (other Kp) and hashes in user space from then on. The bytes
# are the same every time. TAP lines "ok 0 NAME".
PEERDIST=${PEERDIST:-/bin/peerdist}
HASHED=/sys/kernel/peerdist/hash_bytes
size=3000000

ip link set lo up
head -c 32 /dev/urandom >/tmp/serve-secret && chmod 600 /tmp/serve-secret
head -c 32 /dev/urandom >/tmp/serve-other && chmod 600 /tmp/serve-other
"$PEERDIST" secret kernel --secret-file /tmp/serve-secret || echo "peerdist secret kernel failed"

# get PORT PATH MAX_CI OUT: one GET as a BranchCache client (busybox wget
# takes no 206: whole files); 0 when the answer is content information
get() {
	rm -f "$4" /tmp/serve-headers
	wget -q -S -O "$4" --header 'Accept-Encoding: peerdist' \
		--header 'X-P2P-PeerDist: Version=1.1' \
		--header "X-P2P-PeerDistEx: MinContentInformation=1.0, MaxContentInformation=$3.0" \
		"http://127.0.0.1:$1$2" 2>/tmp/serve-headers &&
		grep -qi 'Content-Encoding: peerdist' /tmp/serve-headers
}

# check NAME SECRET EXPECTED_DELTA [ENV...]: serves a fresh file with the
# given environment, compares both versions with peerdist hash, and the
# counter's move with EXPECTED_DELTA (a shell test expression on $delta).
check() {
	local name=$1 secret=$2 expect=$3 ok=1 port="" pid before delta flag i v
	shift 3
	rm -rf /tmp/www /tmp/serve-cache && mkdir -p /tmp/www /tmp/serve-cache
	head -c $size /dev/urandom >/tmp/www/f
	before=$(cat $HASHED)
	rm -f /tmp/serve.out	# else the port read may be the last server's
	env "$@" PEERDIST_CACHE_DIR=/tmp/serve-cache PEERDIST_DISCOVERY=off \
		"$PEERDIST" serve --port 0 --secret-file "$secret" /tmp/www >/tmp/serve.out 2>&1 &
	pid=$!
	for i in $(seq 100); do
		port=$(sed -n 's/^serving on .* port \([0-9]*\)$/\1/p' /tmp/serve.out 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat /tmp/serve.out; ok=0; }
	for v in 1 2; do
		[ $ok = 1 ] || break
		# the first asks for hashing (identity meanwhile)
		for i in $(seq 300); do
			get "$port" /f $v /tmp/serve.ci && break
			sleep 0.2
		done
		grep -qi 'Content-Encoding: peerdist' /tmp/serve-headers ||
			{ echo "$name: no V$v content information"; ok=0; }
		[ $v = 1 ] && flag= || flag=--v2
		"$PEERDIST" hash $flag --secret-file "$secret" -o /tmp/serve.want /tmp/www/f &&
			cmp /tmp/serve.ci /tmp/serve.want || { echo "$name: V$v differs"; ok=0; }
	done
	kill $pid
	wait $pid
	delta=$(($(cat $HASHED) - before))
	eval "[ $expect ]" || { echo "$name: hash_bytes moved by $delta"; ok=0; }
	[ $ok = 1 ] && echo "ok 0 $name" ||
		{ cat /tmp/serve.out /tmp/serve-headers; echo "not ok 0 $name"; }
}

check serve-kernel-hashes-v1-v2-as-peerdist-hash /tmp/serve-secret \
	'$delta -ge $((2 * size))' PEERDIST_BACKEND=kernel
check serve-user-backend-hashes-in-user-space /tmp/serve-secret \
	'$delta -eq 0' PEERDIST_BACKEND=user
# the module's first result is refused (other Kp), then user space hashes
check serve-another-secret-than-the-modules /tmp/serve-other \
	'$delta -ge $size -a $delta -lt $((2 * size))' PEERDIST_BACKEND=kernel
