// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's udev side under umockdev: a testbed with a USB stick and its
 * SCSI disk, a uevent for the disk, the fake kernel socket for /dev/mediagate.
 * Covers blockwatch (monitor + enumerate), sysfs resolution of a block device
 * to its USB device, and the whole media-dependent upgrade: hold -> read-only
 * -> udev "add" of the disk -> probe of its bytes -> ALLOW on the same handle.
 *
 * The binary re-executes itself under umockdev-wrapper (LD_PRELOAD of the
 * umockdev preload library); libumockdev's testbed API is loaded with dlopen
 * so the build needs nothing beyond cmocka.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "blockwatch.h"
#include "kdev.h"
#include "log.h"
#include "loop.h"
#include "mountwatch.h"

#define UUID "5a1e0c2f-8d1a-4c1b-9a53-0c6f3e0d4b22"
#define USBDEV_P "/devices/pci0000:00/0000:00:14.0/usb2/2-1"
#define DISK_P USBDEV_P "/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"
#define DISK "/sys" DISK_P

static void *tb;
static void (*tb_uevent)(void *tb, const char *devpath, const char *action);
static char dir[64];

static const char devices[] = "P: " DISK_P "\n"
			      "N: sdb\n"
			      "E: SUBSYSTEM=block\n"
			      "E: DEVTYPE=disk\n"
			      "E: DEVNAME=/dev/sdb\n"
			      "E: MAJOR=8\n"
			      "E: MINOR=16\n"
			      "A: dev=8:16\n"
			      "A: size=49152\n"
			      "\n"
			      "P: " USBDEV_P "/2-1:1.0\n"
			      "E: SUBSYSTEM=usb\n"
			      "E: DEVTYPE=usb_interface\n"
			      "A: bInterfaceNumber=00\n"
			      "A: bInterfaceClass=08\n"
			      "A: bInterfaceSubClass=06\n"
			      "A: bInterfaceProtocol=50\n"
			      "\n"
			      "P: " USBDEV_P "\n"
			      "N: bus/usb/002/005\n"
			      "E: SUBSYSTEM=usb\n"
			      "E: DEVTYPE=usb_device\n"
			      "A: idVendor=0781\n"
			      "A: idProduct=5583\n"
			      "A: serial=4C530001\n"
			      "A: dev=189:133\n"
			      "\n";

