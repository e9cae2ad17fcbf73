// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl status | list | allow DEV [--for DURATION] | block DEV |
 * reload | events [--since UNIX-TIME]: requests to the running mediagated
 * over its control socket (control.h). The daemon checks who asks (root or
 * group mediagate); this side only builds the request line and prints the
 * reply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "nls.h"

/* Join @argv (argv[0] = the verb) into one request line, leaving out a
 * "--control PATH" pair wherever it is. 0, or -EINVAL for a line that does
 * not fit or a word with a blank in it (the daemon splits on blanks). */
static int build_request(int argc, char **argv, const char **ret_path, char *buf, size_t sz)
{
	size_t len = 0;

	*ret_path = NULL;
	buf[0] = '\0';
	for (int w = 0; w < argc; w++) {
		int n;

		if (w > 0 && !strcmp(argv[w], "--control")) {
			if (w + 1 >= argc)
				return -EINVAL;
			*ret_path = argv[++w];
			continue;
		}
		if (!*argv[w] || strpbrk(argv[w], " \t\r\n"))
			return -EINVAL;
		n = snprintf(buf + len, sz - len, "%s%s", len ? " " : "", argv[w]);
		if (n < 0 || (size_t)n >= sz - len)
			return -EINVAL;
		len += (size_t)n;
	}
	return 0;
}

int cmd_daemon_request(int argc, char **argv)
{
	char req[CONTROL_LINE_MAX], err[256] = "";
	const char *path;
	int r;

	if (build_request(argc, argv, &path, req, sizeof(req)) < 0) {
		fprintf(stderr, _("mediagatectl: bad arguments for '%s'\n"), argv[0]);
		return 2;
	}
	r = control_request(path, req, stdout, err, sizeof(err));
	if (r == -EPERM) {
		fprintf(stderr, _("mediagatectl: permission denied (root or group %s only)\n"),
			CONTROL_GROUP);
		return 1;
	}
	if (r == -EREMOTEIO) {
		fprintf(stderr, "mediagatectl: %s\n", err);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, _("mediagatectl: cannot reach mediagated at %s: %s\n"),
			path ? path : CONTROL_DEFAULT_PATH, strerror(-r));
		return 1;
	}
	return 0;
}
