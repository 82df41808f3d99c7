#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the module, printed as one TAP block ("static") in the
# result-channel format that tap.py counts:
#   1. checkpatch.pl --strict on kmod/*.[ch] and uapi/linux/kcache.h:
#      no ERROR, WARNING or CHECK;
#   2. sparse (make C=2) against the stock 6.12 headers: no sparse report;
#   3. the module built with W=1 against the same headers: no "warning:";
#   4. the lock rules in kmod/kcache.h and Documentation/design.rst agree
#      (lock-rules.sh).
#   5. make netlink-gen-check: regenerating the netlink code from its spec
#      (kmod/netlink-gen.[ch], the YNL-GEN block of uapi/linux/kcache.h)
#      with the kernel's YNL generator changes nothing.
#   6. f64_add_test: the kernel's integer double addition and
#      multiplication (kmod/f64.h: sorted-set INCR and weights) match the
#      host FPU bit for bit.
#   7. rdb-unit: the RDB reader and writer's sorted sets (host unit tests,
#      and against the host's redis-server and redis-check-rdb).
#   8. make cmdtable-check: the Redis command table of
#      Documentation/kcache-proxy.rst is what cmdtable.py writes from the
#      proxy's command table (userspace/proxy/tools/), and every Redis
#      command the proxy lacks has a reason.
# checkpatch.pl and its data files come from Debian's linux-source-6.12
# (extracted into build/linux-scripts by `make linux-scripts`).
#
# Ignored checkpatch types, each meaningless for an out-of-tree module:
#   LINUX_VERSION_CODE  kmod/compat.h must test the kernel version: the same
#                       source builds against 6.1 and 6.12;
#   FILE_PATH_CHANGES   asks for MAINTAINERS updates, which only exist in-tree.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kc_need_pkgs sparse perl build-essential python3-yaml python3-jsonschema >&2
make -C "$KC_ROOT" --no-print-directory -s BUILD="$KC_BUILD" linux-scripts >&2 ||
	die "cannot extract checkpatch.pl from linux-source-6.12"

out=$KC_BUILD/static
mkdir -p "$out"
n=0
failed=0
tap=()
result() { # ok|notok description
	n=$((n + 1))
	if [ "$1" = ok ]; then
		tap+=("ok $n $2")
	else
		tap+=("not ok $n $2")
		failed=1
	fi
}

