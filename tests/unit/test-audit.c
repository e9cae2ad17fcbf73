// SPDX-License-Identifier: GPL-2.0-or-later
/* Audit line format: exact lines, hostile strings stay on one line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "log.h"

static void make_dev(struct ident_device *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, "2-1.4");
	strcpy(d->port, "2-1.4");
	d->vid = 0x0781;
	d->pid = 0x5583;
	strcpy(d->manufacturer, "SanDisk");
	strcpy(d->product, "Ultra Fit");
	strcpy(d->serial, "4C530001");
}

static void assert_one_printable_line(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		assert_true(*p >= 0x20);
		assert_true(*p < 0x7f);
	}
}

static void test_verdict_plain(void **state)
{
	struct ident_device d;
	struct media_info m = {.kind = MEDIA_PLAIN};
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {
		.handle = 7,
		.dev = &d,
		.stage = "media",
		.verdict = "readonly",
		.interfaces = "0:readonly",
		.rule_file = "/etc/mediagate/mediagate.conf",
		.rule_line = 12,
		.media = &m,
		.reason = "matched storage",
	};
	int r;

	(void)state;
	make_dev(&d);
	strcpy(m.fstype, "vfat");
	strcpy(m.label, "DATA");
	strcpy(m.fs_uuid, "1234-ABCD");
	r = audit_format_verdict(buf, sizeof(buf), &v);
	assert_int_equal(r, (int)strlen(buf));
	assert_string_equal(
		buf, "event=verdict dev=\"2-1.4\" id=0781:5583 serial=\"4C530001\" handle=7 "
		     "manufacturer=\"SanDisk\" product=\"Ultra Fit\" stage=media "
		     "verdict=readonly interfaces=\"0:readonly\" "
		     "rule=\"/etc/mediagate/mediagate.conf:12\" media=plain fstype=\"vfat\" "
		     "label=\"DATA\" uuid=\"1234-ABCD\" cipher=\"\" key_bits=0 registered=no "
		     "medium=\"\" reason=\"matched storage\"");
}

static void test_verdict_default_unprobed(void **state)
{
	struct ident_device d;
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {.handle = 1, .dev = &d, .stage = "hold", .verdict = "block"};

	(void)state;
	make_dev(&d);
	assert_true(audit_format_verdict(buf, sizeof(buf), &v) > 0);
	assert_string_equal(buf,
			    "event=verdict dev=\"2-1.4\" id=0781:5583 serial=\"4C530001\" "
			    "handle=1 manufacturer=\"SanDisk\" product=\"Ultra Fit\" stage=hold "
			    "verdict=block interfaces=\"\" rule=\"default\" media=unknown "
			    "fstype=\"\" label=\"\" uuid=\"\" cipher=\"\" key_bits=0 "
			    "registered=no medium=\"\" reason=\"\"");
}

static void test_verdict_luks_registered(void **state)
{
	struct ident_device d;
	struct media_info m = {
		.kind = MEDIA_LUKS, .luks_version = 2, .key_bits = 512, .registered = true};
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {.handle = 3,
				  .dev = &d,
				  .stage = "media",
				  .verdict = "allow",
				  .rule_file = "p.conf",
				  .rule_line = 2,
				  .media = &m,
				  .medium_id = "USB-0042"};

	(void)state;
	make_dev(&d);
	strcpy(m.luks_uuid, "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11");
	strcpy(m.cipher, "aes-xts-plain64");
	assert_true(audit_format_verdict(buf, sizeof(buf), &v) > 0);
	assert_non_null(strstr(buf, " rule=\"p.conf:2\" media=luks2 fstype=\"\" label=\"\" "
				    "uuid=\"3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11\" "
				    "cipher=\"aes-xts-plain64\" key_bits=512 registered=yes "
				    "medium=\"USB-0042\" reason=\"\""));
}

/* A serial that tries to forge a second audit record, a label with a terminal
 * escape and bytes that are not UTF-8. */
