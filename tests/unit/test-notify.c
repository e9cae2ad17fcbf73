// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The desktop notice (notify.c, issue 6): the pure parts (which verdicts
 * deserve a notice, escaping of hostile device strings, the text), then the
 * real thing against a private D-Bus session bus (dbus-daemon) with a fake
 * notification server (this binary, forked: sd-bus, owns
 * org.freedesktop.Notifications, writes each Notify call's arguments to a
 * file). Run as root, the bus, the server and the notice run as nobody
 * (65534), so the bus refusing root proves the notifier dropped its
 * privileges. Through the module (once per plug, the rate limit and its
 * summary, no server, no bus) and through the loop with a fake kernel (a
 * plain stick: none while it waits for its probe, one after; a keyboard
 * blocked by policy: none; `set notify off`: none).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "kdev.h"
#include "log.h"
#include "loop-internal.h"
#include "notify.h"

#include "fake-kernel.h"

static char dir[64], bus_addr[128], calls_path[128], ready_path[128];
static uid_t user_uid;
static gid_t user_gid;
static pid_t bus_pid, server_pid;

static void path_in(char *dst, const char *name)
{
	snprintf(dst, 128, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* In a forked child: become the test user (nobody when run as root). */
static void become_user(void)
{
	if (geteuid() != 0)
		return;
	if (setgroups(0, NULL) < 0 || setresgid(user_gid, user_gid, user_gid) < 0 ||
	    setresuid(user_uid, user_uid, user_uid) < 0)
		_exit(126);
}

/* ---- the fake notification server (a forked child) ---- */

static unsigned int served;

/* "a\nb" -> "a\\nb", so one call is one line */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
}

static int on_notify(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	const char *app, *icon, *summary, *body, *key;
	char urgency[16] = "-", category[64] = "-";
	sd_bus_creds *c = NULL;
	uint32_t replaces;
	int32_t timeout;
	uid_t euid = (uid_t)-1;
	FILE *f;
	int r;

	(void)userdata;
	(void)err;
	r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
	if (r < 0)
		return r;
	sd_bus_message_skip(m, "as");
	sd_bus_message_enter_container(m, 'a', "{sv}");
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		sd_bus_message_read(m, "s", &key);
		if (!strcmp(key, "urgency")) {
			uint8_t u = 0;

			sd_bus_message_read(m, "v", "y", &u);
			snprintf(urgency, sizeof(urgency), "%u", u);
		} else if (!strcmp(key, "category")) {
			const char *s = "";

			sd_bus_message_read(m, "v", "s", &s);
			snprintf(category, sizeof(category), "%s", s);
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	sd_bus_message_exit_container(m);
	sd_bus_message_read(m, "i", &timeout);
	if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &c) >= 0)
		sd_bus_creds_get_euid(c, &euid);
	sd_bus_creds_unref(c);
	f = fopen(calls_path, "a");
	if (f) {
		fprintf(f,
			"euid=%d app=%s replaces=%u icon=%s urgency=%s category=%s timeout=%d "
			"summary=",
			(int)euid, app, replaces, icon, urgency, category, timeout);
		put_escaped(f, summary);
		fputs(" body=", f);
		put_escaped(f, body);
		fputc('\n', f);
		fclose(f);
	}
	return sd_bus_reply_method_return(m, "u", ++served);
}

static const sd_bus_vtable server_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", on_notify, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

static _Noreturn void server_main(void)
{
	sd_bus *bus = NULL;

	become_user();
	if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, bus_addr) < 0 ||
	    sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0 ||
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/Notifications",
				     "org.freedesktop.Notifications", server_vtable, NULL) < 0 ||
	    sd_bus_request_name(bus, "org.freedesktop.Notifications", 0) < 0)
		_exit(1);
	write_file(ready_path, "ready\n");
	for (;;) {
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			_exit(2);
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			_exit(3);
	}
}

/* ---- set-up: a private bus and the server, as the test user ---- */

