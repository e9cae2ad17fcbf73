// SPDX-License-Identifier: GPL-2.0
/*
 * mediagate: /dev/mediagate. A misc device (mode 0600, one opener, root)
 * that read()s fixed-size event records from a bounded queue and takes the
 * verdict ioctls. Records get a sequence number when they enter the queue,
 * so the numbers a reader sees have no gaps; when the queue is full the
 * last slot carries one OVERFLOW record and later records are dropped
 * (not numbered) until the reader drains it and calls REPLAY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "mg.h"

static_assert(sizeof(struct mediagate_event) == 512);
static_assert(sizeof(struct mediagate_abi) == 32);
static_assert(sizeof(struct mediagate_verdict) == 56);
static_assert(sizeof(struct mediagate_descriptors) == 24 + MEDIAGATE_DESC_MAX);

static struct mediagate_event *mg_ring;
static unsigned int mg_ring_head, mg_ring_count;
static u64 mg_seq;
static bool mg_overflow_queued;
static DEFINE_SPINLOCK(mg_ring_lock);
static DECLARE_WAIT_QUEUE_HEAD(mg_ring_wait);
static DEFINE_MUTEX(mg_read_mutex);
static unsigned long mg_open_busy;

/* Claim the next slot, zeroed, with the next sequence number. */
static struct mediagate_event *mg_ring_next(void)
{
	struct mediagate_event *slot;

	slot = &mg_ring[(mg_ring_head + mg_ring_count) % mg_queue_len];
	memset(slot, 0, sizeof(*slot));
	slot->seq = ++mg_seq;
	mg_ring_count++;
	return slot;
}

/* Queue a record (the caller zeroed it and filled type, handle, ids). */
void mg_event_push(struct mediagate_event *ev)
{
	struct mediagate_event *slot;
	unsigned long flags;
	u64 now = ktime_get_boottime_ns();

	spin_lock_irqsave(&mg_ring_lock, flags);
	if (mg_ring_count < mg_queue_len - 1) {
		slot = mg_ring_next();
		ev->seq = slot->seq;
		*slot = *ev;
	} else if (!mg_overflow_queued) {
		slot = mg_ring_next();
		slot->type = MEDIAGATE_EV_OVERFLOW;
		slot->intf_number = 0xff;
		mg_overflow_queued = true;
		pr_warn_ratelimited("event queue full, records dropped until REPLAY\n");
	} else {
		slot = NULL;
	}
	if (slot) {
		slot->size = sizeof(*slot);
		slot->abi = MEDIAGATE_ABI_VERSION;
		slot->time_ns = now;
	}
	spin_unlock_irqrestore(&mg_ring_lock, flags);
	wake_up_interruptible(&mg_ring_wait);
}

static bool mg_ring_empty(void)
{
	return !READ_ONCE(mg_ring_count);
}

static ssize_t mg_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct mediagate_event *ev;
	ssize_t done = 0;
	int ret;

	if (len < sizeof(*ev))
		return -EINVAL;
	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	ret = mutex_lock_interruptible(&mg_read_mutex);
	if (ret)
		goto out_free;
	while (mg_ring_empty()) {
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		mutex_unlock(&mg_read_mutex);
		ret = wait_event_interruptible(mg_ring_wait, !mg_ring_empty());
		if (ret)
			goto out_free;
		ret = mutex_lock_interruptible(&mg_read_mutex);
		if (ret)
			goto out_free;
	}
	while (len - done >= sizeof(*ev)) {
		spin_lock_irq(&mg_ring_lock);
		if (!mg_ring_count) {
			spin_unlock_irq(&mg_ring_lock);
			break;
		}
		*ev = mg_ring[mg_ring_head];
		spin_unlock_irq(&mg_ring_lock);
		if (copy_to_user(buf + done, ev, sizeof(*ev))) {
			ret = -EFAULT;
			break;
		}
		spin_lock_irq(&mg_ring_lock);
		mg_ring_head = (mg_ring_head + 1) % mg_queue_len;
		mg_ring_count--;
		if (ev->type == MEDIAGATE_EV_OVERFLOW)
			mg_overflow_queued = false;
		spin_unlock_irq(&mg_ring_lock);
		done += sizeof(*ev);
	}
