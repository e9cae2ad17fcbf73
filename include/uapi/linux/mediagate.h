/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mediagate: kernel <-> daemon ABI for USB storage device control.
 *
 * The module holds USB devices that carry storage (and interfaces offered to
 * a storage driver) before any driver binds, and reports each hold as a
 * fixed-size &struct mediagate_event record read() from /dev/mediagate.
 * The daemon answers with MEDIAGATE_IOC_VERDICT, naming the hold by its
 * handle. Holds live in the kernel: when no daemon is connected, held
 * devices stay held (fail-closed); MEDIAGATE_IOC_REPLAY re-queues every
 * pending hold after a reconnect.
 *
 * Every structure starts with a @size field that userspace sets to
 * sizeof(struct) and an @abi field set to MEDIAGATE_ABI_VERSION; reserved
 * fields and padding must be zero. New behaviour gets a new ioctl number.
 */
#ifndef _UAPI_LINUX_MEDIAGATE_H
#define _UAPI_LINUX_MEDIAGATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MEDIAGATE_ABI_VERSION	1
#define MEDIAGATE_DEVICE_NAME	"mediagate"

/* Event types (&struct mediagate_event.type). */
#define MEDIAGATE_EV_HELD		1	/* a device or interface is held; answer it */
#define MEDIAGATE_EV_APPLIED		2	/* a verdict took effect */
#define MEDIAGATE_EV_BIND_BLOCKED	3	/* a driver tried to bind a held interface */
#define MEDIAGATE_EV_TAMPER		4	/* watchdog undid an unapproved bind/authorize */
#define MEDIAGATE_EV_REMOVED		5	/* a tracked device/interface went away */
#define MEDIAGATE_EV_OVERFLOW		6	/* records were dropped; call REPLAY */
#define MEDIAGATE_EV_PRESENT		7	/* answer to LIST_PRESENT: decided, still here */
#define MEDIAGATE_EV_MAX		7

/* Hold levels (&struct mediagate_event.level). */
#define MEDIAGATE_LEVEL_DEVICE		1	/* whole usb_device, not yet configured */
#define MEDIAGATE_LEVEL_INTERFACE	2	/* one usb_interface */

/* Verdicts (&struct mediagate_verdict.verdict, &struct mediagate_event.verdict). */
#define MEDIAGATE_VERDICT_NONE		0	/* pending; in intf_verdict[]: inherit */
#define MEDIAGATE_VERDICT_ALLOW		1	/* authorize and let drivers bind */
#define MEDIAGATE_VERDICT_READONLY	2	/* storage only: behind the SCSI write-blocker */
#define MEDIAGATE_VERDICT_DENY		3	/* stay unauthorized */
#define MEDIAGATE_VERDICT_MAX		3

/* Event flags (&struct mediagate_event.flags). */
#define MEDIAGATE_EVF_REPLAY		0x1U	/* re-sent by MEDIAGATE_IOC_REPLAY */
#define MEDIAGATE_EVF_PRESENT_AT_LOAD	0x2U	/* found by the sweep at module load */
#define MEDIAGATE_EVF_STRICT		0x4U	/* held only because mode=strict */
#define MEDIAGATE_EVF_TRUNCATED		0x8U	/* a string field was truncated */
#define MEDIAGATE_EVF_UNDER_DEVICE	0x10U	/* PRESENT: verdict is the device's */

/* &struct mediagate_event.removable */
#define MEDIAGATE_REMOVABLE_UNKNOWN	0
#define MEDIAGATE_REMOVABLE_YES		1	/* hot-plug port */
#define MEDIAGATE_REMOVABLE_FIXED	2	/* hard-wired port */

#define MEDIAGATE_MAX_INTF		32

/**
 * struct mediagate_intf_desc - class triple of one interface
 * @number: bInterfaceNumber
 * @class: bInterfaceClass
 * @subclass: bInterfaceSubClass
 * @protocol: bInterfaceProtocol
 */
struct mediagate_intf_desc {
	__u8 number;
	__u8 class;
	__u8 subclass;
	__u8 protocol;
};

