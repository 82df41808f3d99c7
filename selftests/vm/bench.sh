#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boot one stock 6.12 guest (QEMU TCG, 2 vCPUs) and measure,
# in that one boot, kcache over ioctl, KC_IOC_BATCH and generic netlink,
# kcache-proxy under redis-benchmark and a memcached-protocol load, and
# redis-server and memcached from Debian under the same loads, the Python
# client kcache.Cache against redis-py (selftests/bench/py_bench.py); then
# load 1M items into each for memory per item.  Documentation/performance.rst
# explains what is measured and how to read it.
#
#   selftests/vm/bench.sh            everything (about 30 minutes)
#   BENCH_QUICK=1 selftests/vm/bench.sh   fewer sizes and runs (a smoke run)
#
# The guest runs selftests/bench/bench_guest.py as the harness's only
# "test" (init.sh check mode: insmod, the host root over 9p, a kernel log
# check and a verdict at the end).  Its KCB-* lines come back on the result
# channel; selftests/bench/report.py turns them into
#   build/bench/results.json   every record
#   build/bench/table.txt      the table printed at the end (also .rst)
#   build/bench/throughput.png the chart (gnuplot)
#
# Environment (all optional):
#   VM_MEM (4G), VM_SMP (2), VM_TIMEOUT (3600 s)
#   VM_ACCEL        default tcg,thread=multi: one host thread per vCPU, so
#                   two guest threads can run at once.  A boot that dies
#                   early is retried once, then with tcg,thread=single.
#   KCACHE_PARAMS   module parameters (default memory_mb=1024)
#   BENCH_CONFIG    JSON merged into the guest's parameters, e.g.
#                   '{"runs": 3, "mem_items": 200000}' (bench_guest.py
#                   lists them all with their defaults)
#   BENCH_QUICK=1   a short smoke run
#   BENCH_BASE="REV..."  also build kcache-proxy from each git revision and
#                   measure it as kcache-proxy@REV in the cost phase's
#                   rounds (before/after comparisons within one boot)
#   BENCH_PROFILE=1 also profile the slow paths with perf (cpu-clock) in the
#                   guest and print the top symbols (KCB-PROFILE lines)
set -euo pipefail

VM_MEM=${VM_MEM:-4G}
VM_SMP=${VM_SMP:-2}
VM_TIMEOUT=${VM_TIMEOUT:-3600}
TEST_TIMEOUT=${TEST_TIMEOUT:-$((VM_TIMEOUT - 120))}
KCACHE_PARAMS=${KCACHE_PARAMS:-memory_mb=1024}
BENCH_ACCEL=${VM_ACCEL:-tcg,thread=multi}
KC_VM_NO_MAIN=1
# shellcheck source=selftests/vm/vm.sh
. "$(dirname "$0")/vm.sh"

OUT=$KC_BUILD/bench
BENCH_SRC=$KC_ROOT/selftests/bench

write_config() {
	local quick='{}'
	if [ -n "${BENCH_QUICK:-}" ]; then
		quick='{"sizes": [[16, 100]], "value_sizes": [100],
			"runs": 3, "secs": 0.3, "rb_runs": 1, "rb_requests": 1000,
			"rb_requests_pipelined": 5000, "rb_threads_requests": 8000,
			"rb_threads_requests_pipelined": 80000, "mem_items": 100000}'
	fi
	$PY - "$quick" "${BENCH_PROFILE:-}" "${BENCH_CONFIG:-}" "${BASE_PROXY:-}" \
		>"$OUT/config.json" <<-'EOF'
		import json, sys
		cfg = json.loads(sys.argv[1])
		if sys.argv[2].strip():
		    cfg["profile"] = True
		if sys.argv[4].strip():
		    cfg["proxy_base"] = [x.split("=", 1) for x in sys.argv[4].split()]
		if sys.argv[3].strip():
		    cfg.update(json.loads(sys.argv[3]))
		print(json.dumps(cfg, indent=1, sort_keys=True))
	EOF
}