static int setup(void **state)
{
	void *(*tb_new)(void);
	int (*tb_add)(void *tb, const char *data, void **error);
	void *h, *err = NULL;
	char cmd[512];

	(void)state;
	h = dlopen("libumockdev.so.0", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen libumockdev.so.0: %s\n", dlerror());
		return -1;
	}
	tb_new = (void *(*)(void))dlsym(h, "umockdev_testbed_new");
	tb_add = (int (*)(void *, const char *, void **))dlsym(h,
							       "umockdev_testbed_add_from_string");
	tb_uevent =
		(void (*)(void *, const char *, const char *))dlsym(h, "umockdev_testbed_uevent");
	if (!tb_new || !tb_add || !tb_uevent)
		return -1;
	tb = tb_new();
	if (!tb || !tb_add(tb, devices, &err))
		return -1;
	strcpy(dir, "/tmp/mg-udev-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* the disk's bytes: an enrolled LUKS2 medium, behind umockdev's /dev/sdb */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf k >key && truncate -s 24M luks.img && cryptsetup luksFormat "
		 "--batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file key "
		 "--type luks2 --uuid " UUID
		 " luks.img >/dev/null 2>&1 && cp luks.img '%s/dev/sdb'",
		 dir, getenv("UMOCKDEV_DIR"));
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_blockwatch(void **state)
{
	struct blockwatch *bw = NULL;
	struct blockwatch_disk d;
	struct pollfd p;
	char name[IDENT_NAME_MAX];

	(void)state;
	assert_int_equal(blockwatch_new(&bw), 0);
	tb_uevent(tb, DISK, "add");
	p = (struct pollfd){.fd = blockwatch_fd(bw), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(blockwatch_receive(bw, &d), 1);
	assert_string_equal(d.usb_name, "2-1");
	assert_string_equal(d.devnode, "/dev/sdb");
	/* a remove is not a disk to probe */
	tb_uevent(tb, DISK, "remove");
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(blockwatch_receive(bw, &d), 0);
	blockwatch_free(bw);

	/* the block device resolves to its USB device through sysfs */
	assert_int_equal(mountwatch_resolve_sysfs("/dev/sdb", name, sizeof(name), NULL), 1);
	assert_string_equal(name, "2-1");
}

struct found {
	int n;
	char usb[IDENT_NAME_MAX];
};

static void on_disk(const struct blockwatch_disk *d, void *userdata)
{
	struct found *f = userdata;

	f->n++;
	snprintf(f->usb, sizeof(f->usb), "%s", d->usb_name);
}

static void test_enumerate(void **state)
{
	struct blockwatch *bw = NULL;
	struct found f = {0};

	(void)state;
	assert_int_equal(blockwatch_new(&bw), 0);
	assert_int_equal(blockwatch_enumerate(bw, "2-1", on_disk, &f), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.usb, "2-1");
	f.n = 0;
	assert_int_equal(blockwatch_enumerate(bw, "3-1", on_disk, &f), 0);
	assert_int_equal(f.n, 0);
	blockwatch_free(bw);
}

static struct kdev_fake_msg recv_msg(int fd, int ms)
{
	struct kdev_fake_msg m = {0};
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) == 1)
		assert_int_equal(recv(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	return m;
}

/* hold -> read-only -> the disk appears (udev) -> probed -> read-write */
static void test_media_upgrade_through_udev(void **state)
{
	char sock[128], policy[128], reg[128], text[512];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct loop_config cfg = {.dev_path = sock,
				  .db_path = "",
				  .check_owner = false,
				  .watch_block = true,
				  .control_path = ""};
	struct mediagate_event ev = {0};
	struct kdev_fake_msg m;
	struct loop *l = NULL;
	FILE *f;
	int lfd, kfd;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/k.sock", dir);
	snprintf(policy, sizeof(policy), "%s/p.conf", dir);
	snprintf(reg, sizeof(reg), "%s/registry", dir);
	cfg.policy_path = policy;
	f = fopen(reg, "w");
	assert_non_null(f);
	fputs("medium U-1 luks2 " UUID " usb 0781:5583 serial \"4C530001\" owner \"T\" asset \"A\" "
	      "enrolled 2026-11-21\n",
	      f);
	fclose(f);
	snprintf(text, sizeof(text),
		 "set registry \"%s\"\nallow storage media registered\nreadonly storage\n", reg);
	f = fopen(policy, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);

	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);

	ev.size = sizeof(ev);
	ev.abi = MEDIAGATE_ABI_VERSION;
	ev.type = MEDIAGATE_EV_HELD;
	ev.seq = ev.handle = 5;
	ev.level = MEDIAGATE_LEVEL_DEVICE;
	ev.intf_number = 0xff;
	ev.id_vendor = 0x0781;
	ev.id_product = 0x5583;
	strcpy(ev.devpath, "2-1");
	strcpy(ev.serial, "4C530001");
	ev.num_intf = 1;
	ev.intf[0].class = 8;
	ev.intf[0].subclass = 6;
	ev.intf[0].protocol = 0x50;
	assert_int_equal(send(kfd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
	assert_int_equal(loop_dispatch(l, 2000), 0);
	m = recv_msg(kfd, 5000);
	assert_int_equal(m.op, KDEV_FAKE_VERDICT);
	assert_int_equal(m.verdict.handle, 5);
	assert_int_equal(m.verdict.verdict, MEDIAGATE_VERDICT_READONLY);

	tb_uevent(tb, DISK, "add");
	for (int i = 0; i < 10 && m.verdict.verdict != MEDIAGATE_VERDICT_ALLOW; i++) {
		assert_int_equal(loop_dispatch(l, 500), 0);
		m = recv_msg(kfd, 100);
		if (m.op)
			assert_int_equal(m.verdict.handle, 5);
	}
	assert_int_equal(m.verdict.verdict, MEDIAGATE_VERDICT_ALLOW);
	loop_free(l);
	close(kfd);
	close(lfd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blockwatch),
		cmocka_unit_test(test_enumerate),
		cmocka_unit_test(test_media_upgrade_through_udev),
	};
	const char *pre = getenv("LD_PRELOAD");

	(void)argc;
	if (!pre || !strstr(pre, "umockdev")) {
		/* ASan wants to come first; the umockdev preload library must too */
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
		execlp("umockdev-wrapper", "umockdev-wrapper", argv[0], (char *)NULL);
		fprintf(stderr, "test-udev: cannot run umockdev-wrapper: %s\n", strerror(errno));
		return 1;
	}
	log_init(false, LOG_DAEMON);
	return cmocka_run_group_tests(tests, setup, teardown);
}
