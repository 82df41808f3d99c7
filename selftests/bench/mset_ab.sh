#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B comparison of two builds of kcache.ko in one guest boot: MSET
# throughput through kcache-proxy under redis-benchmark (-t mset, -P 16
# and -P 1), the two modules loaded in turn, ROUNDS times each, so that
# both see the same host load.  Prints one line per run and the ratio of
# the medians (B / A).  Numbers under QEMU/TCG are comparable within one
# boot only (Documentation/performance.rst).
#
# Runs in a guest with the host root (it is not in selftests/TESTS: the
# result is a measurement, not a verdict).  From the host, for example:
#
#   echo 'bench/mset_ab.sh  # needs-host timeout=1500' >>selftests/TESTS
#   KCACHE_TEST_ENV="KCACHE_AB_OLD=/tmp/old/kcache.ko" \
#     KCACHE_TESTS=bench/mset_ab.sh make check-6.12
#
# (and the TESTS line removed again).  A is $KCACHE_AB_OLD, B is the
# module under test ($KCACHE_MODULE); B is left loaded at the end.
# KCACHE_AB_RUN, if set, is a program run once with A loaded afterwards
# (e.g. a selftest, to show that it fails there); its output is printed
# as TAP comments.
set -uo pipefail

A=${KCACHE_AB_OLD:?KCACHE_AB_OLD: the kcache.ko to compare with}
B=${KCACHE_MODULE:?KCACHE_MODULE: the kcache.ko under test}
ROUNDS=${KCACHE_AB_ROUNDS:-5}
N16=${KCACHE_AB_N16:-40000}
N1=${KCACHE_AB_N1:-4000}
PORT=6391
MCPORT=11291
PROXY=${KCACHE_BUILD:-build}/userspace/kcache-proxy
# shellcheck disable=SC2206
PARAMS=(${KCACHE_PARAMS:-})
proxy_pid=

echo "TAP version 13"
echo "1..1"

load() {
	[ -n "$proxy_pid" ] && { kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null; proxy_pid=; }
	rmmod kcache 2>/dev/null
	insmod "$1" "${PARAMS[@]}" || { echo "# insmod $1 failed"; return 1; }
	"$PROXY" -p $PORT -m $MCPORT -b 127.0.0.1 -q &
	proxy_pid=$!
	for _ in $(seq 100); do
		redis-cli -p $PORT ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# kcache-proxy does not answer"
	return 1
}

# rate PIPELINE N: MSET requests per second, from redis-benchmark's CSV.
rate() {
	redis-benchmark -h 127.0.0.1 -p $PORT -c 10 -n "$2" -P "$1" -r 100000 \
		-d 32 -t mset --csv 2>/dev/null |
		awk -F'"' '/^"MSET/ { print $4; exit }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

ok=1
: >/tmp/ab.txt
for r in $(seq "$ROUNDS"); do
	for side in A B; do
		ko=$A
		[ $side = B ] && ko=$B
		load "$ko" || { ok=0; break 2; }
		for p in 16 1; do
			n=$N16
			[ "$p" = 1 ] && n=$N1
			v=$(rate "$p" "$n")
			[ -n "$v" ] || { echo "# redis-benchmark failed"; ok=0; }
			echo "# round $r $side -P $p: ${v:-?} MSET/s"
			echo "$side $p ${v:-0}" >>/tmp/ab.txt
		done
	done
done
for p in 16 1; do
	a=$(awk -v p="$p" '$1 == "A" && $2 == p { print $3 }' /tmp/ab.txt | median)
	b=$(awk -v p="$p" '$1 == "B" && $2 == p { print $3 }' /tmp/ab.txt | median)
	awk -v a="${a:-0}" -v b="${b:-0}" -v p="$p" 'BEGIN {
		printf "# MSET -P %s: A median %.0f/s, B median %.0f/s, B/A %.2f\n",
			p, a, b, (a > 0 ? b / a : 0) }'
done
if [ -n "${KCACHE_AB_RUN:-}" ]; then
	load "$A" || ok=0
	echo "# $KCACHE_AB_RUN with A loaded:"
	"$KCACHE_AB_RUN" 2>&1 | sed 's/^/#   /'
	echo "# (exit status ${PIPESTATUS[0]})"
fi
load "$B" || ok=0
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null
if [ $ok = 1 ]; then
	echo "ok 1 mset A/B"
else
	echo "not ok 1 mset A/B"
fi
