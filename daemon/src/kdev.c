// SPDX-License-Identifier: GPL-2.0-or-later
/* kdev: /dev/mediagate (or a fake kernel on a Unix socket). See kdev.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kdev.h"
#include "macro.h"

struct kdev {
	int fd;
	bool fake;
};

static int open_fake(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int kdev_open(const char *path, struct kdev **ret_kdev)
{
	struct mediagate_abi abi;
	struct stat st;
	struct kdev *k;
	int fd, r;

	if (!path)
		path = KDEV_DEFAULT_PATH;
	if (stat(path, &st) < 0)
		return -errno;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fake = S_ISSOCK(st.st_mode);
	if (k->fake) {
		fd = open_fake(path);
	} else if (!S_ISCHR(st.st_mode)) {
		fd = -ENOTTY;
	} else {
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0) {
		free(k);
		return fd;
	}
	k->fd = fd;
	r = kdev_get_abi(k, &abi);
	if (r >= 0 &&
	    (abi.abi != MEDIAGATE_ABI_VERSION || abi.event_size != sizeof(struct mediagate_event)))
		r = -EPROTO;
	if (r < 0) {
		kdev_close(k);
		return r;
	}
	*ret_kdev = k;
	return 0;
}

void kdev_close(struct kdev *k)
{
	if (!k)
		return;
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

int kdev_fd(const struct kdev *k)
{
	return k->fd;
}

bool kdev_is_fake(const struct kdev *k)
{
	return k->fake;
}

int kdev_get_abi(struct kdev *k, struct mediagate_abi *ret_abi)
{
	struct mediagate_abi abi = {.size = sizeof(abi), .abi = MEDIAGATE_ABI_VERSION};

	if (k->fake) {
		abi.event_size = sizeof(struct mediagate_event);
	} else if (ioctl(k->fd, MEDIAGATE_IOC_GET_ABI, &abi) < 0) {
		return -errno;
	}
	*ret_abi = abi;
	return 0;
}

static int read_fake(struct kdev *k, struct mediagate_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ssize_t l = recv(k->fd, &evs[i], sizeof(evs[i]), MSG_DONTWAIT | MSG_TRUNC);

		if (l < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (l == 0)
			return i ? (int)i : -ECONNRESET;
		if ((size_t)l != sizeof(evs[i]))
			return -EBADMSG;
	}
	return (int)i;
}

int kdev_read_events(struct kdev *k, struct mediagate_event *evs, size_t n)
{
	ssize_t l;

	if (n == 0)
		return 0;
	if (n > 64)
		n = 64;
	if (k->fake)
		return read_fake(k, evs, n);
	l = read(k->fd, evs, n * sizeof(*evs));
	if (l < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (l % sizeof(*evs))
		return -EBADMSG;
	return (int)(l / sizeof(*evs));
}

int kdev_event_check(struct mediagate_event *ev)
{
	if (ev->size != sizeof(*ev) || ev->abi != MEDIAGATE_ABI_VERSION)
		return -EBADMSG;
	if (ev->type < MEDIAGATE_EV_HELD || ev->type > MEDIAGATE_EV_MAX)
		return -EBADMSG;
	if (ev->type != MEDIAGATE_EV_OVERFLOW && ev->handle == 0)
		return -EBADMSG;
	if (ev->num_intf > MEDIAGATE_MAX_INTF || ev->verdict > MEDIAGATE_VERDICT_MAX)
		return -EBADMSG;
	if ((ev->type == MEDIAGATE_EV_HELD || ev->type == MEDIAGATE_EV_PRESENT) &&
	    ev->level != MEDIAGATE_LEVEL_DEVICE && ev->level != MEDIAGATE_LEVEL_INTERFACE)
		return -EBADMSG;
	if (ev->type == MEDIAGATE_EV_PRESENT && ev->verdict == MEDIAGATE_VERDICT_NONE)
		return -EBADMSG;
	/* strings come from the kernel but ultimately from the device */
	ev->devpath[sizeof(ev->devpath) - 1] = '\0';
	ev->driver[sizeof(ev->driver) - 1] = '\0';
	ev->serial[sizeof(ev->serial) - 1] = '\0';
	ev->product[sizeof(ev->product) - 1] = '\0';
	ev->manufacturer[sizeof(ev->manufacturer) - 1] = '\0';
	return 0;
}

