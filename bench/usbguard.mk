# bench/usbguard.mk: mediagate and Debian's USBGuard side by side (issue 7),
# included from bench/bench.mk (bench/usbguard/README.md).
#
#   make bench-usbguard                       6.12, 50 plugs, 1 000 cycles, burst of 32
#   make bench-usbguard VM_KERNELS="6.12 6.1"
#   make bench-usbguard MG_BENCH_PLUGS=10 MG_BENCH_CYCLES=20 MG_BENCH_BURST=8
#
# One VM boot per kernel (QEMU TCG: ~1 h at the full counts); needs apt-get
# download for the usbguard package (unpacked under $(O)/usbguard, not installed).

.PHONY: bench-usbguard
bench-usbguard: userspace kmod
	@bench/usbguard/run.sh $(O)

bench: bench-usbguard
