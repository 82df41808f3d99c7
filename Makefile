# SPDX-License-Identifier: GPL-2.0
#
# kcache: build, install and test.  The module itself is described by Kbuild;
# this file drives it, the userspace and the selftests, and the VM harness in
# selftests/vm/.  See README.md and Documentation/testing.rst.
#
#   make [all]        kcache.ko against $(KDIR), userspace, selftests
#   make check        every VM run (6.1, 6.12, debug) + static checks
#   make check-quick  the stock 6.12 VM run only
#   make check-6.1 | check-6.12 | check-debug | static-check
#   make fuzz-kernel [SECONDS=600] [SEED=n]  long fuzzing on the debug kernel
#   make run          kcache + kcache-proxy in a 6.12 VM, ports on the host
#   make shell        guest shell with kcache.ko loaded (VM_KERNEL=6.1|6.12|debug)
#   make bench        one 6.12 VM: kcache vs redis-server and memcached, table,
#                     build/bench/results.json and a chart (Documentation/performance.rst)
#   make python       the Python package (C extension) into build/python/lib
#   make netlink-gen  regenerate the netlink code from its YAML spec
#   make netlink-gen-check  fail unless regenerating it changes nothing
#   make cmdtable     regenerate the Redis command table of kcache-proxy.rst
#   make cmdtable-check  fail unless regenerating it changes nothing
#   make install      modules_install + programs to $(PREFIX)/bin + depmod,
#                     and the Python package (pip, offline)
#   make clean
#
# Variables: KDIR, BUILD, KCACHE_PARAMS (module parameters for the VM runs),
# KCACHE_TESTS, VM_TIMEOUT, TEST_TIMEOUT, VM_MEM, VM_SMP, REDIS_PORT,
# MEMCACHE_PORT, KCACHE_CACHE, PREFIX.

SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(SRC)/build

# Kernel to build against: the running kernel's build tree if it has one,
# else the newest installed Debian headers (not the -common half).
KDIR ?= $(or $(patsubst %/Makefile,%,$(wildcard /lib/modules/$(shell uname -r)/build/Makefile)),\
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1))
KVER = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

# kselftest.h and kselftest_harness.h, extracted from Debian's linux-source-6.12
# at build time (never committed).  The selftests compile with -I$(KSFT_INC).
LINUX_SRC_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
KSFT_INC := $(BUILD)/kselftest
# checkpatch.pl with its data files, from the same tarball.
LINUX_SCRIPTS := $(BUILD)/linux-scripts
# The kernel's netlink spec schemas and YNL library (selftests/kcache_spec.py)
# and its YNL C generator (kmod/ynl-gen.py).
KERNEL_NETLINK := $(BUILD)/kernel-netlink
KERNEL_NETLINK_FILES := Documentation/netlink/genetlink-c.yaml \
	tools/net/ynl/lib/__init__.py tools/net/ynl/lib/nlspec.py \
	tools/net/ynl/lib/ynl.py tools/net/ynl/ynl-gen-c.py
YNL_GEN_C := $(KERNEL_NETLINK)/tools/net/ynl/ynl-gen-c.py

PREFIX ?= /usr/local
# Where make install puts kcache.service.
UNITDIR ?= /etc/systemd/system
VM := $(SRC)/selftests/vm/vm.sh

export KCACHE_PARAMS KCACHE_TESTS VM_TIMEOUT TEST_TIMEOUT VM_MEM VM_SMP \
	REDIS_PORT MEMCACHE_PORT KCACHE_CACHE KCACHE_RUN_CMD KCACHE_PROXY_ARGS \
	VM_KERNEL VM_ACCEL VM_APPEND KCACHE_TEST_ENV
export KC_BUILD := $(BUILD)

all: module userspace selftests python

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(SRC) modules

userspace:
	@if [ -f $(SRC)/userspace/Makefile ]; then \
		$(MAKE) -C $(SRC)/userspace BUILD=$(BUILD); fi

