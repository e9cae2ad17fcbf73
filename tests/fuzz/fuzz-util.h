/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the libFuzzer targets: a fixed set of devices and media
 * to decide on, and an assertion that says what property broke before it
 * aborts (libFuzzer then saves the input as a crash artifact).
 */
#ifndef MEDIAGATE_FUZZ_UTIL_H
#define MEDIAGATE_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "media.h"

#define fuzz_assert(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: property failed: %s\nfuzz: ", #cond);               \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Run @fn with a FILE writing into a malloc'ed, NUL-terminated string. */
static inline char *fuzz_capture(void (*fn)(const void *obj, FILE *f), const void *obj,
				 size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fn(obj, f);
	if (fclose(f) != 0)
		abort();
	*ret_len = len;
	return buf;
}

static inline void fuzz_intf(struct ident_device *d, uint8_t c, uint8_t s, uint8_t p)
{
	struct ident_intf *i = &d->intf[d->n_intf];

	i->number = (uint8_t)d->n_intf;
	i->cls = c;
	i->subcls = s;
	i->proto = p;
	d->n_intf++;
}

static inline void fuzz_dev(struct ident_device *d, const char *port, uint16_t vid, uint16_t pid,
			    enum ident_connect conn, const char *mfr, const char *prod,
			    const char *serial)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", port);
	snprintf(d->port, sizeof(d->port), "%s", port);
	d->vid = vid;
	d->pid = pid;
	d->bcd = 0x0100;
	d->connect = conn;
	d->speed_mbps = 480;
	snprintf(d->manufacturer, sizeof(d->manufacturer), "%s", mfr);
	snprintf(d->product, sizeof(d->product), "%s", prod);
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
}

enum { FUZZ_N_DEVS = 6, FUZZ_N_MEDIA = 6 };

/* Devices the policies in the corpus talk about, plus hostile strings. */
static inline void fuzz_devices(struct ident_device devs[FUZZ_N_DEVS])
{
	fuzz_dev(&devs[0], "1-2", 0x0781, 0x5583, IDENT_CONNECT_HOTPLUG, "SanDisk", "Cruzer",
		 "4C530001231120115142");
	fuzz_intf(&devs[0], 0x08, 0x06, 0x50);

	fuzz_dev(&devs[1], "1-2.1", 0x1234, 0x5678, IDENT_CONNECT_HOTPLUG, "Evil\x1b[31m",
		 "Stick\xff\xfe", "\x01\x02\"serial\\");
	fuzz_intf(&devs[1], 0x08, 0x06, 0x50);
	fuzz_intf(&devs[1], 0x03, 0x01, 0x01);

	fuzz_dev(&devs[2], "3-1", 0x046d, 0xc31c, IDENT_CONNECT_HARDWIRED, "Logitech",
		 "USB Keyboard", "");
	fuzz_intf(&devs[2], 0x03, 0x01, 0x01);
	fuzz_intf(&devs[2], 0x03, 0x00, 0x00);

	fuzz_dev(&devs[3], "2-1", 0x05e3, 0x0610, IDENT_CONNECT_HARDWIRED, "GenesysLogic",
		 "USB2.1 Hub", "");
	devs[3].cls = 0x09;
	fuzz_intf(&devs[3], 0x09, 0x00, 0x00);

	fuzz_dev(&devs[4], "4-1.2.3.4.5", 0xffff, 0x0000, IDENT_CONNECT_UNKNOWN, "", "", "*");
	for (int i = 0; i < IDENT_MAX_INTF; i++)
		fuzz_intf(&devs[4], (uint8_t)(i * 37), (uint8_t)i, 0xff);

	fuzz_dev(&devs[5], "1-4", 0x0951, 0x1666, IDENT_CONNECT_HOTPLUG, "Kingston",
		 "DataTraveler 3.0", "60A44C413AB5F190895A0016");
	fuzz_intf(&devs[5], 0x08, 0x06, 0x50);
	fuzz_intf(&devs[5], 0x06, 0x01, 0x01);
	fuzz_intf(&devs[5], 0xe0, 0x01, 0x01);
}

/* media[0] stands for "not probed yet" and is passed as NULL. */
static inline void fuzz_media(struct media_info m[FUZZ_N_MEDIA])
{
	memset(m, 0, sizeof(*m) * FUZZ_N_MEDIA);
	m[0].kind = MEDIA_UNKNOWN;
	m[1].kind = MEDIA_NONE;
	m[2].kind = MEDIA_PLAIN;
	snprintf(m[2].fstype, sizeof(m[2].fstype), "vfat");
	snprintf(m[2].label, sizeof(m[2].label), "BACKUP");
	snprintf(m[2].fs_uuid, sizeof(m[2].fs_uuid), "1A2B-3C4D");
	for (int i = 3; i < 6; i++) {
		m[i].kind = MEDIA_LUKS;
		m[i].luks_version = i == 5 ? 1 : 2;
		snprintf(m[i].luks_uuid, sizeof(m[i].luks_uuid),
			 "3f0c6a2e-9b1d-4c8e-a7f2-5d6e8b9c0a1%d", i);
		snprintf(m[i].cipher, sizeof(m[i].cipher), "aes-xts-plain64");
		m[i].key_bits = 512;
		m[i].token_present = true;
		m[i].registered = i == 3;
	}
}

#endif
