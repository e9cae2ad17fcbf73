// SPDX-License-Identifier: GPL-2.0-or-later
/* mediagatectl: the administrator's command line. Dispatches to cmd_*(). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nls.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{"check", cmd_check, N_("check [-v] [FILE]            check a policy file")},
	{"explain", cmd_explain,
	 N_("explain SYSFS-PATH [--policy FILE] [--media none|plain[:LABEL]|luks2:UUID...]\n"
	    "                                 the verdict for a device and the rule that decided "
	    "it")},
	{"enroll", cmd_enroll,
	 N_("enroll DEVICE --owner WHO --asset TAG [--fs exfat|vfat|ext4|none] [--yes] ...\n"
	    "                                 erase a stick and make it a registered company "
	    "medium")},
	{"register", cmd_register,
	 N_("register DEVICE --owner WHO --asset TAG ...\n"
	    "                                 register an existing LUKS2 stick")},
	{"unregister", cmd_unregister,
	 N_("unregister MEDIUM             remove a medium from the registry")},
	{"retire", cmd_retire,
	 N_("retire DEVICE [--yes]         crypto-erase a medium and mark it retired")},
	{"verify", cmd_verify,
	 N_("verify DEVICE [--org-pub F]   is it a registered medium (registry + signed token)?")},
	{"org-key", cmd_org_key,
	 N_("org-key init|show             create or show the organisation key pair")},
	{"inventory", cmd_inventory,
	 N_("inventory [--format table|csv|json] [--bom]\n"
	    "                                 every medium of the ledger")},
	{"stocktake", cmd_stocktake,
	 N_("stocktake [--unseen 90d] [--format ...]\n"
	    "                                 registered media not seen within the period")},
	{"history", cmd_history,
	 N_("history MEDIUM [--format ...]  every recorded event of one medium")},
	{"status", cmd_daemon_request,
	 N_("status                        the running daemon: policy, devices, decision times")},
	{"list", cmd_daemon_request,
	 N_("list                          devices the daemon decided and their verdicts")},
	{"allow", cmd_daemon_request,
	 N_("allow DEV [--for DURATION]    allow a present device (until unplugged, or for a\n"
	    "                                 time that survives a re-plug of the same stick)")},
	{"block", cmd_daemon_request,
	 N_("block DEV                     block a present device until it is unplugged")},
	{"reload", cmd_daemon_request,
	 N_("reload                        reload the policy (kept if the new one has errors)")},
	{"events", cmd_daemon_request,
	 N_("events [--since UNIX-TIME]    recent audit events from the daemon's ledger")},
};

static void usage(FILE *f)
{
	fprintf(f, _("usage: mediagatectl VERB [ARGS]\n\nverbs:\n"));
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", _(verbs[i].usage));
}

int main(int argc, char **argv)
{
	nls_init();
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
	fprintf(stderr, _("mediagatectl: unknown verb '%s'\n"), argv[1]);
	usage(stderr);
	return 2;
}
