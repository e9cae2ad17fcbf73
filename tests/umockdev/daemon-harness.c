// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon-harness: a umockdev testbed and a fake /dev/mediagate around the
 * real mediagated, driven line by line by tests/umockdev/daemon.sh.
 *
 * Runs under umockdev-wrapper (the preload library); creates a testbed
 * (libumockdev, loaded with dlopen) and starts mediagated inside it, so the
 * daemon's libudev sees the testbed's sysfs and uevents and opens the
 * testbed's /dev nodes. The kernel side is kdev's fake-kernel socket (see
 * daemon/src/kdev.h). Every HELD record is built from the testbed's sysfs
 * the way kmod/entry.c builds it from the usb_device: ids, classes, speed,
 * removable, the interfaces of the first configuration, and the strings
 * (cut to the record's field size, EVF_TRUNCATED then).
 *
 * Requests on stdin, one line each, one reply line on stdout ("ok ..." or
 * "error ..."):
 *   fixture FILE                 add a .umockdev file's devices (skip those present)
 *   disk NAME BLOCK IMAGE        a SCSI disk BLOCK under USB device NAME's first
 *                                interface; /dev/BLOCK holds a copy of IMAGE
 *   part BLOCK N START IMAGE     partition N of disk BLOCK (START in sectors, as in
 *                                its partition table); /dev/BLOCKN holds a copy of IMAGE
 *   uevent NAME ACTION           a uevent for a device added above
 *   start SOCKET OUT ERR ARGV... listen on SOCKET, run ARGV (stdout > OUT, stderr
 *                                > ERR), wait for its REPLAY and LIST_PRESENT
 *   hold HANDLE NAME [devpath=S] [replay] [intf=N] [driver=S]
 *                                a HELD record for USB device NAME (intf=N: of its
 *                                interface N, at interface level)
 *   remove HANDLE                a REMOVED record
 *   burst FIRST COUNT NAME       COUNT plugs of NAME (handles FIRST..): hold, wait
 *                                for its verdict, remove; "ok N allow A readonly R deny D"
 *   verdict HANDLE MS            the next verdict on HANDLE within MS:
 *                                "ok HANDLE VERDICT [N:V...]" (interface verdicts)
 *   quiet MS                     no verdict for MS ms: "ok", else "error ..."
 *   stop                         SIGTERM the daemon: "ok exit N" / "ok signal N"
 *   syslog FILE                  bind /dev/log (in a private mount namespace:
 *                                refused if it exists) and append each datagram
 *                                received there to FILE as one line
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdev.h"

#define MAX_DEVS 64
#define MAX_QUEUE 256

struct dev {
	char name[32]; /* fits the record's devpath */
	char path[512]; /* under /sys */
};

static void *tb;
static int (*tb_add)(void *tb, const char *data, void **error);
static void (*tb_uevent)(void *tb, const char *devpath, const char *action);
static const char *root; /* $UMOCKDEV_DIR */
static struct dev devs[MAX_DEVS];
static unsigned int n_devs, n_disks;
static struct kdev_fake_msg queue[MAX_QUEUE];
static unsigned int n_queue;
static unsigned int last_op; /* the last request other than a verdict */
static int lfd = -1, kfd = -1;
static pid_t daemon_pid = -1, syslog_pid = -1;
static char sock_path[108];

static void reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct dev *find_dev(const char *name)
{
	for (unsigned int i = 0; i < n_devs; i++)
		if (!strcmp(devs[i].name, name))
			return &devs[i];
	return NULL;
}

static int add_dev(const char *name, const char *path)
{
	if (find_dev(name))
		return 0;
	if (n_devs == MAX_DEVS || strlen(name) >= sizeof(devs[0].name) ||
	    strlen(path) >= sizeof(devs[0].path))
		return -1;
	strcpy(devs[n_devs].name, name);
	strcpy(devs[n_devs].path, path);
	n_devs++;
	return 0;
}

static bool in_testbed(const char *syspath)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/sys%s", root, syspath);
	return stat(p, &st) == 0;
}