# The Python package kcache (userspace/python, Documentation/python.rst),
# built with Debian's python3-setuptools into $(BUILD)/python/lib, where the
# tests import it from (PYTHONPATH); `make install` installs it with pip.
PYTHON ?= /usr/bin/python3
PY_BUILD := $(BUILD)/python
# Without python3-dev or python3-setuptools it is skipped with a notice (the
# VM tests then report it missing); `make deps` installs both.
python:
	@if ! $(PYTHON) -c 'import os, sys, sysconfig, setuptools; \
		sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
		2>/dev/null; then \
		echo "python: skipped: needs python3-dev and python3-setuptools (make deps)" >&2; \
	elif [ -f $(SRC)/userspace/python/setup.py ]; then \
		cd $(SRC)/userspace/python && KCACHE_WERROR=1 $(PYTHON) setup.py -q build \
		--build-base $(PY_BUILD) --build-lib $(PY_BUILD)/lib \
		--build-temp $(PY_BUILD)/temp; fi

selftests: kselftest-headers userspace python
	@if [ -f $(SRC)/selftests/Makefile ]; then \
		$(MAKE) -C $(SRC)/selftests BUILD=$(BUILD) KSFT_INC=$(KSFT_INC); fi

kselftest-headers: $(KSFT_INC)/kselftest_harness.h $(KERNEL_NETLINK)/.stamp

# One pass over the tarball for everything we take from it.  KERNEL_NETLINK
# gets the netlink spec schemas, the YNL library for kcache_spec.py and the
# YNL generator for netlink-gen.
$(KSFT_INC)/kselftest_harness.h $(LINUX_SCRIPTS)/checkpatch.pl $(KERNEL_NETLINK)/.stamp \
		$(YNL_GEN_C) &:
	@test -e $(LINUX_SRC_TARBALL) || $(VM) need linux-source-6.12
	@mkdir -p $(BUILD)/linux-src.tmp $(KSFT_INC) $(LINUX_SCRIPTS) $(KERNEL_NETLINK)
	tar -xJf $(LINUX_SRC_TARBALL) -C $(BUILD)/linux-src.tmp --strip-components=1 \
		--occurrence=1 \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch \
		$(addprefix linux-source-6.12/,$(KERNEL_NETLINK_FILES))
	cp $(BUILD)/linux-src.tmp/tools/testing/selftests/kselftest*.h $(KSFT_INC)/
	cp $(BUILD)/linux-src.tmp/scripts/checkpatch.pl $(BUILD)/linux-src.tmp/scripts/spelling.txt \
		$(BUILD)/linux-src.tmp/scripts/const_structs.checkpatch $(LINUX_SCRIPTS)/
	cd $(BUILD)/linux-src.tmp && cp --parents $(KERNEL_NETLINK_FILES) $(KERNEL_NETLINK)/
	rm -rf $(BUILD)/linux-src.tmp
	@touch $(KSFT_INC)/kselftest_harness.h $(LINUX_SCRIPTS)/checkpatch.pl $(KERNEL_NETLINK)/.stamp \
		$(YNL_GEN_C)

linux-scripts: $(LINUX_SCRIPTS)/checkpatch.pl

# Documentation/netlink/specs/kcache.yaml is the one source of the netlink
# family: the kernel's YNL generator (from linux-source-6.12, never
# committed) writes kmod/netlink-gen.[ch] and the YNL-GEN block of
# uapi/linux/kcache.h from it (kmod/ynl-gen.py says how).  The generated
# files are committed; netlink-gen-check (a static check) fails, showing
# the diff, when regenerating would change them.
netlink-gen: $(YNL_GEN_C)
	python3 $(SRC)/kmod/ynl-gen.py --ynl $(dir $(YNL_GEN_C))

netlink-gen-check: $(YNL_GEN_C)
	python3 $(SRC)/kmod/ynl-gen.py --ynl $(dir $(YNL_GEN_C)) --check

# The Redis command table of Documentation/kcache-proxy.rst is written by
# userspace/proxy/tools/cmdtable.py from the proxy's own command table, a
# committed list of Redis 7.0.15's commands and hand-written notes (no
# server needed); cmdtable-check (a static check) fails, showing the diff,
# when regenerating would change it.
cmdtable:
	python3 $(SRC)/userspace/proxy/tools/cmdtable.py

cmdtable-check:
	python3 $(SRC)/userspace/proxy/tools/cmdtable.py --check

check:
	$(VM) check 6.1 6.12 debug static

