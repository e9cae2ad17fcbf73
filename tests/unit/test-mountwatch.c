// SPDX-License-Identifier: GPL-2.0-or-later
/* mountwatch: USB device names from sysfs paths, users from mountpoints, and
 * the mount table diff over mountinfo files with a fake resolver. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mountwatch.h"

static void test_usb_name(void **state)
{
	char n[IDENT_NAME_MAX];

	(void)state;
	assert_int_equal(mountwatch_usb_name("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/"
					     "2-1.4:1.0/host3/target3:0:0/3:0:0:0/block/sdb/sdb1",
					     n, sizeof(n)),
			 0);
	assert_string_equal(n, "2-1.4");
	assert_int_equal(
		mountwatch_usb_name("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/"
				    "host0/target0:0:0/0:0:0:0/block/sda",
				    n, sizeof(n)),
		0);
	assert_string_equal(n, "1-2");
	assert_int_equal(mountwatch_usb_name("/sys/devices/virtual/block/loop0", n, sizeof(n)),
			 -ENOENT);
	assert_int_equal(mountwatch_usb_name("/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/"
					     "target0:0:0/0:0:0:0/block/sda/sda1",
					     n, sizeof(n)),
			 -ENOENT);
	assert_int_equal(mountwatch_usb_name("/x/1-/1-.2/-1/1-1./a1-1", n, sizeof(n)), -ENOENT);
	assert_int_equal(mountwatch_usb_name("/x/3-1.2.10/", n, 4), -ENOENT); /* too small */
}

static void test_user_from_path(void **state)
{
	char u[64];

	(void)state;
	assert_true(mountwatch_user_from_path("/media/taro/MY STICK", u, sizeof(u)));
	assert_string_equal(u, "taro");
	assert_true(mountwatch_user_from_path("/run/media/hana/X", u, sizeof(u)));
	assert_string_equal(u, "hana");
	assert_false(mountwatch_user_from_path("/media/STICK", u, sizeof(u)));
	assert_false(mountwatch_user_from_path("/media//X", u, sizeof(u)));
	assert_false(mountwatch_user_from_path("/media/taro/", u, sizeof(u)));
	assert_false(mountwatch_user_from_path("/mnt/taro/x", u, sizeof(u)));
	assert_false(mountwatch_user_from_path("/media/averyveryverylongusername/x", u, 8));
}

static char info[64];

static int fake_resolve(const char *source, char *ret, size_t sz, void *userdata)
{
	static const char *const map[][2] = {
		{"/dev/sdb1", "2-1.4"},
		{"/dev/sdc1", "2-1.5"},
		{"/dev/mapper/luks-1", "2-1.6"},
	};

	(void)userdata;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(source, map[i][0])) {
			snprintf(ret, sz, "%s", map[i][1]);
			return 1;
		}
	return 0;
}

static void write_info(const char *text)
{
	FILE *f = fopen(info, "w");

	assert_non_null(f);
	fputs("22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n", f);
	fputs(text, f);
	fclose(f);
}

struct seen {
	int n;
	char log[8][1200];
};

static void on_event(struct mountwatch_mount *m, bool unmount, void *userdata)
{
	struct seen *s = userdata;

	assert_true(s->n < 8);
	snprintf(s->log[s->n++], sizeof(s->log[0]), "%s %s %s %s %s %s",
		 unmount ? "unmount" : "mount", m->usb_name, m->source, m->target, m->fstype,
		 m->readonly ? "ro" : "rw");
}

static void test_diff(void **state)
{
	struct mountwatch *mw = NULL;
	struct seen s = {0};
	int fd;

	(void)state;
	strcpy(info, "/tmp/mg-mountinfo-XXXXXX");
	fd = mkstemp(info);
	assert_true(fd >= 0);
	close(fd);
	/* the baseline, with a stick already mounted: not reported */
	write_info("40 22 8:17 / /media/taro/STICK rw,nosuid - vfat /dev/sdb1 rw\n");
	assert_int_equal(mountwatch_new(info, false, fake_resolve, NULL, &mw), 0);
	assert_int_equal(mountwatch_fd(mw), -1);
	assert_int_equal(mountwatch_refresh(mw, on_event, &s), 0);

	/* a second stick read-only (mountpoint with a space), a loop device */
	write_info("40 22 8:17 / /media/taro/STICK rw,nosuid - vfat /dev/sdb1 rw\n"
		   "41 22 8:33 / /media/hana/MY\\040DATA ro,nosuid - exfat /dev/sdc1 ro\n"
		   "42 22 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n");
	assert_int_equal(mountwatch_refresh(mw, on_event, &s), 1);
	assert_string_equal(s.log[0], "mount 2-1.5 /dev/sdc1 /media/hana/MY DATA exfat ro");

	/* the first stick goes; the second is remounted rw (not a new mount) */
	write_info("41 22 8:33 / /media/hana/MY\\040DATA rw,nosuid - exfat /dev/sdc1 rw\n"
		   "42 22 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n");
	assert_int_equal(mountwatch_refresh(mw, on_event, &s), 1);
	assert_string_equal(s.log[1], "unmount 2-1.4 /dev/sdb1 /media/taro/STICK vfat rw");

	/* mount id 41 reused for a dm-crypt mapping on a third stick */
	write_info("41 22 253:0 / /media/taro/SECRET rw - ext4 /dev/mapper/luks-1 rw\n"
		   "42 22 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n");
	assert_int_equal(mountwatch_refresh(mw, on_event, &s), 2);
	assert_string_equal(s.log[2], "mount 2-1.6 /dev/mapper/luks-1 /media/taro/SECRET ext4 rw");
	assert_string_equal(s.log[3], "unmount 2-1.5 /dev/sdc1 /media/hana/MY DATA exfat ro");
	assert_int_equal(mountwatch_refresh(mw, on_event, &s), 0);
	mountwatch_free(mw);
	unlink(info);
}

/* The real table and monitor open, and the sysfs resolver says no for
 * things that are not USB block devices. */
static void test_real_table(void **state)
{
	struct mountwatch *mw = NULL;
	char n[IDENT_NAME_MAX];

	(void)state;
	assert_int_equal(mountwatch_new(NULL, true, NULL, NULL, &mw), 0);
	assert_true(mountwatch_fd(mw) >= 0);
	mountwatch_free(mw);
	assert_int_equal(mountwatch_resolve_sysfs("/dev/null", n, sizeof(n), NULL), 0);
	assert_int_equal(mountwatch_resolve_sysfs("tmpfs", n, sizeof(n), NULL), 0);
	assert_int_equal(mountwatch_resolve_sysfs("/dev/nonexistent", n, sizeof(n), NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usb_name),
		cmocka_unit_test(test_user_from_path),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_real_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