/* Add FILE's records, except devices the testbed has already (several
 * fixtures share a root hub); remember every usb_device by its name. */
static void cmd_fixture(const char *file)
{
	char *text = NULL, *rec, *save = NULL, *out;
	size_t cap = 0, len = 0;
	void *err = NULL;
	bool skip = false;
	FILE *f = fopen(file, "r");

	if (!f) {
		reply("error %s: %s", file, strerror(errno));
		return;
	}
	if (getdelim(&text, &cap, '\0', f) < 0) {
		fclose(f);
		free(text);
		reply("error %s: empty", file);
		return;
	}
	fclose(f);
	out = calloc(1, strlen(text) + 2);
	for (rec = strtok_r(text, "\n", &save); out && rec; rec = strtok_r(NULL, "\n", &save)) {
		/* a record is "P: ..." up to the next "P: " */
		if (!strncmp(rec, "P: ", 3)) {
			skip = in_testbed(rec + 3);
			if (len)
				out[len++] = '\n';
		}
		if (!skip) {
			len += (size_t)sprintf(out + len, "%s\n", rec);
			if (!strncmp(rec, "P: ", 3) && !strchr(strrchr(rec, '/'), ':') &&
			    !strstr(strrchr(rec, '/'), "usb") && strchr(rec, '-'))
				add_dev(strrchr(rec, '/') + 1, rec + 3);
		}
	}
	free(text);
	if (!out) {
		reply("error out of memory");
		return;
	}
	if (len && !tb_add(tb, out, &err))
		reply("error umockdev_testbed_add_from_string failed for %s", file);
	else
		reply("ok %u devices", n_devs);
	free(out);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, o, r = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	close(in);
	if (close(o) < 0 && !r)
		r = -errno;
	return r;
}

static void cmd_disk(const char *name, const char *blk, const char *image)
{
	const struct dev *d = find_dev(name);
	char path[600], text[1400], node[700];
	struct stat st;
	void *err = NULL;
	int r;

	if (!d || stat(image, &st) < 0) {
		reply("error no device %s or no image %s", name, image);
		return;
	}
	n_disks++;
	snprintf(path, sizeof(path), "%s/%s:1.0/host%u/target%u:0:0/%u:0:0:0/block/%s", d->path,
		 name, n_disks, n_disks, n_disks, blk);
	snprintf(text, sizeof(text),
		 "P: %s\nN: %s\nE: SUBSYSTEM=block\nE: DEVTYPE=disk\nE: DEVNAME=/dev/%s\n"
		 "E: MAJOR=8\nE: MINOR=%u\nA: dev=8:%u\nA: removable=1\nA: size=%lld\n",
		 path, blk, blk, n_disks * 16, n_disks * 16, (long long)st.st_size / 512);
	if (!tb_add(tb, text, &err) || add_dev(blk, path) < 0) {
		reply("error cannot add disk %s", blk);
		return;
	}
	snprintf(node, sizeof(node), "%s/dev/%s", root, blk);
	r = copy_file(image, node);
	if (r < 0)
		reply("error %s: %s", node, strerror(-r));
	else
		reply("ok %s", path);
}

static void cmd_uevent(const char *name, const char *action)
{
	const struct dev *d = find_dev(name);
	char p[600];

	if (!d) {
		reply("error no device %s", name);
		return;
	}
	snprintf(p, sizeof(p), "/sys%s", d->path);
	tb_uevent(tb, p, action);
	reply("ok");
}

