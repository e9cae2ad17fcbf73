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
#include <stddef.h>
#include <stdint.h>

#define IDENT_STR_MAX 256 /* bytes kept of a device string, incl. NUL */
#define IDENT_NAME_MAX 64 /* sysfs name "2-1.4" / port path */
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
	char name[IDENT_NAME_MAX]; /* sysfs name, "2-1.4" */
	char port[IDENT_NAME_MAX]; /* port path as used by the policy, "2-1.4" */
	uint16_t vid, pid, bcd;
	uint8_t cls, subcls, proto; /* bDeviceClass triple */
	unsigned int n_intf;
	struct ident_intf intf[IDENT_MAX_INTF];
	enum ident_connect connect;
	unsigned int speed_mbps; /* 0 = unknown */
	char manufacturer[IDENT_STR_MAX];
	char product[IDENT_STR_MAX];
	char serial[IDENT_STR_MAX];
	bool strings_truncated; /* a string was longer than IDENT_STR_MAX-1 */
	bool have_hash;
	uint8_t desc_hash[32]; /* SHA-256 over the raw descriptors */
	/* An interface of it was offered to (or bound to) a SCSI storage driver
	 * whatever its class: a vendor-class stick that usb-storage claims by
	 * ID (unusual_devs, new_id). It carries storage, so it counts as class
	 * 08 for the policy and ident_has_class(). */
	bool storage_driver;
};

/* USB interface class codes the policy names. */
#define USB_CLASS_CODE_HID 0x03
#define USB_CLASS_CODE_STILL_IMAGE 0x06
#define USB_CLASS_CODE_STORAGE 0x08
#define USB_CLASS_CODE_HUB 0x09

/* True if the device has an interface of class @cls (class 08 also when
 * @d->storage_driver). */
bool ident_has_class(const struct ident_device *d, uint8_t cls);

/* Name of a connect type: "hotplug", "hardwired", "unknown". */
const char *ident_connect_name(enum ident_connect c);

/*
 * Pure: fill the descriptor-derived fields of *@ret_dev (vid, pid, bcd, the
 * bDeviceClass triple, the interface list) from the raw sysfs "descriptors"
 * bytes: the 18-byte device descriptor followed by every configuration's raw
 * descriptors. @config is the active bConfigurationValue; with 0 (device not
 * configured yet, or unknown) the interfaces of every configuration are listed,
 * so a class hidden in a second configuration is still seen. Interfaces are
 * listed once per distinct (number, class triple), alternate settings included.
 * Other fields of *@ret_dev are left alone; nothing is written on error.
 * Returns 0, -EBADMSG (malformed or truncated), -E2BIG (> IDENT_MAX_INTF).
 */
int ident_parse_descriptors(const uint8_t *buf, size_t len, unsigned int config,
			    struct ident_device *ret_dev);

/* SHA-256 of @len bytes into @ret_hash (32 bytes). 0 or -EIO. */
int ident_hash_descriptors(const uint8_t *buf, size_t len, uint8_t ret_hash[32]);

/*
 * Adapter over libudev: the USB device at @syspath ("/sys/devices/...",
 * "/sys/bus/usb/devices/2-1.4" or just "2-1.4"; an interface or any child of
 * a USB device names its device). Reads the raw attributes (strings bounded,
 * NUL-free, trailing newline dropped) and the raw "descriptors" file.
 * Returns 0, -ENODEV (no such USB device), -EBADMSG, -E2BIG, -errno.
 */
int ident_from_syspath(const char *syspath, struct ident_device *ret_dev);

struct udev_device;
int ident_from_udev(struct udev_device *udev_dev, struct ident_device *ret_dev);

/* From a kernel hold record (no hash: the caller may add one from
 * MEDIAGATE_IOC_GET_DESCRIPTORS). -EINVAL for a bad record. */
struct mediagate_event;
int ident_from_event(const struct mediagate_event *ev, struct ident_device *ret_dev);

#endif