static int group_setup(void **state)
{
	char conf[128], text[1024];

	(void)state;
	user_uid = geteuid() == 0 ? 65534 : geteuid();
	user_gid = geteuid() == 0 ? 65534 : getegid();
	strcpy(dir, "/tmp/mg-notify-XXXXXX");
	/* the user's, readable by the probe child too */
	if (!mkdtemp(dir) || chown(dir, user_uid, user_gid) < 0 || chmod(dir, 0755) < 0)
		return -1;
	path_in(calls_path, "calls");
	path_in(ready_path, "ready");
	path_in(conf, "bus.conf");
	snprintf(bus_addr, sizeof(bus_addr), "unix:path=%s/bus", dir);
	/* a session bus of its own: no activation, only its own user */
	snprintf(text, sizeof(text),
		 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
		 "1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		 "<busconfig><type>session</type><listen>%s</listen><auth>EXTERNAL</auth>\n"
		 "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
		 "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
		 bus_addr);
	write_file(conf, text);
	bus_pid = fork();
	if (bus_pid < 0)
		return -1;
	if (bus_pid == 0) {
		char arg[160];

		become_user();
		snprintf(arg, sizeof(arg), "--config-file=%s", conf);
		execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", (char *)NULL);
		_exit(127);
	}
	path_in(text, "bus");
	for (int i = 0; i < 200 && !exists(text); i++)
		nap_ms(50);
	if (!exists(text)) {
		fprintf(stderr, "dbus-daemon did not start\n");
		return -1;
	}
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0)
		server_main();
	for (int i = 0; i < 200 && !exists(ready_path); i++)
		nap_ms(50);
	if (!exists(ready_path)) {
		fprintf(stderr, "fake notification server did not start\n");
		return -1;
	}
	return 0;
}

static void stop_child(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

static int group_teardown(void **state)
{
	char cmd[160];

	(void)state;
	stop_child(&server_pid);
	stop_child(&bus_pid);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The recorded calls: how many, and line @i (0-based) into @line. */
static int read_calls(int want_line, char *line, size_t linesz)
{
	FILE *f = fopen(calls_path, "r");
	char buf[4096];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		if (n == want_line && line) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(line, linesz, "%s", buf);
		}
		n++;
	}
	fclose(f);
	return n;
}

/* Wait (up to 10 s) until @n calls are recorded; then a moment more, so a
 * call too many would show too. Returns the count. */
static int wait_calls(int n)
{
	for (int i = 0; i < 200 && read_calls(-1, NULL, 0) < n; i++)
		nap_ms(50);
	nap_ms(300);
	return read_calls(-1, NULL, 0);
}

static void expect_call(int i, const char *want)
{
	char line[4096] = "";

	read_calls(i, line, sizeof(line));
	if (strcmp(line, want))
		print_error("call %d:\n got  %s\n want %s\n", i, line, want);
	assert_string_equal(line, want);
}

/* ---- pure parts ---- */

static void check_escape(const char *src, size_t max, const char *want)
{
	char out[256];
	size_t n = notify_escape(out, sizeof(out), src, strlen(src), max);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_escape(void **state)
{
	char small[10];

	(void)state;
	check_escape("SanDisk", 48, "SanDisk");
	check_escape("<b>x</b> & y", 48, "&lt;b&gt;x&lt;/b&gt; &amp; y");
	check_escape("&amp;", 48, "&amp;amp;");
	/* controls become spaces, trailing ones go */
	check_escape("\x1b[31mRED\x07", 48, " [31mRED");
	check_escape("a\nb\tc\x7f"
		     "d\xc2\x85",
		     48, "a b c d");
	/* bidi override, isolate, line separator, BOM */
	check_escape("x\xe2\x80\xaey\xe2\x81\xa6z\xe2\x80\xa8w\xef\xbb\xbf", 48, "x y z w");
	/* invalid UTF-8: stray, overlong, surrogate, cut */
	check_escape("a\xff"
		     "b",
		     48,
		     "a\xef\xbf\xbd"
		     "b");
	check_escape("\xc0\xaf", 48, "\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("\xed\xa0\x80", 48, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("ok\xe3\x81", 48, "ok\xef\xbf\xbd\xef\xbf\xbd");
	/* valid UTF-8 stays */
	check_escape("\xe6\x97\xa5\xe6\x9c\xac", 48, "\xe6\x97\xa5\xe6\x9c\xac");
	/* bounded in characters, then an ellipsis */
	check_escape("abcdefghij", 4, "abcd\xe2\x80\xa6");
	check_escape("abcd", 4, "abcd");
	/* bounded by the buffer: never a cut entity or sequence */
	assert_int_equal(notify_escape(small, sizeof(small), "&&&&", 4, 48), 8);
	assert_string_equal(small, "&amp;\xe2\x80\xa6");
	assert_int_equal(notify_escape(small, 1, "abc", 3, 48), 0);
	assert_string_equal(small, "");
}

static void make_dev(struct ident_device *d, uint8_t cls)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, "2-1.6");
	d->vid = 0x0781;
	d->pid = 0x5583;
	d->n_intf = 1;
	d->intf[0].cls = cls;
	strcpy(d->manufacturer, "SanDisk");
	strcpy(d->product, "<b>Evil</b> & Co\x1b[2J");
	strcpy(d->serial, "S<1>&\x07");
}

