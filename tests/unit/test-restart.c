// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A restarted daemon against a fake kernel (kdev's Unix socket mode): the
 * PRESENT records of LIST_PRESENT (devices decided before the restart) are
 * adopted when the policy agrees, changed and audited when it does not,
 * kept until probed when the rule needs media, and re-evaluated by a later
 * reload like any device the daemon decided itself (loop_restart.c).
 *
 * Each test is a sequence of daemon lives over one ledger: a kill -9
 * between a verdict ioctl and its audit line leaves the kernel with the
 * verdict in force and the ledger without it, which is what a PRESENT
 * record of a handle no earlier life recorded reproduces; a verdict that
 * was audited is one an earlier life decided (HELD record) itself.
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

struct life {
	struct loop *l;
	int lfd, kfd;
	FILE *af;
};

/* Start a daemon life: fresh fake kernel socket, audit appended to audit.log. */
static void life_start(struct life *x)
{
	struct loop_config cfg = {.policy_path = policy_path,
				  .dev_path = sock_path,
				  .db_path = db_path,
				  .check_owner = false,
				  .control_path = ""};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	unlink(sock_path);
	x->af = fopen(audit_path, "a");
	assert_non_null(x->af);
	setvbuf(x->af, NULL, _IOLBF, 0);
	log_audit_stream(x->af);
	x->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(bind(x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(x->lfd, 1), 0);
	x->l = NULL;
	assert_int_equal(loop_new(&cfg, &x->l), 0);
	x->kfd = accept(x->lfd, NULL, NULL);
	assert_true(x->kfd >= 0);
	/* pending holds first, then what was decided before this start */
	assert_int_equal(recv_msg(x->kfd, 5000).op, KDEV_FAKE_REPLAY);
	assert_int_equal(recv_msg(x->kfd, 5000).op, KDEV_FAKE_LIST_PRESENT);
}

static void life_end(struct life *x)
{
	loop_free(x->l);
	log_audit_stream(NULL);
	fclose(x->af);
	close(x->kfd);
	close(x->lfd);
}

/* Audit lines of this test (audit.log truncated by each test). */
static int audited(const char *needle)
{
	int n = count_lines(slurp(audit_path), needle);

	if (getenv("MG_DEBUG") && n != 1)
		fprintf(stderr, "%d lines with %s in:\n%s", n, needle, slurp(audit_path));
	return n;
}

static void fresh_ledger(void)
{
	char p[160];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	write_file(audit_path, "");
}

/* A hold (HELD) answered by the daemon with @verdict. */
static void hold(struct life *x, uint64_t h, const char *devpath, const char *serial, uint8_t cls,
		 unsigned int verdict, uint32_t flags)
{
	struct mediagate_event ev;

	make_present(&ev, h, devpath, serial, cls, MEDIAGATE_VERDICT_NONE);
	ev.type = MEDIAGATE_EV_HELD;
	ev.flags = flags;
	send_ev(x->kfd, &ev);
	pump(x->l);
	expect_verdict(x->kfd, h, verdict);
}

static void present(struct life *x, uint64_t h, const char *devpath, const char *serial,
		    uint8_t cls, unsigned int verdict)
{
	struct mediagate_event ev;

	make_present(&ev, h, devpath, serial, cls, verdict);
	send_ev(x->kfd, &ev);
	pump(x->l);
}

#define LINE(h, stage, verdict)                                                                    \
	"handle=" #h " manufacturer=\"SanDisk\" product=\"Ultra Fit\" stage=" stage                \
	" verdict=" verdict

/* Killed between the verdict ioctl and its audit line: the verdict in force
 * is audited once after the restart (stage=restart-adopted, with the rule
 * that decides it now), then never again; a verdict audited before the
 * kill is not audited again; a keyboard (no inventory row) neither. */
static void test_restart_kill_between_ioctl_and_audit(void **state)
{
	char want[400];
	struct life x;

	(void)state;
	fresh_ledger();
	write_policy("readonly storage\nallow any\n");
	life_start(&x);
	hold(&x, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY, 0);
	hold(&x, 3, "1-3", "", 3, MEDIAGATE_VERDICT_ALLOW, 0);
	life_end(&x);
	assert_int_equal(audited(LINE(1, "hold", "readonly")), 1);
	assert_int_equal(audited("handle=3 "), 1);

	/* the kill: handle 7 got its verdict, no line, no ledger row */
	life_start(&x);
	present(&x, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	present(&x, 3, "1-3", "", 3, MEDIAGATE_VERDICT_ALLOW);
	present(&x, 7, "2-1.5", "KILLED7", 8, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* nothing sent: all adopted */
	life_end(&x);
	/* by the rule that decides it now: readonly storage, line 3 */
	snprintf(want, sizeof(want), "%s rule=\"%s:3\"",
		 LINE(7, "restart-adopted", "readonly") " interfaces=\"0:readonly\"", policy_path);
	assert_int_equal(audited(want), 1);
	assert_int_equal(audited("handle=7 "), 1);
	assert_int_equal(audited("handle=1 "), 1);
	assert_int_equal(audited("handle=3 "), 1);

	/* and the next restart knows it was audited */
	life_start(&x);
	present(&x, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	present(&x, 3, "1-3", "", 3, MEDIAGATE_VERDICT_ALLOW);
	present(&x, 7, "2-1.5", "KILLED7", 8, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);
	life_end(&x);
	assert_int_equal(audited("handle=1 "), 1);
	assert_int_equal(audited("handle=3 "), 1);
	assert_int_equal(audited("handle=7 "), 1);
	assert_int_equal(audited("stage=restart "), 0);
}

/* Killed between a reload's verdict ioctl and its line, the policy then
 * changed again while the daemon was away: the verdict in force is audited
 * (rule unknown: no rule gives it now), then the change (stage=restart). */
static void test_restart_unaudited_then_changed(void **state)
{
	struct life x;

	(void)state;
	fresh_ledger();
	write_policy("readonly storage\nallow any\n");
	life_start(&x);
	hold(&x, 2, "2-1.4", "PLAIN2", 8, MEDIAGATE_VERDICT_READONLY, 0);
	life_end(&x);
	/* in force now: allow (that reload's line lost); the policy says block */
	write_policy("block storage\nallow any\n");
	life_start(&x);
	present(&x, 2, "2-1.4", "PLAIN2", 8, MEDIAGATE_VERDICT_ALLOW);
	expect_verdict(x.kfd, 2, MEDIAGATE_VERDICT_DENY);
	life_end(&x);
	assert_int_equal(audited(LINE(2, "restart-adopted",
				      "allow") " interfaces=\"0:allow\" rule=\"unknown\""),
			 1);
	assert_int_equal(audited(LINE(2, "restart", "block")), 1);
	assert_int_equal(audited("handle=2 "), 3);
	/* the deny is the last recorded: the next restart is silent */
	life_start(&x);
	present(&x, 2, "2-1.4", "PLAIN2", 8, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);
	life_end(&x);
	assert_int_equal(audited("handle=2 "), 3);
}

/* The other order: audited, but the verdict had not landed when the daemon
 * died, so the kernel replays the hold. Answered again, same verdict, and
 * not audited a second time. */
static void test_restart_replay_already_audited(void **state)
{
	struct life x;

	(void)state;
	fresh_ledger();
	write_policy("readonly storage\nallow any\n");
	life_start(&x);
	hold(&x, 4, "2-1.6", "REPLAY4", 8, MEDIAGATE_VERDICT_READONLY, 0);
	life_end(&x);
	life_start(&x);
	hold(&x, 4, "2-1.6", "REPLAY4", 8, MEDIAGATE_VERDICT_READONLY, MEDIAGATE_EVF_REPLAY);
	/* a replayed hold the ledger does not know is audited as usual */
	hold(&x, 5, "2-1.7", "REPLAY5", 8, MEDIAGATE_VERDICT_READONLY, MEDIAGATE_EVF_REPLAY);
	life_end(&x);
	assert_int_equal(audited("handle=4 "), 1);
	assert_int_equal(audited(LINE(5, "replay", "readonly")), 1);
}

/* Wrinkle 1: a media-dependent stick, probed before and after a restart:
 * the probe that confirms the verdict in force writes no line; one whose
 * upgrade line the kill cut off gets it (restart-adopted) and the probe
 * after is silent too. Then a reload to a policy that differs is audited. */
static void test_restart_media_confirmed_silent(void **state)
{
	char img[160];
	struct life x;

	(void)state;
	fresh_ledger();
	write_policy("allow storage media registered\nreadonly storage\nallow any\n");
	snprintf(img, sizeof(img), "%s/luks2.img", dir);
	life_start(&x);
	hold(&x, 5, "2-1.6", "4C530001", 8, MEDIAGATE_VERDICT_READONLY, 0);
	assert_int_equal(loop_media_appeared(x.l, "2-1.6", img), 1);
	settle(x.l);
	expect_verdict(x.kfd, 5, MEDIAGATE_VERDICT_ALLOW);
	/* handle 9: the same stick on another port, killed before its upgrade's line */
	hold(&x, 9, "2-1.8", "4C530001", 8, MEDIAGATE_VERDICT_READONLY, 0);
	life_end(&x);
	assert_int_equal(audited(LINE(5, "hold", "readonly")), 1);
	assert_int_equal(audited(LINE(5, "media", "allow")), 1);
	assert_int_equal(audited("handle=9 "), 1);

	life_start(&x);
	present(&x, 5, "2-1.6", "4C530001", 8, MEDIAGATE_VERDICT_ALLOW);
	present(&x, 9, "2-1.8", "4C530001", 8, MEDIAGATE_VERDICT_ALLOW);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* both keep allow until probed */
	assert_int_equal(loop_media_appeared(x.l, "2-1.6", img), 1);
	assert_int_equal(loop_media_appeared(x.l, "2-1.8", img), 1);
	settle(x.l);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* confirmed: nothing sent */
	/* after the probe, a reload that changes the verdict is audited */
	write_policy("readonly storage\nallow any\n");
	assert_int_equal(loop_reload(x.l), 0);
	expect_verdict(x.kfd, 5, MEDIAGATE_VERDICT_READONLY);
	expect_verdict(x.kfd, 9, MEDIAGATE_VERDICT_READONLY);
	life_end(&x);
	assert_int_equal(audited("handle=5 "), 3);
	assert_int_equal(audited(LINE(5, "reload", "readonly")), 1);
	assert_int_equal(audited(LINE(9, "restart-adopted",
				      "allow") " interfaces=\"0:allow\" rule=\"unknown\""),
			 1);
	assert_int_equal(audited(LINE(9, "reload", "readonly")), 1);
	assert_int_equal(audited("handle=9 "), 3);
	assert_int_equal(audited("stage=media"), 1);
}

/* Wrinkle 2: a stick denied before the restart whose rule needs media stays
 * denied (no read-only window to probe it), through a reload too; a policy
 * that decides it without media facts applies at once. */
static void test_restart_deny_stays(void **state)
{
	char img[160];
	struct life x;

	(void)state;
	fresh_ledger();
	write_policy("block storage media plain\nreadonly storage\nallow any\n");
	snprintf(img, sizeof(img), "%s/vfat.img", dir);
	life_start(&x);
	hold(&x, 6, "2-1.7", "PLAIN6", 8, MEDIAGATE_VERDICT_READONLY, 0);
	assert_int_equal(loop_media_appeared(x.l, "2-1.7", img), 1);
	settle(x.l);
	expect_verdict(x.kfd, 6, MEDIAGATE_VERDICT_DENY);
	life_end(&x);
	assert_int_equal(audited(LINE(6, "media", "block")), 1);

	life_start(&x);
	present(&x, 6, "2-1.7", "PLAIN6", 8, MEDIAGATE_VERDICT_DENY);
	/* the kill before the line of handle 8's deny */
	present(&x, 8, "2-1.9", "PLAIN8", 8, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* no read-only window */
	assert_int_equal(loop_media_appeared(x.l, "2-1.7", img), 0);
	assert_int_equal(loop_reload(x.l), 0);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* a reload keeps it too */
	/* a rule that needs no media facts decides it */
	write_policy("allow storage serial \"PLAIN6\"\nblock storage media plain\n"
		     "readonly storage\nallow any\n");
	assert_int_equal(loop_reload(x.l), 0);
	expect_verdict(x.kfd, 6, MEDIAGATE_VERDICT_ALLOW);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);
	life_end(&x);
	assert_int_equal(audited("handle=6 "), 3);
	assert_int_equal(audited(LINE(6, "reload", "allow")), 1);
	assert_int_equal(audited(LINE(8, "restart-adopted",
				      "block") " interfaces=\"0:block\" rule=\"unknown\""),
			 1);
	assert_int_equal(audited("handle=8 "), 1);
	assert_int_equal(audited("stage=restart "), 0);
}

static void test_restart_rebuild(void **state)
{
	struct mediagate_event ev;
	struct life x;
	char img[160], *audit;

	(void)state;
	fresh_ledger();
	write_policy("readonly storage\nallow any\n");
	life_start(&x);

	/* the policy agrees with the verdicts in force: adopted, nothing sent */
	make_present(&ev, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	send_ev(x.kfd, &ev);
	make_present(&ev, 3, "1-3", "", 3, MEDIAGATE_VERDICT_ALLOW);
	send_ev(x.kfd, &ev);
	/* an interface that inherits its device's verdict is not decided apart */
	make_present(&ev, 2, "2-1.4:1.0", "PLAIN1", 8, MEDIAGATE_VERDICT_READONLY);
	ev.level = MEDIAGATE_LEVEL_INTERFACE;
	ev.intf_number = 0;
	ev.intf_class = 8;
	ev.flags = MEDIAGATE_EVF_UNDER_DEVICE;
	send_ev(x.kfd, &ev);
	pump(x.l);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);

	/* allowed under an older policy, read-only under this one: changed */
	make_present(&ev, 4, "2-1.5", "OLDALLOW", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(x.kfd, &ev);
	pump(x.l);
	expect_verdict(x.kfd, 4, MEDIAGATE_VERDICT_READONLY);
	/* a PRESENT record of a handle already tracked changes nothing */
	make_present(&ev, 1, "2-1.4", "PLAIN1", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(x.kfd, &ev);
	pump(x.l);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);

	/* a reload re-evaluates them like any device this daemon decided */
	write_policy("block storage\nallow any\n");
	assert_int_equal(loop_reload(x.l), 0);
	expect_verdict(x.kfd, 1, MEDIAGATE_VERDICT_DENY);
	expect_verdict(x.kfd, 4, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0); /* keyboard unchanged, 2 untracked */
	write_policy("allow storage\nallow any\n");
	assert_int_equal(loop_reload(x.l), 0);
	expect_verdict(x.kfd, 1, MEDIAGATE_VERDICT_ALLOW);
	expect_verdict(x.kfd, 4, MEDIAGATE_VERDICT_ALLOW);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);

	/* media rules: the enrolled stick, upgraded before the restart, keeps
	 * its allow until probed again (not decided anew from less), and the
	 * probe confirms it: nothing sent */
	write_policy("allow storage media registered\nreadonly storage\nallow any\n");
	assert_int_equal(loop_reload(x.l), 0);
	expect_verdict(x.kfd, 1, MEDIAGATE_VERDICT_READONLY); /* unprobed: readonly to look */
	expect_verdict(x.kfd, 4, MEDIAGATE_VERDICT_READONLY);
	make_present(&ev, 5, "2-1.6", "4C530001", 8, MEDIAGATE_VERDICT_ALLOW);
	send_ev(x.kfd, &ev);
	pump(x.l);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);
	snprintf(img, sizeof(img), "%s/luks2.img", dir);
	assert_int_equal(loop_media_appeared(x.l, "2-1.6", img), 1);
	settle(x.l);
	assert_int_equal(recv_msg(x.kfd, 100).op, 0);
	life_end(&x);

	audit = slurp(audit_path);
	if (getenv("MG_DEBUG"))
		fputs(audit, stderr);
	/* no earlier life recorded them: each verdict in force audited once */
	assert_int_equal(count_lines(audit, "handle=3 "), 1);
	assert_int_equal(count_lines(audit, "handle=3 manufacturer=\"SanDisk\" product=\"Ultra "
					    "Fit\" stage=restart-adopted verdict=allow"),
			 1);
	assert_int_equal(count_lines(audit, "handle=2 "), 0);
	assert_int_equal(count_lines(audit, "stage=restart "), 1);
	assert_int_equal(count_lines(audit, LINE(4, "restart-adopted", "allow")), 1);
	assert_int_equal(count_lines(audit, LINE(4, "restart", "readonly")), 1);
	assert_int_equal(count_lines(audit, "handle=1 "), 4); /* adopted, three reloads */
	assert_int_equal(count_lines(audit, LINE(5, "restart-adopted", "allow")), 1);
	assert_int_equal(count_lines(audit, "handle=5 "), 1); /* the probe confirmed it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_rebuild),
		cmocka_unit_test(test_restart_kill_between_ioctl_and_audit),
		cmocka_unit_test(test_restart_unaudited_then_changed),
		cmocka_unit_test(test_restart_replay_already_audited),
		cmocka_unit_test(test_restart_media_confirmed_silent),
		cmocka_unit_test(test_restart_deny_stays),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(getenv("MG_DEBUG") != NULL, LOG_DAEMON);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