# ---- checkpatch
# The uapi header is checked where it would live in-tree,
# include/uapi/linux/kcache.h: checkpatch exempts include/uapi/ from rules
# that need kernel-only macros (BIT(), __constant_*, ...).  Its YNL-GEN
# block is left out: it is the YNL generator's output, byte for byte
# (result 5), in the generator's style ("};" then "#define X_MAX", which
# --strict reports as LINE_SPACING).  kmod/netlink-gen.[ch] pass as they are.
shopt -s nullglob
kfiles=("$KC_ROOT"/kmod/*.[ch])
: >"$out/checkpatch.log"
cp_run() { # dir files...
	local dir=$1
	shift
	(cd "$dir" && perl "$KC_BUILD/linux-scripts/checkpatch.pl" --strict --no-tree \
		--no-summary --show-types --ignore LINUX_VERSION_CODE,FILE_PATH_CHANGES \
		-f "$@") >>"$out/checkpatch.log" 2>&1
}
nfiles=0
if [ ${#kfiles[@]} -gt 0 ]; then
	cp_run "$KC_ROOT" "${kfiles[@]#"$KC_ROOT/"}"
	nfiles=${#kfiles[@]}
fi
if [ -e "$KC_ROOT/uapi/linux/kcache.h" ]; then
	rm -rf "$out/uapi-tree"
	mkdir -p "$out/uapi-tree/include/uapi/linux"
	sed '/^\/\* YNL-GEN uapi begin/,/^\/\* YNL-GEN uapi end/{//!d}' \
		"$KC_ROOT/uapi/linux/kcache.h" >"$out/uapi-tree/include/uapi/linux/kcache.h"
	cp_run "$out/uapi-tree" include/uapi/linux/kcache.h
	nfiles=$((nfiles + 1))
fi
if [ "$nfiles" -eq 0 ]; then
	result notok "checkpatch: no kmod/*.[ch] to check"
else
	cnt=$(grep -cE '^(ERROR|WARNING|CHECK):' "$out/checkpatch.log")
	if [ "$cnt" -eq 0 ]; then
		result ok "checkpatch --strict ($nfiles files)"
	else
		result notok "checkpatch --strict: $cnt reports (build/static/checkpatch.log)"
		grep -B1 -A3 -E '^(ERROR|WARNING|CHECK):' "$out/checkpatch.log" | sed 's/^/# /'
	fi
fi

# ---- sparse and W=1, against the newest stock 6.12 headers
kver=$(kc_newest_kver '6.12.*+deb12-amd64')
kdir=/lib/modules/$kver/build
[ -e "$kdir/Makefile" ] || kdir=/usr/src/linux-headers-$kver
copy_src() {
	mkdir -p "$1"
	rsync -a --delete --exclude=/.git --exclude=/build --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude='.*.d' \
		--exclude=modules.order --exclude=Module.symvers "$KC_ROOT/" "$1/"
}
if [ -z "$kver" ] || [ ! -e "$kdir/Makefile" ]; then
	result notok "sparse: no 6.12 headers installed"
	result notok "W=1: no 6.12 headers installed"
elif [ ! -e "$KC_ROOT/Kbuild" ]; then
	result notok "sparse: no Kbuild"
	result notok "W=1: no Kbuild"
else
	copy_src "$out/sparse"
	make -C "$kdir" M="$out/sparse" C=2 CHECK="sparse" modules >"$out/sparse.log" 2>&1
	rc=$?
	# sparse reports look like "file:line:col: warning|error: ..."
	cnt=$(grep -cE ':[0-9]+:[0-9]+: (warning|error):' "$out/sparse.log")
	if [ $rc -eq 0 ] && [ "$cnt" -eq 0 ]; then
		result ok "sparse (C=2) against $kver"
	else
		result notok "sparse (C=2) against $kver: $cnt reports, make status $rc"
		grep -E ':[0-9]+:[0-9]+: (warning|error):' "$out/sparse.log" | sed 's/^/# /' | head -100
	fi

	copy_src "$out/w1"
	make -C "$kdir" M="$out/w1" W=1 modules >"$out/w1.log" 2>&1
	rc=$?
	cnt=$(grep -c 'warning:' "$out/w1.log")
	if [ $rc -eq 0 ] && [ "$cnt" -eq 0 ]; then
		result ok "W=1 build against $kver"
	else
		result notok "W=1 build against $kver: $cnt warnings, make status $rc"
		grep -E 'warning:|error:' "$out/w1.log" | sed 's/^/# /' | head -100
	fi
fi

# ---- the lock rules, written in kmod/kcache.h, mirrored in design.rst
if "$(dirname "$0")/lock-rules.sh" "$KC_ROOT" >"$out/lock-rules.log" 2>&1; then
	result ok "lock rules: kmod/kcache.h and Documentation/design.rst agree"
else
	result notok "lock rules: kmod/kcache.h and Documentation/design.rst disagree"
	sed 's/^/# /' "$out/lock-rules.log"
fi

# ---- the generated netlink code is what the spec gives
if make -C "$KC_ROOT" --no-print-directory -s BUILD="$KC_BUILD" netlink-gen-check \
	>"$out/netlink-gen.log" 2>&1; then
	result ok "netlink-gen-check: the generated netlink code is what the spec gives"
else
	result notok "netlink-gen-check: regenerating changes the netlink code (build/static/netlink-gen.log)"
	sed 's/^/# /' "$out/netlink-gen.log" | head -100
fi

# ---- sorted-set scores: the soft-float addition against the FPU
if cc -O2 -Wall -Wextra -Werror -o "$out/f64_add_test" \
	"$KC_ROOT/selftests/f64_add_test.c" -lm >"$out/f64.log" 2>&1 &&
	"$out/f64_add_test" >>"$out/f64.log" 2>&1; then
	result ok "f64_add_test: kc_f64_add() and kc_f64_mul() match the FPU ($(tail -1 "$out/f64.log" | cut -d: -f2))"
else
	result notok "f64_add_test: kc_f64_add() or kc_f64_mul() differs from the FPU (build/static/f64.log)"
	sed 's/^/# /' "$out/f64.log" | head -20
fi

# ---- RDB sorted sets: unit tests, then against redis-server 7.0
if make -C "$KC_ROOT/userspace" --no-print-directory -s BUILD="$KC_BUILD" rdb-unit \
	>"$out/rdb-unit.log" 2>&1; then
	result ok "rdb-unit: sorted sets read and written as redis-server 7.0 ($(grep -c '^ok' "$out/rdb-unit.log") checks)"
else
	result notok "rdb-unit: sorted-set RDB checks failed (build/static/rdb-unit.log)"
	grep -v '^ok' "$out/rdb-unit.log" | sed 's/^/# /' | head -40
fi

# ---- the Redis command table of kcache-proxy.rst is the proxy's
if make -C "$KC_ROOT" --no-print-directory -s cmdtable-check \
	>"$out/cmdtable.log" 2>&1; then
	result ok "command table: Documentation/kcache-proxy.rst is what userspace/proxy/tools/cmdtable.py writes"
else
	result notok "command table: Documentation/kcache-proxy.rst is stale or a reason is missing (build/static/cmdtable.log)"
	sed 's/^/# /' "$out/cmdtable.log" | head -100
fi

echo "KCACHE-TEST-BEGIN static"
echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${tap[@]}"
echo "KCACHE-TEST-END static rc=$failed secs=0"
exit $failed
