// SPDX-License-Identifier: GPL-2.0
/*
 * mgtest: the VM tests' client of /dev/mediagate.
 *
 *   mgtest serve FIFO [--replay]   own the device; print every record as one
 *                                  "EV ..." line; run commands read from FIFO
 *                                  ("<id> verdict H allow|readonly|deny [N=V..]",
 *                                  "<id> replay|present|abi|desc H|release|probe|quit"),
 *                                  answering "RES id=<id> cmd=... rc=..."
 *   mgtest read [-t MS] [-n N] [--replay]   one-shot: print records, then exit
 *   mgtest abi                     one-shot GET_ABI
 *   mgtest probe                   malformed-input probes (needs the device free)
 *   mgtest nonroot                 open as nobody / without CAP_SYS_ADMIN: refused
 *   mgtest storm UDC SERIAL N SEED  N plug/unplug cycles of a configfs gadget
 *                                  (UDC = its UDC file) with random verdicts;
 *                                  "STORM ..." summary, exit 1 on any problem
 *
 * Output lines are "key=value" words; device-supplied strings are escaped
 * (\xHH for anything but [A-Za-z0-9._:/+-]) so one record is always one line
 * and splits on spaces. The client also checks every record it reads (size,
 * abi, type, reserved bytes, NUL-terminated strings, gapless seq) and prints
 * "BADREC ..." or "SEQGAP ..." lines that the scenarios treat as failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mediagate.h>

#define DEV_PATH "/dev/" MEDIAGATE_DEVICE_NAME

static uint64_t last_seq;
static unsigned long seq_gaps, bad_records;

static const char *const type_names[] = {
	[MEDIAGATE_EV_HELD] = "held",
	[MEDIAGATE_EV_APPLIED] = "applied",
	[MEDIAGATE_EV_BIND_BLOCKED] = "bind_blocked",
	[MEDIAGATE_EV_TAMPER] = "tamper",
	[MEDIAGATE_EV_REMOVED] = "removed",
	[MEDIAGATE_EV_OVERFLOW] = "overflow",
	[MEDIAGATE_EV_PRESENT] = "present",
};
static const char *const verdict_names[] = {"none", "allow", "readonly", "deny"};

static const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case ENOTTY:
		return "ENOTTY";
	case ENOENT:
		return "ENOENT";
	case EBUSY:
		return "EBUSY";
	case EFAULT:
		return "EFAULT";
	case E2BIG:
		return "E2BIG";
	case EAGAIN:
		return "EAGAIN";
	case ENODEV:
		return "ENODEV";
	case ENXIO:
		return "ENXIO";
	case EBADF:
		return "EBADF";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	default:
		return "E?";
	}
}

/* Print s (at most n bytes, stops at NUL) escaped as one word. */
static void put_escaped(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("._:/+-", c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	if (i == 0)
		fputs("\\x00", stdout); /* "empty", still one word */
}

static bool nul_terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

/* Report what is wrong with a record, or NULL. */
static const char *bad_record(const struct mediagate_event *ev)
{
	size_t i;

	if (ev->size != sizeof(*ev))
		return "size";
	if (ev->abi != MEDIAGATE_ABI_VERSION)
		return "abi";
	if (ev->type < 1 || ev->type > MEDIAGATE_EV_MAX)
		return "type";
	if (ev->verdict > MEDIAGATE_VERDICT_MAX)
		return "verdict";
	for (i = 0; i < sizeof(ev->reserved); i++)
		if (ev->reserved[i])
			return "reserved-nonzero";
	if (ev->num_intf > MEDIAGATE_MAX_INTF)
		return "num_intf";
	if (!nul_terminated(ev->devpath, sizeof(ev->devpath)) ||
	    !nul_terminated(ev->driver, sizeof(ev->driver)) ||
	    !nul_terminated(ev->serial, sizeof(ev->serial)) ||
	    !nul_terminated(ev->product, sizeof(ev->product)) ||
	    !nul_terminated(ev->manufacturer, sizeof(ev->manufacturer)))
		return "string-not-terminated";
	for (i = ev->num_intf; i < MEDIAGATE_MAX_INTF; i++) {
		const struct mediagate_intf_desc *d = &ev->intf[i];

		if (d->number || d->class || d->subclass || d->protocol)
			return "stale-intf-bytes";
	}
	return NULL;
}

static void print_event(const struct mediagate_event *ev)
{
	const char *bad = bad_record(ev);
	unsigned int i;

	if (bad) {
		bad_records++;
		printf("BADREC reason=%s seq=%llu type=%u\n", bad, (unsigned long long)ev->seq,
		       ev->type);
	}
	if (last_seq && ev->seq != last_seq + 1) {
		seq_gaps++;
		printf("SEQGAP expected=%llu got=%llu\n", (unsigned long long)last_seq + 1,
		       (unsigned long long)ev->seq);
	}
	last_seq = ev->seq;

	printf("EV seq=%llu type=%s handle=%llu level=%s verdict=%s flags=",
	       (unsigned long long)ev->seq,
	       ev->type <= MEDIAGATE_EV_MAX && type_names[ev->type] ? type_names[ev->type] : "?",
	       (unsigned long long)ev->handle,
	       ev->level == MEDIAGATE_LEVEL_DEVICE	? "device"
	       : ev->level == MEDIAGATE_LEVEL_INTERFACE ? "interface"
							: "none",
	       ev->verdict <= MEDIAGATE_VERDICT_MAX ? verdict_names[ev->verdict] : "?");
	if (!ev->flags)
		putchar('-');
	if (ev->flags & MEDIAGATE_EVF_REPLAY)
		fputs("replay,", stdout);
	if (ev->flags & MEDIAGATE_EVF_PRESENT_AT_LOAD)
		fputs("present,", stdout);
	if (ev->flags & MEDIAGATE_EVF_STRICT)
		fputs("strict,", stdout);
	if (ev->flags & MEDIAGATE_EVF_UNDER_DEVICE)
		fputs("under_device,", stdout);
	if (ev->flags & MEDIAGATE_EVF_TRUNCATED)
		fputs("truncated,", stdout);
	printf(" bus=%u dev=%u vid=%04x pid=%04x bcd=%04x class=%02x/%02x/%02x", ev->busnum,
	       ev->devnum, ev->id_vendor, ev->id_product, ev->bcd_device, ev->dev_class,
	       ev->dev_subclass, ev->dev_protocol);
	printf(" intf=%02x/%02x/%02x/%02x speed=%u removable=%u nintf=%u intfs=", ev->intf_number,
	       ev->intf_class, ev->intf_subclass, ev->intf_protocol, ev->speed, ev->removable,
	       ev->num_intf);
	for (i = 0; i < ev->num_intf && i < MEDIAGATE_MAX_INTF; i++)
		printf("%s%u:%02x/%02x/%02x", i ? "," : "", ev->intf[i].number, ev->intf[i].class,
		       ev->intf[i].subclass, ev->intf[i].protocol);
	if (!ev->num_intf)
		putchar('-');
	fputs(" devpath=", stdout);
	put_escaped(ev->devpath, sizeof(ev->devpath));
	fputs(" driver=", stdout);
	put_escaped(ev->driver, sizeof(ev->driver));
	fputs(" serial=", stdout);
	put_escaped(ev->serial, sizeof(ev->serial));
	fputs(" product=", stdout);
	put_escaped(ev->product, sizeof(ev->product));
	fputs(" manufacturer=", stdout);
	put_escaped(ev->manufacturer, sizeof(ev->manufacturer));
	printf(" time=%llu.%09llu\n", (unsigned long long)(ev->time_ns / 1000000000ULL),
	       (unsigned long long)(ev->time_ns % 1000000000ULL));
}

/* Read whatever records are there (fd is non-blocking). Returns count or -errno. */
static int drain(int fd)
{
	struct mediagate_event evs[8];
	int n = 0;

	for (;;) {
		ssize_t r = read(fd, evs, sizeof(evs));
		size_t i;

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return n;
			printf("READERR errno=%s\n", errno_name(errno));
			return -errno;
		}
		if (r == 0)
			return n;
		if (r % sizeof(evs[0]))
			printf("BADREC reason=partial-read bytes=%zd\n", r);
		for (i = 0; i < (size_t)r / sizeof(evs[0]); i++, n++)
			print_event(&evs[i]);
	}
}

