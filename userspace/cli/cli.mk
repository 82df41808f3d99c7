# SPDX-License-Identifier: GPL-2.0
#
# kcache-cli, included by userspace/Makefile (which defines SRC, OUT, CC,
# CFLAGS and LIB).  Builds $(OUT)/kcache-cli against libnl-genl-3 (Debian:
# libnl-genl-3-dev); libkcache.a only lends it kc_strerror().

CLI_DIR := $(SRC)/userspace/cli
CLI := $(OUT)/kcache-cli
CLI_SRCS := $(wildcard $(CLI_DIR)/*.c)
CLI_OBJS := $(patsubst $(CLI_DIR)/%.c,$(OUT)/cli/%.o,$(CLI_SRCS))
CLI_HDRS := $(wildcard $(CLI_DIR)/*.h) $(SRC)/uapi/linux/kcache.h \
	$(SRC)/userspace/lib/libkcache.h $(SRC)/userspace/lib/rdb.h
PKG_CONFIG ?= pkg-config
CLI_NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
CLI_NL_LIBS = $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)

all: $(CLI)

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(CLI_NL_LIBS)

$(OUT)/cli/%.o: $(CLI_DIR)/%.c $(CLI_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CLI_NL_CFLAGS) -D_GNU_SOURCE -c -o $@ $<
