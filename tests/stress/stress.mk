# make stress: the fault suite (tests/stress/README.md); not part of make check.
#   make stress                          6.12 then 6.1, default trial counts
#   make stress STRESS="30" STRESS_KILL9=5 VM_KERNELS=6.12
.PHONY: stress
stress: userspace kmod
	@tests/stress/run.sh $(O)
