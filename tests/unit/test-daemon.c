// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's event -> verdict path against a fake kernel (kdev's Unix
 * socket mode): in process through the loop API (every verdict path, the
 * media-dependent upgrade with probed images, reload good/bad and
 * re-evaluation, audit lines and inventory rows), and the real mediagated
 * binary (signals, audit on stdout, clean stop).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control.h"
#include "inventory.h"
#include "kdev.h"
#include "log.h"
#include "loop.h"

#include "fake-kernel.h"

#define UUID "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11"

static char dir[64];
static char sock_path[128], policy_path[128], reg_path[128], db_path[128], audit_path[128];

static void path_in(char *dst, const char *name)
{
	snprintf(dst, 128, "%s/%s", dir, name);
}

static void sh(const char *cmd)
{
	char full[1024];
	int r;

	snprintf(full, sizeof(full), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	r = system(full);
	if (r)
		print_error("failed: %s\n", cmd);
	assert_int_equal(r, 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_policy(const char *rules)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "set registry \"%s\"\n"
		 "set encryption luks2 cipher aes-xts-plain64 min-key-bits 512\n"
		 "%s",
		 reg_path, rules);
	write_file(policy_path, text);
}

static const char base_rules[] = "block    storage with-interface { hid }\n" /* line 3 */
				 "allow    storage media registered\n" /* line 4 */
				 "readonly storage\n" /* line 5 */
				 "allow    any\n"; /* line 6 */

static int listen_fake(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, sock_path);
	unlink(sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mg-daemon-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_in(sock_path, "kernel.sock");
	path_in(policy_path, "mediagate.conf");
	path_in(reg_path, "registry");
	path_in(db_path, "inventory.db");
	path_in(audit_path, "audit.log");
	sh("printf k > key && truncate -s 24M luks2.img && cryptsetup luksFormat --batch-mode "
	   "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file key --type luks2 "
	   "--cipher aes-xts-plain64 --key-size 512 --uuid " UUID " luks2.img");
	sh("mkfs.vfat -C vfat.img 2048 -n PLAIN");
	write_file(reg_path, "medium USB-0042 luks2 " UUID " usb 0781:5583 serial \"4C530001\" "
			     "owner \"Taro\" asset \"PC-0042\" enrolled 2026-11-21\n");
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_hold(struct mediagate_event *ev, uint64_t handle, const char *devpath,
		      const char *serial, const uint8_t *classes, unsigned int n)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = MEDIAGATE_EV_HELD;
	ev->seq = handle;
	ev->handle = handle;
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->intf_number = 0xff;
	ev->id_vendor = 0x0781;
	ev->id_product = 0x5583;
	ev->removable = MEDIAGATE_REMOVABLE_YES;
	strcpy(ev->devpath, devpath);
	memcpy(ev->serial, serial, strlen(serial) + 1);
	strcpy(ev->product, "Ultra Fit");
	strcpy(ev->manufacturer, "SanDisk");
	for (unsigned int i = 0; i < n; i++) {
		ev->intf[i].number = (uint8_t)i;
		ev->intf[i].class = classes[i];
		ev->intf[i].subclass = classes[i] == 8 ? 6 : 1;
		ev->intf[i].protocol = classes[i] == 8 ? 0x50 : 1;
	}
	ev->num_intf = (uint8_t)n;
}

static void send_ev(int fd, const struct mediagate_event *ev)
{
	assert_int_equal(send(fd, ev, sizeof(*ev), 0), (ssize_t)sizeof(*ev));
}

/* Next message from the daemon within @ms, or op 0 if none came. */
static struct kdev_fake_msg recv_msg(int fd, int ms)
{
	struct kdev_fake_msg m = {0};
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) == 1)
		assert_int_equal(recv(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	return m;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *line = s; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (memmem(line, len, needle, strlen(needle)))
			n++;
		line += len + (nl ? 1 : 0);
	}
	return n;
}

