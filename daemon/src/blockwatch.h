/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blockwatch: adapter over a libudev monitor for block disks that appear on
 * USB devices (the medium of a stick let in read-only, waiting to be probed).
 */
#ifndef MEDIAGATE_BLOCKWATCH_H
#define MEDIAGATE_BLOCKWATCH_H

#include <stddef.h>

#include "ident.h"

struct blockwatch;

int blockwatch_new(struct blockwatch **ret_bw);
void blockwatch_free(struct blockwatch *bw);
int blockwatch_fd(const struct blockwatch *bw);

struct blockwatch_disk {
	char usb_name[IDENT_NAME_MAX]; /* the USB device it sits on: "2-1.4" */
	char devnode[64]; /* "/dev/sdb" */
};

/* Receive one uevent: 1 and *@ret for an added/changed disk under a USB
 * device, 0 for anything else, -errno. */
int blockwatch_receive(struct blockwatch *bw, struct blockwatch_disk *ret);

/* Every block disk present now under USB device @usb_name; calls @fn. */
int blockwatch_enumerate(struct blockwatch *bw, const char *usb_name,
			 void (*fn)(const struct blockwatch_disk *d, void *userdata),
			 void *userdata);

#endif
