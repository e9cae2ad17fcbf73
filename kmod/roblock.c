// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: the SCSI write-blocker for read-only verdicts.
 *
 * set_disk_ro() is not a boundary (sd clears it on every revalidation, the
 * bio path only warns, SG_IO writes pass), so the blocker sits at the SCSI
 * host: the host of a read-only interface gets a private copy of its
 * scsi_host_template whose queuecommand forwards read-class commands,
 * answers MODE SENSE itself with the write-protect bit set (so sd marks the
 * disk read-only on every revalidation and refuses write opens), and fails
 * everything else with DATA PROTECT / WRITE PROTECTED (0x07/0x27/0x00).
 *
 * When the copy is in place: from the first scsi_device's ADD_DEVICE (before
 * sd or sg can see it; only the scan's INQUIRY/REPORT LUNS precede it) until
 * the last one has been removed. So the host's /proc/scsi entry is created
 * and removed with the original template in place (its /proc bookkeeping is
 * keyed by the template), and no command can reach a host between the
 * original's restore and the host's removal except power-management ones.
 *
 * The copy lives until the host is deleted (or module exit): a dispatcher
 * that read the old pointer may still be inside the filter when a verdict
 * lifts it, and the filter finds its host's original through an RCU list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_driver.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>

#include "mg.h"

#define MG_MAX_HOSTS	4

#ifndef MG_HAVE_SCSI_DONE_FN
static inline void scsi_done(struct scsi_cmnd *cmd)
{
	cmd->scsi_done(cmd);
}
#endif
#ifndef MG_HAVE_SCSI_RESCAN_DEVICE_SDEV
#define scsi_rescan_device(sdev)	scsi_rescan_device(&(sdev)->sdev_gendev)
#endif

struct mg_rb {
	struct list_head node;		/* mg_rbs: mg_lock + RCU */
	struct Scsi_Host *shost;	/* referenced shost_gendev */
	struct usb_interface *intf;	/* referenced */
	const struct scsi_host_template *orig;
	bool want;			/* the verdict asks for it; pins the module */
	bool installed;			/* shost->hostt == &tmpl */
	struct scsi_host_template tmpl;
};

static LIST_HEAD(mg_rbs);

static int mg_scsi_anchor_probe(struct device *dev)
{
	return -ENODEV;
}

static struct scsi_driver mg_scsi_anchor = {
	.gendrv = {
		.name = KBUILD_MODNAME,
		.owner = THIS_MODULE,
		.probe = mg_scsi_anchor_probe,
	},
};

static typeof(mg_scsi_anchor.gendrv.bus) mg_scsi_bus;

/* Read-class commands that cannot change the medium. */
static bool mg_ro_cmd_passes(const u8 *cdb)
{
	switch (cdb[0]) {
	case TEST_UNIT_READY:
	case REQUEST_SENSE:
	case INQUIRY:
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
	case READ_CAPACITY:
	case READ_FORMAT_CAPACITIES:
	case REPORT_LUNS:
	case START_STOP:
	case ALLOW_MEDIUM_REMOVAL:
	case VERIFY:
	case VERIFY_12:
	case VERIFY_16:
	case SYNCHRONIZE_CACHE:
	case SYNCHRONIZE_CACHE_16:
	case LOG_SENSE:
	case MAINTENANCE_IN:
	case READ_TOC:
	case 0x46:	/* GET CONFIGURATION */
	case GET_EVENT_STATUS_NOTIFICATION:
	case 0x51:	/* READ DISC INFORMATION */
	case 0x52:	/* READ TRACK INFORMATION */
	case 0xad:	/* READ DVD STRUCTURE */
	case 0xb9:	/* READ CD MSF */
	case 0xbe:	/* READ CD */
		return true;
	case SERVICE_ACTION_IN_16:
		return (cdb[1] & 0x1f) == SAI_READ_CAPACITY_16 ||
		       (cdb[1] & 0x1f) == SAI_GET_LBA_STATUS;
	default:
		return false;
	}
}

/* MODE SENSE(6/10): a bare header, no block descriptors, WP set. */
static void mg_ro_mode_sense(struct scsi_cmnd *cmd)
{
	u8 buf[8] = { 0 };
	unsigned int len, alloc;
	int copied;

	if (cmd->cmnd[0] == MODE_SENSE) {
		buf[0] = 3;
		buf[2] = 0x80;
		len = 4;
		alloc = cmd->cmnd[4];
	} else {
		buf[1] = 6;
		buf[3] = 0x80;
		len = 8;
		alloc = (cmd->cmnd[7] << 8) | cmd->cmnd[8];
	}
	copied = scsi_sg_copy_from_buffer(cmd, buf, min(len, alloc));
	scsi_set_resid(cmd, scsi_bufflen(cmd) - max(copied, 0));
	cmd->result = SAM_STAT_GOOD;
}