static void test_loop_verdict_paths(void **state)
{
	static const uint8_t storage[] = {8}, composite[] = {8, 3}, kbd[] = {3};
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = db_path,
				  .check_owner = false,
				  .control_path = ""};
	struct mediagate_event ev;
	struct kdev_fake_msg m;
	struct loop *l = NULL;
	struct inv *inv = NULL;
	struct inv_medium row;
	char img[160], *audit;
	FILE *af;
	int lfd, kfd;

	(void)state;
	write_policy(base_rules);
	af = fopen(audit_path, "w");
	assert_non_null(af);
	log_audit_stream(af);
	lfd = listen_fake();
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kfd >= 0);
	/* a (re)connecting daemon first asks for the pending holds */
	m = recv_msg(kfd, 5000);
	assert_int_equal(m.op, KDEV_FAKE_REPLAY);
	/* ... and the devices decided before it started (loop_restart.c) */
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);

	/* 1: the enrolled stick: read-only until probed, then read-write */
	make_hold(&ev, 1, "2-1.4", "4C530001", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	m = recv_msg(kfd, 5000);
	assert_int_equal(m.op, KDEV_FAKE_VERDICT);
	assert_int_equal(m.verdict.handle, 1);
	assert_int_equal(m.verdict.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(m.verdict.intf_verdict[0], MEDIAGATE_VERDICT_READONLY);
	/* a disk of another USB device changes nothing */
	snprintf(img, sizeof(img), "%s/luks2.img", dir);
	assert_int_equal(loop_media_appeared(l, "3-1", img), 0);
	assert_int_equal(loop_media_appeared(l, "2-1.4", img), 1);
	/* the probe runs in a child; while it does, a second event starts none */
	assert_int_equal(loop_media_appeared(l, "2-1.4", img), 0);
	settle(l);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_ALLOW);
	/* probed once: a later disk event does not re-decide */
	assert_int_equal(loop_media_appeared(l, "2-1.4", img), 0);
	/* a stale replay of the same hold gets the verdict in force (the upgrade),
	 * never a new decision from less information, and no second audit line */
	make_hold(&ev, 1, "2-1.4", "4C530001", storage, 1);
	ev.flags = MEDIAGATE_EVF_REPLAY;
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_ALLOW);

	/* 2: the enrolled header on another stick (serial differs): stays read-only */
	make_hold(&ev, 2, "2-1.5", "CLONE", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 2, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(loop_media_appeared(l, "2-1.5", img), 1);
	settle(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0); /* nothing to change */

	/* 3: a plain stick stays read-only */
	make_hold(&ev, 3, "2-1.6", "PLAIN1", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 3, MEDIAGATE_VERDICT_READONLY);
	snprintf(img, sizeof(img), "%s/vfat.img", dir);
	assert_int_equal(loop_media_appeared(l, "2-1.6", img), 1);
	settle(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* 4: a stick that also types is blocked as a whole */
	make_hold(&ev, 4, "2-1.7", "TYPER", composite, 2);
	send_ev(kfd, &ev);
	/* 5: a keyboard is allowed */
	make_hold(&ev, 5, "1-3", "", kbd, 1);
	send_ev(kfd, &ev);
	/* 6: a record the identity code cannot read is denied */
	make_hold(&ev, 6, "", "", storage, 1);
	send_ev(kfd, &ev);
	/* 7: a malformed record is ignored (no handle to answer) */
	make_hold(&ev, 7, "2-2", "", storage, 1);
	ev.abi = 99;
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_DENY);
	expect_verdict(kfd, 5, MEDIAGATE_VERDICT_ALLOW);
	expect_verdict(kfd, 6, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* reload with errors: the old policy stays */
	write_file(policy_path, "allow storage frobnicate\n");
	assert_true(loop_reload(l) < 0);
	assert_int_equal(recv_msg(kfd, 100).op, 0);
	make_hold(&ev, 8, "1-4", "", kbd, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 8, MEDIAGATE_VERDICT_ALLOW);

	/* the keyboard of handle 5 is unplugged */
	make_hold(&ev, 5, "1-3", "", kbd, 1);
	ev.type = MEDIAGATE_EV_REMOVED;
	send_ev(kfd, &ev);
	pump(l);

	/* a stricter policy: present devices are downgraded, in handle order */
	write_policy("readonly storage media registered\nblock any\n");
	assert_int_equal(loop_reload(l), 0);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_READONLY); /* was allow */
	expect_verdict(kfd, 2, MEDIAGATE_VERDICT_DENY);
	expect_verdict(kfd, 3, MEDIAGATE_VERDICT_DENY);
	/* the blocked stick-that-types was never probed: the media rule lets its
	 * storage in read-only to look (HID stays denied) */
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_READONLY);
	expect_verdict(kfd, 8, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(kfd, 100).op, 0); /* 6 untracked; 5 gone */

	/* tamper report */
	make_hold(&ev, 4, "2-1.7", "TYPER", composite, 2);
	ev.type = MEDIAGATE_EV_TAMPER;
	ev.verdict = MEDIAGATE_VERDICT_DENY;
	strcpy(ev.driver, "usb-storage");
	send_ev(kfd, &ev);
	pump(l);

	loop_free(l);
	log_audit_stream(NULL);
	fclose(af);
	close(kfd);
	close(lfd);

	audit = slurp(audit_path);
	if (getenv("MG_DEBUG"))
		fputs(audit, stderr);
	assert_int_equal(count_lines(audit, "event=verdict dev=\"2-1.4\" id=0781:5583 "
					    "serial=\"4C530001\" handle=1 manufacturer=\"SanDisk\" "
					    "product=\"Ultra Fit\" stage=hold verdict=readonly "
					    "interfaces=\"0:readonly\""),
			 1);
	assert_int_equal(count_lines(audit, "handle=1 "), 3);
	assert_int_equal(count_lines(audit, "stage=media verdict=allow interfaces=\"0:allow\""), 1);
	assert_int_equal(count_lines(audit,
				     "media=luks2 fstype=\"\" label=\"\" uuid=\"" UUID "\" "
				     "cipher=\"aes-xts-plain64\" key_bits=512 registered=yes "
				     "medium=\"USB-0042\""),
			 2);
	assert_int_equal(count_lines(audit,
				     "handle=2 manufacturer=\"SanDisk\" product=\"Ultra Fit\" "
				     "stage=media verdict=readonly"),
			 1);
	assert_int_equal(count_lines(audit,
				     "handle=3 manufacturer=\"SanDisk\" product=\"Ultra Fit\" "
				     "stage=media verdict=readonly interfaces=\"0:readonly\" "
				     "rule=\""),
			 1);
	assert_int_equal(count_lines(audit, "media=plain fstype=\"vfat\" label=\"PLAIN\""), 2);
	assert_int_equal(count_lines(audit,
				     "handle=4 manufacturer=\"SanDisk\" product=\"Ultra Fit\" "
				     "stage=hold verdict=block interfaces=\"0:block 1:block\""),
			 1);
	{
		char needle[400];

		snprintf(needle, sizeof(needle),
			 "stage=hold verdict=block interfaces=\"0:block 1:block\" rule=\"%s:3\"",
			 policy_path);
		assert_int_equal(count_lines(audit, needle), 1);
		snprintf(needle, sizeof(needle),
			 "handle=1 manufacturer=\"SanDisk\" product=\"Ultra Fit\" stage=media "
			 "verdict=allow interfaces=\"0:allow\" rule=\"%s:4\"",
			 policy_path);
		assert_int_equal(count_lines(audit, needle), 1);
	}
	assert_int_equal(count_lines(audit, "handle=6 "), 1);
	assert_int_equal(count_lines(audit, "rule=\"default\""), 1);
	assert_int_equal(count_lines(audit, "handle=7 "), 0);
	assert_int_equal(count_lines(audit, "event=reload result=failed"), 1);
	assert_int_equal(count_lines(audit, "event=reload result=ok"), 1);
	assert_int_equal(count_lines(audit, "stage=reload"), 5);
	assert_int_equal(count_lines(audit,
				     "handle=4 manufacturer=\"SanDisk\" product=\"Ultra Fit\" "
				     "stage=reload verdict=readonly "
				     "interfaces=\"0:readonly 1:block\""),
			 1);
	assert_int_equal(count_lines(audit, "event=tamper dev=\"2-1.7\" id=0781:5583 "
					    "serial=\"TYPER\" handle=4 driver=\"usb-storage\" "
					    "verdict=block"),
			 1);
	assert_int_equal(count_lines(audit, "event="), 18);

	/* the ledger: storage only, one row per stick */
	assert_int_equal(inv_open(db_path, INV_OPEN_READONLY, &inv), 0);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "4C530001", &row), 0);
	assert_string_equal(row.last_verdict, "readonly");
	assert_string_equal(row.medium_id, "USB-0042");
	assert_string_equal(row.media_kind, "luks2");
	assert_string_equal(row.luks_uuid, UUID);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "PLAIN1", &row), 0);
	assert_string_equal(row.fs_label, "PLAIN");
	assert_false(row.registered);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "", &row), -ENOENT); /* keyboards */
	{
		int64_t n;

		assert_int_equal(inv_count_events(inv, "reload", &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(inv_count_events(inv, "tamper", &n), 0);
		assert_int_equal(n, 1);
	}
	inv_close(inv);
}

/*
 * issue 5: a retired stick that shows up again (its LUKS header erased, so
 * only its USB identity tells) is reported once per plug: an
 * event=retired-seen line and a ledger event against the retired medium;
 * the verdict stays the policy's (read-only for an unknown stick). A stick
 * enrolled again after retirement, and a stick in service, are not.
 */
static void test_loop_retired_seen(void **state)
{
	static const uint8_t storage[] = {8};
	char rpol[128], rreg[128], rdb[128], raudit[128], text[1024], img[160], *audit;
	struct loop_config cfg = {.dev_path = sock_path, .check_owner = false, .control_path = ""};
	struct mediagate_event ev;
	struct loop *l = NULL;
	struct inv *inv = NULL;
	struct inv_medium row;
	int64_t n;
	FILE *af;
	int lfd, kfd;

	(void)state;
	path_in(rpol, "retired.conf");
	path_in(rreg, "retired.registry");
	path_in(rdb, "retired.db");
	path_in(raudit, "retired-audit.log");
	cfg.policy_path = rpol;
	cfg.db_path = rdb;
	snprintf(text, sizeof(text), "set registry \"%s\"\n%s", rreg, base_rules);
	write_file(rpol, text);
	write_file(rreg,
		   "medium USB-0042 luks2 " UUID
		   " usb 0781:5583 serial \"4C530001\" owner \"Taro\" "
		   "asset \"PC-0042\" enrolled 2026-11-21\n"
		   "medium USB-0007 luks2 0b0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b07 usb 0781:5583 "
		   "serial \"RET0007\" owner \"Hanako\" asset \"PC-0007\" enrolled 2026-01-05 "
		   "retired 2026-11-22\n"
		   "medium USB-0008 luks2 0b0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b08 usb 0781:5583 "
		   "serial \"AGAIN08\" owner \"Jiro\" asset \"PC-0008\" enrolled 2026-01-05 "
		   "retired 2026-02-01\n"
		   "medium USB-0009 luks2 0b0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b09 usb 0781:5583 "
		   "serial \"AGAIN08\" owner \"Jiro\" asset \"PC-0008\" enrolled 2026-02-02\n");
	af = fopen(raudit, "w");
	assert_non_null(af);
	log_audit_stream(af);
	lfd = listen_fake();
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kfd >= 0);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);
	snprintf(img, sizeof(img), "%s/vfat.img", dir);

	/* the retired stick, re-formatted plain: read-only, reported */
	make_hold(&ev, 1, "2-1.4", "RET0007", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(loop_media_appeared(l, "2-1.4", img), 1);
	settle(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0);
	/* enrolled again after its retirement: not reported */
	make_hold(&ev, 2, "2-1.5", "AGAIN08", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 2, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(loop_media_appeared(l, "2-1.5", img), 1);
	settle(l);
	/* the registered stick in service: not reported */
	make_hold(&ev, 3, "2-1.6", "4C530001", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 3, MEDIAGATE_VERDICT_READONLY);
	snprintf(img, sizeof(img), "%s/luks2.img", dir);
	assert_int_equal(loop_media_appeared(l, "2-1.6", img), 1);
	settle(l);
	expect_verdict(kfd, 3, MEDIAGATE_VERDICT_ALLOW);
	/* a reload re-decides present sticks but reports nothing again */
	assert_int_equal(loop_reload(l), 0);

	loop_free(l);
	log_audit_stream(NULL);
	fclose(af);
	close(kfd);
	close(lfd);

	audit = slurp(raudit);
	if (getenv("MG_DEBUG"))
		fputs(audit, stderr);
	assert_int_equal(count_lines(audit, "event=retired-seen dev=\"2-1.4\" id=0781:5583 "
					    "serial=\"RET0007\" handle=1 medium=\"USB-0007\" "
					    "retired=2026-11-22 owner=\"Hanako\" asset=\"PC-0007\" "
					    "verdict=readonly"),
			 1);
	assert_int_equal(count_lines(audit, "event=retired-seen"), 1);
	assert_int_equal(count_lines(audit, "serial=\"RET0007\" handle=1 manufacturer=\"SanDisk\" "
					    "product=\"Ultra Fit\" stage=media verdict=readonly"),
			 1);

	assert_int_equal(inv_open(rdb, INV_OPEN_READONLY, &inv), 0);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "RET0007", &row), 0);
	assert_string_equal(row.medium_id, "USB-0007");
	assert_false(row.registered);
	assert_string_equal(row.last_verdict, "readonly");
	assert_int_equal(inv_count_events(inv, "retired-seen", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "AGAIN08", &row), 0);
	assert_string_equal(row.medium_id, "");
	inv_close(inv);
}

