# bench/datapath.mk: issue 7's data-path bench (included from bench/bench.mk).
#
#   make bench-datapath   read throughput of a QEMU usb-storage stick with no
#                         module, with an allow verdict and with a readonly one
#                         (write-blocker), interleaved; one boot of 6.12 (TCG)
#
# DP_KERNELS="6.12 6.1" boots both kernels; DP_ROUNDS=N plugs per state (5).
# ACCEL=kvm (tests/vm) on a host with KVM: under TCG on a loaded machine the
# spread is far larger than the 2 % goal (bench/RESULTS.md).
# Output directory DP_O (not the VM suite's, so the two can run side by side).

DP_O ?= build/bench-datapath
DP_KERNELS ?= 6.12
DP_ROUNDS ?= 5

.PHONY: bench-datapath
bench: bench-datapath
bench-datapath: kmod
	@DP_KERNELS="$(DP_KERNELS)" DP_ROUNDS=$(DP_ROUNDS) bench/datapath/run.sh $(DP_O)