static void test_hostile_strings(void **state)
{
	struct ident_device d;
	struct media_info m = {.kind = MEDIA_PLAIN};
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {.handle = 9, .dev = &d, .verdict = "allow", .media = &m};

	(void)state;
	make_dev(&d);
	strcpy(d.serial, "X\" verdict=allow\nevent=verdict dev=\"1-1\\");
	strcpy(d.product, "\x1b[2J\xff\xfe\r");
	strcpy(m.label, "A\tB\x7f\xc3\xa9");
	assert_true(audit_format_verdict(buf, sizeof(buf), &v) > 0);
	assert_one_printable_line(buf);
	assert_non_null(strstr(
		buf,
		" serial=\"X\\\" verdict=allow\\x0aevent=verdict dev=\\\"1-1\\\\\" handle=9 "));
	assert_non_null(strstr(buf, " product=\"\\x1b[2J\\xff\\xfe\\x0d\" "));
	assert_non_null(strstr(buf, " label=\"A\\x09B\\x7f\\xc3\\xa9\" "));
	/* exactly one event= key outside quotes: the forged one is inside */
	assert_int_equal(strncmp(buf, "event=verdict ", 14), 0);
}

static void test_truncation(void **state)
{
	struct ident_device d;
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {.handle = 9, .dev = &d, .verdict = "allow"};
	const char *p, *q;

	(void)state;
	make_dev(&d);
	memset(d.serial, '\n', sizeof(d.serial) - 1);
	d.serial[sizeof(d.serial) - 1] = '\0';
	memset(d.product, 'A', sizeof(d.product) - 1);
	d.product[sizeof(d.product) - 1] = '\0';
	assert_true(audit_format_verdict(buf, sizeof(buf), &v) > 0);
	assert_one_printable_line(buf);
	/* the serial is cut at a whole escape: 64 times \x0a = 256 bytes */
	p = strstr(buf, " serial=\"") + 9;
	q = strchr(p, '"');
	assert_int_equal(q - p, AUDIT_VALUE_MAX);
	assert_int_equal(strncmp(q - 4, "\\x0a", 4), 0);
	assert_non_null(strstr(buf, " truncated=yes"));
	assert_string_equal(buf + strlen(buf) - 14, " truncated=yes");
}

static void test_small_buffer(void **state)
{
	struct ident_device d;
	char buf[40];
	struct audit_verdict v = {.handle = 9, .dev = &d, .verdict = "allow"};

	(void)state;
	make_dev(&d);
	assert_int_equal(audit_format_verdict(buf, sizeof(buf), &v), -ENOBUFS);
	assert_true(strlen(buf) < sizeof(buf));
}

static void test_random_bytes_one_line(void **state)
{
	struct ident_device d;
	struct media_info m = {.kind = MEDIA_PLAIN};
	char buf[AUDIT_LINE_MAX];
	struct audit_verdict v = {
		.handle = 9, .dev = &d, .verdict = "allow", .media = &m, .reason = "r"};

	(void)state;
	srand(4);
	for (int iter = 0; iter < 500; iter++) {
		make_dev(&d);
		for (size_t i = 0; i < sizeof(d.serial) - 1; i++) {
			d.serial[i] = (char)(1 + rand() % 255);
			d.product[i] = (char)(1 + rand() % 255);
			d.manufacturer[i] = (char)(1 + rand() % 255);
			m.label[i] = (char)(1 + rand() % 255);
		}
		assert_true(audit_format_verdict(buf, sizeof(buf), &v) > 0);
		assert_one_printable_line(buf);
	}
}

static void test_mount_lines(void **state)
{
	struct ident_device d;
	char buf[AUDIT_LINE_MAX];
	struct audit_mount mt = {.dev = &d,
				 .block = "/dev/sdb1",
				 .fstype = "vfat",
				 .label = "MY\nSTICK",
				 .uuid = "1234-ABCD",
				 .mountpoint = "/media/taro/MY STICK",
				 .readonly = true,
				 .user = "taro",
				 .user_source = "path"};

	(void)state;
	make_dev(&d);
	assert_true(audit_format_mount(buf, sizeof(buf), &mt) > 0);
	assert_string_equal(buf, "event=mount dev=\"2-1.4\" id=0781:5583 serial=\"4C530001\" "
				 "block=\"/dev/sdb1\" fstype=\"vfat\" label=\"MY\\x0aSTICK\" "
				 "uuid=\"1234-ABCD\" mountpoint=\"/media/taro/MY STICK\" mode=ro "
				 "user=\"taro\" user_source=path");
	mt.unmount = true;
	mt.readonly = false;
	mt.dev = NULL;
	mt.user = NULL;
	mt.user_source = NULL;
	assert_true(audit_format_mount(buf, sizeof(buf), &mt) > 0);
	assert_string_equal(buf, "event=unmount dev=\"\" id=- serial=\"\" block=\"/dev/sdb1\" "
				 "fstype=\"vfat\" label=\"MY\\x0aSTICK\" uuid=\"1234-ABCD\" "
				 "mountpoint=\"/media/taro/MY STICK\" mode=rw user=\"\" "
				 "user_source=unknown");
}

