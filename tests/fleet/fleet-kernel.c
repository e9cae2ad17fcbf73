// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fleet-kernel: a fake kernel for the real mediagated in the fleet test
 * (kdev's Unix socket mode, see daemon/src/kdev.h).
 *
 *   fleet-kernel SOCKET SERIAL-PREFIX
 *
 * Listens on SOCKET, accepts the daemon, then sends three HELD records
 * (handles 1-3: a keyboard, a storage stick, a storage stick with a HID
 * interface; serials SERIAL-PREFIX1..3) and prints each verdict as
 * "HANDLE VERDICT" (1 allow, 2 readonly, 3 deny: logged as block). Exits 0 once all three
 * are answered, 1 on a timeout or a protocol error.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kdev.h"

static int recv_msg(int fd, struct kdev_fake_msg *m)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, 20000) != 1)
		return -1;
	return recv(fd, m, sizeof(*m), 0) == (ssize_t)sizeof(*m) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const uint8_t classes[3][2] = {{3}, {8}, {8, 3}};
	static const unsigned int nclasses[3] = {1, 1, 2};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mediagate_event ev;
	struct kdev_fake_msg m;
	int lfd, fd, got = 0;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path) || strlen(argv[2]) > 20) {
		fprintf(stderr, "usage: fleet-kernel SOCKET SERIAL-PREFIX\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		perror("fleet-kernel: listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	/* the daemon asks for a replay and the present devices first */
	while (got < 2 && recv_msg(fd, &m) == 0)
		got += m.op == KDEV_FAKE_REPLAY || m.op == KDEV_FAKE_LIST_PRESENT;
	if (got < 2) {
		fprintf(stderr, "fleet-kernel: no replay/list request\n");
		return 1;
	}
	for (unsigned int h = 1; h <= 3; h++) {
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.abi = MEDIAGATE_ABI_VERSION;
		ev.type = MEDIAGATE_EV_HELD;
		ev.seq = h;
		ev.handle = h;
		ev.level = MEDIAGATE_LEVEL_DEVICE;
		ev.intf_number = 0xff;
		ev.id_vendor = 0x0781;
		ev.id_product = 0x5583;
		ev.removable = MEDIAGATE_REMOVABLE_YES;
		snprintf(ev.devpath, sizeof(ev.devpath), "7-%u", h);
		snprintf((char *)ev.serial, sizeof(ev.serial), "%s%u", argv[2], h);
		strcpy(ev.product, "Ultra Fit");
		strcpy(ev.manufacturer, "SanDisk");
		for (unsigned int i = 0; i < nclasses[h - 1]; i++) {
			ev.intf[i].number = (uint8_t)i;
			ev.intf[i].class = classes[h - 1][i];
			ev.intf[i].subclass = classes[h - 1][i] == 8 ? 6 : 1;
			ev.intf[i].protocol = classes[h - 1][i] == 8 ? 0x50 : 1;
		}
		ev.num_intf = (uint8_t)nclasses[h - 1];
		if (send(fd, &ev, sizeof(ev), 0) != (ssize_t)sizeof(ev))
			return 1;
	}
	for (got = 0; got < 3;) {
		if (recv_msg(fd, &m) < 0) {
			fprintf(stderr, "fleet-kernel: %d of 3 verdicts\n", got);
			return 1;
		}
		if (m.op != KDEV_FAKE_VERDICT)
			continue;
		printf("%llu %u\n", (unsigned long long)m.verdict.handle, m.verdict.verdict);
		got++;
	}
	fflush(stdout);
	close(fd);
	close(lfd);
	return 0;
}
