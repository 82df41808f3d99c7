#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The proxy's libFuzzer targets (userspace/proxy/fuzz: the RESP parser, the
# memcached parser, the glob matcher, the RDB reader), FUZZ_SECS (18)
# seconds each, on the host: `make -C userspace fuzz-check`.  Prints one TAP block ("proxy-fuzz")
# in the result-channel format tap.py counts, one result a target, with
# the number of inputs run.  A crash, sanitizer report, leak or a 10 s
# input fails; its log and reproducer are in build/userspace/fuzz/.
# The corpora stay in build/userspace/fuzz/corpus-*, so later runs start
# from what earlier ones found.  `make -C userspace fuzz FUZZ_SECS=600` is
# the long mode.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECS:-18}
targets=(fuzz_resp fuzz_memcache fuzz_glob fuzz_rdb)
kc_need_pkgs clang libclang-rt-14-dev >&2

out=$KC_BUILD/userspace/fuzz
mkdir -p "$out"
t0=$(date +%s)
make -C "$KC_ROOT/userspace" --no-print-directory -s BUILD="$KC_BUILD" \
	FUZZ_SECS="$secs" fuzz-check >"$out/fuzz-check.log" 2>&1
rc=$?

echo "KCACHE-TEST-BEGIN proxy-fuzz"
echo "TAP version 13"
echo "1..${#targets[@]}"
n=0 failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	if grep -qx "fuzz: $t ok" "$out/fuzz-check.log"; then
		# libFuzzer's last words: "Done 963522 runs in 21 second(s)"
		runs=$(grep -E '^Done [0-9]+ runs' "$out/$t.log" | tail -1 | awk '{print $2}')
		echo "ok $n $t: ${runs:-?} inputs in $secs s"
	else
		failed=1
		if grep -q "fuzz: $t FAILED" "$out/fuzz-check.log"; then
			echo "not ok $n $t: crashed or a sanitizer fired (build/userspace/fuzz/$t.log)"
		else
			echo "not ok $n $t: not run (make fuzz-check status $rc)"
		fi
	fi
done
[ $rc -eq 0 ] || failed=1
if [ $failed -ne 0 ]; then
	sed 's/^/# /' "$out/fuzz-check.log" | tail -60
fi
echo "KCACHE-TEST-END proxy-fuzz rc=$failed secs=$(( $(date +%s) - t0 ))"
exit $failed