static int send_fake(struct kdev *k, const struct kdev_fake_msg *m)
{
	if (send(k->fd, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		return errno ? -errno : -EIO;
	return 0;
}

int kdev_verdict(struct kdev *k, uint64_t handle, unsigned int verdict,
		 const uint8_t intf_verdict[MEDIAGATE_MAX_INTF])
{
	struct kdev_fake_msg m = {.op = KDEV_FAKE_VERDICT};
	struct mediagate_verdict *v = &m.verdict;

	if (verdict < MEDIAGATE_VERDICT_ALLOW || verdict > MEDIAGATE_VERDICT_MAX || !handle)
		return -EINVAL;
	v->size = sizeof(*v);
	v->abi = MEDIAGATE_ABI_VERSION;
	v->verdict = verdict;
	v->handle = handle;
	if (intf_verdict) {
		for (size_t i = 0; i < MEDIAGATE_MAX_INTF; i++)
			if (intf_verdict[i] > MEDIAGATE_VERDICT_MAX)
				return -EINVAL;
		memcpy(v->intf_verdict, intf_verdict, MEDIAGATE_MAX_INTF);
	}
	if (k->fake)
		return send_fake(k, &m);
	if (ioctl(k->fd, MEDIAGATE_IOC_VERDICT, v) < 0)
		return -errno;
	return 0;
}

int kdev_replay(struct kdev *k)
{
	struct kdev_fake_msg m = {.op = KDEV_FAKE_REPLAY};
	int r;

	if (k->fake)
		return send_fake(k, &m);
	r = ioctl(k->fd, MEDIAGATE_IOC_REPLAY);
	return r < 0 ? -errno : r;
}

int kdev_list_present(struct kdev *k)
{
	struct kdev_fake_msg m = {.op = KDEV_FAKE_LIST_PRESENT};
	int r;

	if (k->fake)
		return send_fake(k, &m);
	r = ioctl(k->fd, MEDIAGATE_IOC_LIST_PRESENT);
	return r < 0 ? -errno : r;
}

int kdev_get_descriptors(struct kdev *k, uint64_t handle, uint8_t *buf, size_t sz, size_t *ret_len)
{
	_cleanup_free_ struct mediagate_descriptors *d = NULL;

	if (k->fake)
		return -EOPNOTSUPP;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->size = sizeof(*d);
	d->abi = MEDIAGATE_ABI_VERSION;
	d->handle = handle;
	if (ioctl(k->fd, MEDIAGATE_IOC_GET_DESCRIPTORS, d) < 0)
		return -errno;
	if (d->len > MEDIAGATE_DESC_MAX)
		return -EBADMSG;
	if (d->len > sz)
		return -E2BIG;
	memcpy(buf, d->data, d->len);
	*ret_len = d->len;
	return 0;
}

const char *kdev_event_type_name(unsigned int type)
{
	static const char *const names[] = {
		[MEDIAGATE_EV_HELD] = "held",
		[MEDIAGATE_EV_APPLIED] = "applied",
		[MEDIAGATE_EV_BIND_BLOCKED] = "bind-blocked",
		[MEDIAGATE_EV_TAMPER] = "tamper",
		[MEDIAGATE_EV_REMOVED] = "removed",
		[MEDIAGATE_EV_OVERFLOW] = "overflow",
		[MEDIAGATE_EV_PRESENT] = "present",
	};

	if (type >= sizeof(names) / sizeof(names[0]) || !names[type])
		return "unknown";
	return names[type];
}

const char *kdev_verdict_name(unsigned int verdict)
{
	switch (verdict) {
	case MEDIAGATE_VERDICT_NONE:
		return "none";
	case MEDIAGATE_VERDICT_ALLOW:
		return "allow";
	case MEDIAGATE_VERDICT_READONLY:
		return "readonly";
	case MEDIAGATE_VERDICT_DENY:
		return "deny";
	default:
		return "unknown";
	}
}
