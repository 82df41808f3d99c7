#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kcache VM harness: build kcache.ko for a kernel, pack an initramfs, boot it
# under QEMU/TCG and collect the TAP results of every selftest.
#
#   vm.sh check TARGET...   TARGET: 6.1 | 6.12 | debug | static
#   vm.sh run               stock 6.12, kcache-proxy, ports forwarded to the host
#   vm.sh shell [KERNEL]    interactive guest shell with kcache.ko loaded
#   vm.sh deps              install what the harness needs (apt-get)
#   vm.sh debug-kernel      build or reuse the cached debug kernel
#
# `check` prints one line per test program and per VM run and ends with
# "N passed, N failed, N skipped"; it exits non-zero on any failed test,
# guest report, timeout or missing verdict.  See Documentation/testing.rst.
#
# Environment (all optional; the top-level Makefile passes them through):
#   KCACHE_PARAMS   module parameters for insmod ("a=1 b=2")
#   KCACHE_TESTS    run only these test names (space-separated), on
#                   every kernel given (a "kernels=" tag does not apply)
#   KCACHE_LONG     1: every test on every kernel (make check-long)
#   VM_TIMEOUT      seconds before a VM is killed (default 1800 on every kernel)
#   TEST_TIMEOUT    seconds per test program inside the VM (default 300,
#                   debug 600); a "# timeout=N" tag in selftests/TESTS wins
#   VM_MEM VM_SMP   guest memory and CPUs (2G, 2; run: 4G)
#   VM_ACCEL        QEMU accelerator (tcg,thread=single; see qemu_args)
#   VM_APPEND       extra kernel command line
#   REDIS_PORT MEMCACHE_PORT   host ports of `run` (6380, 11212)
#   KCACHE_RUN_CMD  command `run` starts in the guest (default: the proxy)
#   KCACHE_DATA_DIR host folder `run` shares read-write into the guest at
#                   /tmp/kcache-data, the proxy's --dir (make run DATA_DIR=)
#   KCACHE_TEST_ENV VAR=value words for every test's environment (no spaces
#                   in values), e.g. "KC_FUZZ_SECONDS=600"
#   KCACHE_CACHE    where the debug kernel is cached (/var/cache/kcache)
#   SELFTESTS_OUT   built test programs (build/selftests)
#   USERSPACE_OUT   built userspace programs (build/userspace)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

VM_MEM_GIVEN=${VM_MEM:-}
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
VM_ACCEL=${VM_ACCEL:-tcg,thread=single}
KCACHE_PARAMS=${KCACHE_PARAMS:-}
KCACHE_TESTS=${KCACHE_TESTS:-}
SELFTESTS_OUT=${SELFTESTS_OUT:-$KC_BUILD/selftests}
USERSPACE_OUT=${USERSPACE_OUT:-$KC_BUILD/userspace}
REDIS_PORT=${REDIS_PORT:-6380}
MEMCACHE_PORT=${MEMCACHE_PORT:-11212}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# What the guest greps for in the kernel log after insmod (extended regex).
BAD_PATTERNS='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|inconsistent lock state|suspicious RCU usage|lockdep|kmemleak|unreferenced object|sleeping function called from invalid context|general protection|Call Trace|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_.*stall|detected stalls|ODEBUG|list_add corruption|list_del corruption|refcount_t:|Kernel panic|stack-protector|detected buffer overflow|usercopy:'

TOT_P=0 TOT_F=0 TOT_S=0

# ---------------------------------------------------------------- kernels

