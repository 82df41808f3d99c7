#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the kcache test VM (busybox sh).  Packed into the initramfs by
# selftests/vm/vm.sh together with /etc/kcache-vm/{conf,tests,modules.*}.
#
# Modes (KC_MODE in /etc/kcache-vm/conf):
#   check  insmod kcache.ko, run every test, rmmod, check the kernel log,
#          kmemleak and taint, write a verdict, power off.
#   run    insmod, bring up the network, start the proxy, report READY and
#          wait for "poweroff" on the result channel, then check as above.
#   shell  insmod and hand the console to an interactive shell.
#
# The console (ttyS0) carries kernel messages and test output for people.
# The result channel (ttyS1) carries only what the host parses:
#   KCACHE-TEST-BEGIN <name> / raw TAP of the test / KCACHE-TEST-END <name> rc=N secs=N
#   KCACHE-TEST-SKIP <name> <reason>      (counted as one skipped test)
#   KCACHE-TEST-NOTRUN <name> <reason>    (counted as one failed test)
#   KCACHE-READY ..., KCACHE-VERDICT PASS | KCACHE-VERDICT FAIL <reasons>

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The initramfs root is writable already; no tmpfs over /tmp, which may hold
# the test programs (a work tree under /tmp).
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

. /etc/kcache-vm/conf

RES=/dev/ttyS1
stty -F "$RES" -echo -onlcr 2>/dev/null
res() { echo "$*" >"$RES"; }
say() { echo "kcache-vm: $*"; }
kmsg() { echo "kcache-vm: $*" >/dev/kmsg; }

FAILS=
fail() { FAILS="$FAILS${FAILS:+; }$*"; }

# Our own TAP block "vm" for what the harness checks around the tests.
VM_N=0
VM_TAP=/tmp/vm.tap
: >"$VM_TAP"
vm_ok() { VM_N=$((VM_N + 1)); echo "ok $VM_N $*" >>"$VM_TAP"; }
vm_notok() { VM_N=$((VM_N + 1)); echo "not ok $VM_N $*" >>"$VM_TAP"; fail "$*"; }

finish() {
	res "KCACHE-TEST-BEGIN vm"
	{ echo "TAP version 13"; echo "1..$VM_N"; cat "$VM_TAP"; } | tee "$RES"
	res "KCACHE-TEST-END vm rc=0 secs=0"
	if [ -z "$FAILS" ]; then
		res "KCACHE-VERDICT PASS"
		say "verdict: PASS"
	else
		res "KCACHE-VERDICT FAIL $FAILS"
		say "verdict: FAIL: $FAILS"
	fi
	sync
	sleep 1
	# -no-reboot turns the reset into a QEMU exit, with or without ACPI.
	reboot -f
	sleep 5
	echo b >/proc/sysrq-trigger
}

load_modules() {
	[ -s "$1" ] || return 0
	while read -r m; do
		insmod "/lib/kcache-vm/$m" || { say "insmod $m failed"; return 1; }
	done <"$1"
}

