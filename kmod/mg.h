/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mediagate: internal declarations shared by the module's files.
 *
 * Locking, outermost first:
 *   mg_action_mutex   serialises every state change the module makes itself
 *                     (verdicts, watchdog work, RELEASE_ALL, unload); held
 *                     across driver-core calls, never taken by a notifier
 *   device_lock()     usb_device before usb_interface (driver-core order)
 *   mg_lock           the entry table and the blocker list; a mutex, taken
 *                     inside notifiers; nothing that can re-enter a notifier
 *                     is ever called with it held
 *   event queue lock  a spinlock inside cdev.c
 *
 * Allocations on the notifier paths use GFP_NOIO, as usbcore does while it
 * configures or resets a device: reclaim must not wait for I/O to a USB
 * disk behind the hub that is being enumerated.
 */
#ifndef MG_H
#define MG_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/usb.h>
#include <linux/mediagate.h>

#include "conftest.h"

#define MG_MODE_STORAGE	0
#define MG_MODE_STRICT	1

/* module parameters (main.c) */
extern int mg_mode;
extern bool mg_hold_still_image;
extern unsigned int mg_queue_len;

extern struct mutex mg_lock;
extern struct mutex mg_action_mutex;

/**
 * struct mg_entry - one tracked usb_device or usb_interface
 * @node: in mg_entries, under mg_lock
 * @handle: the ABI handle, unique per module load
 * @level: MEDIAGATE_LEVEL_*
 * @verdict: MEDIAGATE_VERDICT_* in force (NONE: held, waiting)
 * @intf_verdict: device level: verdict per bInterfaceNumber (NONE: inherit)
 * @flags: MEDIAGATE_EVF_* reported with HELD
 * @pinned: this entry holds a module reference (pending hold)
 * @tamper_queued: device level: a watchdog undo is queued
 * @dev: &udev->dev or &intf->dev, the lookup key
 * @udev: referenced usb_device (both levels)
 * @intf: referenced usb_interface (interface level)
 * @driver: driver that was offered the interface when it was held
 */
struct mg_entry {
	struct list_head node;
	u64 handle;
	u8 level;
	u8 verdict;
	u8 intf_verdict[MEDIAGATE_MAX_INTF];
	u32 flags;
	bool pinned;
	bool tamper_queued;
	struct device *dev;
	struct usb_device *udev;
	struct usb_interface *intf;
	char driver[32];
};

/* entry.c: the table; callers hold mg_lock */
struct mg_entry *mg_entry_find_dev(const struct device *dev);
struct mg_entry *mg_entry_find_handle(u64 handle);
struct mg_entry *mg_entry_add_udev(struct usb_device *udev, u8 verdict, u32 flags);
struct mg_entry *mg_entry_add_intf(struct usb_interface *intf, u8 verdict, u32 flags,
				   const char *driver);
void mg_entry_remove(struct mg_entry *e);
void mg_entry_pin(struct mg_entry *e, bool pin);
void mg_entry_report(const struct mg_entry *e, u16 type, u32 extra_flags, const char *driver);
unsigned int mg_entry_count(unsigned int *ret_pending);
int mg_entry_replay(void);
int mg_entry_list_present(void);
int mg_entry_descriptors(u64 handle, u8 *buf, u32 *ret_len);
void mg_entry_free_all(void);
int mg_entry_collect_ro(struct usb_interface **ret_intf, int max);
int mg_entry_unpin_all(void);

/* helpers shared by hold.c and verdict.c */
bool mg_is_storage_class(u8 cls);
bool mg_is_storage_driver(const char *name);
bool mg_verdict_approves(u8 verdict, const char *driver);
bool mg_intf_can_readonly(struct usb_interface *intf, const char *offered);

/* hold.c: USB bus notifier and the load-time sweep */
int mg_hold_init(void);
void mg_hold_exit(void);
void mg_hold_sweep(void);

/* verdict.c: applying verdicts and the watchdog */
int mg_verdict_init(void);
void mg_verdict_exit(void);
int mg_verdict_apply(u64 handle, u8 verdict, const u8 *intf_verdict);
void mg_verdict_queue_intf_undo(struct usb_interface *intf, const char *driver);
void mg_verdict_queue_udev_undo(struct usb_device *udev, bool unbind_driver);
void mg_verdict_revoke_intf(struct usb_interface *intf);
int mg_verdict_release_all(void);
void mg_verdict_fail_closed(void);

/* roblock.c: SCSI write-blocker */
int mg_rb_init(void);
void mg_rb_exit(void);
int mg_rb_intf_set(struct usb_interface *intf, bool readonly);
int mg_rb_collect_wanted(struct usb_interface **ret_intf, int max);

/* cdev.c: /dev/mediagate and the event queue */
int mg_cdev_init(void);
int mg_cdev_register(void);
void mg_cdev_exit(void);
void mg_event_push(struct mediagate_event *ev);
void mg_event_free(void);

/* main.c */
void mg_pin(void);
void mg_unpin(void);

#endif /* MG_H */
