#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the kcache debug kernel: Debian's linux-source-6.12,
# `make tinyconfig` + selftests/vm/debug.config, bzImage + modules (which also
# prepares the tree for out-of-tree module builds and writes Module.symvers).
#
# The result lives outside the work tree, keyed by the fragment, the source
# package version and the compiler, so every checkout and CI run on one
# machine shares it:
#   ${KCACHE_CACHE:-/var/cache/kcache}/debug-kernel-<sha256>/
#     bzImage  kernel.release  obj/ (O= build dir, the KDIR for modules)
# The source is unpacked once per package version in linux-source-<version>/.
#
# Usage: debug-kernel.sh [--print-dir]   (prints the cache dir on stdout)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kc_need_pkgs build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils \
	kmod linux-source-6.12

frag=$KC_VM_DIR/debug.config
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { cat "$frag"; echo "linux-source-6.12 $srcver"; gcc --version | head -1; } |
	sha256sum | cut -c1-16)
out=$KC_CACHE/debug-kernel-$key
src=$KC_CACHE/linux-source-$srcver

if [ -e "$out/.done" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$KC_CACHE"
# One builder at a time per machine; others wait and then reuse the result.
exec 9>"$KC_CACHE/.debug-kernel.lock"
if ! flock -n 9; then
	msg "waiting for another debug kernel build to finish"
	flock 9
fi
if [ -e "$out/.done" ]; then
	echo "$out"
	exit 0
fi

# Under the lock, a debug kernel without .done is a failed or interrupted
# build, and another source version is an old package: both are garbage.
for d in "$KC_CACHE"/debug-kernel-* "$KC_CACHE"/linux-source-*; do
	[ -d "$d" ] || continue
	case $d in
	"$src" | "$out") ;;
	*/linux-source-*) msg "removing old $d"; rm -rf "$d" ;;
	*) [ -e "$d/.done" ] || { msg "removing unfinished $d"; rm -rf "$d"; } ;;
	esac
done

start=$(date +%s)
if [ ! -e "$src/.unpacked" ]; then
	msg "unpacking $KC_SRC_TARBALL to $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$KC_SRC_TARBALL" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi

rm -rf "$out"
mkdir -p "$out/obj"
obj=$out/obj
mk() { make -C "$src" O="$obj" -s "$@"; }

msg "configuring (tinyconfig + $frag) in $obj"
mk tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >"$out/merge.log"
mk olddefconfig

# merge_config.sh drops an option a dependency forbids without failing: check
# every line of the fragment against the final .config.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*}
	want=${line#*=}
	if [ "$want" = n ]; then
		if grep -q "^$opt=" "$obj/.config"; then
			msg "debug.config: $opt should be off but is $(grep "^$opt=" "$obj/.config")"
			bad=1
		fi
	elif ! grep -qxF "$line" "$obj/.config"; then
		have=$(grep -E "^($opt=|# $opt is not set)" "$obj/.config" || echo "$opt absent")
		msg "debug.config: wanted $line, merged .config has: $have"
		bad=1
	fi
done <"$frag"
[ $bad -eq 0 ] || die "merged .config lacks options from $frag (fix their dependencies)"

msg "building bzImage + modules with -j$(nproc) (log: $out/build.log)"
if ! mk -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	die "debug kernel build failed; full log in $out/build.log"
fi
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"
mk -s kernelrelease >"$out/kernel.release"
touch "$out/.done"
msg "debug kernel $(cat "$out/kernel.release") built in $(( $(date +%s) - start )) s: $out"
echo "$out"
