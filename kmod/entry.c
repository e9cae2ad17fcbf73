// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: the table of tracked devices and interfaces, and how an entry
 * becomes an event record. Every function here runs with mg_lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/usb.h>

#include "mg.h"

static LIST_HEAD(mg_entries);
static u64 mg_next_handle = 1;

struct mg_entry *mg_entry_find_dev(const struct device *dev)
{
	struct mg_entry *e;

	lockdep_assert_held(&mg_lock);
	list_for_each_entry(e, &mg_entries, node)
		if (e->dev == dev)
			return e;
	return NULL;
}

struct mg_entry *mg_entry_find_handle(u64 handle)
{
	struct mg_entry *e;

	lockdep_assert_held(&mg_lock);
	list_for_each_entry(e, &mg_entries, node)
		if (e->handle == handle)
			return e;
	return NULL;
}

/* A pending hold pins the module: plain rmmod is refused until a verdict. */
void mg_entry_pin(struct mg_entry *e, bool pin)
{
	if (e->pinned == pin)
		return;
	e->pinned = pin;
	if (pin)
		mg_pin();
	else
		mg_unpin();
}

static struct mg_entry *mg_entry_new(u8 level, u8 verdict, u32 flags)
{
	struct mg_entry *e = kzalloc(sizeof(*e), GFP_NOIO);

	if (!e)
		return NULL;
	e->handle = mg_next_handle++;
	e->level = level;
	e->verdict = verdict;
	e->flags = flags;
	list_add_tail(&e->node, &mg_entries);
	if (verdict == MEDIAGATE_VERDICT_NONE)
		mg_entry_pin(e, true);
	return e;
}

struct mg_entry *mg_entry_add_udev(struct usb_device *udev, u8 verdict, u32 flags)
{
	struct mg_entry *e = mg_entry_new(MEDIAGATE_LEVEL_DEVICE, verdict, flags);

	if (!e)
		return NULL;
	e->udev = usb_get_dev(udev);
	e->dev = &udev->dev;
	return e;
}

struct mg_entry *mg_entry_add_intf(struct usb_interface *intf, u8 verdict, u32 flags,
				   const char *driver)
{
	struct mg_entry *e = mg_entry_new(MEDIAGATE_LEVEL_INTERFACE, verdict, flags);

	if (!e)
		return NULL;
	e->intf = usb_get_intf(intf);
	e->udev = usb_get_dev(interface_to_usbdev(intf));
	e->dev = &intf->dev;
	if (driver)
		strscpy(e->driver, driver, sizeof(e->driver));
	return e;
}

/* Forget an entry: drop its references and its pin. */
void mg_entry_remove(struct mg_entry *e)
{
	list_del(&e->node);
	mg_entry_pin(e, false);
	if (e->intf)
		usb_put_intf(e->intf);
	usb_put_dev(e->udev);
	kfree(e);
}

void mg_entry_free_all(void)
{
	struct mg_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &mg_entries, node)
		mg_entry_remove(e);
}

unsigned int mg_entry_count(unsigned int *ret_pending)
{
	unsigned int n = 0, pending = 0;
	struct mg_entry *e;

	list_for_each_entry(e, &mg_entries, node) {
		n++;
		if (e->verdict == MEDIAGATE_VERDICT_NONE)
			pending++;
	}
	*ret_pending = pending;
	return n;
}

/* Copy a device-supplied string; flag the record when it did not fit. */
static void mg_copy_str(char *dst, size_t size, const char *src, u32 *flags)
{
	if (src && strscpy(dst, src, size) < 0)
		*flags |= MEDIAGATE_EVF_TRUNCATED;
}

static u8 mg_removable(struct usb_device *udev)
{
	switch (udev->dev.removable) {
	case DEVICE_REMOVABLE:
		return MEDIAGATE_REMOVABLE_YES;
	case DEVICE_FIXED:
		return MEDIAGATE_REMOVABLE_FIXED;
	default:
		return MEDIAGATE_REMOVABLE_UNKNOWN;
	}
}

/* The interfaces of the active configuration, or of the first one. */
static void mg_fill_intfs(struct mediagate_event *ev, struct usb_device *udev)
{
	struct usb_host_config *cfg = udev->actconfig;
	unsigned int i, n;

	if (!cfg && udev->config && udev->descriptor.bNumConfigurations)
		cfg = &udev->config[0];
	if (!cfg)
		return;
	n = min_t(unsigned int, cfg->desc.bNumInterfaces, MEDIAGATE_MAX_INTF);
	for (i = 0; i < n; i++) {
		struct usb_interface_cache *ic = cfg->intf_cache[i];
		const struct usb_interface_descriptor *d;

		if (!ic || !ic->num_altsetting)
			continue;
		d = &ic->altsetting[0].desc;
		ev->intf[ev->num_intf].number = d->bInterfaceNumber;
		ev->intf[ev->num_intf].class = d->bInterfaceClass;
		ev->intf[ev->num_intf].subclass = d->bInterfaceSubClass;
		ev->intf[ev->num_intf].protocol = d->bInterfaceProtocol;
		ev->num_intf++;
	}
}

