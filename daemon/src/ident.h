/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ident: what a USB device is, as far as the policy can tell from the bus.
 * The struct is pure data; ident_from_udev() (adapter over libudev) and
 * ident_from_event() (from a kernel hold record) fill it. Every string is
 * device-supplied: stored raw (bounded, NUL-free, may hold any other byte),
 * escaped with strutil before it is printed or logged.
 */
#ifndef MEDIAGATE_IDENT_H
#define MEDIAGATE_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#define IDENT_STR_MAX 256	/* bytes kept of a device string, incl. NUL */
#define IDENT_NAME_MAX 64	/* sysfs name "2-1.4" / port path */
#define IDENT_MAX_INTF 32

enum ident_connect {
	IDENT_CONNECT_UNKNOWN = 0,
	IDENT_CONNECT_HOTPLUG,
	IDENT_CONNECT_HARDWIRED,
};

struct ident_intf {
	uint8_t number;
	uint8_t cls;
	uint8_t subcls;
	uint8_t proto;
};

struct ident_device {
	char name[IDENT_NAME_MAX];	/* sysfs name, "2-1.4" */
	char port[IDENT_NAME_MAX];	/* port path as used by the policy, "2-1.4" */
	uint16_t vid, pid, bcd;
	uint8_t cls, subcls, proto;	/* bDeviceClass triple */
	unsigned int n_intf;
	struct ident_intf intf[IDENT_MAX_INTF];
	enum ident_connect connect;
	unsigned int speed_mbps;	/* 0 = unknown */
	char manufacturer[IDENT_STR_MAX];
	char product[IDENT_STR_MAX];
	char serial[IDENT_STR_MAX];
	bool strings_truncated;		/* a string was longer than IDENT_STR_MAX-1 */
	bool have_hash;
	uint8_t desc_hash[32];		/* SHA-256 over the raw descriptors */
};

/* USB interface class codes the policy names. */
#define USB_CLASS_CODE_HID 0x03
#define USB_CLASS_CODE_STILL_IMAGE 0x06
#define USB_CLASS_CODE_STORAGE 0x08
#define USB_CLASS_CODE_HUB 0x09

/* True if the device has an interface of class @cls. */
bool ident_has_class(const struct ident_device *d, uint8_t cls);

#endif
