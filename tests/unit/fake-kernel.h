/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake-kernel.h: what the daemon-loop tests (test-daemon, test-restart,
 * test-notify) share about the fake kernel (kdev's Unix socket mode) and
 * driving the loop. Include after <cmocka.h>.
 */
#ifndef MEDIAGATE_TEST_FAKE_KERNEL_H
#define MEDIAGATE_TEST_FAKE_KERNEL_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "kdev.h"
#include "loop.h"

/* The next message from the daemon must be the verdict @verdict for @handle
 * (within 5 s), a whole record of this ABI. MG_DEBUG=1 prints what came. */
static inline void expect_verdict(int fd, uint64_t handle, unsigned int verdict)
{
	struct kdev_fake_msg m = {0};
	struct pollfd p = {.fd = fd, .events = POLLIN};

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(recv(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	if (getenv("MG_DEBUG"))
		fprintf(stderr, "got op %u handle %llu verdict %u (want %llu %u)\n", m.op,
			(unsigned long long)m.verdict.handle, m.verdict.verdict,
			(unsigned long long)handle, verdict);
	assert_int_equal(m.op, KDEV_FAKE_VERDICT);
	assert_int_equal(m.verdict.size, sizeof(m.verdict));
	assert_int_equal(m.verdict.abi, MEDIAGATE_ABI_VERSION);
	assert_int_equal(m.verdict.handle, handle);
	assert_int_equal(m.verdict.verdict, verdict);
}

/* Let the loop handle what is pending (four 50 ms dispatches). */
static inline void pump(struct loop *l)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(loop_dispatch(l, 50), 0);
}

/* Dispatch until no media probe is running (10 s at most). */
static inline void settle(struct loop *l)
{
	for (int i = 0; i < 100 && loop_probes_running(l); i++)
		assert_int_equal(loop_dispatch(l, 100), 0);
	assert_int_equal(loop_probes_running(l), 0);
}

#endif
