// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl register DEVICE --owner WHO --asset TAG [--medium-id ID]
 *     [--key-file F] [--registry F] [--policy F] [--org-key F] [--inventory F]
 *     [--usb-id VVVV:PPPP --usb-serial S]
 *   An existing LUKS2 stick becomes a company medium without reformatting:
 *   its encryption must meet the policy, the passphrase must open it (proof
 *   that the administrator holds it); then the signed token goes into the
 *   header and the registry line and inventory row are added.
 *
 * mediagatectl unregister MEDIUM [--registry F] [--policy F] [--inventory F]
 *   Remove a medium (id or LUKS UUID) from the registry; the stick keeps its
 *   data and is treated as any unregistered LUKS2 stick from then on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "cli.h"
#include "inventory.h"
#include "luksadm.h"
#include "macro.h"
#include "nls.h"
#include "orgkey.h"
#include "probe.h"
#include "registry_write.h"
#include "strutil.h"
#include "token.h"

static void register_usage(FILE *f)
{
	fputs(_("usage: mediagatectl register DEVICE --owner WHO --asset TAG [--medium-id ID]\n"
		"         [--key-file F] [--registry F] [--policy F] [--org-key F] [--inventory "
		"F]\n"
		"         [--usb-id VVVV:PPPP --usb-serial S]\n"
		"  Register an existing LUKS2 stick (needs its passphrase).\n"),
	      f);
}

static void unregister_usage(FILE *f)
{
	fputs(_("usage: mediagatectl unregister MEDIUM [--registry F] [--policy F] [--inventory "
		"F]\n"
		"  Remove a medium (id or LUKS UUID) from the registry.\n"),
	      f);
}

/* The stick's encryption against `set encryption`: NULL if it is enough. */
static const char *weak_encryption(const struct media_info *m, const struct policy_encryption *enc)
{
	if (m->kind != MEDIA_LUKS || m->luks_version != 2)
		return _("not a LUKS2 medium");
	if (enc && enc->cipher[0] && strcmp(m->cipher, enc->cipher))
		return _("its cipher is not the one the policy requires");
	if (enc && m->key_bits < enc->min_key_bits)
		return _("its key is shorter than the policy requires");
	return NULL;
}

int cmd_register(int argc, char **argv)
{
	const char *owner = NULL, *asset = NULL, *mid = NULL, *key_file = NULL, *reg_opt = NULL;
	const char *policy = MEDIAGATE_DEFAULT_POLICY, *org_key = ORGKEY_DEFAULT_PRIVATE;
	const char *inventory = INV_DEFAULT_PATH, *usb_id = NULL, *usb_serial = NULL, *device, *why;
	const struct admin_option opts[] = {
		{"owner", .arg = &owner, .required = true},
		{"asset", .arg = &asset, .required = true},
		{"medium-id", .arg = &mid},
		{"key-file", .arg = &key_file},
		{"registry", .arg = &reg_opt},
		{"policy", .arg = &policy},
		{"org-key", .arg = &org_key},
		{"inventory", .arg = &inventory},
		{"usb-id", .arg = &usb_id},
		{"usb-serial", .arg = &usb_serial},
	};
	struct policy *p = NULL;
	struct orgkey *key = NULL;
	struct ident_device dev;
	struct media_info m;
	char wbuf[512], regbuf[4096], medium_id[64];
	char *pass = NULL;
	size_t pass_len = 0;
	int r, ret = 1;

	r = admin_parse(argc, argv, &(struct admin_verb){.usage = register_usage, .operands = 1},
			opts, ARRAY_SIZE(opts), &device);
	if (r >= 0)
		return r;
	if (!owner || !asset || (mid && !token_valid_medium_id(mid)) || strlen(owner) >= 128 ||
	    strlen(asset) >= 64 || !str_is_clean(owner, strlen(owner)) ||
	    !str_is_clean(asset, strlen(asset))) {
		fprintf(stderr, _("mediagatectl register: bad medium id, owner or asset\n"));
		return 2;
	}
	r = luksadm_check_target(device, wbuf, sizeof(wbuf));
	if (r < 0) {
		fprintf(stderr, _("mediagatectl register: refusing %s: %s\n"), device, wbuf);
		return 1;
	}
	r = admin_device_ident(device, usb_id, usb_serial, &dev);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl register: no USB identity for %s: %s\n"), device,
			strerror(-r));
		return 1;
	}
	if (admin_load_policy(policy, &p) < 0)
		return 1;
	r = probe_path(device, &m);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl register: cannot read %s: %s\n"), device,
			strerror(-r));
		goto out;
	}
	why = weak_encryption(&m, policy_encryption(p));
	if (why) {
		fprintf(stderr, _("mediagatectl register: %s cannot be registered: %s\n"), device,
			why);
		goto out;
	}
	r = orgkey_load_private(org_key, &key);
	if (r < 0) {
		fprintf(stderr,
			_("mediagatectl register: cannot load the organisation key %s: %s\n"),
			org_key, strerror(-r));
		goto out;
	}
	r = admin_read_passphrase(key_file, false, &pass, &pass_len);
	if (r >= 0)
		r = luksadm_check_passphrase(device, pass, pass_len);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl register: the passphrase does not open %s\n"),
			device);
		goto out;
	}
	admin_medium_id(mid, m.luks_uuid, medium_id);
	r = admin_register_medium(&(struct admin_medium){
		.event = "register",
		.device = device,
		.dev = &dev,
		.luks_uuid = m.luks_uuid,
		.medium_id = medium_id,
		.owner = owner,
		.asset = asset,
		.registry = admin_registry_path(reg_opt, policy, regbuf, sizeof(regbuf)),
		.inventory = inventory,
		.key = key});
	if (r < 0)
		goto out;
	printf(_("registered %s: LUKS2 %s, USB %04x:%04x, owner \"%s\", asset \"%s\"\n"), medium_id,
	       m.luks_uuid, dev.vid, dev.pid, owner, asset);
	ret = r ? 1 : 0;
