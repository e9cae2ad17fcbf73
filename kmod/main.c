// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: hold USB storage before any driver binds, take per-handle
 * verdicts from a daemon over /dev/mediagate, and enforce read-only in the
 * SCSI host. This file: parameters, the module pin, load and unload.
 *
 * Unload: every pending hold and every read-only host holds a module
 * reference, so plain rmmod is refused until MEDIAGATE_IOC_RELEASE_ALL (or
 * verdicts and unplugs). A forced unload still exits safely: read-only
 * interfaces are revoked while the filter is loaded, then every original
 * SCSI host template is restored before the copies are freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "mg.h"

int mg_mode = MG_MODE_STORAGE;
bool mg_hold_still_image = true;
unsigned int mg_queue_len = 256;

/* the entry table and the blocker list (see mg.h for the lock order) */
DEFINE_MUTEX(mg_lock);
/* serialises verdicts, watchdog undo work, RELEASE_ALL and unload */
DEFINE_MUTEX(mg_action_mutex);

static int mg_mode_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "storage"))
		mg_mode = MG_MODE_STORAGE;
	else if (sysfs_streq(val, "strict"))
		mg_mode = MG_MODE_STRICT;
	else
		return -EINVAL;
	return 0;
}

static int mg_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mg_mode == MG_MODE_STRICT ? "strict" : "storage");
}

static const struct kernel_param_ops mg_mode_ops = {
	.set = mg_mode_set,
	.get = mg_mode_get,
};

module_param_cb(mode, &mg_mode_ops, NULL, 0444);
MODULE_PARM_DESC(mode,
		 "storage (default): hold devices with a mass-storage (or still-image) interface and interfaces offered to usb-storage/uas/ums-*; keyboards, mice and hubs bind normally. strict: also hold every other new USB device at device level, hubs included (only root hubs are exempt): nothing new works until the daemon allows it");
module_param_named(hold_still_image, mg_hold_still_image, bool, 0444);
MODULE_PARM_DESC(hold_still_image,
		 "treat interface class 06 (still image: PTP/MTP cameras and phones, driven from userspace over usbfs) as storage and hold it (default Y); READONLY on it acts as DENY");
module_param_named(queue_len, mg_queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len,
		 "event queue length in records of 512 bytes (16..4096, default 256); when full, one OVERFLOW record is queued and the daemon must REPLAY");

static unsigned int mg_pins;

/* One module reference per pending hold and per read-only host. */
void mg_pin(void)
{
	__module_get(THIS_MODULE);
	mg_pins++;
}

void mg_unpin(void)
{
	if (WARN_ON_ONCE(!mg_pins))
		return;
	mg_pins--;
	module_put(THIS_MODULE);
}

static int __init mg_init(void)
{
	int ret;

	if (mg_queue_len < 16 || mg_queue_len > 4096) {
		pr_err("queue_len must be 16..4096\n");
		return -EINVAL;
	}
	ret = mg_cdev_init();
	if (ret)
		return ret;
	ret = mg_verdict_init();
	if (ret)
		goto out_events;
	ret = mg_rb_init();
	if (ret)
		goto out_verdict;
	ret = mg_hold_init();
	if (ret)
		goto out_rb;
	mg_hold_sweep();
	ret = mg_cdev_register();
	if (ret)
		goto out_hold;
	pr_info("loaded, mode=%s\n", mg_mode == MG_MODE_STRICT ? "strict" : "storage");
	return 0;

out_hold:
	mg_hold_exit();
	mutex_lock(&mg_lock);
	mg_entry_free_all();
	mutex_unlock(&mg_lock);
out_rb:
	mg_rb_exit();
out_verdict:
	mg_verdict_exit();
out_events:
	mg_event_free();
	return ret;
}

static void __exit mg_exit(void)
{
	mg_cdev_exit();
	mg_verdict_fail_closed();
	mg_hold_exit();
	mg_verdict_exit();
	mg_rb_exit();
	mutex_lock(&mg_lock);
	mg_entry_free_all();
	mutex_unlock(&mg_lock);
	mg_event_free();
	pr_info("unloaded\n");
}

module_init(mg_init);
module_exit(mg_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("mediagate project");
MODULE_DESCRIPTION("Hold USB storage before any driver binds; verdicts from a daemon; SCSI write-blocker");