# Sets K_NAME K_VER K_IMG K_KDIR K_MODDIR K_HOSTROOT K_TIMEOUT.
resolve_kernel() {
	K_NAME=$1
	K_HOSTROOT=1 K_MODDIR='' K_TIMEOUT=${VM_TIMEOUT:-1800}
	K_TEST_TIMEOUT=${TEST_TIMEOUT:-300}
	case $1 in
	6.1 | 6.12)
		local pat='6.1.*-amd64'
		[ "$1" = 6.12 ] && pat='6.12.*+deb12-amd64'
		K_VER=$(kc_newest_kver "$pat")
		[ -n "$K_VER" ] || { msg "no /boot/vmlinuz-$pat: run '$0 deps'"; return 1; }
		K_IMG=/boot/vmlinuz-$K_VER
		K_MODDIR=/lib/modules/$K_VER
		K_KDIR=$K_MODDIR/build
		[ -e "$K_KDIR/Makefile" ] || K_KDIR=/usr/src/linux-headers-$K_VER
		[ -e "$K_KDIR/Makefile" ] || { msg "no headers for $K_VER: run '$0 deps'"; return 1; }
		;;
	debug)
		local dk
		dk=$("$KC_VM_DIR/debug-kernel.sh") || { msg "the debug kernel does not build"; return 1; }
		K_VER=$(cat "$dk/kernel.release")
		K_IMG=$dk/bzImage
		K_KDIR=$dk/obj
		# KASAN, lockdep and kmemleak make everything 2-3x slower.
		K_HOSTROOT=0 K_TIMEOUT=${VM_TIMEOUT:-1800}
		K_TEST_TIMEOUT=${TEST_TIMEOUT:-600}
		;;
	*) msg "unknown kernel '$1' (6.1, 6.12 or debug)"; return 1 ;;
	esac
}

# Build kcache.ko for $K_VER in its own copy of the sources, so builds for
# several kernels never share objects.  Sets K_KO.
build_module() {
	local mdir=$KC_BUILD/mod-$K_VER extra=()
	[ -e "$KC_ROOT/Kbuild" ] || die "$KC_ROOT/Kbuild does not exist yet: nothing to test"
	mkdir -p "$mdir"
	rsync -a --delete --exclude=/.git --exclude=/build \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='.*.d' --exclude=modules.order \
		--exclude=Module.symvers --exclude='*.a' \
		"$KC_ROOT/" "$mdir/"
	[ -e "$K_KDIR/Module.symvers" ] || extra+=(KBUILD_MODPOST_WARN=1)
	msg "building kcache.ko for $K_VER"
	if ! make -C "$K_KDIR" M="$mdir" "${extra[@]}" modules >"$mdir/build.log" 2>&1; then
		cat "$mdir/build.log" >&2
		return 1
	fi
	K_KO=$mdir/kcache.ko
	[ -e "$K_KO" ] || { cat "$mdir/build.log" >&2; return 1; }
}

build_programs() {
	msg "building userspace and selftests"
	make -C "$KC_ROOT" --no-print-directory -s BUILD="$KC_BUILD" userspace selftests >&2
}

# ---------------------------------------------------------------- initramfs

# Print the .ko files (path under /lib/modules/VER) needed for modules "$@",
# dependencies first, skipping built-in ones.
module_chain() {
	local seen=" " m
	add() {
		local m=$1 f d
		case $seen in *" $m "*) return ;; esac
		seen+="$m "
		f=$(modinfo -k "$K_VER" -F filename "$m" 2>/dev/null) || die "no module $m in $K_VER"
		[ "$f" = "(builtin)" ] && return
		[ -n "$f" ] || return
		for d in $(modinfo -k "$K_VER" -F depends "$m" | tr , ' '); do
			add "$d"
		done
		echo "$f"
	}
	for m in "$@"; do add "$m"; done
}

# Copy kernel modules into the initramfs, decompressed (busybox insmod reads
# plain .ko only), and write their load order to etc/kcache-vm/$1.
pack_modules() {
	local list=$1 f base
	shift
	: >"$IRD/etc/kcache-vm/$list"
	for f in $(module_chain "$@"); do
		base=$(basename "$f")
		case $f in
		*.xz) base=${base%.xz}; xz -dc "$f" >"$IRD/lib/kcache-vm/$base" ;;
		*.zst) base=${base%.zst}; zstd -qdc "$f" >"$IRD/lib/kcache-vm/$base" ;;
		*.gz) base=${base%.gz}; gzip -dc "$f" >"$IRD/lib/kcache-vm/$base" ;;
		*) cp "$f" "$IRD/lib/kcache-vm/$base" ;;
		esac
		echo "$base" >>"$IRD/etc/kcache-vm/$list"
	done
}

# Copy ELF programs and every library ldd lists to the same paths.
copy_with_libs() {
	local f lib
	for f in "$@"; do
		mkdir -p "$IRD$(dirname "$f")"
		cp -L "$f" "$IRD$f"
		[ "$(head -c 4 "$f" | tail -c 3)" = ELF ] || continue
		for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}'); do
			[ -e "$IRD$lib" ] && continue
			mkdir -p "$IRD$(dirname "$lib")"
			cp -L "$lib" "$IRD$lib"
		done
	done
}

shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Does a test tagged TAGS run on $K_NAME?  "kernels=6.12" (or "6.1,6.12")
# keeps a suite that tests userspace more than the module, or that is slow
# on the debug kernel without finding more there, to those kernels in the
# bounded `make check`; KCACHE_LONG=1 (`make check-long`) and a test named
# in KCACHE_TESTS run everywhere.
# Sets RUNS_ON to the tag's list.
runs_here() {
	RUNS_ON=
	[[ $1 == *" kernels="* ]] || return 0
	RUNS_ON=${1##* kernels=}
	RUNS_ON=${RUNS_ON%% *}
	[ "${KCACHE_LONG:-0}" = 1 ] && return 0
	[ -n "$KCACHE_TESTS" ] && return 0
	[[ ",$RUNS_ON," == *",$K_NAME,"* ]]
}

# Test list: selftests/TESTS ("name  # tag..." lines) or every
# executable in $SELFTESTS_OUT.  Writes name|path|tags lines to $1 and the
# names to $2.  A listed test that was not built is reported and counted.
list_tests() {
	local out=$1 names=$2 name tags path
	: >"$out"
	: >"$names"
	if [ -e "$KC_ROOT/selftests/TESTS" ]; then
		while read -r name tags; do
			case $name in '' | '#'*) continue ;; esac
			if [ -n "$KCACHE_TESTS" ] && ! [[ " $KCACHE_TESTS " == *" $name "* ]]; then
				continue
			fi
			path=
			if [ -x "$SELFTESTS_OUT/$name" ]; then
				path=$SELFTESTS_OUT/$name
			elif [ -x "$KC_ROOT/selftests/$name" ]; then
				path=$KC_ROOT/selftests/$name
			fi
			if [ -z "$path" ]; then
				HOST_NOTES+="KCACHE-TEST-NOTRUN $name listed in selftests/TESTS but not built (no $SELFTESTS_OUT/$name)"$'\n'
				continue
			fi
			# Tags follow the name, usually in a comment so that
			# selftests/Makefile sees only the name: "name  # needs-host".
			tags=$(echo " ${tags//#/ } " | tr -s ' \t' ' ')
			if ! runs_here "$tags"; then
				HOST_NOTES+="KCACHE-TEST-SKIP $name make check runs it on $RUNS_ON only (make check-long: on every kernel)"$'\n'
				continue
			fi
			echo "$name|$path|$tags" >>"$out"
			echo "$name" >>"$names"
		done <"$KC_ROOT/selftests/TESTS"
	elif [ -d "$SELFTESTS_OUT" ]; then
		for path in "$SELFTESTS_OUT"/*; do
			[ -f "$path" ] && [ -x "$path" ] || continue
			name=${path##*/}
			if [ -n "$KCACHE_TESTS" ] && ! [[ " $KCACHE_TESTS " == *" $name "* ]]; then
				continue
			fi
			echo "$name|$path|" >>"$out"
			echo "$name" >>"$names"
		done
	fi
}

