// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A restarted daemon against a fake kernel (kdev's Unix socket mode): the
 * PRESENT records of LIST_PRESENT (devices decided before the restart) are
 * adopted when the policy agrees, changed and audited when it does not,
 * kept until probed when the rule needs media, and re-evaluated by a later
 * reload like any device the daemon decided itself (loop_restart.c).
 */
#include <errno.h>
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
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "kdev.h"
#include "log.h"
#include "loop.h"

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

	snprintf(full, sizeof(full), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	assert_int_equal(system(full), 0);
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

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mg-restart-XXXXXX");
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

/* A PRESENT record of a decided device (or interface, @intf_number < 0xff). */
static void make_present(struct mediagate_event *ev, uint64_t handle, const char *devpath,
			 const char *serial, uint8_t cls, unsigned int verdict)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = MEDIAGATE_EV_PRESENT;
	ev->seq = handle;
	ev->handle = handle;
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->verdict = (uint8_t)verdict;
	ev->intf_number = 0xff;
	ev->id_vendor = 0x0781;
	ev->id_product = 0x5583;
	ev->removable = MEDIAGATE_REMOVABLE_YES;
	strcpy(ev->devpath, devpath);
	strcpy(ev->serial, serial);
	strcpy(ev->product, "Ultra Fit");
	strcpy(ev->manufacturer, "SanDisk");
	ev->intf[0].number = 0;
	ev->intf[0].class = cls;
	ev->intf[0].subclass = cls == 8 ? 6 : 1;
	ev->intf[0].protocol = cls == 8 ? 0x50 : 1;
	ev->num_intf = 1;
}

static void send_ev(int fd, const struct mediagate_event *ev)
{
	assert_int_equal(send(fd, ev, sizeof(*ev), 0), (ssize_t)sizeof(*ev));
}

static struct kdev_fake_msg recv_msg(int fd, int ms)
{
	struct kdev_fake_msg m = {0};
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) == 1)
		assert_int_equal(recv(fd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	return m;
}

static void expect_verdict(int fd, uint64_t handle, unsigned int verdict)
{
	struct kdev_fake_msg m = recv_msg(fd, 5000);

	assert_int_equal(m.op, KDEV_FAKE_VERDICT);
	assert_int_equal(m.verdict.handle, handle);
	assert_int_equal(m.verdict.verdict, verdict);
}

static void pump(struct loop *l)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(loop_dispatch(l, 50), 0);
}

static void settle(struct loop *l)
{
	for (int i = 0; i < 100 && loop_probes_running(l); i++)
		assert_int_equal(loop_dispatch(l, 100), 0);
	assert_int_equal(loop_probes_running(l), 0);
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

static void test_restart_rebuild(void **state)
{
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = db_path,
				  .check_owner = false,
				  .control_path = ""};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mediagate_event ev;
	struct loop *l = NULL;
	char img[160], *audit;
	FILE *af;
	int lfd, kfd;

	(void)state;
	write_policy("readonly storage\nallow any\n");
	af = fopen(audit_path, "w");
	assert_non_null(af);
	log_audit_stream(af);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kfd >= 0);
	/* pending holds first, then what was decided before this start */
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);

	/* the policy agrees with the verdicts in force: adopted, nothing sent */
	make_present(&ev, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	send_ev(kfd, &ev);
	make_present(&ev, 3, "1-3", "", 3, MEDIAGATE_VERDICT_ALLOW);
	send_ev(kfd, &ev);
	/* an interface that inherits its device's verdict is not decided apart */
	make_present(&ev, 2, "2-1.4:1.0", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	ev.level = MEDIAGATE_LEVEL_INTERFACE;
	ev.intf_number = 0;
	ev.intf_class = 8;
	ev.flags = MEDIAGATE_EVF_UNDER_DEVICE;
	send_ev(kfd, &ev);
	pump(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* allowed under an older policy, read-only under this one: changed */
	make_present(&ev, 4, "2-1.5", "OLDALLOW", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_READONLY);
	/* a PRESENT record of a handle already tracked changes nothing */
	make_present(&ev, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(kfd, &ev);
	pump(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* a reload re-evaluates them like any device this daemon decided */
	write_policy("block storage\nallow any\n");
	assert_int_equal(loop_reload(l), 0);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_DENY);
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(kfd, 100).op, 0); /* keyboard unchanged, 2 untracked */
	write_policy("allow storage\nallow any\n");
	assert_int_equal(loop_reload(l), 0);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_ALLOW);
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_ALLOW);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	/* media rules: the enrolled stick, upgraded before the restart, keeps
	 * its allow until probed again (not decided anew from less), and the
	 * probe confirms it: nothing sent */
	write_policy("allow storage media registered\nreadonly storage\nallow any\n");
	assert_int_equal(loop_reload(l), 0);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_READONLY); /* unprobed: readonly to look */
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_READONLY);
	make_present(&ev, 5, "2-1.6", "4C530001", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(kfd, &ev);
	/* a stick denied before, now let in read-only to be probed */
	make_present(&ev, 6, "2-1.7", "PLAIN2", 8, MEDIAGATE_VERDICT_DENY);
	send_ev(kfd, &ev);
	pump(l);
	expect_verdict(kfd, 6, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(recv_msg(kfd, 100).op, 0);
	snprintf(img, sizeof(img), "%s/luks2.img", dir);
	assert_int_equal(loop_media_appeared(l, "2-1.6", img), 1);
	snprintf(img, sizeof(img), "%s/vfat.img", dir);
	assert_int_equal(loop_media_appeared(l, "2-1.7", img), 1);
	settle(l);
	assert_int_equal(recv_msg(kfd, 100).op, 0);

	loop_free(l);
	log_audit_stream(NULL);
	fclose(af);
	close(kfd);
	close(lfd);

	audit = slurp(audit_path);
	if (getenv("MG_DEBUG"))
		fputs(audit, stderr);
	/* adopted verdicts leave no audit line; changed ones say stage=restart */
	assert_int_equal(count_lines(audit, "handle=3 "), 0);
	assert_int_equal(count_lines(audit, "stage=restart"), 2);
	assert_int_equal(count_lines(audit, "handle=4 manufacturer=\"SanDisk\" product=\"Ultra "
					    "Fit\" stage=restart verdict=readonly"),
			 1);
	assert_int_equal(count_lines(audit, "handle=6 manufacturer=\"SanDisk\" product=\"Ultra "
					    "Fit\" stage=restart verdict=readonly"),
			 1);
	assert_int_equal(count_lines(audit, "handle=1 "), 3); /* three reloads */
	assert_int_equal(count_lines(audit, "handle=5 manufacturer=\"SanDisk\" product=\"Ultra "
					    "Fit\" stage=media verdict=allow"),
			 1);
	assert_int_equal(count_lines(audit, "handle=5 "), 1);
	assert_int_equal(count_lines(audit, "handle=6 manufacturer=\"SanDisk\" product=\"Ultra "
					    "Fit\" stage=media verdict=readonly"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_rebuild),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(getenv("MG_DEBUG") != NULL, LOG_DAEMON);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