static void test_wanted(void **state)
{
	struct mediagate_event ev = {.level = MEDIAGATE_LEVEL_DEVICE};
	struct decide_verdict v = {.verdict = MEDIAGATE_VERDICT_READONLY};
	struct ident_device d;

	(void)state;
	make_dev(&d, USB_CLASS_CODE_STORAGE);
	assert_true(notify_wanted(&ev, &d, &v, "hold"));
	assert_true(notify_wanted(&ev, &d, &v, "media"));
	assert_true(notify_wanted(&ev, &d, &v, "replay"));
	/* not a plug */
	assert_false(notify_wanted(&ev, &d, &v, "reload"));
	assert_false(notify_wanted(&ev, &d, &v, "manual"));
	assert_false(notify_wanted(&ev, &d, &v, "restart"));
	/* the read-only window before the media probe */
	v.dec.needs_media = true;
	assert_false(notify_wanted(&ev, &d, &v, "hold"));
	v.dec.needs_media = false;
	v.verdict = MEDIAGATE_VERDICT_DENY;
	assert_true(notify_wanted(&ev, &d, &v, "hold"));
	v.verdict = MEDIAGATE_VERDICT_ALLOW;
	assert_false(notify_wanted(&ev, &d, &v, "media"));
	/* keyboards, mice, hubs: never, whatever their verdict */
	for (unsigned int vv = MEDIAGATE_VERDICT_ALLOW; vv <= MEDIAGATE_VERDICT_DENY; vv++) {
		v.verdict = vv;
		make_dev(&d, USB_CLASS_CODE_HID);
		assert_false(notify_wanted(&ev, &d, &v, "hold"));
		make_dev(&d, USB_CLASS_CODE_HUB);
		assert_false(notify_wanted(&ev, &d, &v, "hold"));
	}
	/* an interface hold is a storage driver's */
	ev.level = MEDIAGATE_LEVEL_INTERFACE;
	v.verdict = MEDIAGATE_VERDICT_READONLY;
	assert_true(notify_wanted(&ev, &d, &v, "hold"));
}

/* The catalogues of the build tree: BUILD/locale next to BUILD/tests/. */
static char locale_dir[PATH_MAX + 16];

static void find_build_catalogue(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		snprintf(locale_dir, sizeof(locale_dir), "%s/../locale", exe);
	}
}

static void bind_build_catalogue(void)
{
	assert_true(locale_dir[0]);
	assert_non_null(bindtextdomain("mediagate", locale_dir));
	bind_textdomain_codeset("mediagate", "UTF-8");
}

