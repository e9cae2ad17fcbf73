// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ident: adapter that fills struct ident_device from sysfs (through libudev)
 * or from a kernel hold record, and hashes the raw descriptors (sha256.c).
 * Everything read here is device-supplied: attribute reads are bounded, the
 * descriptors go through the bounded parser in ident_desc.c, strings are
 * stored raw (NUL-free) and escaped only when printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

#include "uapi/linux/mediagate.h"

#include "ident.h"
#include "macro.h"
#include "sha256.h"

#define DESC_READ_MAX 65536 /* wTotalLength is 16 bits; one config fits */
#define ATTR_READ_MAX 4096 /* a sysfs attribute is at most a page */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)

int ident_hash_descriptors(const uint8_t *buf, size_t len, uint8_t ret_hash[32])
{
	sha256_digest(buf, len, ret_hash);
	return 0;
}

/* Read at most @bufsz bytes of attribute @name under directory @dirfd. */
static int read_attr(int dirfd, const char *name, void *buf, size_t bufsz, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	size_t n = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (n < bufsz) {
		ssize_t k = read(fd, (char *)buf + n, bufsz - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret_len = n;
	return 0;
}

/* A text attribute with the trailing newline sysfs adds dropped, NUL-terminated. */
static int read_text(int dirfd, const char *name, char *buf, size_t bufsz)
{
	size_t n;
	int r;

	r = read_attr(dirfd, name, buf, bufsz - 1, &n);
	if (r < 0)
		return r;
	if (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/*
 * A device string (manufacturer, product, serial): raw bytes up to the first
 * NUL, bounded to IDENT_STR_MAX-1. Missing attribute = empty string.
 */
static int read_device_string(int dirfd, const char *name, char dst[IDENT_STR_MAX], bool *truncated)
{
	char buf[ATTR_READ_MAX + 1];
	const char *nul;
	size_t n;
	int r;

	dst[0] = '\0';
	r = read_attr(dirfd, name, buf, ATTR_READ_MAX, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (n && buf[n - 1] == '\n')
		n--;
	nul = memchr(buf, '\0', n);
	if (nul)
		n = (size_t)(nul - buf);
	if (n > IDENT_STR_MAX - 1) {
		n = IDENT_STR_MAX - 1;
		*truncated = true;
	}
	memcpy(dst, buf, n);
	dst[n] = '\0';
	return 0;
}

/* Parse a hex attribute ("0781", "08") into *ret; -EBADMSG if not hex or too big. */
static int read_hex(int dirfd, const char *name, unsigned long max, unsigned long *ret)
{
	char buf[32], *end;
	unsigned long v;
	int r;

	r = read_text(dirfd, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!buf[0])
		return -EBADMSG;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || *end || v > max)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* "speed" is in Mbit/s: "1.5", "12", "480", "5000"...; 1.5 is stored as 1. */
static unsigned int read_speed(int dirfd)
{
	char buf[32], *end;
	unsigned long v;

	if (read_text(dirfd, "speed", buf, sizeof(buf)) < 0)
		return 0;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '.') || v > 1000000)
		return 0;
	return (unsigned int)v;
}

/* The parent hub port's connect_type, else the device's own "removable". */
static enum ident_connect read_connect(int dirfd)
{
	char buf[32];

	if (read_text(dirfd, "port/connect_type", buf, sizeof(buf)) == 0) {
		if (!strcmp(buf, "hotplug"))
			return IDENT_CONNECT_HOTPLUG;
		if (!strcmp(buf, "hardwired"))
			return IDENT_CONNECT_HARDWIRED;
	}
	if (read_text(dirfd, "removable", buf, sizeof(buf)) == 0) {
		if (!strcmp(buf, "removable"))
			return IDENT_CONNECT_HOTPLUG;
		if (!strcmp(buf, "fixed"))
			return IDENT_CONNECT_HARDWIRED;
	}
	return IDENT_CONNECT_UNKNOWN;
}

/* Identity from the raw descriptors file, which also gives the hash. */
static int ident_descriptors(int dirfd, struct ident_device *d)
{
	_cleanup_free_ uint8_t *buf = NULL;
	unsigned long config = 0;
	size_t n;
	int r;

	buf = malloc(DESC_READ_MAX + 1);
	if (!buf)
		return -ENOMEM;
	r = read_attr(dirfd, "descriptors", buf, DESC_READ_MAX + 1, &n);
	if (r < 0)
		return r;
	if (n > DESC_READ_MAX)
		return -E2BIG;
	/* Empty while unconfigured (held devices): then list every config. */
	if (read_hex(dirfd, "bConfigurationValue", 0xff, &config) < 0)
		config = 0;
	r = ident_parse_descriptors(buf, n, (unsigned int)config, d);
	if (r < 0)
		return r;
	r = ident_hash_descriptors(buf, n, d->desc_hash);
	if (r < 0)
		return r;
	d->have_hash = true;
	return 0;
}

static int hex_attr_u8(struct udev_device *dev, const char *name, uint8_t *ret)
{
	const char *s = udev_device_get_sysattr_value(dev, name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return -EBADMSG;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end || v > 0xff)
		return -EBADMSG;
	*ret = (uint8_t)v;
	return 0;
}

/* Fallback without a descriptors file: ids from attributes, interfaces from children. */
static int ident_attributes(struct udev_device *dev, int dirfd, struct ident_device *d)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *it;
	unsigned long v[6];
	static const char *const names[] = {"idVendor",	    "idProduct",       "bcdDevice",
					    "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol"};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		r = read_hex(dirfd, names[i], i < 3 ? 0xffff : 0xff, &v[i]);
		if (r < 0)
			return r == -ENOENT ? -ENODEV : r;
	}
	d->vid = (uint16_t)v[0];
	d->pid = (uint16_t)v[1];
	d->bcd = (uint16_t)v[2];
	d->cls = (uint8_t)v[3];
	d->subcls = (uint8_t)v[4];
	d->proto = (uint8_t)v[5];

	e = udev_enumerate_new(udev_device_get_udev(dev));
	if (!e)
		return -ENOMEM;
	if (udev_enumerate_add_match_parent(e, dev) < 0 ||
	    udev_enumerate_add_match_property(e, "DEVTYPE", "usb_interface") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		return -EIO;
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *c = NULL;
		struct ident_intf in;

		c = udev_device_new_from_syspath(udev_device_get_udev(dev),
						 udev_list_entry_get_name(it));
		if (!c)
			continue;
		/* match_parent also yields the interfaces of devices further
		 * down (behind a hub): keep our own interfaces only. */
		if (!udev_device_get_parent(c) ||
		    strcmp(udev_device_get_syspath(udev_device_get_parent(c)),
			   udev_device_get_syspath(dev)))
			continue;
		if (hex_attr_u8(c, "bInterfaceNumber", &in.number) < 0 ||
		    hex_attr_u8(c, "bInterfaceClass", &in.cls) < 0 ||
		    hex_attr_u8(c, "bInterfaceSubClass", &in.subcls) < 0 ||
		    hex_attr_u8(c, "bInterfaceProtocol", &in.proto) < 0)
			return -EBADMSG;
		if (d->n_intf >= IDENT_MAX_INTF)
			return -E2BIG;
		d->intf[d->n_intf++] = in;
	}
	return 0;
}

int ident_from_udev(struct udev_device *udev_dev, struct ident_device *ret_dev)
{
	_cleanup_close_ int dirfd = -1;
	struct ident_device d = {0};
	struct udev_device *dev = udev_dev;
	const char *devtype, *name;
	int r;

	devtype = udev_device_get_devtype(dev);
	if (!devtype || strcmp(devtype, "usb_device")) {
		dev = udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");
		if (!dev)
			return -ENODEV;
	}
	name = udev_device_get_sysname(dev);
	if (!name || strlen(name) >= IDENT_NAME_MAX)
		return -ENODEV;
	strcpy(d.name, name);
	strcpy(d.port, name);

	dirfd = open(udev_device_get_syspath(dev), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;

	r = ident_descriptors(dirfd, &d);
	if (r == -ENOENT)
		r = ident_attributes(dev, dirfd, &d);
	if (r < 0)
		return r;

	d.speed_mbps = read_speed(dirfd);
	d.connect = read_connect(dirfd);
	r = read_device_string(dirfd, "manufacturer", d.manufacturer, &d.strings_truncated);
	if (r >= 0)
		r = read_device_string(dirfd, "product", d.product, &d.strings_truncated);
	if (r >= 0)
		r = read_device_string(dirfd, "serial", d.serial, &d.strings_truncated);
	if (r < 0)
		return r;

	*ret_dev = d;
	return 0;
}

/* Accept a sysfs path, or a bare USB device name looked up under /sys/bus/usb. */
static int resolve_syspath(const char *path, char *buf, size_t bufsz)
{
	int n;

	if (strchr(path, '/')) {
		n = snprintf(buf, bufsz, "%s", path);
	} else {
		if (!*path ||
		    strspn(path, "0123456789abcdefghijklmnopqrstuvwxyz.:-") != strlen(path) ||
		    strstr(path, ".."))
			return -EINVAL;
		n = snprintf(buf, bufsz, "/sys/bus/usb/devices/%s", path);
	}
	if (n < 0 || (size_t)n >= bufsz)
		return -ENAMETOOLONG;
	return 0;
}

int ident_from_syspath(const char *syspath, struct ident_device *ret_dev)
{
	_cleanup_(udev_unrefp) struct udev *udev = NULL;
	_cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
	char path[4096], real[4096];
	int r;

	r = resolve_syspath(syspath, path, sizeof(path));
	if (r < 0)
		return r;
	/* libudev wants the canonical /sys/devices/... path. */
	if (!realpath(path, real))
		return -errno;
	udev = udev_new();
	if (!udev)
		return -ENOMEM;
	dev = udev_device_new_from_syspath(udev, real);
	if (!dev)
		return errno > 0 ? -errno : -ENODEV;
	if (!udev_device_get_subsystem(dev))
		return -ENODEV;
	return ident_from_udev(dev, ret_dev);
}

static unsigned int event_speed(uint8_t speed)
{
	/* enum usb_device_speed */
	static const unsigned int mbps[] = {0, 1, 12, 480, 480, 5000, 10000};

	return speed < ARRAY_SIZE(mbps) ? mbps[speed] : 0;
}

/* Copy a fixed-size, possibly unterminated record field (hostile bytes). */
static void copy_field(char dst[IDENT_STR_MAX], const char *src, size_t srcsz)
{
	size_t n = strnlen(src, srcsz);

	if (n > IDENT_STR_MAX - 1)
		n = IDENT_STR_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The module's storage drivers (kmod/hold.c mg_is_storage_driver). */
static bool storage_driver(const char drv[32])
{
	size_t n = strnlen(drv, 32);

	if (n == 0 || n == 32)
		return false;
	return !strcmp(drv, "usb-storage") || !strcmp(drv, "uas") || !strncmp(drv, "ums-", 4) ||
	       !strncmp(drv, "ums_", 4);
}

int ident_from_event(const struct mediagate_event *ev, struct ident_device *ret_dev)
{
	struct ident_device d = {0};
	size_t n;

	if (!ev || ev->size != sizeof(*ev) || ev->num_intf > MEDIAGATE_MAX_INTF ||
	    ev->num_intf > IDENT_MAX_INTF)
		return -EINVAL;
	n = strnlen(ev->devpath, sizeof(ev->devpath));
	if (n == 0 || n == sizeof(ev->devpath))
		return -EINVAL;
	/* An interface record names "2-1.4:1.0"; the device is "2-1.4". */
	n = strcspn(ev->devpath, ":");
	if (n == 0 || n >= IDENT_NAME_MAX)
		return -EINVAL;
	memcpy(d.name, ev->devpath, n);
	memcpy(d.port, ev->devpath, n);

	d.vid = ev->id_vendor;
	d.pid = ev->id_product;
	d.bcd = ev->bcd_device;
	d.cls = ev->dev_class;
	d.subcls = ev->dev_subclass;
	d.proto = ev->dev_protocol;
	for (unsigned int i = 0; i < ev->num_intf; i++) {
		d.intf[i].number = ev->intf[i].number;
		d.intf[i].cls = ev->intf[i].class;
		d.intf[i].subcls = ev->intf[i].subclass;
		d.intf[i].proto = ev->intf[i].protocol;
	}
	d.n_intf = ev->num_intf;
	d.speed_mbps = event_speed(ev->speed);
	d.connect = ev->removable == MEDIAGATE_REMOVABLE_YES	 ? IDENT_CONNECT_HOTPLUG
		    : ev->removable == MEDIAGATE_REMOVABLE_FIXED ? IDENT_CONNECT_HARDWIRED
								 : IDENT_CONNECT_UNKNOWN;
	copy_field(d.serial, ev->serial, sizeof(ev->serial));
	copy_field(d.product, ev->product, sizeof(ev->product));
	copy_field(d.manufacturer, ev->manufacturer, sizeof(ev->manufacturer));
	d.strings_truncated = !!(ev->flags & MEDIAGATE_EVF_TRUNCATED);
	d.storage_driver = ev->level == MEDIAGATE_LEVEL_INTERFACE && storage_driver(ev->driver);

	*ret_dev = d;
	return 0;
}
