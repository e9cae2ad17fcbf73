// SPDX-License-Identifier: GPL-2.0
/* Probe: usb_driver embeds its device_driver in .drvwrap (upstream < 6.8). */
#include <linux/usb.h>

struct device_driver *mg_probe(struct usb_driver *d);
struct device_driver *mg_probe(struct usb_driver *d)
{
	return &d->drvwrap.driver;
}