out:
	admin_free_passphrase(pass, pass_len);
	orgkey_free(key);
	policy_free(p);
	return ret;
}

int cmd_unregister(int argc, char **argv)
{
	const char *reg_opt = NULL, *policy = NULL, *inventory = INV_DEFAULT_PATH, *registry,
		   *medium;
	const struct admin_option opts[] = {
		{"registry", .arg = &reg_opt},
		{"policy", .arg = &policy},
		{"inventory", .arg = &inventory},
	};
	struct diag_list diags = {0};
	struct registry *reg = NULL;
	const struct registry_entry *found;
	struct registry_entry e;
	struct ident_device dev = {0};
	char regbuf[4096], line[1024], a[512];
	int r;

	r = admin_parse(argc, argv, &(struct admin_verb){.usage = unregister_usage, .operands = 1},
			opts, ARRAY_SIZE(opts), &medium);
	if (r >= 0)
		return r;
	registry = admin_registry_path(reg_opt, policy, regbuf, sizeof(regbuf));
	if (admin_load_registry(registry, false, &reg) < 0)
		return 1;
	found = registry_find_medium(reg, medium);
	if (!found)
		found = registry_find_uuid(reg, medium);
	if (!found) {
		fprintf(stderr, _("mediagatectl unregister: %s is not in the registry %s\n"),
			admin_esc(a, sizeof(a), medium), registry);
		registry_free(reg);
		return 1;
	}
	e = *found;
	registry_free(reg);
	r = registry_write_remove(registry, e.medium_id, &diags);
	if (r < 0) {
		diag_print(&diags, stderr);
		diag_list_free(&diags);
		fprintf(stderr, _("mediagatectl: cannot update the registry %s: %s\n"), registry,
			strerror(-r));
		return 1;
	}
	diag_list_free(&diags);
	snprintf(line, sizeof(line),
		 "event=unregister medium=\"%s\" uuid=%s id=%04x:%04x serial=\"%s\" uid=%u",
		 e.medium_id, e.luks_uuid, e.vid, e.pid, admin_esc(a, sizeof(a), e.serial),
		 (unsigned)getuid());
	admin_audit(line);
	dev.vid = e.vid;
	dev.pid = e.pid;
	snprintf(dev.serial, sizeof(dev.serial), "%s", e.serial);
	printf(_("unregistered %s\n"), e.medium_id);
	admin_tell_daemon(registry);
	return admin_inventory_event(inventory, "unregister", &dev, NULL, e.medium_id, line) < 0;
}
