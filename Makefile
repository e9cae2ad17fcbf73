# mediagate: top-level build. Plain GNU make + pkg-config.
#
#   make            build daemon, CLI and module
#   make check      install missing deps, build with ASan+UBSan, run every test
#   make demo       install missing deps, build, boot a VM, plug sticks, show verdicts
#   make lint fuzz bench install deb clean deps
#
# Parts of the tree add their own targets through the *.mk fragments included
# at the end (tests/fuzz/fuzz.mk, bench/bench.mk, tests/vm/vm.mk, daemon/po/po.mk,
# dkms/install.mk).

.DEFAULT_GOAL := all
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
O ?= build/san
else
O ?= build/rel
endif

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libudev libusb-1.0 blkid libcryptsetup mount sqlite3 libcrypto json-c libsystemd libpq
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

CFLAGS ?= -O2 -g
MG_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Idaemon/src
MG_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-fno-strict-aliasing $(PKG_CFLAGS)
MG_LDFLAGS :=
ifeq ($(SANITIZE),1)
MG_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
MG_LDFLAGS += -fsanitize=address,undefined
endif

# --- daemon core library: every daemon/src/*.c except the daemon's main ---
LIB_SRCS := $(filter-out daemon/src/main.c,$(wildcard daemon/src/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB := $(O)/libmediagate.a

CLI_SRCS := $(wildcard daemon/cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)

BINS := $(O)/mediagatectl $(if $(wildcard daemon/src/main.c),$(O)/mediagated) $(O)/mediagate-probe

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(MG_CPPFLAGS) $(MG_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/mediagated: $(O)/daemon/src/main.o $(LIB)
	$(CC) $(MG_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(O)/mediagatectl: $(CLI_OBJS) $(LIB)
	$(CC) $(MG_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# the daemon's media probe, exec'd per medium (daemon/src/probe_job.c)
$(O)/mediagate-probe: $(O)/daemon/probe/mediagate-probe.o $(LIB)
	$(CC) $(MG_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(O)/tests/%: $(O)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(MG_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS) -lm

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(O)/daemon/src/main.d $(O)/daemon/probe/mediagate-probe.d $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%.d)

.PHONY: all userspace kmod deps check check-userspace unit-tests lint format install clean demo
all: userspace kmod

userspace: $(BINS)

# in-process daemon tests find the probe helper next to themselves (probe_job.c)
unit-tests: $(UNIT_BINS) $(O)/tests/mediagate-probe

$(O)/tests/mediagate-probe: $(O)/mediagate-probe
	@mkdir -p $(@D)
	ln -sf ../mediagate-probe $@

kmod:
	$(MAKE) -C kmod

deps:
	@tests/lib/deps.sh

# make check: deps, then a sanitizer build and every suite; one summary line.
check: deps
	$(MAKE) SANITIZE=1 userspace unit-tests
	$(MAKE) kmod
	@tests/lib/run-check.sh build/san

# make demo: deps, a release build, then one VM walk-through (tests/vm/demo/run.sh).
demo: deps
	$(MAKE) --no-print-directory userspace
	@tests/vm/demo/run.sh $(O)

# The system-test VM (tests/system): a Debian 12 desktop guest, the .debs
# installed with dpkg, udisks2. Long under TCG, so not part of make check.
.PHONY: system-check
system-check: deps
	$(MAKE) userspace
	@mkdir -p $(O)
	@tests/system/run.sh $(O) 2>&1 | tee $(O)/system-check.log; rc=$${PIPESTATUS[0]}; \
	echo "$$(grep -c '^PASS: ' $(O)/system-check.log) passed, $$(grep -c '^FAIL: ' $(O)/system-check.log) failed"; \
	exit $$rc

# Userspace suites only (no VM), for quick iteration.
check-userspace:
	$(MAKE) SANITIZE=1 userspace unit-tests
	@MG_SKIP_SUITES=vm tests/lib/run-check.sh build/san

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v -e '^kmod/' -e '^include/uapi/')
lint:
	clang-format --dry-run --Werror $(FORMAT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -D__GNUC__ -Iinclude -Idaemon/src daemon/src daemon/cli daemon/probe
	$(MAKE) -C kmod checkpatch

format:
	clang-format -i $(FORMAT_SRCS)

# install, install-dkms, deb: dkms/install.mk

clean:
	rm -rf build
	$(MAKE) -C kmod clean

-include tests/fuzz/fuzz.mk bench/bench.mk tests/vm/vm.mk daemon/po/po.mk dkms/install.mk
-include tests/stress/stress.mk
