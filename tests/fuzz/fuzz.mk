# tests/fuzz/fuzz.mk: libFuzzer targets for the parsers of untrusted input.
# Included by the top-level Makefile.
#
#   make fuzz-build    build build/fuzz/fuzz-* (clang, -fsanitize=fuzzer,address,undefined)
#   make fuzz          run each target for FUZZ_RUNS executions (default 1 000 000);
#                      FUZZ_TARGETS="policy registry" runs only those
#   make fuzz-long     10 000 000 executions per target, then the work corpus
#                      merged into tests/fuzz/corpus/ (issue 7)
#   make check         runs tests/fuzz/run.sh: a short smoke + corpus replay
#
# Only the pure core is compiled in (no adapter that needs a running system),
# into its own object directory: the fuzz objects never mix with build/rel or
# build/san.

FUZZ_O := build/fuzz
FUZZ_CC ?= clang
FUZZ_RUNS ?= 1000000
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter $(FUZZ_SAN) $(PKG_CFLAGS)
# The pure modules, by pattern: parsers, printers, matcher, identity helpers.
# Each target links the part it needs, so one module's work in progress does
# not hold the others up.
FUZZ_BASE_SRCS = $(wildcard daemon/src/strutil.c daemon/src/diag.c daemon/src/ident_util.c daemon/src/fileutil.c \
	daemon/src/ident_desc*.c)
FUZZ_policy_SRCS = $(FUZZ_BASE_SRCS) $(wildcard daemon/src/policy*.c)
FUZZ_registry_SRCS = $(FUZZ_BASE_SRCS) $(wildcard daemon/src/registry*.c)
FUZZ_descriptors_SRCS = $(FUZZ_BASE_SRCS)
FUZZ_strutil_SRCS = $(wildcard daemon/src/strutil.c)
FUZZ_event_SRCS = $(FUZZ_registry_SRCS) $(wildcard daemon/src/policy*.c daemon/src/ident.c \
	daemon/src/sha256.c daemon/src/kdev.c daemon/src/decide.c)
FUZZ_token_SRCS = $(FUZZ_BASE_SRCS) $(wildcard daemon/src/token.c daemon/src/orgkey.c)
FUZZ_CORE_OBJS = $(sort $(FUZZ_policy_SRCS:%.c=$(FUZZ_O)/%.o) $(FUZZ_registry_SRCS:%.c=$(FUZZ_O)/%.o))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_O)/%)

$(FUZZ_O)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(MG_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

define fuzz_target
$(FUZZ_O)/fuzz-$(1): tests/fuzz/fuzz-$(1).c tests/fuzz/fuzz-util.h $(FUZZ_$(1)_SRCS:%.c=$(FUZZ_O)/%.o)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(MG_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$< \
		$(FUZZ_$(1)_SRCS:%.c=$(FUZZ_O)/%.o) $(PKG_LIBS) -lm
endef
$(foreach t,$(FUZZ_SRCS:tests/fuzz/fuzz-%.c=%),$(eval $(call fuzz_target,$(t))))

-include $(FUZZ_CORE_OBJS:.o=.d)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

# Long run: every target for FUZZ_RUNS executions; prints the exec counts.
# FUZZ_TARGETS="policy registry" limits the run to those targets.
fuzz: fuzz-build
	@MG_FUZZ_RUNS=$(FUZZ_RUNS) MG_FUZZ_TARGETS="$(FUZZ_TARGETS)" nice tests/fuzz/run.sh $(FUZZ_O)

# Issue 7's run: every target for FUZZ_LONG_RUNS executions (10 000 000), two
# at a time (`make -j2`-like, whatever -j says: one target per core of this
# 2-core box), then the work corpus merged (-merge=1: only inputs that add
# coverage) into tests/fuzz/corpus/<t>/. FUZZ_MAX_TIME=SECONDS or
# FUZZ_UNTIL="04:20 UTC" stops each target early (reported as FAIL with the
# count it reached). Logs:
# build/fuzz/logs/long/<t>-fuzz.log; summary: build/fuzz/logs/long[-<targets>].txt.
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_JOBS ?= 2
FUZZ_ALL := $(FUZZ_SRCS:tests/fuzz/fuzz-%.c=%)
# Cheapest first (exec/s on this machine): under a deadline (FUZZ_UNTIL) the
# most targets reach their count, and the slowest (policy) is the one cut.
FUZZ_ORDER := descriptors event token strutil registry policy
FUZZ_LONG_TARGETS = $(if $(FUZZ_TARGETS),$(FUZZ_TARGETS),$(filter $(FUZZ_ALL),$(FUZZ_ORDER)) \
	$(filter-out $(FUZZ_ORDER),$(FUZZ_ALL)))
# one summary per target set, so two runs on different targets can overlap
FUZZ_LONG_LOG = $(FUZZ_O)/logs/long$(if $(FUZZ_TARGETS),-$(subst $(eval) ,-,$(strip $(FUZZ_TARGETS)))).txt
.PHONY: fuzz-long
fuzz-long: fuzz-build
	@echo "fuzz-long: $(FUZZ_LONG_RUNS) executions per target, $(FUZZ_LONG_JOBS) at a time, $$(date -u +%FT%TZ)"
	@mkdir -p $(FUZZ_O)/logs
	@printf '%s\n' $(FUZZ_LONG_TARGETS) | \
		xargs -P $(FUZZ_LONG_JOBS) -I{} env MG_FUZZ_RUNS=$(FUZZ_LONG_RUNS) \
			MG_FUZZ_TARGETS={} MG_FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) MG_FUZZ_UNTIL="$(FUZZ_UNTIL)" nice -n 10 tests/fuzz/run.sh $(FUZZ_O) \
		| tee $(FUZZ_LONG_LOG)
	@$(MAKE) -s fuzz-merge FUZZ_TARGETS="$(FUZZ_LONG_TARGETS)"
	@echo "fuzz-long: done $$(date -u +%FT%TZ)"
	@! grep -q '^FAIL' $(FUZZ_LONG_LOG)

# Merge what long runs found (build/fuzz/work/<t>) into the kept corpus:
# only inputs that add coverage are copied.
.PHONY: fuzz-merge
fuzz-merge: fuzz-build
	@for t in $(if $(FUZZ_TARGETS),$(FUZZ_TARGETS),$(FUZZ_SRCS:tests/fuzz/fuzz-%.c=%)); do \
		[ -d $(FUZZ_O)/work/$$t ] || continue; \
		mkdir -p tests/fuzz/corpus/$$t; \
		before=$$(ls tests/fuzz/corpus/$$t | wc -l); \
		$(FUZZ_O)/fuzz-$$t -merge=1 tests/fuzz/corpus/$$t $(FUZZ_O)/work/$$t >/dev/null 2>&1; \
		echo "fuzz-merge: $$t: $$before -> $$(ls tests/fuzz/corpus/$$t | wc -l) inputs"; \
	done