static int parse_verdict(const char *s)
{
	int v;

	for (v = 0; v <= MEDIAGATE_VERDICT_MAX; v++)
		if (!strcmp(s, verdict_names[v]))
			return v;
	return -1;
}

static int do_abi(int fd, const char *id)
{
	struct mediagate_abi a = {.size = sizeof(a)};
	int rc = ioctl(fd, MEDIAGATE_IOC_GET_ABI, &a) < 0 ? errno : 0;

	printf("RES id=%s cmd=abi rc=%s abi=%u mode=%u event_size=%u pending=%u tracked=%u "
	       "client_event_size=%zu\n",
	       id, errno_name(rc), a.abi, a.mode, a.event_size, a.pending, a.tracked,
	       sizeof(struct mediagate_event));
	return rc;
}

/* "verdict H V [N=V ...]" */
static void do_verdict(int fd, const char *id, char *args)
{
	struct mediagate_verdict v = {.size = sizeof(v), .abi = MEDIAGATE_ABI_VERSION};
	char *tok = strtok(args, " "), *val;
	int vv, rc;

	if (!tok)
		goto usage;
	v.handle = strtoull(tok, NULL, 0);
	tok = strtok(NULL, " ");
	if (!tok || (vv = parse_verdict(tok)) < 0)
		goto usage;
	v.verdict = vv;
	while ((tok = strtok(NULL, " "))) {
		unsigned long n;

		val = strchr(tok, '=');
		if (!val)
			goto usage;
		*val++ = 0;
		n = strtoul(tok, NULL, 0);
		vv = parse_verdict(val);
		if (n >= MEDIAGATE_MAX_INTF || vv < 0)
			goto usage;
		v.intf_verdict[n] = vv;
	}
	rc = ioctl(fd, MEDIAGATE_IOC_VERDICT, &v) < 0 ? errno : 0;
	printf("RES id=%s cmd=verdict rc=%s handle=%llu verdict=%s\n", id, errno_name(rc),
	       (unsigned long long)v.handle, verdict_names[v.verdict]);
	return;
usage:
	printf("RES id=%s cmd=verdict rc=usage\n", id);
}

