// SPDX-License-Identifier: GPL-2.0-or-later
/* mediagatectl: the administrator's command line. Dispatches to cmd_*(). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{ "check", cmd_check, "check [-v] [FILE]            check a policy file" },
	{ "explain", cmd_explain,
	  "explain SYSFS-PATH [--policy FILE] [--media none|plain[:LABEL]|luks2:UUID...]\n"
	  "                                 the verdict for a device and the rule that decided it" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mediagatectl VERB [ARGS]\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mediagatectl: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
