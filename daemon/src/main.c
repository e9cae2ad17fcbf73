// SPDX-License-Identifier: GPL-2.0-or-later
/* mediagated: the daemon. Options, logging, signals; loop.c does the rest. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "inventory.h"
#include "kdev.h"
#include "log.h"
#include "loop.h"

#define DEFAULT_POLICY "/etc/mediagate/mediagate.conf"

static void usage(FILE *f)
{
	fprintf(f, "usage: mediagated [-d] [-v] [-c POLICY] [--dev PATH] [--db PATH] [--control "
		   "PATH]\n"
		   "\n"
		   "  -d, --foreground     stay in the foreground: diagnostics on stderr,\n"
		   "                       audit lines on stdout (and syslog)\n"
		   "  -c, --config FILE    policy (default " DEFAULT_POLICY ")\n"
		   "      --dev PATH       kernel device (default " KDEV_DEFAULT_PATH "; a Unix\n"
		   "                       socket there is taken as a fake kernel, for tests)\n"
		   "      --db PATH        inventory (default " INV_DEFAULT_PATH "; \"\": none)\n"
		   "      --control PATH   control socket (default " CONTROL_DEFAULT_PATH
		   "; \"\": none)\n"
		   "      --no-udev        watch neither block devices (no media probing)\n"
		   "                       nor mounts (tests)\n"
		   "      --no-owner-check accept a policy not owned by root (tests only)\n"
		   "      --audit-format kv|json  audit lines to syslog as key=value (default)\n"
		   "                       or as \"@cee: {JSON}\" with a sequence number, for\n"
		   "                       the central ledger (policy/fleet/)\n"
		   "  -v, --verbose        debug diagnostics\n");
}

/* --ctl REQUEST: one request to a running daemon, its reply on stdout (a
 * stopgap until mediagatectl carries the control verbs; scripts use it). */
static int ctl_client(const char *path, const char *request)
{
	char err[256] = "";
	int r;

	r = control_request(path, request, stdout, err, sizeof(err));
	if (r == -EREMOTEIO || r == -EPERM) {
		fprintf(stderr, "mediagated: %s\n", err);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "mediagated: %s: %s\n", path ? path : CONTROL_DEFAULT_PATH,
			strerror(-r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"dev", required_argument, NULL, 'D'},
		{"db", required_argument, NULL, 'B'},
		{"no-udev", no_argument, NULL, 'U'},
		{"control", required_argument, NULL, 'S'},
		{"ctl", required_argument, NULL, 'C'},
		{"no-owner-check", no_argument, NULL, 'O'},
		{"verbose", no_argument, NULL, 'v'},
		{"audit-format", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct loop_config cfg = {
		.policy_path = DEFAULT_POLICY,
		.check_owner = true,
		.watch_block = true,
		.signals = true,
		.watch_mounts = true,
	};
	bool foreground = false, verbose = false;
	const char *ctl_request = NULL;
	struct loop *l = NULL;
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "dc:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			foreground = true;
			break;
		case 'c':
			cfg.policy_path = optarg;
			break;
		case 'D':
			cfg.dev_path = optarg;
			break;
		case 'B':
			cfg.db_path = optarg;
			break;
		case 'S':
			cfg.control_path = optarg;
			break;
		case 'C':
			ctl_request = optarg;
			break;
		case 'U':
			cfg.watch_block = false;
			cfg.watch_mounts = false;
			break;
		case 'O':
			cfg.check_owner = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'A':
			if (strcmp(optarg, "json") && strcmp(optarg, "kv")) {
				fprintf(stderr, "mediagated: --audit-format: kv or json\n");
				return 2;
			}
			log_audit_json(!strcmp(optarg, "json"));
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (ctl_request)
		return ctl_client(cfg.control_path, ctl_request);
	log_init(foreground, LOG_DAEMON);
	if (verbose)
		log_set_max_level(LOG_DEBUG);

	/* signals are read from a signalfd in the loop */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = loop_new(&cfg, &l);
	if (r < 0) {
		log_errno(r, "startup failed");
		sd_notifyf(0, "STATUS=startup failed: %s\nERRNO=%d", strerror(-r), -r);
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=deciding");
	log_info("ready: policy %s", cfg.policy_path);
	r = loop_run(l);
	sd_notify(0, "STOPPING=1");
	loop_free(l);
	if (r < 0) {
		log_errno(r, "stopped on error");
		return 1;
	}
	return 0;
}