static void do_desc(int fd, const char *id, const char *arg)
{
	static struct mediagate_descriptors d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.abi = MEDIAGATE_ABI_VERSION;
	d.handle = strtoull(arg ? arg : "0", NULL, 0);
	rc = ioctl(fd, MEDIAGATE_IOC_GET_DESCRIPTORS, &d) < 0 ? errno : 0;
	printf("RES id=%s cmd=desc rc=%s len=%u", id, errno_name(rc), rc ? 0 : d.len);
	if (!rc && d.len >= 18 && d.len <= MEDIAGATE_DESC_MAX)
		printf(" bLength=%u bDescriptorType=%u vid=%02x%02x pid=%02x%02x"
		       " cfg_type=%u cfg_total=%u",
		       d.data[0], d.data[1], d.data[9], d.data[8], d.data[11], d.data[10],
		       d.len > 19 ? d.data[19] : 0, d.len > 21 ? d.data[20] | d.data[21] << 8 : 0);
	putchar('\n');
}

/* One malformed-input probe: run the ioctl, compare errno with the allowed ones. */
static int probe_one(const char *name, int fd, unsigned long cmd, void *arg, int e1, int e2)
{
	int r = ioctl(fd, cmd, arg), e = r < 0 ? errno : 0;
	bool good = r < 0 && (e == e1 || e == e2);

	printf("PROBE %s want=%s%s%s got=%s %s\n", name, errno_name(e1), e2 ? "|" : "",
	       e2 ? errno_name(e2) : "", errno_name(e), good ? "ok" : "BAD");
	return good ? 0 : 1;
}