static char img_for_mount[160];

static int fake_resolve(const char *source, char *ret, size_t sz, void *userdata)
{
	(void)userdata;
	if (strcmp(source, img_for_mount))
		return 0;
	snprintf(ret, sz, "2-1.4");
	return 1;
}

/* Mounts of a stick's filesystem: exactly one line and one row each. */
static void test_loop_mounts(void **state)
{
	static const uint8_t storage[] = {8};
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = db_path,
				  .check_owner = false,
				  .watch_mounts = true,
				  .resolve = fake_resolve,
				  .control_path = ""};
	char mi[160], table[600], expect[800], *audit;
	struct mediagate_event ev;
	struct loop *l = NULL;
	struct inv *inv = NULL;
	struct inv_medium row;
	int64_t n;
	FILE *af;
	int lfd, kfd;

	(void)state;
	write_policy(base_rules);
	snprintf(img_for_mount, sizeof(img_for_mount), "%s/vfat.img", dir);
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	cfg.mountinfo = mi;
	write_file(mi, "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n");
	af = fopen(audit_path, "w");
	assert_non_null(af);
	log_audit_stream(af);
	lfd = listen_fake();
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);
	make_hold(&ev, 31, "2-1.4", "MOUNTME", storage, 1);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 31, MEDIAGATE_VERDICT_READONLY);

	snprintf(table, sizeof(table),
		 "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
		 "50 22 8:17 / /media/taro/MY\\040STICK ro,nosuid - vfat %s ro\n",
		 img_for_mount);
	write_file(mi, table);
	assert_int_equal(loop_mounts_changed(l), 1);
	assert_int_equal(loop_mounts_changed(l), 0);
	write_file(mi, "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n");
	assert_int_equal(loop_mounts_changed(l), 1);
	assert_int_equal(loop_mounts_changed(l), 0);
	loop_free(l);
	log_audit_stream(NULL);
	fclose(af);
	close(kfd);
	close(lfd);

	audit = slurp(audit_path);
	snprintf(expect, sizeof(expect),
		 "event=mount dev=\"2-1.4\" id=0781:5583 serial=\"MOUNTME\" block=\"%s\" "
		 "fstype=\"vfat\" label=\"PLAIN\" uuid=\"",
		 img_for_mount);
	assert_int_equal(count_lines(audit, expect), 1);
	assert_int_equal(count_lines(audit, "mountpoint=\"/media/taro/MY STICK\" mode=ro "
					    "user=\"taro\" user_source=path"),
			 2);
	assert_int_equal(count_lines(audit, "event=unmount dev=\"2-1.4\" id=0781:5583 "
					    "serial=\"MOUNTME\""),
			 1);
	assert_int_equal(count_lines(audit, "event="), 3);

	assert_int_equal(inv_open(db_path, INV_OPEN_READONLY, &inv), 0);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "MOUNTME", &row), 0);
	assert_int_equal(row.mount_count, 1);
	assert_string_equal(row.last_user, "taro");
	assert_int_equal(inv_count_events(inv, "mount", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(inv_count_events(inv, "unmount", &n), 0);
	assert_int_equal(n, 1);
	inv_close(inv);
}

/* Path of the mediagated binary next to this test's directory. */
static void daemon_binary(char *buf, size_t sz)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	assert_true(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(buf, sz, "%s/../mediagated", self);
	assert_int_equal(access(buf, X_OK), 0);
}

/* Read stdout of the daemon until @needle shows up (or 10 s pass). */
static void wait_output(int fd, char *acc, size_t sz, const char *needle)
{
	size_t len = strlen(acc);

	for (int i = 0; i < 200 && !strstr(acc, needle); i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) != 1)
			continue;
		n = read(fd, acc + len, sz - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		acc[len] = '\0';
	}
	if (!strstr(acc, needle))
		print_error("no \"%s\" in daemon output:\n%s\n", needle, acc);
	assert_non_null(strstr(acc, needle));
}

