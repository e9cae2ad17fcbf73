// SPDX-License-Identifier: GPL-2.0-or-later
/* blockwatch: libudev monitor for USB block disks. See blockwatch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "blockwatch.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)

struct blockwatch {
	struct udev *udev;
	struct udev_monitor *mon;
};

int blockwatch_new(struct blockwatch **ret_bw)
{
	struct blockwatch *bw = calloc(1, sizeof(*bw));
	int r = -ENOMEM;

	if (!bw)
		return -ENOMEM;
	bw->udev = udev_new();
	if (!bw->udev)
		goto fail;
	bw->mon = udev_monitor_new_from_netlink(bw->udev, "udev");
	if (!bw->mon)
		goto fail;
	r = udev_monitor_filter_add_match_subsystem_devtype(bw->mon, "block", "disk");
	if (r >= 0)
		r = udev_monitor_enable_receiving(bw->mon);
	if (r < 0)
		goto fail;
	*ret_bw = bw;
	return 0;
fail:
	blockwatch_free(bw);
	return r < 0 ? r : -ENOMEM;
}

void blockwatch_free(struct blockwatch *bw)
{
	if (!bw)
		return;
	udev_monitor_unref(bw->mon);
	udev_unref(bw->udev);
	free(bw);
}

int blockwatch_fd(const struct blockwatch *bw)
{
	return udev_monitor_get_fd(bw->mon);
}

/* Fill @ret from a block disk; 1 if it sits on a USB device, else 0. */
static int describe(struct udev_device *dev, struct blockwatch_disk *ret)
{
	struct udev_device *usb;
	const char *node, *name;

	node = udev_device_get_devnode(dev);
	usb = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");
	if (!node || !usb)
		return 0;
	name = udev_device_get_sysname(usb);
	if (!name || strlen(name) >= sizeof(ret->usb_name) || strlen(node) >= sizeof(ret->devnode))
		return 0;
	strcpy(ret->usb_name, name);
	strcpy(ret->devnode, node);
	return 1;
}

int blockwatch_receive(struct blockwatch *bw, struct blockwatch_disk *ret)
{
	_cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
	const char *action;

	dev = udev_monitor_receive_device(bw->mon);
	if (!dev)
		return errno == EAGAIN || errno == 0 ? 0 : -errno;
	action = udev_device_get_action(dev);
	if (!action || (strcmp(action, "add") && strcmp(action, "change")))
		return 0;
	return describe(dev, ret);
}

int blockwatch_enumerate(struct blockwatch *bw, const char *usb_name,
			 void (*fn)(const struct blockwatch_disk *d, void *userdata),
			 void *userdata)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *it;
	int r;

	e = udev_enumerate_new(bw->udev);
	if (!e)
		return -ENOMEM;
	r = udev_enumerate_add_match_subsystem(e, "block");
	if (r >= 0)
		r = udev_enumerate_add_match_property(e, "DEVTYPE", "disk");
	if (r >= 0)
		r = udev_enumerate_scan_devices(e);
	if (r < 0)
		return r;
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
		struct blockwatch_disk d;

		dev = udev_device_new_from_syspath(bw->udev, udev_list_entry_get_name(it));
		if (dev && describe(dev, &d) == 1 && !strcmp(d.usb_name, usb_name))
			fn(&d, userdata);
	}
	return 0;
}