/* Malformed input on an open fd; returns the number of bad answers. */
static int run_probes(int fd)
{
	struct mediagate_abi a;
	struct mediagate_verdict v;
	static struct mediagate_descriptors d;
	char small[16];
	int bad = 0;
	ssize_t r;

#define ABI_INIT() (memset(&a, 0, sizeof(a)), a.size = sizeof(a))
#define V_INIT()                                                                                   \
	(memset(&v, 0, sizeof(v)), v.size = sizeof(v), v.abi = MEDIAGATE_ABI_VERSION,              \
	 v.verdict = MEDIAGATE_VERDICT_DENY, v.handle = 0xdeadbeef00ULL)
	ABI_INIT();
	a.size = 0;
	bad += probe_one("abi-size-0", fd, MEDIAGATE_IOC_GET_ABI, &a, EINVAL, 0);
	ABI_INIT();
	a.size = sizeof(a) + 8;
	bad += probe_one("abi-size-big", fd, MEDIAGATE_IOC_GET_ABI, &a, EINVAL, 0);
	ABI_INIT();
	a.reserved[1] = 1;
	bad += probe_one("abi-reserved", fd, MEDIAGATE_IOC_GET_ABI, &a, EINVAL, 0);
	bad += probe_one("abi-null-arg", fd, MEDIAGATE_IOC_GET_ABI, NULL, EFAULT, EINVAL);

	V_INIT();
	v.size = sizeof(v) - 1;
	bad += probe_one("verdict-size", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.abi = 99;
	bad += probe_one("verdict-abi", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.verdict = 0;
	bad += probe_one("verdict-none", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.verdict = 77;
	bad += probe_one("verdict-out-of-range", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.flags = 1;
	bad += probe_one("verdict-flags", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.reserved = 1;
	bad += probe_one("verdict-reserved", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	v.intf_verdict[3] = 9;
	bad += probe_one("verdict-intf-out-of-range", fd, MEDIAGATE_IOC_VERDICT, &v, EINVAL, 0);
	V_INIT();
	bad += probe_one("verdict-unknown-handle", fd, MEDIAGATE_IOC_VERDICT, &v, ENOENT, 0);
	V_INIT();
	v.handle = 0;
	bad += probe_one("verdict-handle-0", fd, MEDIAGATE_IOC_VERDICT, &v, ENOENT, EINVAL);

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.abi = MEDIAGATE_ABI_VERSION;
	d.handle = 0xdeadbeef00ULL;
	bad += probe_one("desc-unknown-handle", fd, MEDIAGATE_IOC_GET_DESCRIPTORS, &d, ENOENT, 0);
	d.reserved = 1;
	bad += probe_one("desc-reserved", fd, MEDIAGATE_IOC_GET_DESCRIPTORS, &d, EINVAL, 0);
	d.reserved = 0;
	d.size = 8;
	bad += probe_one("desc-size", fd, MEDIAGATE_IOC_GET_DESCRIPTORS, &d, EINVAL, 0);

	bad += probe_one("unknown-nr", fd, _IO(MEDIAGATE_IOC_MAGIC, 0x7f), NULL, ENOTTY, 0);
	bad += probe_one("wrong-magic", fd, _IOWR('x', 0x00, struct mediagate_abi), &a, ENOTTY, 0);
	bad += probe_one("abi-wrong-size-encoding", fd, _IOWR(MEDIAGATE_IOC_MAGIC, 0x00, int), &a,
			 ENOTTY, EINVAL);
	bad += probe_one("verdict-wrong-dir-encoding", fd,
			 _IOR(MEDIAGATE_IOC_MAGIC, 0x01, struct mediagate_verdict), &v, ENOTTY,
			 EINVAL);

	/* a read buffer smaller than one record */
	r = read(fd, small, sizeof(small));
	printf("PROBE read-short-buffer want=EINVAL got=%s %s\n", r < 0 ? errno_name(errno) : "0",
	       r < 0 && errno == EINVAL ? "ok" : "BAD");
	bad += !(r < 0 && errno == EINVAL);

	/* one opener at a time */
	{
		int fd2 = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		int e = fd2 < 0 ? errno : 0;

		printf("PROBE second-open want=EBUSY got=%s %s\n", errno_name(e),
		       e == EBUSY ? "ok" : "BAD");
		bad += e != EBUSY;
		if (fd2 >= 0)
			close(fd2);
	}
	return bad;
}

static int open_dev(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		printf("OPENERR errno=%s\n", errno_name(errno));
	return fd;
}

static void do_replay(int fd, const char *id)
{
	int r = ioctl(fd, MEDIAGATE_IOC_REPLAY);

	printf("RES id=%s cmd=replay rc=%s count=%d\n", id, r < 0 ? errno_name(errno) : "0",
	       r < 0 ? 0 : r);
}

/* Run one command line from the FIFO; returns false on "quit". */
static bool command(int fd, char *line)
{
	char *id = strtok(line, " "), *cmd = strtok(NULL, " "), *rest = strtok(NULL, "");
	int r;

	if (!id || !cmd)
		return true;
	if (!strcmp(cmd, "quit")) {
		printf("RES id=%s cmd=quit rc=0\n", id);
		return false;
	} else if (!strcmp(cmd, "verdict")) {
		do_verdict(fd, id, rest ? rest : (char[]){0});
	} else if (!strcmp(cmd, "replay")) {
		do_replay(fd, id);
	} else if (!strcmp(cmd, "abi")) {
		do_abi(fd, id);
	} else if (!strcmp(cmd, "desc")) {
		do_desc(fd, id, rest);
	} else if (!strcmp(cmd, "release")) {
		r = ioctl(fd, MEDIAGATE_IOC_RELEASE_ALL);
		printf("RES id=%s cmd=release rc=%s count=%d\n", id,
		       r < 0 ? errno_name(errno) : "0", r < 0 ? 0 : r);
	} else if (!strcmp(cmd, "present")) {
		r = ioctl(fd, MEDIAGATE_IOC_LIST_PRESENT);
		printf("RES id=%s cmd=present rc=%s count=%d\n", id,
		       r < 0 ? errno_name(errno) : "0", r < 0 ? 0 : r);
	} else if (!strcmp(cmd, "probe")) {
		r = run_probes(fd);
		printf("RES id=%s cmd=probe rc=%s bad=%d\n", id, r ? "EPROBE" : "0", r);
	} else {
		printf("RES id=%s cmd=%s rc=unknown-command\n", id, cmd);
	}
	return true;
}

static int cmd_serve(const char *fifo, bool replay)
{
	char buf[4096];
	size_t used = 0;
	int fd, ffd;

	ffd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC); /* RDWR: never EOF */
	if (ffd < 0) {
		perror(fifo);
		return 1;
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (replay)
		do_replay(fd, "0");
	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {ffd, POLLIN, 0}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			if (drain(fd) < 0 && !(p[0].revents & POLLIN))
				return 1;
		}
		if (p[0].revents & POLLNVAL)
			return 1;
		if (p[1].revents & POLLIN) {
			ssize_t r = read(ffd, buf + used, sizeof(buf) - 1 - used);
			char *nl;

			if (r > 0)
				used += r;
			buf[used] = 0;
			while ((nl = strchr(buf, '\n'))) {
				*nl = 0;
				drain(fd); /* events before results, in order */
				if (!command(fd, buf)) {
					fflush(stdout);
					close(fd);
					return 0;
				}
				used -= nl + 1 - buf;
				memmove(buf, nl + 1, used + 1);
			}
			if (used >= sizeof(buf) - 1)
				used = 0;
		}
		fflush(stdout);
	}
}

static int cmd_read(int timeout_ms, int count, bool replay)
{
	struct timespec t0, t;
	int fd = open_dev(), n = 0;

	if (fd < 0)
		return 1;
	if (replay)
		do_replay(fd, "0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (count <= 0 || n < count) {
		struct pollfd p = {fd, POLLIN, 0};
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms -
		       (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		n += drain(fd);
		fflush(stdout);
	}
	close(fd);
	printf("END count=%d\n", n);
	return 0;
}

/* Drop CAP_SYS_ADMIN from every set but stay uid 0. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1U << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return -errno;
	return 0;
}

/* Run fn in a child; its exit status is the number of bad results. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		fflush(stdout);
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

static int open_refused(const char *name)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC), e = fd < 0 ? errno : 0;
	bool good = e == EPERM || e == EACCES;

	printf("PROBE %s want=EPERM|EACCES got=%s %s\n", name, errno_name(e), good ? "ok" : "BAD");
	fflush(stdout);
	if (fd >= 0)
		close(fd);
	return !good;
}

static int child_nobody_open(void)
{
	int r = become_nobody();

	if (r) {
		printf("PROBE nobody-open setuid failed errno=%s BAD\n", errno_name(-r));
		return 1;
	}
	return open_refused("nobody-open");
}

static int child_nocap_open(void)
{
	int r = drop_sys_admin();

	if (r) {
		printf("PROBE root-without-cap-sys-admin-open capset errno=%s BAD\n",
		       errno_name(-r));
		return 1;
	}
	return open_refused("root-without-cap-sys-admin-open");
}

/* Opened as root, then privileges dropped: every ioctl must still be refused. */
static int child_ioctl_after_drop(void)
{
	struct mediagate_abi a = {.size = sizeof(a)};
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC), r, e;

	if (fd < 0) {
		printf("PROBE ioctl-after-drop open errno=%s BAD\n", errno_name(errno));
		return 1;
	}
	r = drop_sys_admin();
	if (r) {
		printf("PROBE ioctl-after-drop capset errno=%s BAD\n", errno_name(-r));
		return 1;
	}
	r = ioctl(fd, MEDIAGATE_IOC_GET_ABI, &a);
	e = r < 0 ? errno : 0;
	printf("PROBE ioctl-after-cap-drop want=EPERM got=%s %s\n", errno_name(e),
	       e == EPERM ? "ok" : "BAD");
	r = ioctl(fd, MEDIAGATE_IOC_REPLAY);
	printf("PROBE replay-after-cap-drop want=EPERM got=%s %s\n", errno_name(r < 0 ? errno : 0),
	       r < 0 && errno == EPERM ? "ok" : "BAD");
	e = e != EPERM;
	e += !(r < 0 && errno == EPERM);
	close(fd);
	return e;
}

static int cmd_nonroot(void)
{
	struct stat st;
	int bad = 0;

	if (stat(DEV_PATH, &st) < 0 || !S_ISCHR(st.st_mode)) {
		printf("PROBE device-node-present want=chardev got=%s BAD\n", errno_name(errno));
		return 1;
	}

	bad += in_child(child_nobody_open);
	bad += in_child(child_nocap_open);
	bad += in_child(child_ioctl_after_drop);
	printf("END bad=%d\n", bad);
	return bad ? 1 : 0;
}

static int cmd_probe(void)
{
	int fd = open_dev(), bad;

	if (fd < 0)
		return 1;
	bad = run_probes(fd);
	close(fd);
	printf("END bad=%d\n", bad);
	return bad ? 1 : 0;
}

/* --- storm: plug/unplug cycles of a configfs gadget, decided at random --- */

struct storm {
	int fd;
	char serial[128];
	uint64_t handle; /* of the current cycle's HELD, 0 until seen */
	char devpath[32];
	unsigned long held, gaps, bad;
};

/* Read records for up to ms milliseconds; note the cycle's HELD. */
static void storm_pump(struct storm *s, int ms, bool stop_on_held)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct mediagate_event evs[8];
		struct pollfd p = {s->fd, POLLIN, 0};
		ssize_t r;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms -
		       (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || (stop_on_held && s->handle))
			return;
		if (poll(&p, 1, left) <= 0)
			continue;
		r = read(s->fd, evs, sizeof(evs));
		for (ssize_t i = 0; r > 0 && i < r / (ssize_t)sizeof(evs[0]); i++) {
			const struct mediagate_event *ev = &evs[i];

			print_event(ev);
			if (ev->type == MEDIAGATE_EV_HELD && !s->handle &&
			    !strncmp(ev->serial, s->serial, sizeof(ev->serial))) {
				s->handle = ev->handle;
				memcpy(s->devpath, ev->devpath, sizeof(s->devpath));
				s->devpath[sizeof(s->devpath) - 1] = 0;
				s->held++;
			}
		}
	}
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static bool sysfs_gone(const char *devpath)
{
	char p[96];

	snprintf(p, sizeof(p), "/sys/bus/usb/devices/%s", devpath);
	return access(p, F_OK) < 0;
}

/* mgtest storm UDC_FILE SERIAL CYCLES SEED */
static int cmd_storm(const char *udc, const char *serial, int cycles, unsigned int seed)
{
	static const char *const vname[] = {"none", "allow", "readonly", "deny"};
	struct storm s = {0};
	unsigned long timeouts = 0, verr = 0, counts[4] = {0};
	struct timespec t0, t1;
	int i, r;

	s.fd = open_dev();
	if (s.fd < 0)
		return 1;
	snprintf(s.serial, sizeof(s.serial), "%s", serial);
	srand(seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i <= cycles; i++) {
		int v = rand() % 4, wait_ms = rand() % 300, k;

		s.handle = 0;
		r = write_file(udc, "dummy_udc.0");
		if (r) {
			printf("STORMERR cycle=%d bind errno=%s\n", i, errno_name(-r));
			timeouts++;
			break;
		}
		storm_pump(&s, 15000, true);
		if (!s.handle) {
			printf("STORMERR cycle=%d no-held-within-15s\n", i);
			timeouts++;
			write_file(udc, "\n");
			if (timeouts > 3)
				break;
			storm_pump(&s, 1000, false);
			continue;
		}
		counts[v]++;
		if (v) {
			struct mediagate_verdict vd = {.size = sizeof(vd),
						       .abi = MEDIAGATE_ABI_VERSION,
						       .verdict = v,
						       .handle = s.handle};

			if (ioctl(s.fd, MEDIAGATE_IOC_VERDICT, &vd) < 0) {
				printf("STORMERR cycle=%d verdict=%s handle=%llu errno=%s\n", i,
				       vname[v], (unsigned long long)s.handle, errno_name(errno));
				verr++;
			}
		}
		storm_pump(&s, wait_ms, false);
		write_file(udc, "\n");
		for (k = 0; k < 1500 && !sysfs_gone(s.devpath); k++)
			storm_pump(&s, 10, false);
		if (!sysfs_gone(s.devpath)) {
			printf("STORMERR cycle=%d still-present-15s-after-unplug devpath=%s\n", i,
			       s.devpath);
			timeouts++;
		}
		if (i % 50 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("STORMPROGRESS cycles=%d elapsed=%lds\n", i,
			       (long)(t1.tv_sec - t0.tv_sec));
		}
	}
	storm_pump(&s, 1000, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("STORM cycles=%d held=%lu none=%lu allow=%lu readonly=%lu deny=%lu timeouts=%lu "
	       "verdict_errors=%lu seq_gaps=%lu bad_records=%lu last_seq=%llu elapsed=%lds\n",
	       i - 1, s.held, counts[0], counts[1], counts[2], counts[3], timeouts, verr, seq_gaps,
	       bad_records, (unsigned long long)last_seq, (long)(t1.tv_sec - t0.tv_sec));
	close(s.fd);
	return timeouts || verr || seq_gaps || bad_records || (int)s.held != cycles;
}

static int usage(void)
{
	fputs("usage: mgtest serve FIFO [--replay] | read [-t MS] [-n N] [--replay] | abi |"
	      " probe | nonroot | storm UDC SERIAL N SEED\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	int i, fd, r;

	_Static_assert(sizeof(struct mediagate_event) == 512, "event record size");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "serve") && argc >= 3)
		return cmd_serve(argv[2], argc > 3 && !strcmp(argv[3], "--replay"));
	if (!strcmp(argv[1], "read")) {
		int t = 2000, n = 0;
		bool replay = false;

		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "-t") && i + 1 < argc)
				t = atoi(argv[++i]);
			else if (!strcmp(argv[i], "-n") && i + 1 < argc)
				n = atoi(argv[++i]);
			else if (!strcmp(argv[i], "--replay"))
				replay = true;
			else
				return usage();
		}
		return cmd_read(t, n, replay);
	}
	if (!strcmp(argv[1], "abi")) {
		fd = open_dev();
		if (fd < 0)
			return 1;
		r = do_abi(fd, "0");
		close(fd);
		return r ? 1 : 0;
	}
	if (!strcmp(argv[1], "probe"))
		return cmd_probe();
	if (!strcmp(argv[1], "nonroot"))
		return cmd_nonroot();
	if (!strcmp(argv[1], "storm") && argc == 6)
		return cmd_storm(argv[2], argv[3], atoi(argv[4]), strtoul(argv[5], NULL, 0));
	return usage();
}
