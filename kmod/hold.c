// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: the USB bus notifier. It holds devices and interfaces before
 * any driver binds, vetoes unapproved binds and spots binds that slipped
 * past the veto (usbfs claims), and sweeps the devices present at load.
 *
 * usbcore's bus is not exported; an anchor usb_driver that never binds
 * gives us its address. A hold is usbcore's own "authorized" bit: a
 * usb_device with authorized=0 at BUS_NOTIFY_ADD_DEVICE is left
 * unconfigured by the generic driver, and usb_probe_interface() refuses an
 * interface with authorized=0. Nothing here waits for userspace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <linux/usb.h>

#include "mg.h"

#ifdef MG_HAVE_USB_DRIVER_DRVWRAP
#define MG_USB_DRV(d)	((d)->drvwrap.driver)
#else
#define MG_USB_DRV(d)	((d)->driver)
#endif

static int mg_anchor_probe(struct usb_interface *intf, const struct usb_device_id *id)
{
	return -ENODEV;
}

static void mg_anchor_disconnect(struct usb_interface *intf)
{
}

static struct usb_driver mg_usb_anchor = {
	.name = KBUILD_MODNAME,
	.probe = mg_anchor_probe,
	.disconnect = mg_anchor_disconnect,
	.no_dynamic_id = 1,
};

static typeof(MG_USB_DRV(&mg_usb_anchor).bus) mg_usb_bus;

bool mg_is_storage_class(u8 cls)
{
	return cls == USB_CLASS_MASS_STORAGE ||
	       (mg_hold_still_image && cls == USB_CLASS_STILL_IMAGE);
}

/* The SCSI storage drivers of drivers/usb/storage (ums-*, ums_eneub6250). */
bool mg_is_storage_driver(const char *name)
{
	return !strcmp(name, "usb-storage") || !strcmp(name, "uas") ||
	       !strncmp(name, "ums-", 4) || !strncmp(name, "ums_", 4);
}

bool mg_verdict_approves(u8 verdict, const char *driver)
{
	return verdict == MEDIAGATE_VERDICT_ALLOW ||
	       (verdict == MEDIAGATE_VERDICT_READONLY && mg_is_storage_driver(driver));
}

static bool mg_dev_is(const struct device *dev, const char *type)
{
	return dev->type && dev->type->name && !strcmp(dev->type->name, type);
}

/* Any storage-class interface in any configuration and altsetting. */
static bool mg_udev_has_storage(struct usb_device *udev)
{
	unsigned int c, i, a;

	if (mg_is_storage_class(udev->descriptor.bDeviceClass))
		return true;
	if (!udev->config)
		return false;
	for (c = 0; c < udev->descriptor.bNumConfigurations; c++) {
		struct usb_host_config *cfg = &udev->config[c];

		for (i = 0; i < cfg->desc.bNumInterfaces && i < USB_MAXINTERFACES; i++) {
			struct usb_interface_cache *ic = cfg->intf_cache[i];

			for (a = 0; ic && a < ic->num_altsetting; a++)
				if (mg_is_storage_class(ic->altsetting[a].desc.bInterfaceClass))
					return true;
		}
	}
	return false;
}

static bool mg_intf_is_storage(struct usb_interface *intf)
{
	unsigned int a;

	for (a = 0; a < intf->num_altsetting; a++)
		if (mg_is_storage_class(intf->altsetting[a].desc.bInterfaceClass))
			return true;
	return false;
}

/*
 * Can READONLY mean anything here: a mass-storage interface, or one that was
 * offered to a SCSI storage driver by ID? Otherwise READONLY acts as DENY.
 */
bool mg_intf_can_readonly(struct usb_interface *intf, const char *offered)
{
	unsigned int a;

	if (offered && mg_is_storage_driver(offered))
		return true;
	for (a = 0; a < intf->num_altsetting; a++)
		if (intf->altsetting[a].desc.bInterfaceClass == USB_CLASS_MASS_STORAGE)
			return true;
	return false;
}

/* BUS_NOTIFY_ADD_DEVICE of a usb_device: descriptors read, not configured yet. */
static void mg_udev_added(struct usb_device *udev, u32 flags)
{
	bool storage = mg_udev_has_storage(udev);
	struct mg_entry *e;

	if (!udev->parent || (!storage && mg_mode != MG_MODE_STRICT))
		return;
	if (!storage)
		flags |= MEDIAGATE_EVF_STRICT;

	device_lock(&udev->dev);
	mutex_lock(&mg_lock);
	if (!mg_entry_find_dev(&udev->dev)) {
		udev->authorized = 0;
		e = mg_entry_add_udev(udev, MEDIAGATE_VERDICT_NONE, flags);
		if (e)
			mg_entry_report(e, MEDIAGATE_EV_HELD, 0, NULL);
		else
			dev_warn(&udev->dev, "held, but no memory to track it\n");
	}
	mutex_unlock(&mg_lock);
	device_unlock(&udev->dev);
}

