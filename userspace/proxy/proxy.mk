# SPDX-License-Identifier: GPL-2.0
#
# kcache-proxy, included by userspace/Makefile (which defines SRC, OUT, CC,
# CFLAGS and LIB).  Builds $(OUT)/kcache-proxy, where `make run` looks.
#
#   make -C userspace                 builds it with libkcache.a
#   make -C userspace fuzz-check      each parser fuzzed for FUZZ_SECS (20) s
#   make -C userspace fuzz FUZZ_SECS=600   the same, longer
#   make -C userspace proxy-unit      the parser unit tests (host, no kernel)
#   make -C userspace rdb-unit        the RDB sorted-set tests (host, no
#                                     kernel; with redis-server 7.0 and
#                                     redis-check-rdb also against them)
#
# The fuzz targets need clang with libFuzzer (Debian: clang,
# libclang-rt-14-dev); their corpora live in $(OUT)/fuzz/.

PROXY_DIR := $(SRC)/userspace/proxy
PROXY := $(OUT)/kcache-proxy
PROXY_SRCS := $(wildcard $(PROXY_DIR)/*.c)
# The glob matcher is the kernel's (kmod/glob.c, one dialect for both),
# compiled with the u8/u32 shim of glob.h.
PROXY_OBJS := $(patsubst $(PROXY_DIR)/%.c,$(OUT)/proxy/%.o,$(PROXY_SRCS)) \
	$(OUT)/proxy/kmod_glob.o
PROXY_HDRS := $(wildcard $(PROXY_DIR)/*.h) $(SRC)/uapi/linux/kcache.h \
	$(SRC)/userspace/lib/libkcache.h $(SRC)/userspace/lib/rdb.h \
	$(SRC)/kmod/glob.h

all: $(PROXY)

$(PROXY): $(PROXY_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(PROXY_OBJS) $(LIB) -lpthread -lm

$(OUT)/proxy/%.o: $(PROXY_DIR)/%.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -c -o $@ $<

$(OUT)/proxy/kmod_glob.o: $(SRC)/kmod/glob.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -include $(PROXY_DIR)/glob.h -c -o $@ $<

# ---------------------------------------------------------------- fuzzing

FUZZ_CC ?= clang
FUZZ_SECS ?= 20
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -std=gnu11 \
	-D_GNU_SOURCE -I$(SRC)/uapi -I$(SRC)/userspace/lib -I$(PROXY_DIR)
FUZZ_OUT := $(OUT)/fuzz
FUZZERS := $(FUZZ_OUT)/fuzz_resp $(FUZZ_OUT)/fuzz_memcache $(FUZZ_OUT)/fuzz_glob \
	$(FUZZ_OUT)/fuzz_rdb

$(FUZZ_OUT)/fuzz_resp: $(PROXY_DIR)/fuzz/fuzz_resp.c $(PROXY_DIR)/resp.c $(PROXY_DIR)/buf.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_OUT)/fuzz_memcache: $(PROXY_DIR)/fuzz/fuzz_memcache.c $(PROXY_DIR)/memcache.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_OUT)/fuzz_glob: $(PROXY_DIR)/fuzz/fuzz_glob.c $(SRC)/kmod/glob.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $<

$(FUZZ_OUT)/fuzz_rdb: $(PROXY_DIR)/fuzz/fuzz_rdb.c $(SRC)/userspace/lib/rdb.c $(SRC)/userspace/lib/rdb.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

fuzz-build: $(FUZZERS)

# Seeds are written by the targets themselves (-runs=0 with a seed dir
# would need files in git); libFuzzer starts from an empty corpus plus the
# dictionaries below.
fuzz-check fuzz: fuzz-build
	@for f in $(FUZZERS); do \
		n=$$(basename $$f); mkdir -p $(FUZZ_OUT)/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECS) s"; \
		$$f -max_total_time=$(FUZZ_SECS) -max_len=4096 -timeout=10 \
			-dict=$(PROXY_DIR)/fuzz/$$n.dict -print_final_stats=0 \
			-artifact_prefix=$(FUZZ_OUT)/$$n- \
			$(FUZZ_OUT)/corpus-$$n 2>$(FUZZ_OUT)/$$n.log || \
			{ tail -40 $(FUZZ_OUT)/$$n.log; echo "fuzz: $$n FAILED (log $(FUZZ_OUT)/$$n.log)"; exit 1; }; \
		grep -E '^(#[0-9]+ +DONE|Done)' $(FUZZ_OUT)/$$n.log | tail -1; \
		echo "fuzz: $$n ok"; \
	done

# ---------------------------------------------------------------- unit tests

$(OUT)/proxy-unit: $(PROXY_DIR)/fuzz/unit.c $(PROXY_DIR)/resp.c $(PROXY_DIR)/memcache.c $(PROXY_DIR)/buf.c $(PROXY_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -I$(PROXY_DIR) -o $@ $(filter %.c,$^)

proxy-unit: $(OUT)/proxy-unit
	$(OUT)/proxy-unit

$(OUT)/rdb-unit: $(PROXY_DIR)/fuzz/rdb_unit.c $(SRC)/userspace/lib/rdb.c $(SRC)/userspace/lib/rdb.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE -o $@ $(filter %.c,$^)

rdb-unit: $(OUT)/rdb-unit
	$(OUT)/rdb-unit
	python3 $(PROXY_DIR)/fuzz/rdb_interop.py $(OUT)/rdb-unit

.PHONY: fuzz fuzz-check fuzz-build proxy-unit rdb-unit