# Run "$@" in the environment the tests see: the host root (chroot) for stock
# kernels, the initramfs itself for the debug kernel.  "in_root exec ..."
# replaces the calling (sub)shell, so that $! of "(in_root exec ...) &" is
# the program itself.
#
# KCACHE_MODULE and KCACHE_PARAMS let a test reload kcache.ko itself
# (init_module(2) on that file with those parameters): the copy in the
# initramfs, or under the host root the file the host built, at the same
# path.  $KC_TEST_ENV adds the host's KCACHE_TEST_ENV words.
in_root() {
	x=
	[ "$1" = exec ] && { x=exec; shift; }
	if [ "$KC_HOSTROOT" = 1 ]; then
		# shellcheck disable=SC2086
		$x chroot /host /usr/bin/env -i PATH="$PATH" HOME=/tmp TMPDIR=/tmp \
			TERM=dumb LANG=C.UTF-8 KCACHE_VM=1 KCACHE_KERNEL="$KC_KERNEL" \
			KCACHE_ROOT="$KC_ROOT" KCACHE_BUILD="$KC_BUILD" \
			KCACHE_MODULE="$KC_MODULE" KCACHE_PARAMS="$KC_PARAMS" \
			$KC_TEST_ENV "$@"
	else
		# shellcheck disable=SC2086
		$x env -i PATH="$PATH" HOME=/tmp TMPDIR=/tmp TERM=dumb KCACHE_VM=1 \
			KCACHE_KERNEL="$KC_KERNEL" KCACHE_ROOT="$KC_ROOT" \
			KCACHE_BUILD="$KC_BUILD" \
			KCACHE_MODULE=/lib/kcache-vm/kcache.ko KCACHE_PARAMS="$KC_PARAMS" \
			$KC_TEST_ENV "$@"
	fi
}