# The harness's check mode with bench_guest.py as the one test.
make_bench_initramfs() {
	local rundir=$1
	make_initramfs check "$rundir"
	echo "bench|$BENCH_SRC/bench_guest.py| timeout=$TEST_TIMEOUT " \
		>"$IRD/etc/kcache-vm/tests"
	echo bench >"$rundir/expected"
	(cd "$IRD" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$rundir/initramfs.gz"
}

# Shows the guest's "# ..." progress lines while QEMU runs.
follow() {
	local log=$1 pid=$2 seen=0 n
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		[ -e "$log" ] || continue
		n=$(wc -l <"$log")
		if [ "$n" -gt "$seen" ]; then
			sed -n "$((seen + 1)),${n}p" "$log" | tr -d '\r' |
				grep -E '^# |^KCACHE-TEST-(BEGIN|END)' | sed 's/^/[guest] /' >&2 || true
			seen=$n
		fi
	done
}

# "load average, other QEMU guests, host cores" for the report (ours is
# not running before the boot nor after it).
host_load() {
	local others
	others=$(pgrep -c -x qemu-system-x86 2>/dev/null || true)
	printf 'load average %s, %s other QEMU guests, %s host cores\n' \
		"$(cut -d' ' -f1-3 /proc/loadavg)" "${others:-0}" "$(nproc)"
}

# One boot; returns 0 when the guest printed KCB-DONE.
boot() {
	local rundir=$1 accel=$2 rc=0 qpid
	VM_ACCEL=$accel
	qemu_args "$rundir"
	QEMU+=(-serial "file:$rundir/console.log" -serial "file:$rundir/result.log")
	rm -f "$rundir/console.log" "$rundir/result.log"
	msg "booting $K_VER with $VM_SMP vCPUs ($accel), $VM_MEM, kcache $KCACHE_PARAMS; console: $rundir/console.log"
	# What else the host runs decides what the guest gets: two vCPUs need
	# two free host cores.  Recorded next to the results.
	host_load >"$rundir/host-load.before"
	timeout -k 10 "$VM_TIMEOUT" "${QEMU[@]}" </dev/null >"$rundir/qemu.log" 2>&1 &
	qpid=$!
	follow "$rundir/result.log" "$qpid" &
	wait "$qpid" || rc=$?
	wait 2>/dev/null || true
	host_load >"$rundir/host-load.after"
	[ "$rc" = 124 ] && msg "the VM timed out after ${VM_TIMEOUT}s"
	grep -q '^KCB-DONE' "$rundir/result.log" 2>/dev/null
}

main() {
	local rundir accel accels t0 ok=0
	t0=$(now)
	kc_deps
	kc_need_pkgs gnuplot-nox
	[ -z "${BENCH_PROFILE:-}" ] || kc_need_pkgs linux-perf
	msg "building userspace and the benchmark programs"
	make -C "$KC_ROOT" --no-print-directory -s BUILD="$KC_BUILD" userspace python >&2
	make -C "$BENCH_SRC" --no-print-directory -s BUILD="$KC_BUILD" >&2
	if [ -n "${BENCH_BASE:-}" ]; then
		# the proxy of other revisions, for before/after in one boot
		local rev short base=$KC_BUILD/bench-base
		rm -rf "$base"
		BASE_PROXY=
		for rev in $BENCH_BASE; do
			short=$(git -C "$KC_ROOT" rev-parse --short "$rev")
			mkdir -p "$base/$short/src"
			git -C "$KC_ROOT" archive "$rev" | tar -x -C "$base/$short/src"
			msg "building kcache-proxy of $rev ($short)"
			make -C "$base/$short/src" --no-print-directory -s \
				BUILD="$base/$short/build" userspace >&2
			[ -x "$base/$short/build/userspace/kcache-proxy" ] ||
				die "no kcache-proxy built from $rev"
			BASE_PROXY+="$short=$base/$short/build/userspace/kcache-proxy "
		done
	fi
	resolve_kernel 6.12
	K_TIMEOUT=$VM_TIMEOUT
	build_module || die "kcache.ko does not build for $K_VER"
	mkdir -p "$OUT"
	write_config
	rundir=$KC_BUILD/vm-bench
	rm -rf "$rundir"
	mkdir -p "$rundir"
	make_bench_initramfs "$rundir"

	# A guest that dies before measuring anything (MTTCG now and then
	# crashes in boot, see qemu_args) is booted again, at last with one
	# host thread for both vCPUs.  A run that got going is not repeated.
	accels=("$BENCH_ACCEL" "$BENCH_ACCEL")
	[ "$BENCH_ACCEL" = "tcg,thread=single" ] || accels+=("tcg,thread=single")
	for accel in "${accels[@]}"; do
		if boot "$rundir" "$accel"; then
			ok=1
			break
		fi
		grep -q '^KCB-RESULT\|^KCB-MEM' "$rundir/result.log" 2>/dev/null && break
		msg "the guest died before measuring anything; console tail:"
		tr -d '\r' <"$rundir/console.log" | tail -15 >&2
	done
	cp "$rundir/result.log" "$OUT/result.log"
	cp "$rundir/console.log" "$OUT/console.log"
	cat "$rundir/host-load.before" "$rundir/host-load.after" >"$OUT/host-load" 2>/dev/null || true
	echo "$accel" >"$OUT/accel"

	$PY "$BENCH_SRC/report.py" "$OUT/result.log" --out "$OUT" --accel "$accel" \
		--host-load "$(paste -sd';' "$OUT/host-load" 2>/dev/null | sed 's/^/before the boot: /; s/;/; after: /')" \
		--qemu "$(qemu-system-x86_64 --version | head -1)" || ok=0
	msg "make bench took $(( $(now) - t0 )) s"
	if ! grep -q '^KCACHE-VERDICT PASS' "$OUT/result.log"; then
		msg "the guest's verdict is not PASS: $(grep '^KCACHE-VERDICT' "$OUT/result.log" | tr -d '\r' || echo none)"
		msg "guest console: $OUT/console.log"
		ok=0
	fi
	[ "$ok" = 1 ] || die "the benchmark did not complete; see $OUT/result.log and $OUT/console.log"
}

main "$@"
