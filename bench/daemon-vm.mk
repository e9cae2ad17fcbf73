# bench/daemon-vm.mk: issue 4's daemon bench (included from bench/bench.mk).
#
#   make bench-daemon-vm   a release build in build/bench-daemon, then
#                          bench/daemon-vm.sh: the daemon against a fake kernel
#                          on the host, and scenario 21 in QEMU on 6.12 and 6.1
#                          (one after the other): decision time p50/p99/max
#                          (record read -> verdict ioctl returned; daemon part,
#                          ioctl part), RSS/PSS/private dirty of mediagated
#
# MG_BENCH_PLUGS=N (default 100), BENCH_KERNELS="6.12 6.1", ACCEL=kvm.
# Part of `make bench`. Figures: bench/RESULTS.md.

BENCH_DAEMON_O := build/bench-daemon
MG_BENCH_PLUGS ?= 100
BENCH_KERNELS ?= 6.12 6.1

.PHONY: bench-daemon-vm
bench: bench-daemon-vm
bench-daemon-vm: kmod
	$(MAKE) --no-print-directory SANITIZE=0 O=$(BENCH_DAEMON_O) userspace
	@mkdir -p $(BENCH_DAEMON_O)/bench
	$(CC) $(MG_CPPFLAGS) $(filter-out -fsanitize%,$(MG_CFLAGS)) -O2 \
		-o $(BENCH_DAEMON_O)/bench/daemon-host bench/daemon-host.c
	MG_BENCH_PLUGS=$(MG_BENCH_PLUGS) bench/daemon-vm.sh $(BENCH_DAEMON_O) "$(BENCH_KERNELS)"