static int mg_ro_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	int (*orig_qc)(struct Scsi_Host *shost, struct scsi_cmnd *cmd) = NULL;
	struct mg_rb *rb;

	rcu_read_lock();
	list_for_each_entry_rcu(rb, &mg_rbs, node) {
		if (rb->shost == shost) {
			orig_qc = rb->orig->queuecommand;
			break;
		}
	}
	rcu_read_unlock();

	if (orig_qc && mg_ro_cmd_passes(cmd->cmnd))
		return orig_qc(shost, cmd);
	if (cmd->cmnd[0] == MODE_SENSE || cmd->cmnd[0] == MODE_SENSE_10) {
		mg_ro_mode_sense(cmd);
	} else {
		pr_notice_ratelimited("%s: refused SCSI command 0x%02x (read-only)\n",
				      dev_name(&shost->shost_gendev), cmd->cmnd[0]);
		scsi_build_sense(cmd, 0, DATA_PROTECT, 0x27, 0x00);
		scsi_set_resid(cmd, scsi_bufflen(cmd));
	}
	scsi_done(cmd);
	return 0;
}

static struct mg_rb *mg_rb_find(struct Scsi_Host *shost)
{
	struct mg_rb *rb;

	lockdep_assert_held(&mg_lock);
	list_for_each_entry(rb, &mg_rbs, node)
		if (rb->shost == shost)
			return rb;
	return NULL;
}

static struct mg_rb *mg_rb_new(struct Scsi_Host *shost, struct usb_interface *intf)
{
	struct mg_rb *rb = kzalloc(sizeof(*rb), GFP_NOIO);

	if (!rb)
		return NULL;
	get_device(&shost->shost_gendev);
	rb->shost = shost;
	rb->intf = usb_get_intf(intf);
	rb->orig = shost->hostt;
	rb->tmpl = *rb->orig;
	rb->tmpl.queuecommand = mg_ro_queuecommand;
	list_add_rcu(&rb->node, &mg_rbs);
	return rb;
}

static void mg_rb_want(struct mg_rb *rb, bool want)
{
	if (rb->want == want)
		return;
	rb->want = want;
	if (want)
		mg_pin();
	else
		mg_unpin();
}

static void mg_rb_install(struct mg_rb *rb, bool install)
{
	if (rb->installed == install)
		return;
	rb->installed = install;
	/* hostt is const only since 6.3; the original is never written through */
	WRITE_ONCE(rb->shost->hostt, install ? &rb->tmpl : (typeof(rb->shost->hostt))rb->orig);
	dev_info(&rb->intf->dev, "%s: write-blocker %s\n", dev_name(&rb->shost->shost_gendev),
		 install ? "on" : "off");
}

/* Take @rb off the list, restore the original, free it after RCU readers. */
static void mg_rb_destroy(struct mg_rb *rb)
{
	mutex_lock(&mg_lock);
	list_del_rcu(&rb->node);
	mg_rb_install(rb, false);
	mg_rb_want(rb, false);
	mutex_unlock(&mg_lock);
	synchronize_rcu();
	put_device(&rb->shost->shost_gendev);
	usb_put_intf(rb->intf);
	kfree(rb);
}

/* A scsi_device that can still carry ordinary I/O, other than @except. */
static bool mg_host_has_live_sdev(struct Scsi_Host *shost, struct scsi_device *except)
{
	struct scsi_device *sdev;
	unsigned long flags;
	bool live = false;

	spin_lock_irqsave(shost->host_lock, flags);
	list_for_each_entry(sdev, &shost->__devices, siblings) {
		if (sdev != except && sdev->sdev_state != SDEV_DEL &&
		    sdev->sdev_state != SDEV_CANCEL) {
			live = true;
			break;
		}
	}
	spin_unlock_irqrestore(shost->host_lock, flags);
	return live;
}

static struct usb_interface *mg_host_intf(struct Scsi_Host *shost)
{
	struct device *parent = shost->shost_gendev.parent;

	if (!parent || !parent->type || !parent->type->name ||
	    strcmp(parent->type->name, "usb_interface"))
		return NULL;
	return to_usb_interface(parent);
}

/* SCSI-bus ADD_DEVICE of a Scsi_Host: inside scsi_add_host(), before any scan. */
static void mg_rb_host_added(struct Scsi_Host *shost)
{
	struct usb_interface *intf = mg_host_intf(shost);
	struct mg_entry *e;
	struct mg_rb *rb;

	if (!intf)
		return;
	mutex_lock(&mg_lock);
	e = mg_entry_find_dev(&intf->dev);
	if (e && e->verdict != MEDIAGATE_VERDICT_ALLOW && !mg_rb_find(shost)) {
		rb = mg_rb_new(shost, intf);
		if (rb) {
			mg_rb_want(rb, true);
		} else {
			dev_err(&intf->dev, "no memory for the write-blocker, revoking\n");
			mg_verdict_queue_intf_undo(intf, "mediagate-nomem");
		}
	}
	mutex_unlock(&mg_lock);
}

