// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: applying verdicts, the watchdog that undoes unapproved binds,
 * and the administrator's RELEASE_ALL. Everything here runs in process
 * context under mg_action_mutex, with mg_lock dropped before any call that
 * can re-enter the notifiers (probe, unbind, set_configuration).
 *
 * usb_(de)authorize_{device,interface}() are not exported; their effect is
 * rebuilt from exported pieces: the authorized bit under the device lock,
 * usb_set_configuration(), device_reprobe() (which takes the parent lock an
 * interface needs on both 6.1 and 6.12) and device_release_driver().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/workqueue.h>

#include "mg.h"

static struct workqueue_struct *mg_wq;

struct mg_undo {
	struct work_struct work;
	struct usb_device *udev;
	struct usb_interface *intf;
	bool unbind_udev;
	char driver[32];
};

/* Deauthorize an interface and unbind whatever is bound (fail closed). */
void mg_verdict_revoke_intf(struct usb_interface *intf)
{
	struct usb_device *udev = interface_to_usbdev(intf);

	device_lock(&udev->dev);
	device_lock(&intf->dev);
	intf->authorized = 0;
	device_unlock(&intf->dev);
	if (intf->dev.driver)
		device_release_driver(&intf->dev);
	device_unlock(&udev->dev);
}

/* Authorize an interface and let drivers probe it if nothing is bound. */
static void mg_allow_intf(struct usb_interface *intf)
{
	bool bound;

	device_lock(&intf->dev);
	intf->authorized = 1;
	bound = intf->dev.driver;
	device_unlock(&intf->dev);
	if (!bound && device_reprobe(&intf->dev))
		dev_dbg(&intf->dev, "reprobe failed\n");
}

/*
 * One interface's verdict. READONLY on an interface bound to a SCSI storage
 * driver installs the write-blocker in place; bound to anything else it is
 * a DENY. Unbound, it is authorized and the blocker is installed when the
 * SCSI host appears (roblock.c) -- if it can be SCSI storage at all (class
 * 08, or offered to a storage driver by ID); otherwise DENY. The entry
 * already carries the verdict.
 */
static void mg_apply_intf(struct usb_interface *intf, u8 verdict, const char *offered)
{
	const char *drv;
	bool storage_bound;

	switch (verdict) {
	case MEDIAGATE_VERDICT_DENY:
		mg_verdict_revoke_intf(intf);
		break;
	case MEDIAGATE_VERDICT_ALLOW:
		mg_rb_intf_set(intf, false);
		mg_allow_intf(intf);
		break;
	case MEDIAGATE_VERDICT_READONLY:
		device_lock(&intf->dev);
		drv = intf->dev.driver ? intf->dev.driver->name : NULL;
		storage_bound = drv && mg_is_storage_driver(drv);
		device_unlock(&intf->dev);
		if (drv && !storage_bound) {
			mg_verdict_revoke_intf(intf);
		} else if (storage_bound) {
			if (mg_rb_intf_set(intf, true))
				mg_verdict_revoke_intf(intf);
		} else if (mg_intf_can_readonly(intf, offered)) {
			mg_allow_intf(intf);
		} else {
			mg_verdict_revoke_intf(intf);
		}
		break;
	}
}

/* Record a verdict on the interface entries of a configured device. */
static int mg_collect_intfs(struct usb_device *udev, u8 verdict, const u8 *iv,
			    struct usb_interface **ret_intf, u8 *ret_v)
{
	struct usb_host_config *cfg = udev->actconfig;
	unsigned int i;
	int n = 0;

	for (i = 0; cfg && i < cfg->desc.bNumInterfaces; i++) {
		struct usb_interface *intf = cfg->interface[i];
		u8 num, v = verdict;
		struct mg_entry *e;

		if (!intf)
			continue;
		num = intf->cur_altsetting->desc.bInterfaceNumber;
		if (num < MEDIAGATE_MAX_INTF && iv[num] != MEDIAGATE_VERDICT_NONE)
			v = iv[num];
		mutex_lock(&mg_lock);
		e = mg_entry_find_dev(&intf->dev);
		if (!e)
			e = mg_entry_add_intf(intf, v, 0, NULL);
		if (e) {
			e->verdict = v;
			mg_entry_pin(e, false);
		}
		mutex_unlock(&mg_lock);
		ret_intf[n] = usb_get_intf(intf);
		ret_v[n++] = v;
	}
	return n;
}

/*
 * A device-level verdict. Unconfigured: DENY leaves it so; otherwise
 * authorize and set the configuration usbcore would choose, so interfaces
 * appear and take their verdicts in mg_intf_under_device(). Configured (a
 * changed verdict): DENY unconfigures, others re-apply per interface.
 */