/**
 * struct mediagate_event - one record read() from /dev/mediagate
 * @size: sizeof(struct mediagate_event)
 * @abi: MEDIAGATE_ABI_VERSION
 * @type: MEDIAGATE_EV_*
 * @seq: monotonic sequence number, starting at 1 per module load, no gaps;
 *	REPLAY records get new numbers
 * @handle: the hold this record is about (0 for OVERFLOW); stable for the
 *	life of the device or interface, never reused within a module load
 * @time_ns: CLOCK_BOOTTIME of the event
 * @flags: MEDIAGATE_EVF_*
 * @busnum: USB bus number
 * @devnum: USB device number on the bus
 * @id_vendor: idVendor
 * @id_product: idProduct
 * @bcd_device: bcdDevice
 * @level: MEDIAGATE_LEVEL_*
 * @verdict: the verdict in force (MEDIAGATE_VERDICT_NONE while held); for
 *	PRESENT the device-level verdict, not the per-interface ones
 * @dev_class: bDeviceClass
 * @dev_subclass: bDeviceSubClass
 * @dev_protocol: bDeviceProtocol
 * @intf_number: bInterfaceNumber for LEVEL_INTERFACE, 0xff otherwise
 * @intf_class: bInterfaceClass for LEVEL_INTERFACE
 * @intf_subclass: bInterfaceSubClass for LEVEL_INTERFACE
 * @intf_protocol: bInterfaceProtocol for LEVEL_INTERFACE
 * @speed: enum usb_device_speed value
 * @removable: MEDIAGATE_REMOVABLE_*
 * @num_intf: number of valid entries in @intf
 * @reserved: zero
 * @devpath: sysfs name of the device or interface ("2-1.4", "2-1.4:1.0"),
 *	NUL-terminated
 * @driver: for BIND_BLOCKED/TAMPER: the driver that tried to bind, or
 *	"authorized" when a held or denied device was configured through its
 *	sysfs authorized file; for HELD of an interface: the storage driver it
 *	was offered to, or is bound to (EVF_PRESENT_AT_LOAD), if any
 * @intf: every interface of the active (or first) configuration
 * @serial: iSerialNumber string as read by usbcore, NUL-terminated, may be
 *	truncated (EVF_TRUNCATED); device-supplied, treat as hostile
 * @product: iProduct string, as @serial
 * @manufacturer: iManufacturer string, as @serial
 *
 * Records are read whole: a read() buffer smaller than one record gets
 * -EINVAL; a larger one gets as many whole records as fit. The queue is
 * bounded (module parameter queue_len) and outlives the reader: records
 * queued while no daemon had the device open (TAMPER, REMOVED, ...) are
 * read first after a reconnect, so @seq has no gaps across reconnects;
 * a reconnecting daemon still calls REPLAY for the current holds. When the
 * queue is full, one OVERFLOW record takes the last slot and later records
 * are dropped unnumbered until it has been read.
 */
struct mediagate_event {
	__u32 size;
	__u16 abi;
	__u16 type;
	__u64 seq;
	__u64 handle;
	__u64 time_ns;
	__u32 flags;
	__u16 busnum;
	__u16 devnum;
	__u16 id_vendor;
	__u16 id_product;
	__u16 bcd_device;
	__u8 level;
	__u8 verdict;
	__u8 dev_class;
	__u8 dev_subclass;
	__u8 dev_protocol;
	__u8 intf_number;
	__u8 intf_class;
	__u8 intf_subclass;
	__u8 intf_protocol;
	__u8 speed;
	__u8 removable;
	__u8 num_intf;
	__u8 reserved[6];
	char devpath[32];
	char driver[32];
	struct mediagate_intf_desc intf[MEDIAGATE_MAX_INTF];
	char serial[128];
	char product[64];
	char manufacturer[64];
};

/**
 * struct mediagate_abi - answer of MEDIAGATE_IOC_GET_ABI
 * @size: set by the caller to sizeof(struct mediagate_abi)
 * @abi: filled with MEDIAGATE_ABI_VERSION
 * @event_size: sizeof(struct mediagate_event) in the kernel
 * @mode: 0 = storage, 1 = strict (module parameter "mode")
 * @pending: number of holds waiting for a verdict
 * @tracked: number of devices/interfaces the module tracks
 * @reserved: zero
 */
struct mediagate_abi {
	__u32 size;
	__u16 abi;
	__u16 mode;
	__u32 event_size;
	__u32 pending;
	__u32 tracked;
	__u32 reserved[3];
};