static FILE *devnull;

static void test_daemon_binary(void **state)
{
	static const uint8_t storage[] = {8};
	static char out[65536];
	char bin[PATH_MAX + 32], ctl_path[128], err[256], *body;
	size_t body_len;
	FILE *bf;
	struct mediagate_event ev;
	int lfd, kfd, pipefd[2], status;
	pid_t pid;

	(void)state;
	devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	daemon_binary(bin, sizeof(bin));
	path_in(ctl_path, "control");
	write_policy(base_rules);
	lfd = listen_fake();
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pipefd[1], 1);
		execl(bin, bin, "-d", "--no-udev", "--no-owner-check", "-c", policy_path, "--dev",
		      sock_path, "--db", db_path, "--control", ctl_path, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kfd >= 0);
	assert_int_equal(recv_msg(kfd, 10000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);

	/* a serial that tries to forge a second record and a terminal escape */
	make_hold(&ev, 21, "3-2", "X\nevent=verdict verdict=allow \"\x1b[2J", storage, 1);
	send_ev(kfd, &ev);
	expect_verdict(kfd, 21, MEDIAGATE_VERDICT_READONLY);
	out[0] = '\0';
	wait_output(pipefd[0], out, sizeof(out), "handle=21");
	assert_non_null(strstr(out, "event=verdict dev=\"3-2\" id=0781:5583 "
				    "serial=\"X\\x0aevent=verdict verdict=allow \\\"\\x1b[2J\" "
				    "handle=21 "));
	assert_int_equal(count_lines(out, "event="), 1);

	/* control socket: status and list */
	bf = open_memstream(&body, &body_len);
	assert_int_equal(control_request(ctl_path, "status", bf, err, sizeof(err)), 0);
	fclose(bf);
	assert_non_null(strstr(body, "tracked 1\n"));
	assert_non_null(strstr(body, "registry 1 media\n"));
	assert_non_null(strstr(body, "decisions 1 p50_us "));
	free(body);
	bf = open_memstream(&body, &body_len);
	assert_int_equal(control_request(ctl_path, "list", bf, err, sizeof(err)), 0);
	fclose(bf);
	assert_non_null(strstr(body, "21 dev=\"3-2\" id=0781:5583 serial=\"X\\x0aevent=verdict "));
	assert_non_null(strstr(body, " verdict=readonly interfaces=\"0:readonly\" "
				     "waiting_media=yes manual=no\n"));
	free(body);
	/* the same through mediagatectl */
	{
		char cmd[PATH_MAX + 300], line[512];
		FILE *p;
		int st;

		snprintf(cmd, sizeof(cmd), "%.*sctl list --control %s", (int)(strlen(bin) - 1), bin,
			 ctl_path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		st = pclose(p);
		assert_int_equal(st, 0);
		assert_int_equal(strncmp(line, "21 dev=\"3-2\" id=0781:5583 serial=", 33), 0);
		snprintf(cmd, sizeof(cmd), "%.*sctl allow 9-9 --control %s 2>&1",
			 (int)(strlen(bin) - 1), bin, ctl_path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		assert_string_equal(line, "mediagatectl: no such device\n");
		assert_int_equal(WEXITSTATUS(pclose(p)), 1);
	}
	assert_int_equal(control_request(ctl_path, "allow 9-9", devnull, err, sizeof(err)),
			 -EREMOTEIO);
	assert_string_equal(err, "no such device");
	assert_int_equal(control_request(ctl_path, "allow 3-2 --for 1y", devnull, err, sizeof(err)),
			 -EREMOTEIO);
	assert_int_equal(control_request(ctl_path, "frob", devnull, err, sizeof(err)), -EREMOTEIO);

	/* anyone else is refused before the daemon reads a byte: the socket is
	 * 0660 root:mediagate, so open it up to reach the credential check */
	{
		pid_t c;
		int st;

		assert_int_equal(chmod(dir, 0711), 0);
		assert_int_equal(chmod(ctl_path, 0666), 0);
		c = fork();
		assert_true(c >= 0);
		if (c == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(3);
			_exit(control_request(ctl_path, "allow 3-2", devnull, err, sizeof(err)) ==
					      -EPERM
				      ? 0
				      : 1);
		}
		assert_int_equal(waitpid(c, &st, 0), c);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* a temporary allow: read-write now, policy again when it expires */
	bf = open_memstream(&body, &body_len);
	assert_int_equal(control_request(ctl_path, "allow 3-2 --for 2s", bf, err, sizeof(err)), 0);
	fclose(bf);
	assert_string_equal(body, "3-2 allow\n");
	free(body);
	expect_verdict(kfd, 21, MEDIAGATE_VERDICT_ALLOW);
	wait_output(pipefd[0], out, sizeof(out), "stage=manual verdict=allow");
	assert_non_null(strstr(out, "stage=manual verdict=allow interfaces=\"0:allow\" "
				    "rule=\"manual\""));
	expect_verdict(kfd, 21, MEDIAGATE_VERDICT_READONLY);
	wait_output(pipefd[0], out, sizeof(out), "stage=expire verdict=readonly");

	/* ... and it survives a re-plug of the same stick within its window */
	assert_int_equal(control_request(ctl_path, "allow 3-2 --for 1m", devnull, err, sizeof(err)),
			 0);
	expect_verdict(kfd, 21, MEDIAGATE_VERDICT_ALLOW);
	make_hold(&ev, 21, "3-2", "X\nevent=verdict verdict=allow \"\x1b[2J", storage, 1);
	ev.type = MEDIAGATE_EV_REMOVED;
	send_ev(kfd, &ev);
	make_hold(&ev, 22, "3-2", "X\nevent=verdict verdict=allow \"\x1b[2J", storage, 1);
	send_ev(kfd, &ev);
	expect_verdict(kfd, 22, MEDIAGATE_VERDICT_ALLOW);
	wait_output(pipefd[0], out, sizeof(out), "handle=22");
	assert_non_null(strstr(out, "handle=22 manufacturer=\"SanDisk\" product=\"Ultra Fit\" "
				    "stage=hold verdict=allow interfaces=\"0:allow\" "
				    "rule=\"manual\""));
	/* block until unplugged replaces it */
	assert_int_equal(control_request(ctl_path, "block 3-2", devnull, err, sizeof(err)), 0);
	expect_verdict(kfd, 22, MEDIAGATE_VERDICT_DENY);
	bf = open_memstream(&body, &body_len);
	assert_int_equal(control_request(ctl_path, "inventory", bf, err, sizeof(err)), 0);
	fclose(bf);
	assert_non_null(strstr(body, "0781:5583 serial=\"X\\x0aevent=verdict verdict=allow "
				     "\\\"\\x1b[2J\" medium=\"\" registered=no media=unknown "));
	assert_non_null(strstr(body, " last_verdict=block\n"));
	free(body);
	bf = open_memstream(&body, &body_len);
	assert_int_equal(control_request(ctl_path, "events --since 0", bf, err, sizeof(err)), 0);
	fclose(bf);
	assert_non_null(strstr(body, "stage=expire verdict=readonly"));
	free(body);

	/* SIGHUP with a broken policy: kept; then a good one */
	write_file(policy_path, "allow storage frobnicate\n");
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_output(pipefd[0], out, sizeof(out), "event=reload result=failed");
	write_policy("block any\n");
	assert_int_equal(kill(pid, SIGHUP), 0);
	wait_output(pipefd[0], out, sizeof(out), "event=reload result=ok");
	/* 22 is blocked by hand already: nothing changes for it */
	assert_int_equal(recv_msg(kfd, 300).op, 0);
	assert_int_equal(control_request(ctl_path, "reload", devnull, err, sizeof(err)), 0);

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(pipefd[0]);
	close(kfd);
	close(lfd);
	fclose(devnull);
}

/* The fake kernel going away is fatal (systemd restarts the daemon, which
 * reconnects and replays). */
static void test_daemon_kernel_gone(void **state)
{
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = "",
				  .check_owner = false,
				  .control_path = ""};
	struct loop *l = NULL;
	int lfd, kfd, r = 0;

	(void)state;
	write_policy(base_rules);
	lfd = listen_fake();
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	close(kfd);
	for (int i = 0; i < 10 && r == 0; i++)
		r = loop_dispatch(l, 100);
	assert_int_equal(r, -ECONNRESET);
	loop_free(l);
	close(lfd);

	/* no policy, no daemon */
	cfg.policy_path = "/nonexistent/mediagate.conf";
	assert_true(loop_new(&cfg, &l) < 0);
	/* no kernel device */
	cfg.policy_path = policy_path;
	cfg.dev_path = "/nonexistent/mediagate";
	assert_int_equal(loop_new(&cfg, &l), -ENOENT);
}

/* A member of the control group (here: nogroup) gets in; the socket is
 * 0660 with that group. */
static void test_control_group(void **state)
{
	char ctl[128];
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = "",
				  .check_owner = false,
				  .control_path = ctl,
				  .control_group = "nogroup"};
	struct loop *l = NULL;
	struct stat st;
	int lfd, kfd, status = -1;
	pid_t c;

	(void)state;
	path_in(ctl, "ctl-group");
	write_policy(base_rules);
	lfd = listen_fake();
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_int_equal(stat(ctl, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(chmod(dir, 0711), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		char err[128];
		FILE *out = fopen("/dev/null", "w");

		if (!out || setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		_exit(control_request(ctl, "status", out, err, sizeof(err)) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 100 && waitpid(c, &status, WNOHANG) == 0; i++)
		assert_int_equal(loop_dispatch(l, 50), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	loop_free(l);
	close(kfd);
	close(lfd);
}

static void test_parse_duration(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(control_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(control_parse_duration("30s", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(control_parse_duration("10m", &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(control_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(control_parse_duration("30d", &v), 0);
	assert_int_equal(v, 30 * 86400);
	assert_int_equal(control_parse_duration("31d", &v), -ERANGE);
	assert_int_equal(control_parse_duration("99999999999999999999", &v), -ERANGE);
	assert_int_equal(control_parse_duration("0", &v), -EINVAL);
	assert_int_equal(control_parse_duration("", &v), -EINVAL);
	assert_int_equal(control_parse_duration("m", &v), -EINVAL);
	assert_int_equal(control_parse_duration("5mm", &v), -EINVAL);
	assert_int_equal(control_parse_duration("-5", &v), -EINVAL);
	assert_int_equal(control_parse_duration("1y", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_verdict_paths), cmocka_unit_test(test_loop_mounts),
		cmocka_unit_test(test_loop_retired_seen),  cmocka_unit_test(test_daemon_binary),
		cmocka_unit_test(test_daemon_kernel_gone), cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_control_group),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(false, LOG_DAEMON);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
