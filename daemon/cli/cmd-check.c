// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl check [-v] [FILE]: parse a policy the way the daemon would
 * (root-owned, not group/world-writable) and say "policy OK", or print every
 * diagnostic. -v also prints the canonical form.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "nls.h"
#include "policy.h"

static void check_usage(FILE *f)
{
	fprintf(f,
		_("usage: mediagatectl check [-v] [FILE]\n"
		  "  Check a policy file (default %s).\n"
		  "  -v  also print the canonical form\n"),
		MEDIAGATE_DEFAULT_POLICY);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct diag_list diags = {0};
	struct policy *p = NULL;
	const char *path = MEDIAGATE_DEFAULT_POLICY;
	bool verbose = false;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			fprintf(stderr, _("mediagatectl check: unknown option '%s'\n"),
				argv[optind - 1]);
			check_usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, _("mediagatectl check: too many arguments\n"));
		check_usage(stderr);
		return 2;
	}
	if (optind < argc)
		path = argv[optind];

	r = policy_load(path, true, &p, &diags);
	if (r < 0) {
		diag_print(&diags, stderr);
		if (diags.n == 0)
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		diag_list_free(&diags);
		return 1;
	}
	if (verbose)
		policy_print(p, stdout);
	printf(_("policy OK\n"));
	policy_free(p);
	diag_list_free(&diags);
	return fflush(stdout) == 0 ? 0 : 1;
}