/* A sysfs attribute of @dir (under the testbed) into @buf; its length, -1. */
static ssize_t read_attr(const char *dir, const char *attr, char *buf, size_t sz)
{
	char p[1200];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/sys%s/%s", root, dir, attr);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static unsigned long attr_num(const char *dir, const char *attr, int base)
{
	char b[64];

	return read_attr(dir, attr, b, sizeof(b)) > 0 ? strtoul(b, NULL, base) : 0;
}

/* A device string as the kernel holds it (sysfs adds a newline), cut to
 * the record's field: the kernel's mg_copy_str() sets EVF_TRUNCATED then. */
static void attr_str(const char *dir, const char *attr, char *dst, size_t sz, uint32_t *flags)
{
	char b[4096];
	ssize_t n = read_attr(dir, attr, b, sizeof(b));

	if (n <= 0)
		return;
	if (b[n - 1] == '\n')
		b[--n] = '\0';
	n = (ssize_t)strnlen(b, (size_t)n);
	if ((size_t)n >= sz) {
		n = (ssize_t)sz - 1;
		*flags |= MEDIAGATE_EVF_TRUNCATED;
	}
	memcpy(dst, b, (size_t)n);
}

/* A partition: sysfs as the kernel has it ("partition", "start", and a
 * kernel-style DEVNAME in uevent), the node holds the partition's bytes. */
static void cmd_part(const char *disk, const char *num, const char *start, const char *image)
{
	const struct dev *d = find_dev(disk);
	char name[32], path[600], text[1400], node[700], dev[16];
	unsigned int maj, min;
	int n = atoi(num), r;
	struct stat st;
	void *err = NULL;

	if (!d || stat(image, &st) < 0 || read_attr(d->path, "dev", dev, sizeof(dev)) <= 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2 || n < 1 || n > 15) {
		reply("error no disk %s or no image %s", disk, image);
		return;
	}
	snprintf(name, sizeof(name), "%s%d", disk, n);
	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	snprintf(text, sizeof(text),
		 "P: %s\nN: %s\nE: SUBSYSTEM=block\nE: DEVTYPE=partition\nE: DEVNAME=%s\n"
		 "E: MAJOR=%u\nE: MINOR=%u\nE: PARTN=%d\nA: dev=%u:%u\nA: partition=%d\n"
		 "A: start=%s\nA: size=%lld\n",
		 path, name, name, maj, min + n, n, maj, min + n, n, start,
		 (long long)st.st_size / 512);
	if (!tb_add(tb, text, &err) || add_dev(name, path) < 0) {
		reply("error cannot add partition %s", name);
		return;
	}
	snprintf(node, sizeof(node), "%s/dev/%s", root, name);
	r = copy_file(image, node);
	if (r < 0)
		reply("error %s: %s", node, strerror(-r));
	else
		reply("ok %s", path);
}

static int cmp_intf(const void *a, const void *b)
{
	return ((const struct mediagate_intf_desc *)a)->number -
	       ((const struct mediagate_intf_desc *)b)->number;
}

/* The interfaces: the device's "NAME:C.N" children in sysfs. */
static void fill_intfs(struct mediagate_event *ev, const struct dev *d)
{
	char p[700], child[1200];
	struct dirent *de;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/sys%s", root, d->path);
	dir = opendir(p);
	if (!dir)
		return;
	while ((de = readdir(dir)) && ev->num_intf < MEDIAGATE_MAX_INTF) {
		struct mediagate_intf_desc *i = &ev->intf[ev->num_intf];
		size_t nl = strlen(d->name);

		if (strncmp(de->d_name, d->name, nl) || de->d_name[nl] != ':')
			continue;
		snprintf(child, sizeof(child), "%s/%s", d->path, de->d_name);
		i->number = (uint8_t)attr_num(child, "bInterfaceNumber", 16);
		i->class = (uint8_t)attr_num(child, "bInterfaceClass", 16);
		i->subclass = (uint8_t)attr_num(child, "bInterfaceSubClass", 16);
		i->protocol = (uint8_t)attr_num(child, "bInterfaceProtocol", 16);
		ev->num_intf++;
	}
	closedir(dir);
	qsort(ev->intf, ev->num_intf, sizeof(ev->intf[0]), cmp_intf);
}

static uint8_t speed_enum(const char *dir)
{
	char b[32];

	if (read_attr(dir, "speed", b, sizeof(b)) <= 0)
		return 0;
	if (!strncmp(b, "1.5", 3))
		return 1;
	switch (atoi(b)) {
	case 12:
		return 2;
	case 480:
		return 3;
	case 5000:
		return 5;
	case 10000:
	case 20000:
		return 6;
	default:
		return 0;
	}
}

static int send_record(const struct mediagate_event *ev)
{
	if (kfd < 0)
		return -1;
	return send(kfd, ev, sizeof(*ev), MSG_NOSIGNAL) == (ssize_t)sizeof(*ev) ? 0 : -1;
}

static void init_record(struct mediagate_event *ev, uint16_t type, uint64_t handle)
{
	static uint64_t seq;

	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = type;
	ev->seq = ++seq;
	ev->handle = handle;
	ev->intf_number = 0xff;
}

/* An interface-level hold of interface @num (the sweep at module load, or
 * a storage driver offered an interface the module does not track): the
 * record names "NAME:1.N" and carries that interface's class. */
static void hold_interface(struct mediagate_event *ev, int num)
{
	char name[sizeof(ev->devpath)];

	for (unsigned int i = 0; i < ev->num_intf; i++) {
		if (ev->intf[i].number != num)
			continue;
		ev->level = MEDIAGATE_LEVEL_INTERFACE;
		ev->intf_number = (uint8_t)num;
		ev->intf_class = ev->intf[i].class;
		ev->intf_subclass = ev->intf[i].subclass;
		ev->intf_protocol = ev->intf[i].protocol;
		memcpy(name, ev->devpath, sizeof(name));
		snprintf(ev->devpath, sizeof(ev->devpath), "%.20s:1.%d", name, num);
	}
}

/* A HELD record for "hold HANDLE NAME [devpath=S] [replay] [intf=N] [driver=S]";
 * -1 if no NAME. */
static int build_hold(struct mediagate_event *ev, int argc, char **argv)
{
	const struct dev *d = argc >= 3 ? find_dev(argv[2]) : NULL;
	char b[32];
	uint32_t flags = 0;

	if (!d)
		return -1;
	init_record(ev, MEDIAGATE_EV_HELD, strtoull(argv[1], NULL, 10));
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->busnum = (uint16_t)attr_num(d->path, "busnum", 10);
	ev->devnum = (uint16_t)attr_num(d->path, "devnum", 10);
	ev->id_vendor = (uint16_t)attr_num(d->path, "idVendor", 16);
	ev->id_product = (uint16_t)attr_num(d->path, "idProduct", 16);
	ev->bcd_device = (uint16_t)attr_num(d->path, "bcdDevice", 16);
	ev->dev_class = (uint8_t)attr_num(d->path, "bDeviceClass", 16);
	ev->dev_subclass = (uint8_t)attr_num(d->path, "bDeviceSubClass", 16);
	ev->dev_protocol = (uint8_t)attr_num(d->path, "bDeviceProtocol", 16);
	ev->speed = speed_enum(d->path);
	if (read_attr(d->path, "removable", b, sizeof(b)) > 0)
		ev->removable = !strncmp(b, "removable", 9) ? MEDIAGATE_REMOVABLE_YES
				: !strncmp(b, "fixed", 5)   ? MEDIAGATE_REMOVABLE_FIXED
							    : MEDIAGATE_REMOVABLE_UNKNOWN;
	memcpy(ev->devpath, d->name, sizeof(d->name));
	fill_intfs(ev, d);
	attr_str(d->path, "serial", ev->serial, sizeof(ev->serial), &flags);
	attr_str(d->path, "product", ev->product, sizeof(ev->product), &flags);
	attr_str(d->path, "manufacturer", ev->manufacturer, sizeof(ev->manufacturer), &flags);
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "devpath=", 8))
			snprintf(ev->devpath, sizeof(ev->devpath), "%s", argv[i] + 8);
		else if (!strcmp(argv[i], "replay"))
			flags |= MEDIAGATE_EVF_REPLAY;
		else if (!strncmp(argv[i], "driver=", 7))
			snprintf(ev->driver, sizeof(ev->driver), "%s", argv[i] + 7);
		else if (!strncmp(argv[i], "intf=", 5))
			hold_interface(ev, atoi(argv[i] + 5));
	}
	ev->flags = flags;
	return 0;
}

