# bench/bench.mk: benchmarks of the userspace core. Included by the Makefile.
#
#   make bench    build build/bench/bench-core (release flags, never sanitizers)
#                 and print load, decision and lookup times (bench/README.md)
#
# The pure core is compiled into its own object directory, so `make bench`
# works whatever SANITIZE says and never mixes with build/san.

BENCH_O := build/bench
BENCH_CFLAGS = $(filter-out -fsanitize%,$(MG_CFLAGS)) $(CFLAGS)
BENCH_SRCS = $(wildcard daemon/src/policy*.c daemon/src/registry*.c daemon/src/strutil.c \
	daemon/src/diag.c daemon/src/ident_util.c daemon/src/ident_desc*.c daemon/src/ident_hash*.c)
BENCH_OBJS = $(BENCH_SRCS:%.c=$(BENCH_O)/%.o)
BENCH_ARGS ?=

$(BENCH_O)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(MG_CPPFLAGS) $(BENCH_CFLAGS) -MMD -MP -c -o $@ $<

$(BENCH_O)/bench-core: bench/bench-core.c $(BENCH_OBJS)
	@mkdir -p $(@D)
	$(CC) $(MG_CPPFLAGS) $(BENCH_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

-include $(BENCH_OBJS:.o=.d)

.PHONY: bench bench-build
bench-build: $(BENCH_O)/bench-core

bench: bench-build
	$(BENCH_O)/bench-core -d $(BENCH_O) $(BENCH_ARGS)

-include bench/stocktake.mk
-include bench/fleet.mk
-include bench/datapath.mk
-include bench/usbguard.mk
-include bench/daemon-vm.mk
