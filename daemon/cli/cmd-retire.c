// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl retire DEVICE [--yes] [--registry F] [--policy F] [--inventory F]
 *     [--usb-id VVVV:PPPP --usb-serial S]
 *
 * Crypto-erase before disposal (overwriting flash is not reliable; destroying
 * the only copies of the wrapped volume key is): every keyslot destroyed,
 * the whole header area overwritten, then libblkid must find no LUKS
 * signature. The medium is marked retired in the registry (a retired stick
 * that comes back is never "registered") and in the inventory, and logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "cli.h"
#include "inventory.h"
#include "luksadm.h"
#include "macro.h"
#include "nls.h"
#include "probe.h"
#include "registry_write.h"
#include "strutil.h"

static void retire_usage(FILE *f)
{
	fputs(_("usage: mediagatectl retire DEVICE [--yes] [--registry F] [--policy F] "
		"[--inventory F]\n"
		"         [--usb-id VVVV:PPPP --usb-serial S]\n"
		"  Crypto-erase DEVICE (all keyslots and the LUKS2 header) and mark it retired.\n"),
	      f);
}

int cmd_retire(int argc, char **argv)
{
	const char *reg_opt = NULL, *policy = NULL, *inventory = INV_DEFAULT_PATH;
	const char *usb_id = NULL, *usb_serial = NULL, *device, *registry;
	bool yes = false, have_dev, have_entry = false;
	const struct admin_option opts[] = {
		{"yes", .flag = &yes, .letter = 'y'}, {"registry", .arg = &reg_opt},
		{"policy", .arg = &policy},	      {"inventory", .arg = &inventory},
		{"usb-id", .arg = &usb_id},	      {"usb-serial", .arg = &usb_serial},
	};
	struct diag_list diags = {0};
	struct registry *reg = NULL;
	const struct registry_entry *found;
	struct registry_entry e = {0};
	struct ident_device dev = {0};
	struct media_info m, gone = {.kind = MEDIA_NONE};
	char why[512], regbuf[4096], line[1024], today[16];
	int r, n, ret = 0;

	r = admin_parse(argc, argv, &(struct admin_verb){.usage = retire_usage, .operands = 1},
			opts, ARRAY_SIZE(opts), &device);
	if (r >= 0)
		return r;
	r = luksadm_check_target(device, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, _("mediagatectl retire: refusing %s: %s\n"), device, why);
		return 1;
	}
	r = probe_path(device, &m);
	if (r < 0 || m.kind != MEDIA_LUKS || m.luks_version != 2) {
		fprintf(stderr, _("mediagatectl retire: %s has no LUKS2 header to erase\n"),
			device);
		return 1;
	}
	have_dev = admin_device_ident(device, usb_id, usb_serial, &dev) >= 0;
	registry = admin_registry_path(reg_opt, policy, regbuf, sizeof(regbuf));
	if (registry_load(registry, &reg, &diags) >= 0) {
		found = registry_find_uuid(reg, m.luks_uuid);
		if (found) {
			e = *found;
			have_entry = true;
		}
	}
	registry_free(reg);
	diag_list_free(&diags);
	if (!have_entry)
		fprintf(stderr,
			_("mediagatectl retire: warning: LUKS UUID %s is not in the registry "
			  "%s; erasing it anyway\n"),
			m.luks_uuid, registry);
	if (!yes) {
		char q[1024];

		snprintf(q, sizeof(q),
			 _("This destroys every key of %s (medium %s); its data becomes "
			   "unreadable for good.\nType 'yes' to continue: "),
			 device, have_entry ? e.medium_id : "?");
		if (!admin_confirm(q)) {
			fprintf(stderr,
				_("mediagatectl retire: not confirmed; nothing was changed\n"));
			return 1;
		}
	}
	n = luksadm_erase(device);
	if (n < 0) {
		fprintf(stderr, _("mediagatectl retire: crypto-erase of %s failed: %s\n"), device,
			strerror(-n));
		return 1;
	}
	admin_date(time(NULL), today);
	if (have_entry) {
		r = registry_write_retire(registry, e.medium_id, today, &diags);
		if (r < 0 && r != -EALREADY) {
			diag_print(&diags, stderr);
			fprintf(stderr, _("mediagatectl: cannot update the registry %s: %s\n"),
				registry, strerror(-r));
			ret = 1;
		} else {
			admin_tell_daemon(registry);
		}
		diag_list_free(&diags);
	}
	snprintf(line, sizeof(line),
		 "event=retire medium=\"%s\" uuid=%s keyslots_destroyed=%d header=wiped "
		 "luks_signature=none uid=%u",
		 have_entry ? e.medium_id : "", m.luks_uuid, n, (unsigned)getuid());
	admin_audit(line);
	if (!have_dev && have_entry) {
		dev.vid = e.vid;
		dev.pid = e.pid;
		snprintf(dev.serial, sizeof(dev.serial), "%s", e.serial);
		have_dev = true;
	}
	if (have_dev && admin_inventory_event(inventory, "retire", &dev, &gone,
					      have_entry ? e.medium_id : NULL, line) < 0)
		ret = 1;
	printf(_("retired %s: %d keyslot(s) destroyed, header area wiped, no LUKS signature "
		 "left\n"),
	       have_entry ? e.medium_id : device, n);
	return ret;
}
