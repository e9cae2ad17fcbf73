// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagate-probe: mediagated's media probe, a short-lived helper. The
 * daemon forks, drops every capability, sets no-new-privileges and execs
 * this with an empty environment (probe_job.c); libblkid and libcryptsetup
 * parse the medium's bytes here, never in the daemon.
 *
 *   mediagate-probe DEVICE   fd 0: optional struct ident_device of the stick
 *                            fd 3: struct probe_reply, written once
 *
 * With an identity and a LUKS medium, the organisation token is checked
 * against it too (issue 5). Not meant to be run by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "ident.h"
#include "log.h"
#include "probe.h"
#include "token.h"

/* Up to @sz bytes from fd 0 (the daemon writes them at once, then closes). */
static size_t read_input(void *buf, size_t sz)
{
	size_t n = 0;
	ssize_t r;

	while (n < sz) {
		r = read(0, (char *)buf + n, sz - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

/* The identity came from the daemon, but its strings from the device. */
static void terminate_strings(struct ident_device *d)
{
	d->name[sizeof(d->name) - 1] = '\0';
	d->port[sizeof(d->port) - 1] = '\0';
	d->manufacturer[sizeof(d->manufacturer) - 1] = '\0';
	d->product[sizeof(d->product) - 1] = '\0';
	d->serial[sizeof(d->serial) - 1] = '\0';
	if (d->n_intf > IDENT_MAX_INTF)
		d->n_intf = IDENT_MAX_INTF;
}

int main(int argc, char **argv)
{
	struct probe_reply rep = {0};
	struct ident_device dev;
	bool have_dev;

	if (argc != 2) {
		fprintf(stderr, "usage: " PROBE_HELPER_NAME " DEVICE (run by mediagated)\n");
		return 2;
	}
	log_init(false, LOG_DAEMON);
	/* whatever the exec left us: nothing (the daemon dropped them already) */
	if (probe_drop_caps() < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 2;
	prctl(PR_SET_DUMPABLE, 0);
	have_dev = read_input(&dev, sizeof(dev)) == sizeof(dev);
	rep.r = probe_path(argv[1], &rep.m);
	if (rep.r == 0 && have_dev && rep.m.kind == MEDIA_LUKS) {
		terminate_strings(&dev);
		token_check_media(NULL, argv[1], &dev, &rep.m, rep.why, sizeof(rep.why));
	}
	return write(3, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 3;
}