static void cmd_hold(int argc, char **argv)
{
	struct mediagate_event ev;

	if (build_hold(&ev, argc, argv) < 0)
		reply("error usage: hold HANDLE NAME [devpath=S] [replay] [intf=N] [driver=S]");
	else if (send_record(&ev) < 0)
		reply("error send: %s", strerror(errno));
	else
		reply("ok %s %04x:%04x intf %u flags %#x", ev.devpath, ev.id_vendor, ev.id_product,
		      ev.num_intf, ev.flags);
}

static void cmd_remove(const char *handle)
{
	struct mediagate_event ev;

	init_record(&ev, MEDIAGATE_EV_REMOVED, strtoull(handle, NULL, 10));
	if (send_record(&ev) < 0)
		reply("error send: %s", strerror(errno));
	else
		reply("ok");
}

/* Read what the daemon sent within @ms (verdicts are queued). 0 on a
 * timeout, 1 when something arrived, -1 when the daemon hung up. */
static int pump(int ms)
{
	struct pollfd p = {.fd = kfd, .events = POLLIN};
	struct kdev_fake_msg m;
	ssize_t n;

	if (kfd < 0)
		return -1;
	if (poll(&p, 1, ms) != 1)
		return 0;
	n = recv(kfd, &m, sizeof(m), 0);
	if (n <= 0) {
		close(kfd);
		kfd = -1;
		return -1;
	}
	if (n != (ssize_t)sizeof(m))
		return 1;
	if (m.op == KDEV_FAKE_VERDICT && n_queue < MAX_QUEUE)
		queue[n_queue++] = m;
	if (m.op != KDEV_FAKE_VERDICT)
		last_op = m.op;
	return 1;
}

