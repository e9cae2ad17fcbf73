// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon-host: the host-side twin of VM scenario 21 (bench/daemon-vm.mk). A
 * fake kernel (kdev's Unix socket mode, daemon/src/kdev.h) for the real
 * mediagated: N holds of a USB storage stick, one at a time; each waits for
 * its verdict, then the stick is "removed".
 *
 *   daemon-host SOCKET N
 *
 * Listens on SOCKET, accepts the daemon, answers nothing (kdev needs no
 * answers), sends the holds and prints "roundtrip p50_us X p99_us Y max_us Z"
 * (record sent -> verdict received, as seen from this side). The daemon's
 * own figures are in its `status`. Exits 0 once all N are answered.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kdev.h"

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static int recv_msg(int fd, struct kdev_fake_msg *m)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, 20000) != 1)
		return -1;
	return recv(fd, m, sizeof(*m), 0) == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* A device-level hold of a mass-storage stick (class 08/06/50). */
static void make_record(struct mediagate_event *ev, unsigned int type, unsigned long long h)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = type;
	ev->seq = h * 2 + (type != MEDIAGATE_EV_HELD);
	ev->handle = h;
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->intf_number = 0xff;
	ev->id_vendor = 0x1234;
	ev->id_product = 0x5678;
	ev->removable = MEDIAGATE_REMOVABLE_YES;
	strcpy(ev->devpath, "1-1");
	strcpy((char *)ev->serial, "BENCH21");
	strcpy(ev->product, "Bench Stick");
	strcpy(ev->manufacturer, "mediagate");
	ev->intf[0].class = 8;
	ev->intf[0].subclass = 6;
	ev->intf[0].protocol = 0x50;
	ev->num_intf = 1;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mediagate_event ev;
	struct kdev_fake_msg m;
	unsigned long long *rtt, t0;
	int lfd, fd, n;

	n = argc == 3 ? atoi(argv[2]) : 0;
	if (n < 1 || n > 1000000 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: daemon-host SOCKET N\n");
		return 2;
	}
	rtt = calloc((size_t)n, sizeof(*rtt));
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (!rtt || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0) {
		perror("daemon-host: listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		make_record(&ev, MEDIAGATE_EV_HELD, (unsigned long long)i + 1);
		t0 = now_ns(CLOCK_MONOTONIC);
		ev.time_ns = now_ns(CLOCK_BOOTTIME); /* as the kernel stamps a hold */
		if (send(fd, &ev, sizeof(ev), 0) != (ssize_t)sizeof(ev))
			return 1;
		do {
			if (recv_msg(fd, &m) < 0) {
				fprintf(stderr, "daemon-host: no verdict for hold %d of %d\n",
					i + 1, n);
				return 1;
			}
		} while (m.op != KDEV_FAKE_VERDICT ||
			 m.verdict.handle != (unsigned long long)i + 1);
		rtt[i] = now_ns(CLOCK_MONOTONIC) - t0;
		make_record(&ev, MEDIAGATE_EV_REMOVED, (unsigned long long)i + 1);
		if (send(fd, &ev, sizeof(ev), 0) != (ssize_t)sizeof(ev))
			return 1;
		usleep(2000); /* a plug is never back within 2 ms */
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_ull);
	printf("roundtrip p50_us %llu p99_us %llu max_us %llu\n", rtt[n / 2] / 1000,
	       rtt[(n * 99) / 100] / 1000, rtt[n - 1] / 1000);
	fflush(stdout);
	/* stay connected: the daemon treats a closed kernel device as fatal */
	pause();
	return 0;
}