static void mg_rb_sdev_added(struct scsi_device *sdev)
{
	struct mg_rb *rb;

	mutex_lock(&mg_lock);
	rb = mg_rb_find(sdev->host);
	if (rb && rb->want)
		mg_rb_install(rb, true);
	mutex_unlock(&mg_lock);
}

static void mg_rb_sdev_removed(struct scsi_device *sdev)
{
	struct mg_rb *rb;

	mutex_lock(&mg_lock);
	rb = mg_rb_find(sdev->host);
	if (rb && rb->installed && !mg_host_has_live_sdev(sdev->host, sdev))
		mg_rb_install(rb, false);
	mutex_unlock(&mg_lock);
}

static void mg_rb_host_del(struct Scsi_Host *shost)
{
	struct mg_rb *rb;

	mutex_lock(&mg_lock);
	rb = mg_rb_find(shost);
	mutex_unlock(&mg_lock);
	if (rb)
		mg_rb_destroy(rb);
}

static int mg_scsi_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;
	bool host = scsi_is_host_device(dev);
	bool sdev = !host && scsi_is_sdev_device(dev);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (host)
			mg_rb_host_added(dev_to_shost(dev));
		else if (sdev)
			mg_rb_sdev_added(to_scsi_device(dev));
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		if (sdev)
			mg_rb_sdev_removed(to_scsi_device(dev));
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		if (host)
			mg_rb_host_del(dev_to_shost(dev));
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mg_scsi_nb = {
	.notifier_call = mg_scsi_notify,
};

struct mg_host_list {
	struct Scsi_Host *shost[MG_MAX_HOSTS];
	int n;
};

static int mg_collect_host(struct device *dev, void *data)
{
	struct mg_host_list *hl = data;

	if (scsi_is_host_device(dev) && hl->n < MG_MAX_HOSTS) {
		get_device(dev);
		hl->shost[hl->n++] = dev_to_shost(dev);
	}
	return 0;
}

/*
 * Change the blocker in place on the hosts of a bound interface, then make
 * sd re-read the write-protect bit (MODE SENSE) so the same /dev/sdX turns
 * read-only or writable. Write fds open before a switch to read-only stay
 * open; their commands fail from now on.
 */
int mg_rb_intf_set(struct usb_interface *intf, bool readonly)
{
	struct mg_host_list hl = { .n = 0 };
	struct scsi_device *sdev;
	struct mg_rb *rb;
	int i, ret = 0;

	device_for_each_child(&intf->dev, &hl, mg_collect_host);
	for (i = 0; i < hl.n; i++) {
		struct Scsi_Host *shost = hl.shost[i];
		bool changed = false;

		mutex_lock(&mg_lock);
		rb = mg_rb_find(shost);
		if (!rb && readonly)
			rb = mg_rb_new(shost, intf);
		if (!rb && readonly) {
			ret = -ENOMEM;
		} else if (rb) {
			changed = rb->want != readonly;
			mg_rb_want(rb, readonly);
			if (!readonly)
				mg_rb_install(rb, false);
			else if (mg_host_has_live_sdev(shost, NULL))
				mg_rb_install(rb, true);
		}
		mutex_unlock(&mg_lock);
		if (changed)
			shost_for_each_device(sdev, shost)
				scsi_rescan_device(sdev);
		put_device(&shost->shost_gendev);
	}
	return ret;
}

/* For a forced unload: the interfaces whose hosts are still filtered. */
int mg_rb_collect_wanted(struct usb_interface **ret_intf, int max)
{
	struct mg_rb *rb;
	int n = 0;

	mutex_lock(&mg_lock);
	list_for_each_entry(rb, &mg_rbs, node) {
		if (n == max)
			break;
		if (rb->want)
			ret_intf[n++] = usb_get_intf(rb->intf);
	}
	mutex_unlock(&mg_lock);
	return n;
}

int mg_rb_init(void)
{
	int ret;

	ret = scsi_register_driver(&mg_scsi_anchor.gendrv);
	if (ret)
		return ret;
	mg_scsi_bus = mg_scsi_anchor.gendrv.bus;
	ret = bus_register_notifier(mg_scsi_bus, &mg_scsi_nb);
	if (ret)
		scsi_unregister_driver(&mg_scsi_anchor.gendrv);
	return ret;
}

/*
 * After the notifier is gone no host can be added to the list; restore every
 * remaining original (hosts whose interface could not be revoked) and free.
 */
void mg_rb_exit(void)
{
	struct mg_rb *rb;

	bus_unregister_notifier(mg_scsi_bus, &mg_scsi_nb);
	scsi_unregister_driver(&mg_scsi_anchor.gendrv);
	for (;;) {
		mutex_lock(&mg_lock);
		rb = list_first_entry_or_null(&mg_rbs, struct mg_rb, node);
		mutex_unlock(&mg_lock);
		if (!rb)
			break;
		mg_rb_destroy(rb);
	}
}
