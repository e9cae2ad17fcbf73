// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ident_desc: a bounded parser for the raw USB descriptors a device sent us
 * (the sysfs "descriptors" file, or MEDIAGATE_IOC_GET_DESCRIPTORS). Pure.
 * The bytes are device-supplied: every length is checked against what is
 * left before anything is read, a zero bLength is an error (not a loop), and
 * a truncated descriptor is an error, never an overread.
 */
#include <errno.h>
#include <string.h>

#include "ident.h"

#define USB_DT_DEVICE 0x01
#define USB_DT_CONFIG 0x02
#define USB_DT_INTERFACE 0x04
#define USB_DT_DEVICE_SIZE 18
#define USB_DT_CONFIG_SIZE 9
#define USB_DT_INTERFACE_SIZE 9

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

const char *ident_connect_name(enum ident_connect c)
{
	switch (c) {
	case IDENT_CONNECT_HOTPLUG:
		return "hotplug";
	case IDENT_CONNECT_HARDWIRED:
		return "hardwired";
	default:
		return "unknown";
	}
}

/* Add an interface unless the same (number, triple) is already listed. */
static int add_intf(struct ident_device *d, const uint8_t *p)
{
	struct ident_intf in = {
		.number = p[2],
		.cls = p[5],
		.subcls = p[6],
		.proto = p[7],
	};

	for (unsigned int i = 0; i < d->n_intf; i++)
		if (!memcmp(&d->intf[i], &in, sizeof(in)))
			return 0;
	if (d->n_intf >= IDENT_MAX_INTF)
		return -E2BIG;
	d->intf[d->n_intf++] = in;
	return 0;
}

/*
 * Walk one configuration (@len bytes = its wTotalLength, already bounded by
 * the caller). Interfaces are added only when @take is set; the walk itself
 * always runs so that a malformed configuration is rejected either way.
 */
static int parse_config(const uint8_t *p, size_t len, bool take, struct ident_device *d)
{
	size_t off = p[0]; /* skip the configuration descriptor itself */

	while (off < len) {
		size_t left = len - off;
		uint8_t blen;
		int r;

		if (left < 2)
			return -EBADMSG;
		blen = p[off];
		if (blen < 2 || blen > left)
			return -EBADMSG;
		if (p[off + 1] == USB_DT_INTERFACE) {
			if (blen < USB_DT_INTERFACE_SIZE)
				return -EBADMSG;
			if (take) {
				r = add_intf(d, p + off);
				if (r < 0)
					return r;
			}
		}
		off += blen;
	}
	return 0;
}

int ident_parse_descriptors(const uint8_t *buf, size_t len, unsigned int config,
			    struct ident_device *ret_dev)
{
	struct ident_device d = {0};
	unsigned int n_cfg, seen = 0;
	bool found_active = false;
	size_t off;
	int r;

	if (!buf || len < USB_DT_DEVICE_SIZE)
		return -EBADMSG;
	if (buf[0] != USB_DT_DEVICE_SIZE || buf[1] != USB_DT_DEVICE)
		return -EBADMSG;
	d.vid = get_le16(buf + 8);
	d.pid = get_le16(buf + 10);
	d.bcd = get_le16(buf + 12);
	d.cls = buf[4];
	d.subcls = buf[5];
	d.proto = buf[6];
	n_cfg = buf[17];

	/* First pass: validate every configuration and find the active one. */
	for (off = USB_DT_DEVICE_SIZE; off < len; seen++) {
		size_t left = len - off, total;

		if (left < USB_DT_CONFIG_SIZE)
			return -EBADMSG;
		if (buf[off] < USB_DT_CONFIG_SIZE || buf[off + 1] != USB_DT_CONFIG)
			return -EBADMSG;
		total = get_le16(buf + off + 2);
		if (total < buf[off] || total > left)
			return -EBADMSG;
		r = parse_config(buf + off, total, false, &d);
		if (r < 0)
			return r;
		if (config && buf[off + 5] == config)
			found_active = true;
		off += total;
	}
	if (seen != n_cfg)
		return -EBADMSG;

	/* Second pass: collect interfaces of the active configuration, or of
	 * all of them when none is active (or the active one is not here). */
	for (off = USB_DT_DEVICE_SIZE; off < len;) {
		size_t total = get_le16(buf + off + 2);
		bool take = !found_active || buf[off + 5] == config;

		r = parse_config(buf + off, total, take, &d);
		if (r < 0)
			return r;
		off += total;
	}

	ret_dev->vid = d.vid;
	ret_dev->pid = d.pid;
	ret_dev->bcd = d.bcd;
	ret_dev->cls = d.cls;
	ret_dev->subcls = d.subcls;
	ret_dev->proto = d.proto;
	ret_dev->n_intf = d.n_intf;
	memcpy(ret_dev->intf, d.intf, sizeof(d.intf));
	return 0;
}
