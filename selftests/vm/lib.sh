# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the kcache VM harness (sourced, not executed).

KC_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KC_ROOT=${KC_ROOT:-$(cd "$KC_VM_DIR/../.." && pwd)}
KC_BUILD=${KC_BUILD:-$KC_ROOT/build}
KC_CACHE=${KCACHE_CACHE:-/var/cache/kcache}
KC_SRC_TARBALL=${KC_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

msg() { printf '[kcache-vm] %s\n' "$*" >&2; }
die() { printf '[kcache-vm] error: %s\n' "$*" >&2; exit 1; }

# Packages every harness entry point needs.  Kernel packages come from
# kc_kernel_pkgs because the 6.12 image name carries its version.
KC_BASE_PKGS=(build-essential bc flex bison libelf-dev libssl-dev cpio
	xz-utils kmod dwarves rsync perl python3 pkg-config
	qemu-system-x86 busybox-static sparse
	libnl-3-dev libnl-genl-3-dev python3-yaml python3-jsonschema
	redis-server redis-tools memcached python3-redis python3-pymemcache
	python3-dev python3-setuptools python3-pytest
	libmemcached-tools clang libclang-rt-14-dev)

kc_apt_updated=
kc_apt_update() {
	[ -n "$kc_apt_updated" ] && return 0
	msg "apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
	kc_apt_updated=1
}

kc_pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Install whatever of "$@" is missing; quick when all are present.
kc_need_pkgs() {
	local p missing=()
	for p in "$@"; do
		kc_pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	kc_apt_update
	msg "apt-get install ${missing[*]}"
	# Services (redis, memcached) must not start on the host because of us.
	local prc=/usr/sbin/policy-rc.d created=
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && created=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2
	local rc=$?
	[ -n "$created" ] && rm -f "$prc"
	[ $rc -eq 0 ] || die "apt-get install ${missing[*]} failed"
}

# Name of the newest bookworm 6.12 image package (linux-image-6.12.N+deb12-amd64-unsigned).
kc_newest_612_image_pkg() {
	local p
	p=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -1)
	if [ -z "$p" ]; then
		kc_apt_update
		p=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
			awk '{print $1}' | sort -V | tail -1)
	fi
	[ -n "$p" ] || die "no linux-image-6.12.*+deb12-amd64-unsigned package in the apt lists"
	echo "$p"
}

kc_kernel_pkgs() {
	local img ver
	img=$(kc_newest_612_image_pkg)
	ver=${img#linux-image-}
	ver=${ver%-unsigned}
	echo linux-image-amd64 linux-headers-amd64 "$img" "linux-headers-$ver" linux-source-6.12
}

kc_deps() {
	# shellcheck disable=SC2046
	kc_need_pkgs "${KC_BASE_PKGS[@]}" $(kc_kernel_pkgs)
}

# Newest installed kernel release matching a glob on /boot/vmlinuz-*.
kc_newest_kver() {
	local pat=$1 f best=
	for f in /boot/vmlinuz-$pat; do
		[ -e "$f" ] || continue
		best+="${f#/boot/vmlinuz-}"$'\n'
	done
	printf '%s' "$best" | sort -V | tail -1
}