static void mg_apply_udev(struct usb_device *udev, u8 verdict, const u8 *iv)
{
	struct usb_interface *intfs[USB_MAXINTERFACES];
	u8 vs[USB_MAXINTERFACES];
	int i, n = 0, c;

	device_lock(&udev->dev);
	if (udev->state == USB_STATE_NOTATTACHED) {
		device_unlock(&udev->dev);
		return;
	}
	if (verdict == MEDIAGATE_VERDICT_DENY) {
		udev->authorized = 0;
		if (udev->actconfig)
			usb_set_configuration(udev, -1);
	} else if (!udev->actconfig) {
		udev->authorized = 1;
		c = usb_choose_configuration(udev);
		if (c >= 0 && usb_set_configuration(udev, c))
			dev_warn(&udev->dev, "could not set configuration %d\n", c);
	} else {
		n = mg_collect_intfs(udev, verdict, iv, intfs, vs);
	}
	device_unlock(&udev->dev);

	for (i = 0; i < n; i++) {
		mg_apply_intf(intfs[i], vs[i], NULL);
		mutex_lock(&mg_lock);
		if (mg_entry_find_dev(&intfs[i]->dev))
			mg_entry_report(mg_entry_find_dev(&intfs[i]->dev),
					MEDIAGATE_EV_APPLIED, 0, NULL);
		mutex_unlock(&mg_lock);
		usb_put_intf(intfs[i]);
	}
}

/*
 * The effect of a verdict (set_configuration, driver probe) runs in a
 * worker, not in the caller of the ioctl: a driver's probe started from a
 * task with a fatal signal pending fails (kthread_create() and
 * alloc_workqueue() return -EINTR: usb-storage's "error handler thread
 * failed to spawn"), so a daemon killed during its verdict ioctl would
 * leave the device authorized with its storage driver unbound, its disk
 * never appearing. The caller still waits for the effect, uninterruptibly,
 * as before.
 */
struct mg_apply {
	struct work_struct work;
	struct completion done;
	struct usb_interface *intf;
	struct usb_device *udev;
	u8 verdict;
	const u8 *iv;
	const char *offered;
};

static void mg_apply_work(struct work_struct *work)
{
	struct mg_apply *a = container_of(work, struct mg_apply, work);

	if (a->intf)
		mg_apply_intf(a->intf, a->verdict, a->offered);
	else
		mg_apply_udev(a->udev, a->verdict, a->iv);
	complete(&a->done);
}

static void mg_apply_in_worker(struct usb_interface *intf, struct usb_device *udev, u8 verdict,
			       const u8 *iv, const char *offered)
{
	struct mg_apply a = {
		.intf = intf,
		.udev = udev,
		.verdict = verdict,
		.iv = iv,
		.offered = offered,
	};

	INIT_WORK_ONSTACK(&a.work, mg_apply_work);
	init_completion(&a.done);
	queue_work(mg_wq, &a.work);
	wait_for_completion(&a.done);
	destroy_work_on_stack(&a.work);
}