/*
 * An interface of a device we track appears: the device-level verdict (or
 * its intf_verdict[] slot) decides, no second hold. Interfaces appearing
 * under a device that is held or denied mean someone configured it behind
 * our back: keep them unauthorized and undo the configuration from work.
 */
static void mg_intf_under_device(struct usb_interface *intf, struct mg_entry *pe)
{
	u8 num = intf->cur_altsetting->desc.bInterfaceNumber;
	u8 v = pe->verdict;
	struct mg_entry *e;

	if (v == MEDIAGATE_VERDICT_NONE || v == MEDIAGATE_VERDICT_DENY) {
		intf->authorized = 0;
		e = mg_entry_add_intf(intf, v, 0, NULL);
		if (e && v == MEDIAGATE_VERDICT_NONE)
			mg_entry_pin(e, false);	/* the device entry is the hold */
		if (!pe->tamper_queued) {
			pe->tamper_queued = true;
			mg_entry_report(pe, MEDIAGATE_EV_TAMPER, 0, "authorized");
			mg_verdict_queue_udev_undo(pe->udev, false);
		}
		return;
	}
	if (num < MEDIAGATE_MAX_INTF && pe->intf_verdict[num] != MEDIAGATE_VERDICT_NONE)
		v = pe->intf_verdict[num];
	intf->authorized = v == MEDIAGATE_VERDICT_ALLOW ||
			   (v == MEDIAGATE_VERDICT_READONLY && mg_intf_can_readonly(intf, NULL));
	e = mg_entry_add_intf(intf, v, 0, NULL);
	if (e)
		mg_entry_report(e, MEDIAGATE_EV_APPLIED, 0, NULL);
}

/* BUS_NOTIFY_ADD_DEVICE of a usb_interface: before any driver probes it. */
static void mg_intf_added(struct usb_interface *intf)
{
	struct usb_device *udev = interface_to_usbdev(intf);
	struct mg_entry *pe, *e;

	device_lock(&intf->dev);
	mutex_lock(&mg_lock);
	if (mg_entry_find_dev(&intf->dev))
		goto out;
	pe = mg_entry_find_dev(&udev->dev);
	if (pe) {
		mg_intf_under_device(intf, pe);
	} else if (mg_intf_is_storage(intf)) {
		intf->authorized = 0;
		e = mg_entry_add_intf(intf, MEDIAGATE_VERDICT_NONE, 0, NULL);
		if (e)
			mg_entry_report(e, MEDIAGATE_EV_HELD, 0, NULL);
	}
out:
	mutex_unlock(&mg_lock);
	device_unlock(&intf->dev);
}

/*
 * BUS_NOTIFY_BIND_DRIVER: a driver was chosen and will probe next; the driver
 * core holds the interface and device locks. The notifier cannot veto, but
 * authorized=0 makes usb_probe_interface() return -ENODEV. A storage driver
 * offered an interface we do not track (vendor-class sticks matched by ID)
 * creates an interface-level hold.
 */
static void mg_intf_bind(struct usb_interface *intf, const char *drv)
{
	struct mg_entry *e;
	bool was_auth;

	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(&intf->dev);
	if (e) {
		if (!mg_verdict_approves(e->verdict, drv)) {
			was_auth = intf->authorized;
			intf->authorized = 0;
			mg_entry_report(e, was_auth && e->verdict != MEDIAGATE_VERDICT_READONLY ?
					MEDIAGATE_EV_TAMPER : MEDIAGATE_EV_BIND_BLOCKED, 0, drv);
		}
	} else if (mg_is_storage_driver(drv)) {
		intf->authorized = 0;
		e = mg_entry_add_intf(intf, MEDIAGATE_VERDICT_NONE, 0, drv);
		if (e)
			mg_entry_report(e, MEDIAGATE_EV_HELD, 0, NULL);
	}
	mutex_unlock(&mg_lock);
}

/*
 * BUS_NOTIFY_BOUND_DRIVER: a bind that did not probe (usbfs claim through
 * usb_driver_claim_interface()) is not stopped by the veto above; undo it
 * from the watchdog work, never inside the notifier.
 */
