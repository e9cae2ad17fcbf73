// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl verify DEVICE [--org-pub F] [--registry F] [--policy F]
 *     [--usb-id VVVV:PPPP --usb-serial S]
 *
 * Is this stick a registered company medium? The same two checks the
 * daemon makes (read-only): the registry check (LUKS UUID in the registry,
 * not retired, USB identity as enrolled, encryption as the policy requires)
 * and the organisation token (signed by our key, made for this header and
 * this USB stick). Prints "registered: ..." and exits 0, or
 * "not registered: <reason>" and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"
#include "macro.h"
#include "nls.h"
#include "orgkey.h"
#include "probe.h"
#include "registry.h"
#include "token.h"

static void verify_usage(FILE *f)
{
	fputs(_("usage: mediagatectl verify DEVICE [--org-pub F] [--registry F] [--policy F]\n"
		"         [--usb-id VVVV:PPPP --usb-serial S]\n"
		"  Check that DEVICE is a registered company medium (registry and signed "
		"token).\n"),
	      f);
}

static int not_registered(const char *why)
{
	printf(_("not registered: %s\n"), why);
	return 1;
}

int cmd_verify(int argc, char **argv)
{
	const char *pub_path = ORGKEY_DEFAULT_PUBLIC, *reg_opt = NULL, *policy = NULL;
	const char *usb_id = NULL, *usb_serial = NULL, *device, *registry;
	const struct admin_option opts[] = {
		{"org-pub", .arg = &pub_path},	    {"registry", .arg = &reg_opt},
		{"policy", .arg = &policy},	    {"usb-id", .arg = &usb_id},
		{"usb-serial", .arg = &usb_serial},
	};
	_cleanup_free_ char *json = NULL;
	struct registry *reg = NULL;
	struct policy *p = NULL;
	struct orgkey *pub = NULL;
	struct ident_device dev;
	struct media_info m;
	char why[512], regbuf[4096];
	int r, ret = 1;

	r = admin_parse(argc, argv, &(struct admin_verb){.usage = verify_usage, .operands = 1},
			opts, ARRAY_SIZE(opts), &device);
	if (r >= 0)
		return r;
	r = admin_device_ident(device, usb_id, usb_serial, &dev);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl verify: no USB identity for %s: %s\n"), device,
			strerror(-r));
		return 2;
	}
	r = orgkey_load_public(pub_path, &pub);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl verify: cannot load the organisation key %s: %s\n"),
			pub_path, strerror(-r));
		return 2;
	}
	if (policy && admin_load_policy(policy, &p) < 0)
		goto out;
	registry = admin_registry_path(reg_opt, policy, regbuf, sizeof(regbuf));
	if (admin_load_registry(registry, false, &reg) < 0)
		goto out;
	r = probe_path(device, &m);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl verify: cannot read %s: %s\n"), device,
			strerror(-r));
		goto out;
	}
	if (!registry_check(reg, &dev, &m, p ? policy_encryption(p) : NULL, NULL, why,
			    sizeof(why))) {
		ret = not_registered(why);
		goto out;
	}
	printf(_("registry: %s\n"), why);
	r = probe_token_json(device, TOKEN_TYPE, &json);
	if (r < 0) {
		ret = not_registered(_("no organisation token in the LUKS2 header"));
		goto out;
	}
	r = token_verify_for_device(json, strlen(json), pub, &dev, m.luks_uuid, NULL, why,
				    sizeof(why));
	if (r < 0) {
		ret = not_registered(why);
		goto out;
	}
	printf(_("registered: %s\n"), why);
	ret = 0;
out:
	registry_free(reg);
	policy_free(p);
	orgkey_free(pub);
	return ret;
}
