// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the pure parts of ident: the bounded descriptor parser,
 * the descriptor hash, ident_from_event() and ident_has_class().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ident.h"
#include "uapi/linux/mediagate.h"

/* SanDisk 0781:5583: device + one config with a mass-storage interface (2 endpoints). */
static const uint8_t stick[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x81, 0x07, 0x83, 0x55, 0x00,
	0x01, 0x01, 0x02, 0x03, 0x01, 0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0x80,
	0x32, 0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00, 0x07, 0x05, 0x81,
	0x02, 0x00, 0x02, 0x00, 0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/*
 * Two configurations: config 1 = storage; config 2 = storage + HID (with a
 * class-specific HID descriptor and an alternate setting that repeats
 * interface 0 with the same triple).
 */
static const uint8_t two_cfg[] = {
	0x12,
	0x01,
	0x00,
	0x02,
	0x00,
	0x00,
	0x00,
	0x40,
	0x34,
	0x12,
	0x78,
	0x56,
	0x10,
	0x02,
	0x01,
	0x02,
	0x03,
	0x02,
	/* config 1: 9 + 9 = 18 */
	0x09,
	0x02,
	0x12,
	0x00,
	0x01,
	0x01,
	0x00,
	0x80,
	0x32,
	0x09,
	0x04,
	0x00,
	0x00,
	0x00,
	0x08,
	0x06,
	0x50,
	0x00,
	/* config 2: 9 + 9 + 9 + 9 + 9 = 45 */
	0x09,
	0x02,
	0x2d,
	0x00,
	0x02,
	0x02,
	0x00,
	0x80,
	0x32,
	0x09,
	0x04,
	0x00,
	0x00,
	0x00,
	0x08,
	0x06,
	0x50,
	0x00,
	0x09,
	0x04,
	0x00,
	0x01,
	0x00,
	0x08,
	0x06,
	0x50,
	0x00,
	0x09,
	0x04,
	0x01,
	0x00,
	0x01,
	0x03,
	0x01,
	0x01,
	0x00,
	0x09,
	0x21,
	0x11,
	0x01,
	0x00,
	0x01,
	0x22,
	0x3f,
	0x00,
};

static void test_stick(void **state)
{
	struct ident_device d = {.serial = "keep"};

	(void)state;
	assert_int_equal(ident_parse_descriptors(stick, sizeof(stick), 1, &d), 0);
	assert_int_equal(d.vid, 0x0781);
	assert_int_equal(d.pid, 0x5583);
	assert_int_equal(d.bcd, 0x0100);
	assert_int_equal(d.cls, 0);
	assert_int_equal(d.n_intf, 1);
	assert_int_equal(d.intf[0].number, 0);
	assert_int_equal(d.intf[0].cls, 0x08);
	assert_int_equal(d.intf[0].subcls, 0x06);
	assert_int_equal(d.intf[0].proto, 0x50);
	assert_string_equal(d.serial, "keep");
	assert_true(ident_has_class(&d, USB_CLASS_CODE_STORAGE));
	assert_false(ident_has_class(&d, USB_CLASS_CODE_HID));
}

static void test_configs(void **state)
{
	struct ident_device d = {0};

	(void)state;
	/* active config 1: storage only */
	assert_int_equal(ident_parse_descriptors(two_cfg, sizeof(two_cfg), 1, &d), 0);
	assert_int_equal(d.n_intf, 1);
	assert_false(ident_has_class(&d, USB_CLASS_CODE_HID));
	/* active config 2: storage (alt setting deduplicated) + HID */
	assert_int_equal(ident_parse_descriptors(two_cfg, sizeof(two_cfg), 2, &d), 0);
	assert_int_equal(d.n_intf, 2);
	assert_int_equal(d.intf[1].number, 1);
	assert_int_equal(d.intf[1].cls, 0x03);
	/* not configured: the union, so the hidden keyboard is seen */
	assert_int_equal(ident_parse_descriptors(two_cfg, sizeof(two_cfg), 0, &d), 0);
	assert_int_equal(d.n_intf, 2);
	assert_true(ident_has_class(&d, USB_CLASS_CODE_HID));
	/* an active value that is not there: also the union */
	assert_int_equal(ident_parse_descriptors(two_cfg, sizeof(two_cfg), 7, &d), 0);
	assert_int_equal(d.n_intf, 2);
}

/* Every truncation of a valid blob is rejected, and nothing is written. */
static void test_truncated(void **state)
{
	struct ident_device d, before;

	(void)state;
	memset(&d, 0x5a, sizeof(d));
	before = d;
	for (size_t n = 0; n < sizeof(two_cfg); n++) {
		if (n == 18)
			continue; /* device descriptor alone: bNumConfigurations says 2 */
		assert_int_equal(ident_parse_descriptors(two_cfg, n, 0, &d), -EBADMSG);
		assert_memory_equal(&d, &before, sizeof(d));
	}
	assert_int_equal(ident_parse_descriptors(two_cfg, 18, 0, &d), -EBADMSG);
	assert_int_equal(ident_parse_descriptors(NULL, 0, 0, &d), -EBADMSG);
}

static void expect_bad(const uint8_t *buf, size_t len)
{
	struct ident_device d = {0};

	assert_int_equal(ident_parse_descriptors(buf, len, 0, &d), -EBADMSG);
}

static void test_malformed(void **state)
{
	uint8_t b[sizeof(stick)];

	(void)state;
	/* zero bLength inside a config: an error, not an endless loop */
	memcpy(b, stick, sizeof(b));
	b[36] = 0;
	expect_bad(b, sizeof(b));
	/* descriptor running past wTotalLength */
	memcpy(b, stick, sizeof(b));
	b[43] = 0x08;
	expect_bad(b, sizeof(b));
	/* wTotalLength past the end of the data */
	memcpy(b, stick, sizeof(b));
	b[20] = 0x21;
	expect_bad(b, sizeof(b));
	/* wTotalLength shorter than the config descriptor */
	memcpy(b, stick, sizeof(b));
	b[20] = 0x05;
	expect_bad(b, sizeof(b));
	/* interface descriptor with bLength 5 */
	memcpy(b, stick, sizeof(b));
	b[27] = 0x05;
	expect_bad(b, sizeof(b));
	/* wrong device descriptor type / length */
	memcpy(b, stick, sizeof(b));
	b[1] = 0x02;
	expect_bad(b, sizeof(b));
	memcpy(b, stick, sizeof(b));
	b[0] = 0x11;
	expect_bad(b, sizeof(b));
	/* bNumConfigurations disagrees with the data */
	memcpy(b, stick, sizeof(b));
	b[17] = 2;
	expect_bad(b, sizeof(b));
	/* trailing garbage after the last config */
	{
		uint8_t t[sizeof(stick) + 3];

		memcpy(t, stick, sizeof(stick));
		memset(t + sizeof(stick), 0xff, 3);
		expect_bad(t, sizeof(t));
	}
}

static void test_too_many_interfaces(void **state)
{
	uint8_t b[18 + 9 + 9 * (IDENT_MAX_INTF + 1)];
	size_t total = 9 + 9 * (IDENT_MAX_INTF + 1);
	struct ident_device d = {0};

	(void)state;
	memcpy(b, stick, 18);
	b[17] = 1;
	memcpy(b + 18, stick + 18, 9);
	b[20] = (uint8_t)total;
	b[21] = (uint8_t)(total >> 8);
	for (unsigned int i = 0; i <= IDENT_MAX_INTF; i++) {
		uint8_t *p = b + 27 + 9 * i;

		memcpy(p, stick + 27, 9);
		p[2] = (uint8_t)i;
	}
	assert_int_equal(ident_parse_descriptors(b, sizeof(b), 1, &d), -E2BIG);
	assert_int_equal(d.n_intf, 0);
	/* exactly IDENT_MAX_INTF fit */
	total -= 9;
	b[20] = (uint8_t)total;
	b[21] = (uint8_t)(total >> 8);
	assert_int_equal(ident_parse_descriptors(b, sizeof(b) - 9, 1, &d), 0);
	assert_int_equal(d.n_intf, IDENT_MAX_INTF);
}

static void test_hash(void **state)
{
	/* SHA-256("abc"), FIPS 180-2 test vector */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t h[32], h2[32];

	(void)state;
	assert_int_equal(ident_hash_descriptors((const uint8_t *)"abc", 3, h), 0);
	assert_memory_equal(h, abc, 32);
	assert_int_equal(ident_hash_descriptors(stick, sizeof(stick), h), 0);
	assert_int_equal(ident_hash_descriptors(two_cfg, sizeof(two_cfg), h2), 0);
	assert_memory_not_equal(h, h2, 32);
}

static void test_event(void **state)
{
	struct mediagate_event ev = {.size = sizeof(ev), .abi = MEDIAGATE_ABI_VERSION};
	struct ident_device d = {0};

	(void)state;
	ev.id_vendor = 0x0781;
	ev.id_product = 0x5583;
	ev.bcd_device = 0x0100;
	ev.speed = 3;
	ev.removable = MEDIAGATE_REMOVABLE_YES;
	ev.num_intf = 2;
	ev.intf[0] = (struct mediagate_intf_desc){0, 0x08, 0x06, 0x50};
	ev.intf[1] = (struct mediagate_intf_desc){1, 0x03, 0x01, 0x01};
	snprintf(ev.devpath, sizeof(ev.devpath), "2-1.4:1.0");
	/* fill every string field to the brim: no NUL inside the record */
	memset(ev.serial, 'S', sizeof(ev.serial));
	memset(ev.product, 'P', sizeof(ev.product));
	memcpy(ev.manufacturer, "Evil\x1b[2J\n", 10);
	ev.flags = MEDIAGATE_EVF_TRUNCATED;

	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_string_equal(d.name, "2-1.4");
	assert_string_equal(d.port, "2-1.4");
	assert_int_equal(d.vid, 0x0781);
	assert_int_equal(d.n_intf, 2);
	assert_true(ident_has_class(&d, USB_CLASS_CODE_HID));
	assert_int_equal(d.speed_mbps, 480);
	assert_int_equal(d.connect, IDENT_CONNECT_HOTPLUG);
	assert_int_equal(strlen(d.serial), sizeof(ev.serial));
	assert_int_equal(strlen(d.product), sizeof(ev.product));
	assert_string_equal(d.manufacturer, "Evil\x1b[2J\n");
	assert_true(d.strings_truncated);
	assert_false(d.have_hash);
	assert_false(d.storage_driver);

	/* a vendor-class interface offered to usb-storage (claimed by ID) is
	 * storage; the same driver name on a device-level record says nothing,
	 * and an unterminated or foreign driver field is no storage driver */
	ev.num_intf = 1;
	ev.intf[0] = (struct mediagate_intf_desc){0, 0xff, 0xff, 0xff};
	ev.level = MEDIAGATE_LEVEL_INTERFACE;
	snprintf(ev.driver, sizeof(ev.driver), "usb-storage");
	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_true(d.storage_driver);
	assert_true(ident_has_class(&d, USB_CLASS_CODE_STORAGE));
	snprintf(ev.driver, sizeof(ev.driver), "ums-realtek");
	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_true(d.storage_driver);
	snprintf(ev.driver, sizeof(ev.driver), "usbhid");
	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_false(d.storage_driver);
	assert_false(ident_has_class(&d, USB_CLASS_CODE_STORAGE));
	memset(ev.driver, 'u', sizeof(ev.driver));
	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_false(d.storage_driver);
	ev.level = MEDIAGATE_LEVEL_DEVICE;
	snprintf(ev.driver, sizeof(ev.driver), "usb-storage");
	assert_int_equal(ident_from_event(&ev, &d), 0);
	assert_false(d.storage_driver);

	/* bad records leave *ret alone */
	memset(&d, 0, sizeof(d));
	ev.num_intf = MEDIAGATE_MAX_INTF + 1;
	assert_int_equal(ident_from_event(&ev, &d), -EINVAL);
	ev.num_intf = 1;
	memset(ev.devpath, 'x', sizeof(ev.devpath));
	assert_int_equal(ident_from_event(&ev, &d), -EINVAL);
	snprintf(ev.devpath, sizeof(ev.devpath), "2-1");
	ev.size = 12;
	assert_int_equal(ident_from_event(&ev, &d), -EINVAL);
	assert_int_equal(d.vid, 0);
	assert_int_equal(ident_from_event(NULL, &d), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ident_connect_name(IDENT_CONNECT_HOTPLUG), "hotplug");
	assert_string_equal(ident_connect_name(IDENT_CONNECT_HARDWIRED), "hardwired");
	assert_string_equal(ident_connect_name(IDENT_CONNECT_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stick),
		cmocka_unit_test(test_configs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_interfaces),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
