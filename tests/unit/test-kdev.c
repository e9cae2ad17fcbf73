// SPDX-License-Identifier: GPL-2.0-or-later
/* kdev: record validation, opening, and what goes out over the fake kernel. */
#include <errno.h>
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

#include "kdev.h"

static void good_held(struct mediagate_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = MEDIAGATE_EV_HELD;
	ev->seq = 1;
	ev->handle = 7;
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->num_intf = 1;
	strcpy(ev->devpath, "2-1");
}

static void test_event_check(void **state)
{
	struct mediagate_event ev;

	(void)state;
	good_held(&ev);
	assert_int_equal(kdev_event_check(&ev), 0);
	ev.size--;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	good_held(&ev);
	ev.abi = 2;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	good_held(&ev);
	ev.type = 0;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	ev.type = MEDIAGATE_EV_MAX + 1;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	good_held(&ev);
	ev.handle = 0;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	ev.type = MEDIAGATE_EV_OVERFLOW; /* the one record without a handle */
	assert_int_equal(kdev_event_check(&ev), 0);
	good_held(&ev);
	ev.num_intf = MEDIAGATE_MAX_INTF + 1;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	good_held(&ev);
	ev.verdict = MEDIAGATE_VERDICT_MAX + 1;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	good_held(&ev);
	ev.level = 0;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	ev.type = MEDIAGATE_EV_REMOVED; /* level only matters for holds */
	assert_int_equal(kdev_event_check(&ev), 0);
	/* PRESENT: a level, and a verdict in force */
	good_held(&ev);
	ev.type = MEDIAGATE_EV_PRESENT;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);
	ev.verdict = MEDIAGATE_VERDICT_READONLY;
	assert_int_equal(kdev_event_check(&ev), 0);
	ev.level = 0;
	assert_int_equal(kdev_event_check(&ev), -EBADMSG);

	/* unterminated strings are cut, not read past */
	good_held(&ev);
	memset(ev.serial, 'A', sizeof(ev.serial));
	memset(ev.devpath, '1', sizeof(ev.devpath));
	memset(ev.driver, 'd', sizeof(ev.driver));
	memset(ev.product, 'p', sizeof(ev.product));
	memset(ev.manufacturer, 'm', sizeof(ev.manufacturer));
	assert_int_equal(kdev_event_check(&ev), 0);
	assert_int_equal(strlen(ev.serial), sizeof(ev.serial) - 1);
	assert_int_equal(strlen(ev.devpath), sizeof(ev.devpath) - 1);
	assert_int_equal(strlen(ev.driver), sizeof(ev.driver) - 1);
	assert_int_equal(strlen(ev.product), sizeof(ev.product) - 1);
	assert_int_equal(strlen(ev.manufacturer), sizeof(ev.manufacturer) - 1);
}

static void test_open_errors(void **state)
{
	struct kdev *k = NULL;
	char path[] = "/tmp/mg-kdev-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(kdev_open("/nonexistent/mediagate", &k), -ENOENT);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* a regular file is neither the device nor a fake kernel */
	assert_int_equal(kdev_open(path, &k), -ENOTTY);
	unlink(path);
	/* a character device that is not mediagate: GET_ABI fails */
	assert_true(kdev_open("/dev/null", &k) < 0);
	assert_null(k);
}

static void test_fake_verdict_wire(void **state)
{
	char dir[] = "/tmp/mg-kdev-XXXXXX", sock[64];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t intf[MEDIAGATE_MAX_INTF] = {0};
	struct mediagate_event evs[4], ev;
	struct kdev_fake_msg m;
	struct mediagate_abi abi;
	struct kdev *k = NULL;
	size_t len = 0;
	int lfd, kfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/k", dir);
	strcpy(sa.sun_path, sock);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(kdev_open(sock, &k), 0);
	kfd = accept(lfd, NULL, NULL);
	assert_true(kdev_is_fake(k));
	assert_int_equal(kdev_get_abi(k, &abi), 0);
	assert_int_equal(abi.abi, MEDIAGATE_ABI_VERSION);
	assert_int_equal(abi.event_size, sizeof(struct mediagate_event));

	/* nothing pending: 0, not an error */
	assert_int_equal(kdev_read_events(k, evs, 4), 0);
	good_held(&ev);
	assert_int_equal(send(kfd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
	ev.handle = 8;
	assert_int_equal(send(kfd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
	usleep(10000);
	assert_int_equal(kdev_read_events(k, evs, 4), 2);
	assert_int_equal(evs[1].handle, 8);
	/* a short record is refused whole */
	assert_int_equal(send(kfd, &ev, 10, 0), 10);
	usleep(10000);
	assert_int_equal(kdev_read_events(k, evs, 4), -EBADMSG);

	/* verdicts are validated before anything leaves */
	assert_int_equal(kdev_verdict(k, 7, 0, NULL), -EINVAL);
	assert_int_equal(kdev_verdict(k, 7, MEDIAGATE_VERDICT_MAX + 1, NULL), -EINVAL);
	assert_int_equal(kdev_verdict(k, 0, MEDIAGATE_VERDICT_ALLOW, NULL), -EINVAL);
	intf[3] = 9;
	assert_int_equal(kdev_verdict(k, 7, MEDIAGATE_VERDICT_READONLY, intf), -EINVAL);
	intf[3] = MEDIAGATE_VERDICT_DENY;
	intf[0] = MEDIAGATE_VERDICT_READONLY;
	assert_int_equal(kdev_verdict(k, 7, MEDIAGATE_VERDICT_READONLY, intf), 0);
	assert_int_equal(recv(kfd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	assert_int_equal(m.op, KDEV_FAKE_VERDICT);
	assert_int_equal(m.verdict.size, sizeof(m.verdict));
	assert_int_equal(m.verdict.abi, MEDIAGATE_ABI_VERSION);
	assert_int_equal(m.verdict.handle, 7);
	assert_int_equal(m.verdict.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(m.verdict.flags, 0);
	assert_int_equal(m.verdict.reserved, 0);
	assert_memory_equal(m.verdict.intf_verdict, intf, sizeof(intf));
	assert_int_equal(kdev_replay(k), 0);
	assert_int_equal(recv(kfd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	assert_int_equal(m.op, KDEV_FAKE_REPLAY);
	assert_int_equal(kdev_list_present(k), 0);
	assert_int_equal(recv(kfd, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	assert_int_equal(m.op, KDEV_FAKE_LIST_PRESENT);
	assert_int_equal(kdev_get_descriptors(k, 7, (uint8_t *)evs, sizeof(evs), &len),
			 -EOPNOTSUPP);

	/* the fake kernel going away */
	close(kfd);
	assert_int_equal(kdev_read_events(k, evs, 4), -ECONNRESET);
	kdev_close(k);
	close(lfd);
	unlink(sock);
	rmdir(dir);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(kdev_event_type_name(MEDIAGATE_EV_HELD), "held");
	assert_string_equal(kdev_event_type_name(MEDIAGATE_EV_TAMPER), "tamper");
	assert_string_equal(kdev_event_type_name(99), "unknown");
	assert_string_equal(kdev_verdict_name(MEDIAGATE_VERDICT_READONLY), "readonly");
	assert_string_equal(kdev_verdict_name(77), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_check),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_fake_verdict_wire),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