setup_hostroot() {
	load_modules /etc/kcache-vm/modules.9p || return 1
	mkdir -p /host
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /host ||
		return 1
	# The tmpfs mounts below hide the host's /tmp, /run, /var/tmp: keep the
	# work tree visible if it lives there (a CI checkout in /tmp, say).
	keep=
	for d in "$KC_ROOT" "$KC_BUILD"; do
		case $d in
		/tmp/* | /run/* | /var/tmp/* | /dev/*)
			mkdir -p "/keep$d" && mount -o bind "/host$d" "/keep$d" && keep="$keep $d" ;;
		esac
	done
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs devtmpfs /host/dev &&
	mount -t devpts devpts /host/dev/pts &&
	mount -t tmpfs tmpfs /host/dev/shm &&
	mount -t tmpfs tmpfs /host/tmp &&
	mount -t tmpfs tmpfs /host/run &&
	mount -t tmpfs tmpfs /host/var/tmp || return 1
	mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
	for d in $keep; do
		mkdir -p "/host$d" && mount -o bind "/keep$d" "/host$d" || return 1
	done
	return 0
}

# The boot sets the clock from the emulated RTC in whole seconds, so the
# guest ran up to a second behind the host, and clients on the host that
# send absolute times (SET PXAT, EXPIREAT) saw TTLs off by that much.  Asks
# the host for its time on the result channel (vm.sh answers at once) and
# sets the clock to it, corrected by half the round trip, as NTP does.
sync_clock() {
	[ "$KC_HOSTROOT" = 1 ] || return 0
	# shellcheck disable=SC2016
	in_root python3 -c '
import os, select, sys, time
t0 = time.clock_gettime_ns(time.CLOCK_REALTIME)
os.write(3, b"KCACHE-CLOCK?\n")
line = b""
while not line.endswith(b"\n"):
    if not select.select([3], [], [], 5)[0]:
        sys.exit("no answer")
    b = os.read(3, 64)
    if not b:
        sys.exit("no answer")
    line += b
t1 = time.clock_gettime_ns(time.CLOCK_REALTIME)
word = line.split()
if len(word) != 2 or word[0] != b"clock":
    sys.exit("bad answer %r" % line)
sec, _, frac = word[1].decode().partition(".")
host = int(sec) * 10**9 + int((frac + "000000000")[:9])
off = host - (t0 + t1) // 2
time.clock_settime_ns(time.CLOCK_REALTIME,
                      time.clock_gettime_ns(time.CLOCK_REALTIME) + off)
print("clock moved by %.1f ms (round trip %.1f ms)" % (off / 1e6, (t1 - t0) / 1e6))
' 3<>"$RES" && return 0
	say "clock not set from the host"
}

setup_net() {
	load_modules /etc/kcache-vm/modules.net || return 1
	ip link set lo up || return 1
	ip link set eth0 up &&
	ip addr add 10.0.2.15/24 dev eth0 &&
	ip route add default via 10.0.2.2
}

# Is something listening on every TCP port of "$@" (any address)?
listening() {
	for p in "$@"; do
		p=$(printf '%04X' "$p")
		grep -qs ":$p [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 || return 1
	done
}

taint() { cat /proc/sys/kernel/tainted; }

run_test() {
	name=$1 path=$2 tags=$3
	case " $tags " in
	*" needs-host "*)
		if [ "$KC_HOSTROOT" != 1 ]; then
			res "KCACHE-TEST-SKIP $name needs the host root (stock kernels only)"
			say "skip $name: needs-host"
			return
		fi ;;
	esac
	if [ "$KC_LOADED" != 1 ]; then
		res "KCACHE-TEST-NOTRUN $name kcache.ko is not loaded"
		return
	fi
	tmo=$KC_TEST_TIMEOUT
	for t in $tags; do
		case $t in timeout=[0-9]*) tmo=${t#timeout=} ;; esac
	done
	say "running $name"
	kmsg "test $name begins"
	res "KCACHE-TEST-BEGIN $name"
	t0=$(date +%s)
	{
		in_root /bin/sh -c 'cd "$1" && exec timeout -k 10 "$2" "$3"' sh \
			"${path%/*}" "$tmo" "$path" </dev/null 2>&1
		echo $? >/tmp/rc
	} | tee "$RES"
	rc=$(cat /tmp/rc)
	secs=$(($(date +%s) - t0))
	res "KCACHE-TEST-END $name rc=$rc secs=$secs"
	if [ "$rc" = 124 ] || { [ "$rc" -ge 128 ] && [ "$secs" -ge "$tmo" ]; }; then
		res "KCACHE-TEST-TIMEOUT $name after ${tmo}s"
		fail "$name timed out after ${tmo}s"
	else
		case $rc in 0 | 4) ;; *) fail "$name exited with $rc" ;; esac
	fi
	kmsg "test $name ends rc=$rc"
}

# Everything after the marker is what kcache caused.
check_kernel() {
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	if [ "$KC_LOADED" = 1 ]; then
		if rmmod kcache; then
			vm_ok "rmmod kcache"
		else
			vm_notok "rmmod kcache"
		fi
	fi

	if [ -e /sys/kernel/debug/kmemleak ]; then
		say "kmemleak scan (twice)"
		sleep 2
		echo scan >/sys/kernel/debug/kmemleak
		sleep 5
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >/tmp/kmemleak
		if [ -s /tmp/kmemleak ]; then
			tee "$RES" </tmp/kmemleak
			vm_notok "kmemleak: unreferenced objects after rmmod"
		else
			vm_ok "kmemleak clean"
		fi
	else
		vm_ok "kmemleak clean # SKIP kernel without kmemleak"
	fi

	dmesg | sed -n '/kcache-vm: marker before insmod/,$p' >/tmp/dmesg.run
	grep -E "$KC_BAD_PATTERNS" /tmp/dmesg.run >/tmp/dmesg.bad
	if [ -s /tmp/dmesg.bad ]; then
		res "# kernel log since insmod:"
		sed 's/^/# /' /tmp/dmesg.run | tee "$RES" >/dev/null
		vm_notok "kernel log clean ($(wc -l </tmp/dmesg.bad) bad lines, first: $(head -1 /tmp/dmesg.bad | tr -d '\r'))"
	else
		vm_ok "kernel log clean"
	fi

	t1=$(taint)
	# 4096 (O, out-of-tree) and 8192 (E, unsigned) are expected from insmod.
	new=$(( (t1 & ~T0) & ~(4096 | 8192) ))
	if [ "$new" -ne 0 ]; then
		vm_notok "taint unchanged (was $T0, now $t1)"
	else
		vm_ok "taint unchanged ($t1)"
	fi
}

# Shortly before the host kills a hung VM, dump the blocked tasks and every
# CPU's backtrace to the console, so a timeout comes with a reason.
if [ "$KC_MODE" = check ] && [ "${KC_VM_TIMEOUT:-0}" -gt 60 ]; then
	(sleep $((KC_VM_TIMEOUT - 30)); say "about to time out: blocked tasks and CPU backtraces follow";
		echo w >/proc/sysrq-trigger; echo l >/proc/sysrq-trigger) &
	WATCHDOG=$!
fi

say "booted $(uname -r), mode $KC_MODE"
res "KCACHE-VM-BEGIN $(uname -r) mode=$KC_MODE"

if [ "$KC_HOSTROOT" = 1 ]; then
	if setup_hostroot; then
		vm_ok "mount host root over 9p"
	else
		vm_notok "mount host root over 9p"
		KC_HOSTROOT=0
	fi
fi
if [ "$KC_MODE" != check ]; then
	[ "$KC_MODE" = run ] && sync_clock
	setup_net || say "network setup failed"
else
	ip link set lo up 2>/dev/null
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	# Forget what boot itself leaked: only leaks from here on count.
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi

T0=$(taint)
kmsg "marker before insmod"
KC_LOADED=0
# shellcheck disable=SC2086
if insmod /lib/kcache-vm/kcache.ko $KC_PARAMS; then
	KC_LOADED=1
	vm_ok "insmod kcache.ko${KC_PARAMS:+ $KC_PARAMS}"
else
	vm_notok "insmod kcache.ko${KC_PARAMS:+ $KC_PARAMS}"
fi

case $KC_MODE in
check)
	while IFS='|' read -r name path tags; do
		[ -n "$name" ] && run_test "$name" "$path" "$tags"
	done </etc/kcache-vm/tests
	;;
run)
	# the host's DATA_DIR (9p is loaded with the host root)
	if [ "${KC_DATA:-0}" = 1 ] && [ "$KC_HOSTROOT" = 1 ]; then
		mkdir -p /host/tmp/kcache-data
		if mount -t 9p -o trans=virtio,version=9p2000.L kcdata /host/tmp/kcache-data; then
			say "data folder mounted at /tmp/kcache-data"
		else
			res "KCACHE-RUN-FAILED cannot mount the data folder"
			vm_notok "mount the data folder"
			KC_LOADED=0
		fi
	fi
	if [ "$KC_LOADED" = 1 ]; then
		say "starting: $KC_RUN_CMD"
		# shellcheck disable=SC2086
		(in_root exec $KC_RUN_CMD >/tmp/run.log 2>&1) &
		pid=$!
		i=0
		until listening $KC_READY_PORTS; do
			if ! kill -0 $pid 2>/dev/null || [ $i -ge 600 ]; then
				cat /tmp/run.log
				res "KCACHE-RUN-FAILED $KC_RUN_CMD exited or did not listen on $KC_READY_PORTS"
				vm_notok "start $KC_RUN_CMD"
				break
			fi
			sleep 0.2
			i=$((i + 1))
		done
		if kill -0 $pid 2>/dev/null && listening $KC_READY_PORTS; then
			res "KCACHE-READY"
			say "ready; the host stops the VM with 'poweroff' on the result channel"
			while read -r cmd <"$RES"; do
				[ "$cmd" = poweroff ] && break
			done
			kill $pid 2>/dev/null
			wait $pid
			sync
			say "output of $KC_RUN_CMD:"
			tail -50 /tmp/run.log
		fi
	fi
	;;
shell)
	res "KCACHE-READY shell"
	say "kcache.ko loaded; exit the shell to unload it and power off"
	if [ "$KC_HOSTROOT" = 1 ]; then
		setsid cttyhack chroot /host /usr/bin/env -i PATH="$PATH" HOME=/tmp \
			TERM="${KC_TERM:-linux}" KCACHE_VM=1 /bin/bash -i
	else
		setsid cttyhack sh -i
	fi
	;;
esac

check_kernel
finish