/* The first queued verdict on @h, waiting up to @ms for it; 0 if none. */
static unsigned int take_verdict(uint64_t h, int ms)
{
	long long end = now_ms() + ms;

	for (;;) {
		for (unsigned int i = 0; i < n_queue; i++) {
			unsigned int v = queue[i].verdict.verdict;

			if (queue[i].verdict.handle != h)
				continue;
			memmove(&queue[i], &queue[i + 1], (n_queue - i - 1) * sizeof(queue[0]));
			n_queue--;
			return v;
		}
		if (now_ms() >= end || pump((int)(end - now_ms())) < 0)
			return 0;
	}
}

static void cmd_burst(int argc, char **argv)
{
	const struct dev *d = argc == 4 ? find_dev(argv[3]) : NULL;
	uint64_t first = argc == 4 ? strtoull(argv[1], NULL, 10) : 0;
	unsigned int count = argc == 4 ? (unsigned int)atoi(argv[2]) : 0, n[4] = {0};
	struct mediagate_event ev;

	if (!d || !first || !count) {
		reply("error usage: burst FIRST COUNT NAME");
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		char *hargv[] = {"hold", argv[1], argv[3], NULL};
		char handle[24];
		unsigned int v;

		snprintf(handle, sizeof(handle), "%llu", (unsigned long long)(first + i));
		hargv[1] = handle;
		if (build_hold(&ev, 3, hargv) < 0 || send_record(&ev) < 0)
			break;
		v = take_verdict(first + i, 20000);
		if (!v)
			break;
		n[v < 4 ? v : 0]++;
		init_record(&ev, MEDIAGATE_EV_REMOVED, first + i);
		if (send_record(&ev) < 0)
			break;
	}
	reply("ok %u allow %u readonly %u deny %u", n[1] + n[2] + n[3], n[1], n[2], n[3]);
}