/**
 * struct mediagate_verdict - argument of MEDIAGATE_IOC_VERDICT
 * @size: sizeof(struct mediagate_verdict)
 * @abi: MEDIAGATE_ABI_VERSION
 * @verdict: MEDIAGATE_VERDICT_ALLOW, _READONLY or _DENY for the handle
 * @handle: from &struct mediagate_event.handle
 * @flags: zero
 * @reserved: zero
 * @intf_verdict: device-level handles only: verdict per bInterfaceNumber
 *	(index), applied to each interface as the configuration is set;
 *	MEDIAGATE_VERDICT_NONE means "same as @verdict". Must be zero for
 *	interface handles.
 *
 * Effects. ALLOW authorizes and reprobes. READONLY authorizes with the SCSI
 * write-blocker installed on the storage host before its first command:
 * read-class commands pass, MODE SENSE reports write protect, everything
 * else fails with DATA PROTECT; on an interface whose driver is not a SCSI
 * storage driver (usb-storage, uas, ums-*) it acts as DENY. DENY leaves the
 * device/interface unauthorized (and unbinds it if it was bound).
 *
 * Changing a verdict. A handle can be given a new verdict at any time.
 * READONLY -> ALLOW lifts the write-blocker in place and revalidates the
 * disk: the same block device becomes writable, open files and read-only
 * mounts stay as they are (remount to write). ALLOW -> READONLY installs the
 * blocker in place: from then on every write command fails, including
 * those from files opened for writing before and from read-write mounts
 * (their writeback fails with I/O errors; unmount them). Any -> DENY
 * unbinds the driver and deauthorizes: open files get I/O errors and
 * mounts lose their device.
 *
 * Returns 0, -EINVAL (bad size/abi/verdict/flags/reserved), -ENOENT (no
 * such handle), -EPERM (no CAP_SYS_ADMIN).
 */
struct mediagate_verdict {
	__u32 size;
	__u16 abi;
	__u16 verdict;
	__u64 handle;
	__u32 flags;
	__u32 reserved;
	__u8 intf_verdict[MEDIAGATE_MAX_INTF];
};

#define MEDIAGATE_DESC_MAX	4096

/**
 * struct mediagate_descriptors - argument of MEDIAGATE_IOC_GET_DESCRIPTORS
 * @size: sizeof(struct mediagate_descriptors)
 * @abi: MEDIAGATE_ABI_VERSION
 * @reserved0: zero
 * @handle: a handle from an event (device or interface level)
 * @len: out: bytes of @data used; the device descriptor (18 bytes)
 *	followed by every raw configuration descriptor, as in the sysfs
 *	"descriptors" file
 * @reserved: zero
 * @data: out
 *
 * Reading the descriptors by handle avoids a race between the event and a
 * sysfs read (the device may have been replaced by then). Returns -E2BIG if
 * they do not fit, -ENOENT for an unknown handle.
 */
struct mediagate_descriptors {
	__u32 size;
	__u16 abi;
	__u16 reserved0;
	__u64 handle;
	__u32 len;
	__u32 reserved;
	__u8 data[MEDIAGATE_DESC_MAX];
};

#define MEDIAGATE_IOC_MAGIC	0xB7

/* Fill &struct mediagate_abi. */
#define MEDIAGATE_IOC_GET_ABI		_IOWR(MEDIAGATE_IOC_MAGIC, 0x00, struct mediagate_abi)
/* Apply a verdict to a handle. */
#define MEDIAGATE_IOC_VERDICT		_IOW(MEDIAGATE_IOC_MAGIC, 0x01, struct mediagate_verdict)
/* Queue a HELD record (EVF_REPLAY) for every pending hold; returns their count. */
#define MEDIAGATE_IOC_REPLAY		_IO(MEDIAGATE_IOC_MAGIC, 0x02)
/* Copy a tracked device's raw descriptors. */
#define MEDIAGATE_IOC_GET_DESCRIPTORS	\
	_IOWR(MEDIAGATE_IOC_MAGIC, 0x03, struct mediagate_descriptors)
/*
 * Queue a PRESENT record for every tracked device or interface that has a
 * verdict in force (pending holds are REPLAY's); returns their count. A
 * restarted daemon uses it to learn what was decided before it started, so
 * a later reload or media probe can re-evaluate those devices. @verdict of
 * each record is the verdict in force; an interface entry that only
 * inherits from its device-level entry (the verdict was given on the
 * device's handle) carries MEDIAGATE_EVF_UNDER_DEVICE. The records go
 * through the bounded queue like any other: when it fills, the usual
 * OVERFLOW record ends the list and the count still says how many were
 * meant; call it again after draining.
 */
#define MEDIAGATE_IOC_LIST_PRESENT	_IO(MEDIAGATE_IOC_MAGIC, 0x05)
/*
 * Administrator's release before unloading: every read-only interface is
 * deauthorized and unbound (fail-closed, it does not become writable), every
 * hold is dropped (held devices stay unauthorized), and the module drops the
 * references that make rmmod refuse. Returns the number of released entries.
 */
#define MEDIAGATE_IOC_RELEASE_ALL	_IO(MEDIAGATE_IOC_MAGIC, 0x04)

#endif /* _UAPI_LINUX_MEDIAGATE_H */