# Every suite on every kernel: make check runs a suite tagged "kernels=" in
# selftests/TESTS on those kernels only (Documentation/testing.rst).
check-long:
	KCACHE_LONG=1 $(VM) check 6.1 6.12 debug static

check-quick check-6.12:
	$(VM) check 6.12

check-6.1:
	$(VM) check 6.1

check-debug:
	$(VM) check debug

# The two fuzzers in long mode on the debug kernel: SECONDS each (600 by
# default), SEED to change the seed; prints the calls per entry point.
# See "Reliability" in Documentation/testing.rst.
SECONDS ?= 600
fuzz-kernel:
	@rc=0; KCACHE_TESTS="kcache_fuzz_ioctl kcache_fuzz_netlink" \
	KCACHE_TEST_ENV="KC_FUZZ_SECONDS=$(SECONDS)$(if $(SEED), KC_FUZZ_SEED=$(SEED))" \
	TEST_TIMEOUT=$$(( $(SECONDS) + 900 )) VM_TIMEOUT=$$(( 2 * $(SECONDS) + 2400 )) \
		$(VM) check debug || rc=$$?; \
	grep -h '^# KCFUZZ' $(BUILD)/vm-debug/result.log | tr -d '\r'; exit $$rc

static-check: linux-scripts
	$(VM) check static

debug-kernel:
	$(VM) debug-kernel

deps:
	$(VM) deps

# make run: dump.rdb lives in this host folder across runs (empty: none).
DATA_DIR ?= $(BUILD)/data

run:
	$(if $(DATA_DIR),mkdir -p $(DATA_DIR))
	KCACHE_DATA_DIR=$(if $(DATA_DIR),$(abspath $(DATA_DIR))) $(VM) run

shell:
	$(VM) shell

# Not a test: numbers, compared within one VM boot (selftests/vm/bench.sh).
bench:
	$(SRC)/selftests/vm/bench.sh

# Programs the userspace build produces, installed when present.
PROGRAMS := kcache-cli kcache-proxy

install: module userspace
	$(MAKE) -C $(KDIR) M=$(SRC) INSTALL_MOD_DIR=extra \
		CONFIG_MODULE_SIG_ALL= $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	@for p in $(PROGRAMS); do \
		if [ -x $(BUILD)/userspace/$$p ]; then \
			echo "install $$p $(DESTDIR)$(PREFIX)/bin/$$p"; \
			install -D -m 755 $(BUILD)/userspace/$$p $(DESTDIR)$(PREFIX)/bin/$$p; \
		fi; done
	@# The unit: load the module, run the proxy on /var/lib/kcache, save
	@# at stop (Documentation/persistence.rst); not enabled here.
	mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|@PREFIX@|$(PREFIX)|' $(SRC)/userspace/systemd/kcache.service \
		>$(DESTDIR)$(UNITDIR)/kcache.service
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)
	@# Debian's pip installs under /usr/local by itself and adds "local/" to
	@# any --prefix it is given: pass one only for another PREFIX.
	$(PYTHON) -m pip install --no-build-isolation --no-index --no-deps \
		--break-system-packages $(if $(filter /usr/local,$(PREFIX)),,--prefix $(PREFIX)) \
		$(if $(DESTDIR),--root $(DESTDIR)) $(SRC)/userspace/python

clean:
	@if [ -n "$(KDIR)" ] && [ -e $(KDIR)/Makefile ] && [ -e $(SRC)/Kbuild ]; then \
		$(MAKE) -C $(KDIR) M=$(SRC) clean; fi
	@if [ -f $(SRC)/userspace/Makefile ]; then $(MAKE) -C $(SRC)/userspace BUILD=$(BUILD) clean; fi
	@if [ -f $(SRC)/selftests/Makefile ]; then $(MAKE) -C $(SRC)/selftests BUILD=$(BUILD) clean; fi
	rm -rf $(BUILD) $(SRC)/userspace/python/build $(SRC)/userspace/python/kcache.egg-info

.PHONY: all module userspace selftests python kselftest-headers linux-scripts check \
	check-long check-quick check-6.1 check-6.12 check-debug fuzz-kernel static-check debug-kernel \
	netlink-gen netlink-gen-check cmdtable cmdtable-check \
	deps run shell bench install clean