static void print_verdict(const struct kdev_fake_msg *m)
{
	static const char *const names[] = {"none", "allow", "readonly", "deny"};
	const struct mediagate_verdict *v = &m->verdict;
	char intf[MEDIAGATE_MAX_INTF * 12] = "";
	size_t len = 0;

	for (unsigned int i = 0; i < MEDIAGATE_MAX_INTF; i++)
		if (v->intf_verdict[i])
			len += (size_t)snprintf(intf + len, sizeof(intf) - len, " %u:%s", i,
						v->intf_verdict[i] <= 3 ? names[v->intf_verdict[i]]
									: "?");
	reply("ok %llu %s%s", (unsigned long long)v->handle,
	      v->verdict <= 3 ? names[v->verdict] : "?", intf);
}

static void cmd_verdict(const char *handle, const char *ms)
{
	uint64_t h = strtoull(handle, NULL, 10);
	long long end = now_ms() + atoi(ms);

	for (;;) {
		for (unsigned int i = 0; i < n_queue; i++) {
			struct kdev_fake_msg m = queue[i];

			if (m.verdict.handle != h)
				continue;
			memmove(&queue[i], &queue[i + 1], (n_queue - i - 1) * sizeof(queue[0]));
			n_queue--;
			print_verdict(&m);
			return;
		}
		if (now_ms() >= end || pump((int)(end - now_ms())) < 0)
			break;
	}
	reply("error no verdict on handle %llu", (unsigned long long)h);
}

static void cmd_quiet(const char *ms)
{
	long long end = now_ms() + atoi(ms);

	while (now_ms() < end && pump((int)(end - now_ms())) >= 0)
		;
	if (n_queue) {
		reply("error unexpected verdict %s on handle %llu (%u queued)",
		      queue[0].verdict.verdict == 1   ? "allow"
		      : queue[0].verdict.verdict == 2 ? "readonly"
						      : "deny",
		      (unsigned long long)queue[0].verdict.handle, n_queue);
		n_queue = 0;
		return;
	}
	reply("ok");
}

static void cmd_start(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *asan = getenv("MG_ASAN_RT"), *pre = getenv("LD_PRELOAD");
	unsigned int want = 0;
	long long end;
	int st;

	if (argc < 5 || strlen(argv[1]) >= sizeof(sa.sun_path) || daemon_pid > 0) {
		reply("error usage: start SOCKET OUT ERR ARGV... (one daemon at a time)");
		return;
	}
	strcpy(sock_path, argv[1]);
	strcpy(sa.sun_path, sock_path);
	unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		reply("error listen %s: %s", sock_path, strerror(errno));
		return;
	}
	daemon_pid = fork();
	if (daemon_pid == 0) {
		char env[4096];

		/* ASan must come first in the preload list (see run.sh) */
		if (asan && *asan) {
			snprintf(env, sizeof(env), "%s%s%s", asan, pre ? ":" : "", pre ? pre : "");
			setenv("LD_PRELOAD", env, 1);
		}
		if (!freopen(argv[2], "w", stdout) || !freopen(argv[3], "w", stderr))
			_exit(126);
		execv(argv[4], argv + 4);
		_exit(127);
	}
	end = now_ms() + 60000;
	while (kfd < 0 && now_ms() < end) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		if (waitpid(daemon_pid, &st, WNOHANG) == daemon_pid) {
			daemon_pid = -1;
			reply("error daemon exited (status %#x) before connecting", st);
			return;
		}
		if (poll(&p, 1, 100) == 1)
			kfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	/* a starting daemon asks for a replay, then for the present devices */
	last_op = 0;
	while (kfd >= 0 && want != 3 && now_ms() < end)
		if (pump(100) > 0)
			want |= last_op == KDEV_FAKE_REPLAY	    ? 1
				: last_op == KDEV_FAKE_LIST_PRESENT ? 2
								    : 0;
	if (want != 3)
		reply("error daemon did not connect and ask for replay + present (%u)", want);
	else
		reply("ok pid %d", (int)daemon_pid);
}