/* Build the record for @e in a zeroed buffer (no kernel bytes leak) and queue it. */
void mg_entry_report(const struct mg_entry *e, u16 type, u32 extra_flags, const char *driver)
{
	struct usb_device *udev = e->udev;
	struct mediagate_event *ev;
	u32 flags = extra_flags;

	ev = kzalloc(sizeof(*ev), GFP_NOIO);
	if (!ev)
		return;
	ev->type = type;
	ev->handle = e->handle;
	ev->level = e->level;
	ev->verdict = e->verdict;
	ev->busnum = udev->bus->busnum;
	ev->devnum = udev->devnum;
	ev->id_vendor = le16_to_cpu(udev->descriptor.idVendor);
	ev->id_product = le16_to_cpu(udev->descriptor.idProduct);
	ev->bcd_device = le16_to_cpu(udev->descriptor.bcdDevice);
	ev->dev_class = udev->descriptor.bDeviceClass;
	ev->dev_subclass = udev->descriptor.bDeviceSubClass;
	ev->dev_protocol = udev->descriptor.bDeviceProtocol;
	ev->speed = udev->speed;
	ev->removable = mg_removable(udev);
	ev->intf_number = 0xff;
	if (e->intf) {
		const struct usb_interface_descriptor *d = &e->intf->cur_altsetting->desc;

		ev->intf_number = d->bInterfaceNumber;
		ev->intf_class = d->bInterfaceClass;
		ev->intf_subclass = d->bInterfaceSubClass;
		ev->intf_protocol = d->bInterfaceProtocol;
	}
	mg_copy_str(ev->devpath, sizeof(ev->devpath), dev_name(e->dev), &flags);
	mg_copy_str(ev->driver, sizeof(ev->driver), driver ? driver : e->driver, &flags);
	mg_fill_intfs(ev, udev);
	mg_copy_str(ev->serial, sizeof(ev->serial), udev->serial, &flags);
	mg_copy_str(ev->product, sizeof(ev->product), udev->product, &flags);
	mg_copy_str(ev->manufacturer, sizeof(ev->manufacturer), udev->manufacturer, &flags);
	if (type == MEDIAGATE_EV_HELD)
		flags |= e->flags;
	ev->flags = flags;
	mg_event_push(ev);
	kfree(ev);
}

/* MEDIAGATE_IOC_REPLAY: a HELD record for every pending entry. */
int mg_entry_replay(void)
{
	struct mg_entry *e;
	int n = 0;

	list_for_each_entry(e, &mg_entries, node) {
		if (e->verdict != MEDIAGATE_VERDICT_NONE)
			continue;
		mg_entry_report(e, MEDIAGATE_EV_HELD, MEDIAGATE_EVF_REPLAY, NULL);
		n++;
	}
	return n;
}

/*
 * MEDIAGATE_IOC_LIST_PRESENT: a PRESENT record for every entry that has a
 * verdict in force; interfaces of a device that has its own entry are
 * flagged, their verdict was given on the device's handle.
 */
int mg_entry_list_present(void)
{
	struct mg_entry *e;
	u32 flags;
	int n = 0;

	list_for_each_entry(e, &mg_entries, node) {
		if (e->verdict == MEDIAGATE_VERDICT_NONE)
			continue;
		flags = 0;
		if (e->intf && mg_entry_find_dev(&e->udev->dev))
			flags = MEDIAGATE_EVF_UNDER_DEVICE;
		mg_entry_report(e, MEDIAGATE_EV_PRESENT, flags, NULL);
		n++;
	}
	return n;
}

/*
 * MEDIAGATE_IOC_GET_DESCRIPTORS: device descriptor + raw configuration
 * descriptors, laid out as the sysfs "descriptors" file.
 */
int mg_entry_descriptors(u64 handle, u8 *buf, u32 *ret_len)
{
	struct usb_device *udev;
	struct mg_entry *e;
	unsigned int i;
	u32 len;

	e = mg_entry_find_handle(handle);
	if (!e)
		return -ENOENT;
	udev = e->udev;
	len = sizeof(udev->descriptor);
	memcpy(buf, &udev->descriptor, len);
	if (!udev->rawdescriptors || !udev->config)
		goto out;
	for (i = 0; i < udev->descriptor.bNumConfigurations; i++) {
		u32 n = le16_to_cpu(udev->config[i].desc.wTotalLength);

		if (!udev->rawdescriptors[i])
			continue;
		if (len + n > MEDIAGATE_DESC_MAX)
			return -E2BIG;
		memcpy(buf + len, udev->rawdescriptors[i], n);
		len += n;
	}
out:
	*ret_len = len;
	return 0;
}

/*
 * RELEASE_ALL, step 1: turn up to @max read-only interface entries into
 * DENY and return them referenced, for the caller to revoke.
 */
int mg_entry_collect_ro(struct usb_interface **ret_intf, int max)
{
	struct mg_entry *e;
	int n = 0;

	list_for_each_entry(e, &mg_entries, node) {
		if (n == max)
			break;
		if (!e->intf || e->verdict != MEDIAGATE_VERDICT_READONLY)
			continue;
		e->verdict = MEDIAGATE_VERDICT_DENY;
		mg_entry_report(e, MEDIAGATE_EV_APPLIED, 0, NULL);
		ret_intf[n++] = usb_get_intf(e->intf);
	}
	return n;
}

/* RELEASE_ALL, step 2: pending holds stay held but stop pinning the module. */
int mg_entry_unpin_all(void)
{
	struct mg_entry *e;
	int n = 0;

	list_for_each_entry(e, &mg_entries, node) {
		if (!e->pinned)
			continue;
		mg_entry_pin(e, false);
		n++;
	}
	return n;
}