static void test_format(void **state)
{
	struct notify_notice msg = {.verdict = MEDIAGATE_VERDICT_READONLY};
	char summary[256], body[1024];

	(void)state;
	setlocale(LC_ALL, "C");
	strcpy(msg.manufacturer, "SanDisk   ");
	strcpy(msg.product, "<b>Evil</b> & Co\x1b[2J");
	strcpy(msg.serial, "S<1>&\x07");
	strcpy(msg.label, "</i><a href=\"x\">");
	notify_format(&msg, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(summary, "USB stick is read-only");
	assert_string_equal(body, "Not a registered company stick: read-only.\n"
				  "SanDisk &lt;b&gt;Evil&lt;/b&gt; &amp; Co [2J\n"
				  "Serial: S&lt;1&gt;&amp;\n"
				  "Label: &lt;/i&gt;&lt;a href=\"x\"&gt;");
	/* no strings at all: the reason alone */
	msg = (struct notify_notice){.verdict = MEDIAGATE_VERDICT_DENY};
	notify_format(&msg, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(summary, "USB device blocked");
	assert_string_equal(body, "Not allowed on this computer by the company policy: blocked.");
	/* a 126-byte serial of '&': bounded, the body never overflows */
	memset(msg.serial, '&', sizeof(msg.serial) - 1);
	notify_format(&msg, summary, sizeof(summary), body, 64);
	assert_int_equal(strlen(body), 63);
	/* translated: the build tree's catalogue (daemon/po/ja.po), as the
	 * child would with the daemon's locale */
	msg = (struct notify_notice){.verdict = MEDIAGATE_VERDICT_READONLY};
	strcpy(msg.serial, "X&");
	bind_build_catalogue();
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	setenv("LANGUAGE", "ja", 1);
	notify_format(&msg, summary, sizeof(summary), body, sizeof(body));
	unsetenv("LANGUAGE");
	setlocale(LC_ALL, "C");
	assert_string_equal(summary, "USB メモリは読み取り専用です");
	assert_non_null(strstr(body, "\nシリアル番号: X&amp;"));
	msg = (struct notify_notice){.more = 1};
	notify_format(&msg, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(summary, "More USB sticks restricted");
	assert_string_equal(body, "Sticks made read-only or blocked since the last notice: 1");
	msg.more = 49;
	notify_format(&msg, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(body, "Sticks made read-only or blocked since the last notice: 49");
}

/* ---- over the bus ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static char expected_line[1024];

static const char *want_readonly(void)
{
	snprintf(expected_line, sizeof(expected_line),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=USB stick is read-only "
		 "body=Not a registered company stick: read-only.\\n"
		 "SanDisk &lt;b&gt;Evil&lt;/b&gt; &amp; Co [2J\\n"
		 "Serial: S&lt;1&gt;&amp;\\n"
		 "Label: %s",
		 (int)user_uid, "&lt;i&gt;&amp;LABEL");
	return expected_line;
}

/* Through the module: one notice, once per plug, a storm folded into one
 * summary when the interval ends. */
static void test_notice_and_storm(void **state)
{
	struct notify_config cfg = {.interval_ns = 2000000000ULL,
				    .address = bus_addr,
				    .uid = user_uid,
				    .gid = user_gid};
	struct decide_verdict v = {.handle = 1, .verdict = MEDIAGATE_VERDICT_READONLY};
	struct pollfd p = {.events = POLLIN};
	struct ident_device d;
	struct notify *n = NULL;
	uint64_t sent, folded;
	char want[512];

	(void)state;
	setlocale(LC_ALL, "C");
	make_dev(&d, USB_CLASS_CODE_STORAGE);
	v.have_media = true;
	strcpy(v.media.label, "<i>&LABEL");
	assert_int_equal(notify_new(&cfg, &n), 0);
	notify_verdict(n, now_ns(), &d, &v);
	/* the same plug again (a replay): nothing */
	notify_verdict(n, now_ns(), &d, &v);
	/* a storm of 200 plugs within the interval: counted, not sent */
	for (unsigned int i = 0; i < 200; i++) {
		v.handle = 100 + i;
		notify_verdict(n, now_ns(), &d, &v);
	}
	notify_stats(n, &sent, &folded);
	assert_int_equal(sent, 1);
	assert_int_equal(folded, 200);
	assert_int_equal(wait_calls(1), 1);
	expect_call(0, want_readonly());
	/* the interval ends: one summary (the loop's way: poll, dispatch) */
	p.fd = notify_fd(n);
	for (int i = 0; i < 100 && sent < 2; i++) {
		if (poll(&p, 1, 100) == 1)
			notify_dispatch(n, now_ns());
		notify_stats(n, &sent, &folded);
	}
	assert_int_equal(sent, 2);
	assert_int_equal(wait_calls(2), 2);
	snprintf(want, sizeof(want),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=More USB sticks restricted "
		 "body=Sticks made read-only or blocked since the last notice: 200",
		 (int)user_uid);
	expect_call(1, want);
	/* a quiet interval: no summary; both children reaped by dispatching
	 * (never waited for) */
	for (int i = 0; i < 25; i++)
		if (poll(&p, 1, 100) == 1)
			notify_dispatch(n, now_ns());
	notify_stats(n, &sent, &folded);
	assert_int_equal(sent, 2);
	for (int i = 0; i < 100 && notify_children(n); i++)
		if (poll(&p, 1, 100) == 1)
			notify_dispatch(n, now_ns());
	assert_int_equal(notify_children(n), 0);
	/* no zombie left behind (the bus and the server still run: 0) */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), 0);
	notify_free(n);
	assert_int_equal(wait_calls(2), 2);
	unlink(calls_path);
}

/* ---- through the loop, with a fake kernel ---- */

static int listen_fake(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void send_hold(int fd, uint64_t handle, const char *devpath, const char *serial, uint8_t cls)
{
	struct mediagate_event ev = {0};

	ev.size = sizeof(ev);
	ev.abi = MEDIAGATE_ABI_VERSION;
	ev.type = MEDIAGATE_EV_HELD;
	ev.seq = handle;
	ev.handle = handle;
	ev.level = MEDIAGATE_LEVEL_DEVICE;
	ev.intf_number = 0xff;
	ev.id_vendor = 0x0781;
	ev.id_product = 0x5583;
	ev.removable = MEDIAGATE_REMOVABLE_YES;
	strcpy(ev.devpath, devpath);
	strcpy(ev.serial, serial);
	strcpy(ev.product, "<b>Evil</b> & Co\x1b[2J");
	strcpy(ev.manufacturer, "SanDisk");
	ev.intf[0].class = cls;
	ev.intf[0].subclass = cls == 8 ? 6 : 1;
	ev.intf[0].protocol = cls == 8 ? 0x50 : 1;
	ev.num_intf = 1;
	assert_int_equal(send(fd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
}

static uint64_t sent_by(const struct loop *l)
{
	uint64_t sent, folded;

	notify_stats(l->notify, &sent, &folded);
	return sent + folded;
}

static void test_loop(void **state)
{
	char sock[128], policy[128], img[128], cmd[256], want[1024];
	struct notify_config ncfg = {.interval_ns = 600 * 1000000000ULL,
				     .address = bus_addr,
				     .uid = user_uid,
				     .gid = user_gid};
	struct loop_config cfg = {.policy_path = policy,
				  .dev_path = sock,
				  .db_path = "",
				  .check_owner = false,
				  .control_path = "",
				  .notify = &ncfg};
	struct kdev_fake_msg m;
	struct loop *l = NULL;
	FILE *audit = fopen("/dev/null", "w");
	int lfd, kfd;

	(void)state;
	assert_non_null(audit);
	log_audit_stream(audit); /* the audit lines are test-daemon's */
	setlocale(LC_ALL, "C");
	path_in(sock, "kernel.sock");
	path_in(policy, "mediagate.conf");
	path_in(img, "vfat.img");
	snprintf(cmd, sizeof(cmd), "mkfs.vfat -C '%s' 2048 -n PLAIN >/dev/null", img);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(img, 0644), 0);
	write_file(policy, "allow storage media registered\n"
			   "readonly storage\n"
			   "block hid\n"
			   "allow any\n");
	lfd = listen_fake(sock);
	assert_int_equal(loop_new(&cfg, &l), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kfd >= 0);
	assert_int_equal(recv(kfd, &m, sizeof(m), 0), (ssize_t)sizeof(m)); /* REPLAY */
	assert_int_equal(recv(kfd, &m, sizeof(m), 0), (ssize_t)sizeof(m)); /* LIST_PRESENT */

	/* a keyboard the policy blocks: no notice */
	send_hold(kfd, 1, "1-3", "", USB_CLASS_CODE_HID);
	pump(l);
	expect_verdict(kfd, 1, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(sent_by(l), 0);
	/* a plain stick: read-only to be probed, no notice yet */
	send_hold(kfd, 2, "2-1.6", "S<1>&\x07", USB_CLASS_CODE_STORAGE);
	pump(l);
	expect_verdict(kfd, 2, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(sent_by(l), 0);
	/* probed: stays read-only, now final: one notice */
	assert_int_equal(loop_media_appeared(l, "2-1.6", img), 1);
	settle(l);
	assert_int_equal(sent_by(l), 1);
	assert_int_equal(wait_calls(1), 1);
	snprintf(want, sizeof(want),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=USB stick is read-only "
		 "body=Not a registered company stick: read-only.\\n"
		 "SanDisk &lt;b&gt;Evil&lt;/b&gt; &amp; Co [2J\\n"
		 "Serial: S&lt;1&gt;&amp;\\n"
		 "Label: PLAIN",
		 (int)user_uid);
	expect_call(0, want);
	/* a reload re-decides it: not a plug, no notice */
	assert_int_equal(loop_reload(l), 0);
	assert_int_equal(sent_by(l), 1);

	/* set notify off: a stick read-only at once, no notice */
	write_file(policy, "set notify off\nreadonly storage\nblock hid\nallow any\n");
	assert_int_equal(loop_reload(l), 0);
	send_hold(kfd, 3, "2-1.7", "OTHER", USB_CLASS_CODE_STORAGE);
	pump(l);
	expect_verdict(kfd, 3, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(sent_by(l), 1);
	/* on again: counted within the interval */
	write_file(policy, "set notify on\nreadonly storage\nblock hid\nallow any\n");
	assert_int_equal(loop_reload(l), 0);
	send_hold(kfd, 4, "2-1.8", "THIRD", USB_CLASS_CODE_STORAGE);
	pump(l);
	expect_verdict(kfd, 4, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(sent_by(l), 2);
	assert_int_equal(wait_calls(1), 1);

	loop_free(l);
	log_audit_stream(NULL);
	fclose(audit);
	close(kfd);
	close(lfd);
	unlink(calls_path);
}

/* The user's language from AccountsService (what the desktop's settings
 * write), over the daemon's C locale. */
static void test_user_language(void **state)
{
	char accounts[160], file[256], want[1024];
	struct notify_config cfg = {
		.address = bus_addr, .uid = user_uid, .gid = user_gid, .accounts_dir = accounts};
	struct decide_verdict v = {.handle = 1, .verdict = MEDIAGATE_VERDICT_READONLY};
	struct passwd *pw = getpwuid(user_uid);
	struct ident_device d;
	struct notify *n = NULL;

	(void)state;
	assert_non_null(pw);
	path_in(accounts, "accounts");
	assert_int_equal(mkdir(accounts, 0700), 0);
	snprintf(file, sizeof(file), "%s/%s", accounts, pw->pw_name);
	write_file(file, "[User]\nLanguage=ja_JP.UTF-8\nXSession=gnome\n");
	make_dev(&d, USB_CLASS_CODE_STORAGE);
	strcpy(d.product, "Ultra");
	strcpy(d.serial, "42");
	assert_int_equal(notify_new(&cfg, &n), 0);
	notify_verdict(n, now_ns(), &d, &v);
	notify_free(n);
	assert_int_equal(wait_calls(1), 1);
	snprintf(want, sizeof(want),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=USB メモリは読み取り専用です "
		 "body=登録された会社支給の USB メモリではありません: 読み取り専用です。\\n"
		 "SanDisk Ultra\\nシリアル番号: 42",
		 (int)user_uid);
	expect_call(0, want);
	unlink(calls_path);
	/* a value that is not a locale name is ignored: the daemon's English */
	write_file(file, "[User]\nLanguage=../../x\n");
	assert_int_equal(notify_new(&cfg, &n), 0);
	v.handle = 2;
	notify_verdict(n, now_ns(), &d, &v);
	notify_free(n);
	assert_int_equal(wait_calls(1), 1);
	snprintf(want, sizeof(want),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=USB stick is read-only "
		 "body=Not a registered company stick: read-only.\\n"
		 "SanDisk Ultra\\nSerial: 42",
		 (int)user_uid);
	expect_call(0, want);
	unlink(calls_path);
}

/* ---- the active seat (sd-login), in mount namespaces of their own ---- */

static int put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/*
 * In a child: a private /run with logind's files for seat0 (@seat false: no
 * seat file) and session c7 of the test user, whose /run/user/UID/bus leads
 * to the test's bus; then one plug of a stick with serial @serial through
 * the daemon's default path (no test target). The notice's grandchild keeps
 * this namespace after the child exits.
 */
static int seat_child(bool seat, const char *type, const char *class, const char *remote,
		      const char *serial)
{
	char path[128], text[256], bus[160];
	struct notify_config cfg = {.accounts_dir = dir};
	struct decide_verdict v = {.handle = 1, .verdict = MEDIAGATE_VERDICT_READONLY};
	struct ident_device d;
	struct notify *n = NULL;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
		return 10;
	snprintf(path, sizeof(path), "/run/user/%u", (unsigned int)user_uid);
	snprintf(bus, sizeof(bus), "%s/bus", dir);
	if (mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/seats", 0755) < 0 ||
	    mkdir("/run/systemd/sessions", 0755) < 0 || mkdir("/run/user", 0755) < 0 ||
	    mkdir(path, 0700) < 0 || chown(path, user_uid, user_gid) < 0)
		return 11;
	strcat(path, "/bus");
	if (symlink(bus, path) < 0)
		return 12;
	snprintf(text, sizeof(text), "ACTIVE=c7\nACTIVE_UID=%u\n", (unsigned int)user_uid);
	if (seat && put("/run/systemd/seats/seat0", text) < 0)
		return 13;
	snprintf(text, sizeof(text), "UID=%u\nTYPE=%s\nCLASS=%s\nREMOTE=%s\nSEAT=seat0\n",
		 (unsigned int)user_uid, type, class, remote);
	if (put("/run/systemd/sessions/c7", text) < 0)
		return 14;
	make_dev(&d, USB_CLASS_CODE_STORAGE);
	strcpy(d.product, "Ultra");
	strcpy(d.serial, serial);
	if (notify_new(&cfg, &n) < 0)
		return 15;
	notify_verdict(n, now_ns(), &d, &v);
	notify_free(n);
	return 0;
}

static void seat_case(bool seat, const char *type, const char *class, const char *remote,
		      const char *serial)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(seat_child(seat, type, class, remote, serial));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The daemon's own path: the active local graphical user session's user
 * gets the notice on /run/user/UID/bus; a text console, a greeter, a remote
 * session or no active session gets none. (Root only: registered then.) */
static void test_active_seat(void **state)
{
	char want[1024];

	(void)state;
	seat_case(true, "tty", "user", "0", "SEAT-TTY");
	seat_case(true, "wayland", "greeter", "0", "SEAT-GREETER");
	seat_case(true, "x11", "user", "1", "SEAT-REMOTE");
	seat_case(false, "wayland", "user", "0", "SEAT-NONE");
	seat_case(true, "wayland", "user", "0", "SEAT-OK");
	assert_int_equal(wait_calls(1), 1);
	snprintf(want, sizeof(want),
		 "euid=%d app=mediagate replaces=0 icon=drive-removable-media urgency=1 "
		 "category=device timeout=10000 summary=USB stick is read-only "
		 "body=Not a registered company stick: read-only.\\n"
		 "SanDisk Ultra\\nSerial: SEAT-OK",
		 (int)user_uid);
	expect_call(0, want);
	unlink(calls_path);
}

/* No notification server, then no bus at all: nothing fails, the caller
 * carries on, nothing is recorded. */
static void test_no_server(void **state)
{
	struct notify_config cfg = {.address = bus_addr, .uid = user_uid, .gid = user_gid};
	struct decide_verdict v = {.handle = 1, .verdict = MEDIAGATE_VERDICT_DENY};
	struct ident_device d;
	struct notify *n = NULL;
	uint64_t sent, folded;
	char missing[160];

	(void)state;
	stop_child(&server_pid);
	make_dev(&d, USB_CLASS_CODE_STORAGE);
	assert_int_equal(notify_new(&cfg, &n), 0);
	notify_verdict(n, now_ns(), &d, &v);
	notify_stats(n, &sent, &folded);
	assert_int_equal(sent, 1);
	notify_free(n);
	snprintf(missing, sizeof(missing), "unix:path=%s/no-such-bus", dir);
	cfg.address = missing;
	assert_int_equal(notify_new(&cfg, &n), 0);
	notify_verdict(n, now_ns(), &d, &v);
	notify_stats(n, &sent, &folded);
	assert_int_equal(sent, 1);
	notify_free(n);
	assert_int_equal(wait_calls(0), 0);
	/* the bus is still there and answers (the children did not hang it) */
	assert_int_equal(waitpid(bus_pid, NULL, WNOHANG), 0);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),	    cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_format),	    cmocka_unit_test(test_notice_and_storm),
		cmocka_unit_test(test_loop),	    cmocka_unit_test(test_user_language),
		cmocka_unit_test(test_active_seat), /* root only: dropped below */
		cmocka_unit_test(test_no_server),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);

	if (geteuid() != 0) {
		printf("SKIP: test-notify/test_active_seat (needs root for a mount namespace; not "
		       "counted)\n");
		tests[n - 2] = tests[n - 1];
		n--;
	}
	/* the notices' children compose in the daemon's locale: C here, the
	 * catalogue of this build tree */
	find_build_catalogue();
	setenv("LC_ALL", "C", 1);
	unsetenv("LANGUAGE");
	setenv("MEDIAGATE_LOCALEDIR", locale_dir, 1);
	log_init(true, LOG_DAEMON);
	if (getenv("MG_DEBUG"))
		log_set_max_level(LOG_DEBUG);
	return _cmocka_run_group_tests("test-notify", tests, n, group_setup, group_teardown);
}
