# QEMU tests of mediagate.ko on Debian's kernels (tests/vm/README.md).
#
#   make vm-check                          all scenarios, 6.1 and 6.12
#   make vm-run SCENARIO=03 KVER=6.12      one scenario (or "03 05") on one kernel
#   make vm-shell KVER=6.1                 boot to an interactive shell (Ctrl-A X quits)
#
# ACCEL=kvm for hosts with real virtualisation; TCG otherwise.

.PHONY: vm-check vm-run vm-shell

vm-check: kmod
	@mkdir -p $(O)
	@tests/vm/run.sh $(O) 2>&1 | tee $(O)/vm-check.log; rc=$${PIPESTATUS[0]}; \
	echo "$$(grep -c '^PASS: ' $(O)/vm-check.log) passed, $$(grep -c '^FAIL: ' $(O)/vm-check.log) failed"; \
	exit $$rc

vm-run: kmod
	@VM_KERNELS="$(or $(KVER),6.1 6.12)" SCENARIOS="$(SCENARIO)" tests/vm/run.sh $(O)

vm-shell: kmod
	@VM_KERNELS="$(or $(KVER),6.12)" VM_SHELL=1 tests/vm/run.sh $(O)