static void mg_intf_bound(struct usb_interface *intf, const char *drv)
{
	struct mg_entry *e;

	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(&intf->dev);
	if (e && !mg_verdict_approves(e->verdict, drv))
		mg_verdict_queue_intf_undo(intf, drv);
	mutex_unlock(&mg_lock);
}

/* A device-level driver other than usbcore's generic one (usbip-host...). */
static void mg_udev_bound(struct usb_device *udev, const char *drv)
{
	struct mg_entry *e;

	if (!strcmp(drv, "usb"))
		return;
	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(&udev->dev);
	if (e && e->verdict != MEDIAGATE_VERDICT_ALLOW &&
	    e->verdict != MEDIAGATE_VERDICT_READONLY) {
		mg_entry_report(e, MEDIAGATE_EV_TAMPER, 0, drv);
		mg_verdict_queue_udev_undo(udev, true);
	}
	mutex_unlock(&mg_lock);
}

static void mg_dev_removed(struct device *dev)
{
	struct mg_entry *e;

	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(dev);
	if (e) {
		mg_entry_report(e, MEDIAGATE_EV_REMOVED, 0, NULL);
		mg_entry_remove(e);
	}
	mutex_unlock(&mg_lock);
}

static int mg_usb_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;
	bool is_udev = mg_dev_is(dev, "usb_device");

	if (!is_udev && !mg_dev_is(dev, "usb_interface"))
		return NOTIFY_DONE;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (is_udev)
			mg_udev_added(to_usb_device(dev), 0);
		else
			mg_intf_added(to_usb_interface(dev));
		break;
	case BUS_NOTIFY_BIND_DRIVER:
		if (!is_udev && dev->driver)
			mg_intf_bind(to_usb_interface(dev), dev->driver->name);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		if (!dev->driver)
			break;
		if (is_udev)
			mg_udev_bound(to_usb_device(dev), dev->driver->name);
		else
			mg_intf_bound(to_usb_interface(dev), dev->driver->name);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		mg_dev_removed(dev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mg_usb_nb = {
	.notifier_call = mg_usb_notify,
};

/*
 * Sweep, per device present at load. An unconfigured device with storage
 * (or any, in strict mode) is held at device level. In a configured device,
 * storage interfaces (by class or by bound storage driver) are held at
 * interface level: unbound ones are deauthorized; bound ones stay bound,
 * reported with their driver, until the verdict (fail-closed at boot,
 * where the module loads before usb-storage; never yanking a disk that may
 * hold the root file system). Configured non-storage devices are left
 * alone even in strict mode, so the console keyboard keeps working.
 */
static int mg_sweep_one(struct usb_device *udev, void *data)
{
	struct usb_host_config *cfg;
	unsigned int i;

	if (!udev->parent)
		return 0;
	device_lock(&udev->dev);
	cfg = udev->actconfig;
	if (!cfg) {
		device_unlock(&udev->dev);
		mg_udev_added(udev, MEDIAGATE_EVF_PRESENT_AT_LOAD);
		return 0;
	}
	for (i = 0; i < cfg->desc.bNumInterfaces; i++) {
		struct usb_interface *intf = cfg->interface[i];
		const char *drv;
		struct mg_entry *e;

		if (!intf)
			continue;
		device_lock(&intf->dev);
		drv = intf->dev.driver ? intf->dev.driver->name : NULL;
		mutex_lock(&mg_lock);
		if (!mg_entry_find_dev(&intf->dev) &&
		    (mg_intf_is_storage(intf) || (drv && mg_is_storage_driver(drv)))) {
			if (!drv)
				intf->authorized = 0;
			e = mg_entry_add_intf(intf, MEDIAGATE_VERDICT_NONE,
					      MEDIAGATE_EVF_PRESENT_AT_LOAD, drv);
			if (e)
				mg_entry_report(e, MEDIAGATE_EV_HELD, 0, NULL);
		}
		mutex_unlock(&mg_lock);
		device_unlock(&intf->dev);
	}
	device_unlock(&udev->dev);
	return 0;
}

void mg_hold_sweep(void)
{
	usb_for_each_dev(NULL, mg_sweep_one);
}

int mg_hold_init(void)
{
	int ret;

	ret = usb_register(&mg_usb_anchor);
	if (ret)
		return ret;
	mg_usb_bus = MG_USB_DRV(&mg_usb_anchor).bus;
	ret = bus_register_notifier(mg_usb_bus, &mg_usb_nb);
	if (ret)
		usb_deregister(&mg_usb_anchor);
	return ret;
}

void mg_hold_exit(void)
{
	bus_unregister_notifier(mg_usb_bus, &mg_usb_nb);
	usb_deregister(&mg_usb_anchor);
}