int mg_verdict_apply(u64 handle, u8 verdict, const u8 *iv)
{
	struct usb_interface *intf = NULL;
	struct usb_device *udev;
	char offered[32];
	struct mg_entry *e;
	int ret = 0;

	mutex_lock(&mg_action_mutex);
	mutex_lock(&mg_lock);
	e = mg_entry_find_handle(handle);
	if (!e) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (e->level == MEDIAGATE_LEVEL_INTERFACE && memchr_inv(iv, 0, MEDIAGATE_MAX_INTF)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	e->verdict = verdict;
	e->tamper_queued = false;
	mg_entry_pin(e, false);
	if (e->level == MEDIAGATE_LEVEL_DEVICE)
		memcpy(e->intf_verdict, iv, MEDIAGATE_MAX_INTF);
	strscpy(offered, e->driver, sizeof(offered));
	udev = usb_get_dev(e->udev);
	if (e->intf)
		intf = usb_get_intf(e->intf);
	mutex_unlock(&mg_lock);

	mg_apply_in_worker(intf, udev, verdict, iv, offered);

	mutex_lock(&mg_lock);
	e = mg_entry_find_handle(handle);
	if (e)
		mg_entry_report(e, MEDIAGATE_EV_APPLIED, 0, NULL);
	mutex_unlock(&mg_lock);
	if (intf)
		usb_put_intf(intf);
	usb_put_dev(udev);
	mutex_unlock(&mg_action_mutex);
	return 0;

out_unlock:
	mutex_unlock(&mg_lock);
	mutex_unlock(&mg_action_mutex);
	return ret;
}

/*
 * Watchdog work: undo a bind or a configuration nobody approved, unless a
 * verdict approved it in the meantime.
 */
static void mg_undo_work(struct work_struct *work)
{
	struct mg_undo *u = container_of(work, struct mg_undo, work);
	struct mg_entry *e;
	bool undo;

	mutex_lock(&mg_action_mutex);
	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(u->intf ? &u->intf->dev : &u->udev->dev);
	if (!e)
		undo = false;
	else if (u->intf)
		undo = !mg_verdict_approves(e->verdict, u->driver);
	else
		undo = e->verdict != MEDIAGATE_VERDICT_ALLOW &&
		       e->verdict != MEDIAGATE_VERDICT_READONLY;
	if (e && !u->intf)
		e->tamper_queued = false;
	if (undo && u->intf)
		mg_entry_report(e, MEDIAGATE_EV_TAMPER, 0, u->driver);
	mutex_unlock(&mg_lock);

	if (undo && u->intf) {
		dev_warn(&u->intf->dev, "unapproved bind of %s undone\n", u->driver);
		mg_verdict_revoke_intf(u->intf);
	} else if (undo && u->unbind_udev) {
		dev_warn(&u->udev->dev, "unapproved driver %s released\n", u->driver);
		device_release_driver(&u->udev->dev);
	} else if (undo) {
		dev_warn(&u->udev->dev, "configured without a verdict, deauthorized\n");
		device_lock(&u->udev->dev);
		u->udev->authorized = 0;
		if (u->udev->actconfig)
			usb_set_configuration(u->udev, -1);
		device_unlock(&u->udev->dev);
	}
	mutex_unlock(&mg_action_mutex);

	if (u->intf)
		usb_put_intf(u->intf);
	usb_put_dev(u->udev);
	kfree(u);
}

static void mg_queue_undo(struct usb_device *udev, struct usb_interface *intf,
			  bool unbind_udev, const char *driver)
{
	struct mg_undo *u = kzalloc(sizeof(*u), GFP_NOIO);

	if (!u)
		return;
	INIT_WORK(&u->work, mg_undo_work);
	u->udev = usb_get_dev(udev);
	u->intf = intf ? usb_get_intf(intf) : NULL;
	u->unbind_udev = unbind_udev;
	if (driver)
		strscpy(u->driver, driver, sizeof(u->driver));
	queue_work(mg_wq, &u->work);
}

void mg_verdict_queue_intf_undo(struct usb_interface *intf, const char *driver)
{
	mg_queue_undo(interface_to_usbdev(intf), intf, false, driver);
}

void mg_verdict_queue_udev_undo(struct usb_device *udev, bool unbind_driver)
{
	const char *drv = udev->dev.driver ? udev->dev.driver->name : NULL;

	mg_queue_undo(udev, NULL, unbind_driver, drv);
}

/*
 * MEDIAGATE_IOC_RELEASE_ALL: every read-only interface is revoked (it never
 * becomes writable), every pending hold stops pinning the module. Returns
 * the number of entries released.
 */
int mg_verdict_release_all(void)
{
	struct usb_interface *ro[16];
	int i, n, released = 0;

	mutex_lock(&mg_action_mutex);
	do {
		mutex_lock(&mg_lock);
		n = mg_entry_collect_ro(ro, ARRAY_SIZE(ro));
		mutex_unlock(&mg_lock);
		for (i = 0; i < n; i++) {
			mg_verdict_revoke_intf(ro[i]);
			usb_put_intf(ro[i]);
		}
		released += n;
	} while (n == ARRAY_SIZE(ro));
	mutex_lock(&mg_lock);
	released += mg_entry_unpin_all();
	mutex_unlock(&mg_lock);
	mutex_unlock(&mg_action_mutex);
	return released;
}

/*
 * Unload with filtered hosts left (only rmmod -f gets here: each one pins
 * the module): fail closed while the filter code is still loaded, so the
 * stick is revoked rather than left writable; the SCSI notifier then
 * restores the original template as the host goes away.
 */
void mg_verdict_fail_closed(void)
{
	struct usb_interface *ro[32];
	int i, n;

	mutex_lock(&mg_action_mutex);
	n = mg_rb_collect_wanted(ro, ARRAY_SIZE(ro));
	for (i = 0; i < n; i++) {
		dev_warn(&ro[i]->dev, "unloading: read-only interface revoked\n");
		mg_verdict_revoke_intf(ro[i]);
		usb_put_intf(ro[i]);
	}
	mutex_unlock(&mg_action_mutex);
}

int mg_verdict_init(void)
{
	mg_wq = alloc_workqueue(KBUILD_MODNAME, WQ_UNBOUND, 0);
	return mg_wq ? 0 : -ENOMEM;
}

void mg_verdict_exit(void)
{
	destroy_workqueue(mg_wq);
}