out_unlock:
	mutex_unlock(&mg_read_mutex);
out_free:
	kfree(ev);
	return done ? done : ret;
}

static __poll_t mg_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &mg_ring_wait, wait);
	return mg_ring_empty() ? 0 : EPOLLIN | EPOLLRDNORM;
}

static int mg_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (test_and_set_bit(0, &mg_open_busy))
		return -EBUSY;
	return stream_open(inode, file);
}

static int mg_release(struct inode *inode, struct file *file)
{
	clear_bit(0, &mg_open_busy);
	return 0;
}

static long mg_ioc_get_abi(void __user *arg)
{
	struct mediagate_abi a;
	unsigned int pending;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.size != sizeof(a) || memchr_inv(a.reserved, 0, sizeof(a.reserved)))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.abi = MEDIAGATE_ABI_VERSION;
	a.mode = mg_mode;
	a.event_size = sizeof(struct mediagate_event);
	mutex_lock(&mg_lock);
	a.tracked = mg_entry_count(&pending);
	mutex_unlock(&mg_lock);
	a.pending = pending;
	return copy_to_user(arg, &a, sizeof(a)) ? -EFAULT : 0;
}

static long mg_ioc_verdict(void __user *arg)
{
	struct mediagate_verdict v;
	unsigned int i;

	if (copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	if (v.size != sizeof(v) || v.abi != MEDIAGATE_ABI_VERSION || v.flags || v.reserved)
		return -EINVAL;
	if (v.verdict < MEDIAGATE_VERDICT_ALLOW || v.verdict > MEDIAGATE_VERDICT_MAX)
		return -EINVAL;
	for (i = 0; i < MEDIAGATE_MAX_INTF; i++)
		if (v.intf_verdict[i] > MEDIAGATE_VERDICT_MAX)
			return -EINVAL;
	return mg_verdict_apply(v.handle, v.verdict, v.intf_verdict);
}

static long mg_ioc_get_descriptors(void __user *arg)
{
	struct mediagate_descriptors *d;
	long ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(d, arg, offsetof(struct mediagate_descriptors, data)))
		goto out;
	ret = -EINVAL;
	if (d->size != sizeof(*d) || d->abi != MEDIAGATE_ABI_VERSION || d->reserved0 ||
	    d->reserved)
		goto out;
	mutex_lock(&mg_lock);
	ret = mg_entry_descriptors(d->handle, d->data, &d->len);
	mutex_unlock(&mg_lock);
	if (!ret && copy_to_user(arg, d, sizeof(*d)))
		ret = -EFAULT;
out:
	kfree(d);
	return ret;
}

static long mg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	int n;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case MEDIAGATE_IOC_GET_ABI:
		return mg_ioc_get_abi(uarg);
	case MEDIAGATE_IOC_VERDICT:
		return mg_ioc_verdict(uarg);
	case MEDIAGATE_IOC_REPLAY:
		mutex_lock(&mg_lock);
		n = mg_entry_replay();
		mutex_unlock(&mg_lock);
		return n;
	case MEDIAGATE_IOC_GET_DESCRIPTORS:
		return mg_ioc_get_descriptors(uarg);
	case MEDIAGATE_IOC_RELEASE_ALL:
		return mg_verdict_release_all();
	case MEDIAGATE_IOC_LIST_PRESENT:
		mutex_lock(&mg_lock);
		n = mg_entry_list_present();
		mutex_unlock(&mg_lock);
		return n;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mg_fops = {
	.owner = THIS_MODULE,
	.open = mg_open,
	.release = mg_release,
	.read = mg_read,
	.poll = mg_poll,
	.unlocked_ioctl = mg_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mg_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MEDIAGATE_DEVICE_NAME,
	.fops = &mg_fops,
	.mode = 0600,
};

int mg_cdev_init(void)
{
	mg_ring = kvcalloc(mg_queue_len, sizeof(*mg_ring), GFP_KERNEL);
	if (!mg_ring)
		return -ENOMEM;
	return 0;
}

int mg_cdev_register(void)
{
	return misc_register(&mg_misc);
}

void mg_cdev_exit(void)
{
	misc_deregister(&mg_misc);
}

void mg_event_free(void)
{
	kvfree(mg_ring);
	mg_ring = NULL;
}
