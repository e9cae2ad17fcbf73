/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdev: the adapter over /dev/mediagate, and the only place in mediagated
 * that performs a privileged effect (verdict, replay, release). Everything
 * else hands it a handle and a verdict.
 *
 * Tests point it at a fake kernel instead: when the path names a Unix
 * socket, kdev connects to it (SOCK_SEQPACKET) and speaks a tiny protocol:
 * the fake sends one struct mediagate_event per packet; kdev sends one
 * struct kdev_fake_msg per request. GET_ABI is answered locally,
 * GET_DESCRIPTORS is not available (-EOPNOTSUPP).
 */
#ifndef MEDIAGATE_KDEV_H
#define MEDIAGATE_KDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/mediagate.h"

#define KDEV_DEFAULT_PATH "/dev/" MEDIAGATE_DEVICE_NAME

enum kdev_fake_op {
	KDEV_FAKE_VERDICT = 1, /* payload: struct mediagate_verdict */
	KDEV_FAKE_REPLAY = 2,
	KDEV_FAKE_RELEASE_ALL = 3,
	KDEV_FAKE_LIST_PRESENT = 4,
};

struct kdev_fake_msg {
	uint32_t op; /* enum kdev_fake_op */
	uint32_t reserved;
	struct mediagate_verdict verdict;
};

struct kdev;

/* Open @path (NULL: KDEV_DEFAULT_PATH) non-blocking and check the ABI: the
 * module's ABI version and record size must match this build (-EPROTO). */
int kdev_open(const char *path, struct kdev **ret_kdev);
void kdev_close(struct kdev *k);
int kdev_fd(const struct kdev *k);
bool kdev_is_fake(const struct kdev *k);
/* The GET_ABI answer read at open (pending holds, mode...), refreshed. */
int kdev_get_abi(struct kdev *k, struct mediagate_abi *ret_abi);

/* Read up to @n whole records; returns how many (0: none pending), -errno.
 * Records are not validated here: call kdev_event_check() on each. */
int kdev_read_events(struct kdev *k, struct mediagate_event *evs, size_t n);

/* Pure: validate a record (size, abi, type, counts) and NUL-terminate its
 * strings in place. 0 or -EBADMSG. */
int kdev_event_check(struct mediagate_event *ev);

/* Apply @verdict (MEDIAGATE_VERDICT_ALLOW/READONLY/DENY) to @handle;
 * @intf_verdict (may be NULL) per bInterfaceNumber for device handles. */
int kdev_verdict(struct kdev *k, uint64_t handle, unsigned int verdict,
		 const uint8_t intf_verdict[MEDIAGATE_MAX_INTF]);
/* Ask the module to re-send every pending hold; returns their count. */
int kdev_replay(struct kdev *k);
/* Ask the module for a PRESENT record per decided device/interface (what
 * a restarted daemon has not seen); returns their count, -ENOTTY from a
 * module that predates the ioctl. */
int kdev_list_present(struct kdev *k);
/* Raw descriptors of a tracked device into @buf (size @sz); *ret_len. */
int kdev_get_descriptors(struct kdev *k, uint64_t handle, uint8_t *buf, size_t sz, size_t *ret_len);

const char *kdev_event_type_name(unsigned int type);
const char *kdev_verdict_name(unsigned int verdict);

#endif