static void test_other_events(void **state)
{
	struct ident_device d;
	char buf[AUDIT_LINE_MAX];
	struct audit_tamper t = {
		.handle = 5, .dev = &d, .driver = "usb-storage", .verdict = "block"};

	(void)state;
	make_dev(&d);
	assert_true(audit_format_reload(buf, sizeof(buf), true, "/etc/mediagate/mediagate.conf", 4,
					0) > 0);
	assert_string_equal(buf, "event=reload result=ok policy=\"/etc/mediagate/mediagate.conf\" "
				 "rules=4 errors=0");
	assert_true(audit_format_reload(buf, sizeof(buf), false, "x.conf", 0, 3) > 0);
	assert_string_equal(buf, "event=reload result=failed policy=\"x.conf\" rules=0 errors=3");
	assert_true(audit_format_tamper(buf, sizeof(buf), &t) > 0);
	assert_string_equal(buf, "event=tamper dev=\"2-1.4\" id=0781:5583 serial=\"4C530001\" "
				 "handle=5 driver=\"usb-storage\" verdict=block");
	assert_true(audit_format_suppressed(buf, sizeof(buf), 42) > 0);
	assert_string_equal(buf, "event=suppressed count=42");
	assert_string_equal(audit_event_name(AUDIT_UNMOUNT), "unmount");
	assert_string_equal(audit_event_name(AUDIT_TAMPER), "tamper");
}

static void test_ratelimit(void **state)
{
	struct audit_ratelimit rl;
	uint64_t sup = 99;
	const uint64_t s = 1000000000ULL;

	(void)state;
	audit_ratelimit_init(&rl, 10 * s, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(audit_ratelimit_test(&rl, 100 * s + i, &sup));
		assert_int_equal(sup, 0);
	}
	assert_false(audit_ratelimit_test(&rl, 101 * s, &sup));
	assert_false(audit_ratelimit_test(&rl, 109 * s, &sup));
	assert_int_equal(sup, 0);
	/* the next window reports what the previous one swallowed */
	assert_true(audit_ratelimit_test(&rl, 110 * s, &sup));
	assert_int_equal(sup, 2);
	assert_true(audit_ratelimit_test(&rl, 111 * s, &sup));
	assert_int_equal(sup, 0);
	assert_true(audit_ratelimit_test(&rl, 111 * s, &sup));
	assert_false(audit_ratelimit_test(&rl, 112 * s, &sup));
	assert_int_equal(audit_ratelimit_flush(&rl), 1);
	assert_int_equal(audit_ratelimit_flush(&rl), 0);
	/* a clock going backwards opens a new window rather than blocking forever */
	assert_true(audit_ratelimit_test(&rl, 5 * s, &sup));
	/* burst 0: unlimited */
	audit_ratelimit_init(&rl, s, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(audit_ratelimit_test(&rl, 7, NULL));
}

/* log_audit() reaches syslog as facility authpriv, severity notice, ident
 * mediagated: checked on a private /dev/log in a mount namespace. */
static void test_syslog_authpriv(void **state)
{
	int pfd[2], status;
	char buf[512] = "";
	ssize_t n;
	pid_t c;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		char got[512];
		int fd;

		close(pfd[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
			_exit(2);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		strcpy(sa.sun_path, "/dev/log");
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(3);
		log_init(false, LOG_DAEMON);
		log_audit("event=reload result=ok policy=\"x\" rules=1 errors=0");
		n = recv(fd, got, sizeof(got) - 1, 0);
		if (n <= 0)
			_exit(4);
		(void)!write(pfd[1], got, (size_t)n);
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(n > 0);
	buf[n] = '\0';
	/* <85> = LOG_AUTHPRIV (10 << 3) | LOG_NOTICE (5) */
	assert_int_equal(strncmp(buf, "<85>", 4), 0);
	assert_non_null(strstr(buf, " mediagated["));
	assert_non_null(strstr(buf, "]: event=reload result=ok policy=\"x\" rules=1 errors=0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_plain),
		cmocka_unit_test(test_verdict_default_unprobed),
		cmocka_unit_test(test_verdict_luks_registered),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_random_bytes_one_line),
		cmocka_unit_test(test_mount_lines),
		cmocka_unit_test(test_other_events),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_syslog_authpriv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