static void cmd_stop(void)
{
	long long end = now_ms() + 30000;
	int st = 0;
	pid_t r = 0;

	if (daemon_pid <= 0) {
		reply("error no daemon");
		return;
	}
	kill(daemon_pid, SIGTERM);
	while (now_ms() < end && (r = waitpid(daemon_pid, &st, WNOHANG)) == 0)
		usleep(20000);
	if (r != daemon_pid) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, &st, 0);
	}
	daemon_pid = -1;
	if (kfd >= 0)
		close(kfd);
	if (lfd >= 0)
		close(lfd);
	kfd = lfd = -1;
	n_queue = 0;
	unlink(sock_path);
	if (WIFEXITED(st))
		reply("ok exit %d", WEXITSTATUS(st));
	else
		reply("ok signal %d", WTERMSIG(st));
}

/* A private syslog: a child appends each datagram to @file, one per line. */
static void cmd_syslog(const char *file)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	struct stat st;
	char buf[8192];
	int fd, out;

	if (lstat(sa.sun_path, &st) == 0 || syslog_pid > 0) {
		reply("error /dev/log exists: run me in a mount namespace with a private /dev");
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	out = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || out < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		reply("error syslog socket: %s", strerror(errno));
		return;
	}
	chmod(sa.sun_path, 0666);
	syslog_pid = fork();
	if (syslog_pid == 0) {
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

			if (n < 0 && errno != EINTR)
				_exit(1);
			if (n <= 0)
				continue;
			buf[n++] = '\n';
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		}
	}
	close(fd);
	close(out);
	reply(syslog_pid > 0 ? "ok" : "error fork");
}

static int setup_testbed(void)
{
	void *(*tb_new)(void);
	void *h = dlopen("libumockdev.so.0", RTLD_NOW);

	if (!h) {
		fprintf(stderr, "daemon-harness: %s\n", dlerror());
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
	root = getenv("UMOCKDEV_DIR");
	return tb && root ? 0 : -1;
}

int main(void)
{
	char *line = NULL, *argv[64], *save = NULL;
	size_t cap = 0;
	int argc;

	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "umockdev")) {
		fprintf(stderr, "daemon-harness: run me under umockdev-wrapper\n");
		return 2;
	}
	if (setup_testbed() < 0) {
		fprintf(stderr, "daemon-harness: no umockdev testbed\n");
		return 1;
	}
	reply("ok testbed %s", root);
	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		argc = 0;
		for (char *t = strtok_r(line, " ", &save); t && argc < 63;
		     t = strtok_r(NULL, " ", &save))
			argv[argc++] = t;
		argv[argc] = NULL;
		if (!argc)
			reply("error empty request");
		else if (!strcmp(argv[0], "fixture") && argc == 2)
			cmd_fixture(argv[1]);
		else if (!strcmp(argv[0], "disk") && argc == 4)
			cmd_disk(argv[1], argv[2], argv[3]);
		else if (!strcmp(argv[0], "part") && argc == 5)
			cmd_part(argv[1], argv[2], argv[3], argv[4]);
		else if (!strcmp(argv[0], "uevent") && argc == 3)
			cmd_uevent(argv[1], argv[2]);
		else if (!strcmp(argv[0], "start"))
			cmd_start(argc, argv);
		else if (!strcmp(argv[0], "hold"))
			cmd_hold(argc, argv);
		else if (!strcmp(argv[0], "burst"))
			cmd_burst(argc, argv);
		else if (!strcmp(argv[0], "remove") && argc == 2)
			cmd_remove(argv[1]);
		else if (!strcmp(argv[0], "verdict") && argc == 3)
			cmd_verdict(argv[1], argv[2]);
		else if (!strcmp(argv[0], "quiet") && argc == 2)
			cmd_quiet(argv[1]);
		else if (!strcmp(argv[0], "stop"))
			cmd_stop();
		else if (!strcmp(argv[0], "syslog") && argc == 2)
			cmd_syslog(argv[1]);
		else
			reply("error unknown request %s", argv[0]);
	}
	free(line);
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	if (syslog_pid > 0) {
		kill(syslog_pid, SIGTERM);
		waitpid(syslog_pid, NULL, 0);
	}
	return 0;
}