# make_initramfs MODE RUNDIR: writes RUNDIR/initramfs.gz.
make_initramfs() {
	local mode=$1 rundir=$2 f
	IRD=$rundir/initramfs
	rm -rf "$IRD"
	mkdir -p "$IRD"/{bin,sbin,usr/bin,usr/sbin,etc/kcache-vm,lib/kcache-vm,proc,sys,dev,tmp,run,host}
	cp /bin/busybox "$IRD/bin/busybox"
	for f in $(/bin/busybox --list-full); do
		[ -e "$IRD/$f" ] || ln -s /bin/busybox "$IRD/$f"
	done
	mknod -m 600 "$IRD/dev/console" c 5 1 2>/dev/null || true
	install -m 755 "$KC_VM_DIR/init.sh" "$IRD/init"
	cp "$K_KO" "$IRD/lib/kcache-vm/kcache.ko"

	if [ "$K_HOSTROOT" = 1 ]; then
		pack_modules modules.9p virtio_pci 9pnet_virtio 9p
		pack_modules modules.net virtio_net
		# drop what modules.9p already loads
		grep -vxF -f "$IRD/etc/kcache-vm/modules.9p" "$IRD/etc/kcache-vm/modules.net" \
			>"$IRD/etc/kcache-vm/modules.tmp" || true
		mv "$IRD/etc/kcache-vm/modules.tmp" "$IRD/etc/kcache-vm/modules.net"
	fi

	list_tests "$IRD/etc/kcache-vm/tests" "$rundir/expected"
	if [ "$K_HOSTROOT" != 1 ]; then
		# Self-contained: every test program and userspace program with
		# its libraries, at the same absolute paths as on the host.
		local progs=()
		while IFS='|' read -r _ f _; do progs+=("$f"); done <"$IRD/etc/kcache-vm/tests"
		if [ -d "$USERSPACE_OUT" ]; then
			for f in "$USERSPACE_OUT"/*; do
				[ -f "$f" ] && [ -x "$f" ] && progs+=("$f")
			done
		fi
		[ ${#progs[@]} -eq 0 ] || copy_with_libs "${progs[@]}"
	fi

	{
		echo "KC_MODE=$mode"
		echo "KC_KERNEL=$K_NAME"
		echo "KC_HOSTROOT=$K_HOSTROOT"
		echo "KC_PARAMS=$(shq "$KCACHE_PARAMS")"
		echo "KC_TEST_TIMEOUT=$K_TEST_TIMEOUT"
		echo "KC_VM_TIMEOUT=$K_TIMEOUT"
		echo "KC_ROOT=$(shq "$KC_ROOT")"
		echo "KC_BUILD=$(shq "$KC_BUILD")"
		echo "KC_BAD_PATTERNS=$(shq "$BAD_PATTERNS")"
		echo "KC_RUN_CMD=$(shq "${RUN_CMD:-}")"
		echo "KC_DATA=$([ "$mode" = run ] && [ -n "${KCACHE_DATA_DIR:-}" ] && echo 1 || echo 0)"
		echo "KC_READY_PORTS=$(shq "${KCACHE_READY_PORTS:-6379 11211}")"
		echo "KC_TERM=$(shq "${TERM:-linux}")"
		# Tests that reload the module read it from here (init.sh);
		# KCACHE_TEST_ENV passes VAR=value words to every test.
		echo "KC_MODULE=$(shq "$K_KO")"
		echo "KC_TEST_ENV=$(shq "${KCACHE_TEST_ENV:-}")"
	} >"$IRD/etc/kcache-vm/conf"

	(cd "$IRD" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$rundir/initramfs.gz"
}

# ---------------------------------------------------------------- QEMU

qemu_args() {
	local rundir=$1
	# thread=single: with multi-threaded TCG a vCPU now and then runs a stale
	# translation of code another vCPU just patched (text_poke_bp) and the
	# guest dies with "Oops: int3" in boot.  no_timer_check: a starved vCPU
	# thread on a busy host otherwise fails the IO-APIC timer check
	# ("IO-APIC + timer doesn't work!").  Both seen on this machine.
	# hung_task_timeout_secs: a task stuck in D state for a minute (a
	# request that never yields, a lock never released) is reported, and
	# the log check fails the run; the default is two minutes.
	QEMU=(qemu-system-x86_64 -accel "$VM_ACCEL" -cpu max -smp "$VM_SMP" -m "$VM_MEM"
		-nodefaults -display none -no-reboot
		-kernel "$K_IMG" -initrd "$rundir/initramfs.gz"
		-append "console=ttyS0 panic=-1 no_timer_check printk.devkmsg=on log_buf_len=8M sysctl.kernel.hung_task_timeout_secs=60 ${VM_APPEND:-}")
	if [ "$K_HOSTROOT" = 1 ]; then
		QEMU+=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
	fi
}

now() { date +%s; }

# check_kernel NAME: one VM run in check mode; adds to the totals.
check_kernel() {
	local rundir rc=0 t0 secs why p f s
	if ! resolve_kernel "$1"; then
		echo "not ok: $1: no kernel to boot"
		TOT_F=$((TOT_F + 1))
		return
	fi
	rundir=$KC_BUILD/vm-$K_NAME
	rm -rf "$rundir"
	mkdir -p "$rundir"
	t0=$(now)
	HOST_NOTES=
	if ! build_module; then
		echo "not ok: kcache.ko does not build for $K_VER"
		TOT_F=$((TOT_F + 1))
		return
	fi
	make_initramfs check "$rundir"
	qemu_args "$rundir"
	QEMU+=(-serial "file:$rundir/console.log" -serial "file:$rundir/result.log")
	msg "booting $K_VER ($K_NAME, timeout ${K_TIMEOUT}s); console: $rundir/console.log"
	timeout -k 10 "$K_TIMEOUT" "${QEMU[@]}" </dev/null >"$rundir/qemu.log" 2>&1 || rc=$?
	secs=$(( $(now) - t0 ))
	case $rc in
	0) why="the VM stopped without a verdict (guest crashed or panicked?)" ;;
	124 | 137) why="the VM timed out after ${K_TIMEOUT}s (hang?)" ;;
	*) why="QEMU exited with status $rc without a verdict: $(tail -3 "$rundir/qemu.log" | tr '\n' ' ')" ;;
	esac
	printf '%s' "$HOST_NOTES" >>"$rundir/result.log"
	echo "# $K_NAME ($K_VER):"
	$PY "$KC_VM_DIR/tap.py" "$rundir/result.log" --counts "$rundir/counts" \
		--expect "$rundir/expected" --why-no-verdict "$why"
	read -r p f s <"$rundir/counts"
	TOT_P=$((TOT_P + p)) TOT_F=$((TOT_F + f)) TOT_S=$((TOT_S + s))
	if [ "$f" -ne 0 ]; then
		echo "# ---- guest console of the failed $K_NAME run ($rundir/console.log) ----"
		tr -d '\r' <"$rundir/console.log"
		echo "# ---- end of guest console ----"
		echo "not ok: $K_NAME ($K_VER): $p passed, $f failed, $s skipped in ${secs}s"
	else
		echo "ok: $K_NAME ($K_VER): $p passed, $f failed, $s skipped in ${secs}s"
	fi
}

check_static() {
	local rundir=$KC_BUILD/static p f s
	mkdir -p "$rundir"
	"$KC_VM_DIR/static-check.sh" >"$rundir/result.log" || true
	# The proxy's parsers under libFuzzer, bounded (4 targets x 18 s).
	"$KC_VM_DIR/proxy-fuzz.sh" >>"$rundir/result.log" || true
	echo "# static checks:"
	$PY "$KC_VM_DIR/tap.py" "$rundir/result.log" --counts "$rundir/counts" --no-verdict-ok
	read -r p f s <"$rundir/counts"
	TOT_P=$((TOT_P + p)) TOT_F=$((TOT_F + f)) TOT_S=$((TOT_S + s))
	if [ "$f" -ne 0 ]; then
		echo "# ---- static check output ----"
		cat "$rundir/result.log"
		echo "# ----"
	fi
}

cmd_check() {
	[ $# -gt 0 ] || set -- 6.1 6.12 debug static
	T_START=$(now)
	kc_deps
	local t need_programs=0 dk_bg=
	for t in "$@"; do [ "$t" = static ] || need_programs=1; done
	# A debug kernel not yet cached (12-24 min of CPU) starts building at
	# the lowest priority while a first 6.1 guest runs: TCG runs a guest
	# in one host thread, and 6.1's suites move little memory (the proxy's
	# big-value suites run on 6.12).  The next guest waits for the build:
	# beside it, a 6.12 guest's 500 MiB replies ran so slowly that its
	# kernel reported a soft lockup clearing huge pages.  A cached kernel
	# returns at once.
	if [ "$1" = 6.1 ] && [[ " $* " == *" debug "* ]]; then
		mkdir -p "$KC_BUILD"
		nice -n 19 "$KC_VM_DIR/debug-kernel.sh" >/dev/null 2>"$KC_BUILD/debug-kernel.log" &
		dk_bg=$!
	fi
	if [ $need_programs = 1 ] && ! build_programs; then
		echo "not ok: userspace or selftests do not build"
		TOT_F=$((TOT_F + 1))
	fi
	for t in "$@"; do
		if [ -n "$dk_bg" ] && [ "$t" != 6.1 ]; then
			kill -0 "$dk_bg" 2>/dev/null && msg "waiting for the debug kernel build (log: $KC_BUILD/debug-kernel.log)"
			# a failed build fails again, with its messages, in its run
			wait "$dk_bg" || true
			dk_bg=
		fi
		if [ "$t" = static ]; then
			check_static
		else
			check_kernel "$t"
		fi
	done
	[ -z "$dk_bg" ] || wait "$dk_bg" || true
	echo "# check $* took $(( $(now) - T_START )) s"
	echo "$TOT_P passed, $TOT_F failed, $TOT_S skipped"
	[ "$TOT_F" -eq 0 ]
}

# ---------------------------------------------------------------- run / shell

QPID='' RPID=''
stop_vm() {
	# make forwards a second SIGTERM to us: finish the shutdown regardless.
	trap '' INT TERM

	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		msg "stopping the VM (unloads kcache and checks the kernel log)"
		timeout 3 sh -c "echo poweroff >'$RUNDIR/ctl.in'" 2>/dev/null || true
		# the proxy saves dump.rdb first when there is a data folder
		for _ in $(seq 1 "$([ -n "${KCACHE_DATA_DIR:-}" ] && echo 600 || echo 60)"); do
			kill -0 "$QPID" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$QPID" 2>/dev/null; then
			msg "the VM did not stop in time: killing QEMU"
			kill -TERM "$QPID" 2>/dev/null || true
			sleep 2
			kill -KILL "$QPID" 2>/dev/null || true
		fi
		wait "$QPID" 2>/dev/null || true
	fi
	if [ -n "$RPID" ]; then
		for _ in 1 2 3 4 5 6; do
			kill -0 "$RPID" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$RPID" 2>/dev/null || true
		wait "$RPID" 2>/dev/null || true
	fi
	QPID='' RPID=''
}

find_proxy() {
	local p
	for p in "${KCACHE_PROXY:-}" "$USERSPACE_OUT/kcache-proxy" "$KC_ROOT/userspace/kcache-proxy"; do
		[ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return; }
	done
}

cmd_run() {
	kc_deps
	build_programs || die "userspace or selftests do not build"
	resolve_kernel 6.12 || die "no 6.12 kernel"
	build_module || die "kcache.ko does not build for $K_VER"
	# Redis-sized values (512 MiB, proto-max-bulk-len) and room for them
	# by default: one such SET holds the value in the proxy and in the
	# item at once, a GET in the item and the proxy's reply.  The proxy
	# keeps memcached's 1 MiB on its memcached port (--memcache-item-max).
	KCACHE_PARAMS=${KCACHE_PARAMS:-memory_mb=2048 item_size_max=536870912}
	[ -n "$VM_MEM_GIVEN" ] || VM_MEM=4G
	RUN_CMD=${KCACHE_RUN_CMD:-}
	if [ -z "$RUN_CMD" ]; then
		local proxy
		proxy=$(find_proxy)
		if [ -z "$proxy" ]; then
			msg "no kcache-proxy built ($USERSPACE_OUT/kcache-proxy): giving you a guest shell instead"
			cmd_shell 6.12
			return
		fi
		RUN_CMD="$proxy ${KCACHE_PROXY_ARGS:-}"
		# the RDB file in the host's DATA_DIR: loaded at start, saved at stop
		[ -n "${KCACHE_DATA_DIR:-}" ] &&
			RUN_CMD="$proxy --dir /tmp/kcache-data --save-on-exit ${KCACHE_PROXY_ARGS:-}"
	fi
	if [ -n "${KCACHE_DATA_DIR:-}" ]; then
		mkdir -p "$KCACHE_DATA_DIR"
		msg "data folder $KCACHE_DATA_DIR (the guest's /tmp/kcache-data)"
	fi
	RUNDIR=$KC_BUILD/vm-run
	rm -rf "$RUNDIR"
	mkdir -p "$RUNDIR"
	local t0 rc=0
	t0=$(now)
	make_initramfs run "$RUNDIR"
	qemu_args "$RUNDIR"
	[ -n "${KCACHE_DATA_DIR:-}" ] &&
		QEMU+=(-virtfs "local,path=$KCACHE_DATA_DIR,mount_tag=kcdata,security_model=none,multidevs=remap")
	mkfifo "$RUNDIR/ctl.in" "$RUNDIR/ctl.out"
	QEMU+=(-serial "file:$RUNDIR/console.log"
		-chardev "pipe,id=ctl,path=$RUNDIR/ctl" -serial chardev:ctl
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$REDIS_PORT-:6379,hostfwd=tcp:127.0.0.1:$MEMCACHE_PORT-:11211"
		-device virtio-net-pci,netdev=n0,romfile=)
	trap stop_vm INT TERM
	trap 'stop_vm' EXIT
	# The reader must outlive a Ctrl-C or SIGTERM to our process group: the
	# guest writes its verdict after we ask it to stop.  It ends at EOF,
	# when QEMU exits.
	# It also answers the guest's "KCACHE-CLOCK?" with the time, at once.
	(trap '' INT TERM
	 while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
		case $line in
		KCACHE-CLOCK*) printf 'clock %s\n' "$(date +%s.%N)" >"$RUNDIR/ctl.in" ;;
		esac
	 done <"$RUNDIR/ctl.out" >"$RUNDIR/result.log") &
	RPID=$!
	# Own session: Ctrl-C reaches us, not QEMU, so the guest can shut down.
	setsid "${QEMU[@]}" </dev/null >"$RUNDIR/qemu.log" 2>&1 &
	QPID=$!
	# QEMU is in its own session: should this script be killed outright,
	# this watchdog still takes QEMU down with it.
	(trap '' INT TERM; while kill -0 $$ 2>/dev/null && kill -0 "$QPID" 2>/dev/null; do
		sleep 1; done; kill "$QPID" 2>/dev/null) &
	msg "booting $K_VER with '$RUN_CMD'; console: $RUNDIR/console.log"
	while kill -0 "$QPID" 2>/dev/null; do
		if grep -q '^KCACHE-READY' "$RUNDIR/result.log" 2>/dev/null; then
			echo "kcache ready: redis-cli -p $REDIS_PORT ping   (memcached: 127.0.0.1:$MEMCACHE_PORT; Ctrl-C stops)"
			msg "ready after $(( $(now) - t0 )) s"
			break
		fi
		sleep 0.5
	done
	wait "$QPID" 2>/dev/null || rc=$?
	QPID=
	sleep 0.5
	stop_vm
	trap - EXIT INT TERM
	grep -q '^KCACHE-READY' "$RUNDIR/result.log" || {
		tr -d '\r' <"$RUNDIR/console.log" | tail -60
		cat "$RUNDIR/qemu.log"
		die "the VM stopped before it was ready (QEMU status $rc)"
	}
	report_verdict "$RUNDIR"
}

report_verdict() {
	local v
	v=$(grep '^KCACHE-VERDICT' "$1/result.log" | tr -d '\r' || true)
	case $v in
	"KCACHE-VERDICT PASS"*) msg "stopped; kernel log, taint and kmemleak clean" ;;
	"") msg "the VM stopped without a verdict; console: $1/console.log"; return 1 ;;
	*)
		sed -n '/^KCACHE-TEST-BEGIN vm/,$p' "$1/result.log" | tr -d '\r' >&2
		msg "stopped; ${v#KCACHE-VERDICT }"
		return 1 ;;
	esac
}

cmd_shell() {
	local kernel=${1:-${VM_KERNEL:-6.12}}
	kc_deps
	build_programs || msg "warning: userspace or selftests do not build"
	resolve_kernel "$kernel" || die "no kernel $kernel"
	build_module || die "kcache.ko does not build for $K_VER"
	RUNDIR=$KC_BUILD/vm-shell
	rm -rf "$RUNDIR"
	mkdir -p "$RUNDIR"
	make_initramfs shell "$RUNDIR"
	qemu_args "$RUNDIR"
	QEMU+=(-serial mon:stdio -serial "file:$RUNDIR/result.log"
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$REDIS_PORT-:6379,hostfwd=tcp:127.0.0.1:$MEMCACHE_PORT-:11211"
		-device virtio-net-pci,netdev=n0,romfile=)
	msg "booting $K_VER; exit the shell to power off (Ctrl-A X kills QEMU)"
	"${QEMU[@]}" || true
	report_verdict "$RUNDIR"
}

# selftests/vm/bench.sh sources this file for its functions only.
[ -n "${KC_VM_NO_MAIN:-}" ] && return 0

case ${1:-} in
check) shift; cmd_check "$@" ;;
run) cmd_run ;;
shell) shift; cmd_shell "$@" ;;
deps) kc_deps ;;
need) shift; kc_need_pkgs "$@" ;;
debug-kernel) "$KC_VM_DIR/debug-kernel.sh" ;;
*) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
