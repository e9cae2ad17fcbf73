// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl enroll DEVICE --owner WHO --asset TAG [--label L]
 *     [--fs exfat|vfat|ext4|none] [--yes] [--key-file F] [--medium-id ID]
 *     [--registry F] [--policy F] [--org-key F] [--inventory F]
 *     [--usb-id VVVV:PPPP --usb-serial S]      (image files only)
 *
 * Turns a blank stick into a company medium: refuses a mounted or system
 * disk, asks for confirmation, formats LUKS2 with the policy's cipher and
 * key size (argon2id), stores the signed organisation token in the header,
 * makes the filesystem inside, adds the registry line and the inventory row,
 * and logs to syslog.
 *
 * The filesystem step opens the new container through device-mapper, which
 * needs root and dm-crypt. Where that is impossible (an image file in an
 * unprivileged test, a container without device-mapper) enroll stops before
 * the registry line with an error saying so; `--fs none` enrols without a
 * filesystem (header, token, registry and inventory only) and the
 * filesystem can be made later after opening the medium.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "cli.h"
#include "inventory.h"
#include "luksadm.h"
#include "macro.h"
#include "nls.h"
#include "orgkey.h"
#include "policy.h"
#include "registry.h"
#include "strutil.h"
#include "token.h"

#define ENROLL_MIN_PASS 8

static void enroll_usage(FILE *f)
{
	fputs(_("usage: mediagatectl enroll DEVICE --owner WHO --asset TAG [--label L]\n"
		"         [--fs exfat|vfat|ext4|none] [--yes] [--key-file F] [--medium-id ID]\n"
		"         [--registry F] [--policy F] [--org-key F] [--inventory F]\n"
		"         [--usb-id VVVV:PPPP --usb-serial S]\n"
		"  Erase DEVICE and make it a registered company medium (LUKS2 + signed token).\n"
		"  The passphrase is asked on the terminal, or read from --key-file.\n"
		"  --usb-id/--usb-serial give the USB identity of an image file (tests).\n"),
	      f);
}

/* Run mkfs.@fs on @dev with @label; 0 or -errno / -EIO on failure. */
static int run_mkfs(const char *fs, const char *dev, const char *label)
{
	char prog[32];
	const char *argv[8];
	int n = 0, st;
	pid_t pid;

	snprintf(prog, sizeof(prog), "mkfs.%s", fs);
	argv[n++] = prog;
	if (!strcmp(fs, "ext4"))
		argv[n++] = "-q";
	if (label && *label) {
		argv[n++] = !strcmp(fs, "vfat") ? "-n" : "-L";
		argv[n++] = label;
	}
	argv[n++] = dev;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(prog, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static bool valid_label(const char *fs, const char *label)
{
	size_t max = !strcmp(fs, "vfat") ? 11 : !strcmp(fs, "exfat") ? 15 : 16;
	size_t n = strlen(label);

	if (n > max || !str_is_clean(label, n))
		return false;
	return strspn(label,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-. ") == n;
}

/* Open the new container and make the filesystem inside. */
static int make_filesystem(const char *device, const char *fs, const char *label, const char *pass,
			   size_t pass_len)
{
	char name[64], node[96];
	int r;

	snprintf(name, sizeof(name), "mediagate-enroll-%d", (int)getpid());
	snprintf(node, sizeof(node), "/dev/mapper/%s", name);
	r = luksadm_activate(device, name, pass, pass_len);
	if (r < 0) {
		fprintf(stderr,
			_("mediagatectl enroll: cannot open the new LUKS2 container to make the "
			  "filesystem (%s); this needs root and dm-crypt.\n"
			  "The header is written but the medium is NOT enrolled. Run again where "
			  "device-mapper works, or use --fs none.\n"),
			strerror(-r));
		return r;
	}
	r = run_mkfs(fs, node, label);
	if (r < 0)
		fprintf(stderr, _("mediagatectl enroll: mkfs.%s failed on %s\n"), fs, node);
	luksadm_deactivate(name);
	return r;
}

struct enroll_opts {
	const char *device, *owner, *asset, *label, *fs, *key_file, *medium_id;
	const char *registry, *policy, *org_key, *inventory, *usb_id, *usb_serial;
	bool yes;
};

static void unknown_option(const char *opt)
{
	fprintf(stderr, _("mediagatectl enroll: unknown option '%s'\n"), opt);
}

static int parse(int argc, char **argv, struct enroll_opts *o)
{
	const struct admin_option opts[] = {
		{"owner", .arg = &o->owner, .required = true},
		{"asset", .arg = &o->asset, .required = true},
		{"label", .arg = &o->label},
		{"fs", .arg = &o->fs},
		{"yes", .flag = &o->yes, .letter = 'y'},
		{"key-file", .arg = &o->key_file},
		{"medium-id", .arg = &o->medium_id},
		{"registry", .arg = &o->registry},
		{"policy", .arg = &o->policy},
		{"org-key", .arg = &o->org_key},
		{"inventory", .arg = &o->inventory},
		{"usb-id", .arg = &o->usb_id},
		{"usb-serial", .arg = &o->usb_serial},
	};
	static const struct admin_verb verb = {
		.usage = enroll_usage, .unknown = unknown_option, .operands = 1};
	int r;

	*o = (struct enroll_opts){.fs = "exfat",
				  .policy = MEDIAGATE_DEFAULT_POLICY,
				  .org_key = ORGKEY_DEFAULT_PRIVATE,
				  .inventory = INV_DEFAULT_PATH};
	r = admin_parse(argc, argv, &verb, opts, ARRAY_SIZE(opts), &o->device);
	if (r >= 0)
		return r;
	if (strcmp(o->fs, "exfat") && strcmp(o->fs, "vfat") && strcmp(o->fs, "ext4") &&
	    strcmp(o->fs, "none")) {
		fprintf(stderr, _("mediagatectl enroll: unknown filesystem '%s'\n"), o->fs);
		return 2;
	}
	if (o->label && strcmp(o->fs, "none") && !valid_label(o->fs, o->label)) {
		fprintf(stderr, _("mediagatectl enroll: label not usable for %s\n"), o->fs);
		return 2;
	}
	if (o->medium_id && !token_valid_medium_id(o->medium_id)) {
		fprintf(stderr,
			_("mediagatectl enroll: bad medium id (1-63 of A-Z a-z 0-9 . _ -)\n"));
		return 2;
	}
	if (strlen(o->owner) >= 128 || strlen(o->asset) >= 64 ||
	    !str_is_clean(o->owner, strlen(o->owner)) ||
	    !str_is_clean(o->asset, strlen(o->asset))) {
		fprintf(stderr,
			_("mediagatectl enroll: owner or asset too long or not clean text\n"));
		return 2;
	}
	return -1;
}

/* Refuse a USB identity that is enrolled already and still in service. */
static int check_not_enrolled(const char *registry, const struct ident_device *dev)
{
	struct registry *reg = NULL;
	int r = admin_load_registry(registry, true, &reg), ret = 0;

	if (r < 0)
		return r;
	for (size_t i = 0; i < registry_count(reg); i++) {
		const struct registry_entry *e = registry_entry_at(reg, i);

		if (!e->retired[0] && e->vid == dev->vid && e->pid == dev->pid &&
		    !strcmp(e->serial, dev->serial)) {
			fprintf(stderr,
				_("mediagatectl enroll: this stick is enrolled already as %s; "
				  "retire it first\n"),
				e->medium_id);
			ret = -EEXIST;
			break;
		}
	}
	registry_free(reg);
	return ret;
}

int cmd_enroll(int argc, char **argv)
{
	struct enroll_opts o;
	struct policy *p = NULL;
	struct orgkey *key = NULL;
	struct ident_device dev;
	const struct policy_encryption *enc;
	struct luksadm_format_params fp = {0};
	char why[512], regbuf[4096], uuid[40], medium_id[64], esc[1024];
	const char *registry;
	char *pass = NULL;
	size_t pass_len = 0;
	int r, ret = 1;

	r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	if (luksadm_weak_pbkdf())
		fprintf(stderr,
			_("mediagatectl: WARNING: %s is set: weak test-only key "
			  "derivation\n"),
			LUKSADM_WEAK_PBKDF_ENV);
	r = luksadm_check_target(o.device, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, _("mediagatectl enroll: refusing %s: %s\n"), o.device, why);
		return 1;
	}
	r = admin_device_ident(o.device, o.usb_id, o.usb_serial, &dev);
	if (r < 0) {
		if (r == -EDESTADDRREQ)
			fprintf(stderr,
				_("mediagatectl enroll: %s is an image file: give "
				  "--usb-id and --usb-serial\n"),
				o.device);
		else
			fprintf(stderr, _("mediagatectl enroll: no USB identity for %s: %s\n"),
				o.device, strerror(-r));
		return 1;
	}
	if (admin_load_policy(o.policy, &p) < 0)
		return 1;
	enc = policy_encryption(p);
	fp.cipher = enc && enc->cipher[0] ? enc->cipher : "aes-xts-plain64";
	fp.key_bits = enc && enc->min_key_bits ? enc->min_key_bits : 512;
	fp.label = o.label;
	registry = admin_registry_path(o.registry, o.policy, regbuf, sizeof(regbuf));
	r = orgkey_load_private(o.org_key, &key);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl enroll: cannot load the organisation key %s: %s\n"),
			o.org_key, strerror(-r));
		goto out;
	}
	if (check_not_enrolled(registry, &dev) < 0)
		goto out;
	if (!o.yes) {
		char q[1024];

		str_escape(esc, sizeof(esc), dev.serial, strlen(dev.serial), true);
		snprintf(q, sizeof(q),
			 _("This ERASES everything on %s (USB %04x:%04x serial \"%s\").\n"
			   "Type 'yes' to continue: "),
			 o.device, dev.vid, dev.pid, esc);
		if (!admin_confirm(q)) {
			fprintf(stderr, _("mediagatectl enroll: not confirmed; nothing was "
					  "changed\n"));
			goto out;
		}
	}
	r = admin_read_passphrase(o.key_file, true, &pass, &pass_len);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl enroll: no passphrase: %s\n"), strerror(-r));
		goto out;
	}
	if (pass_len < ENROLL_MIN_PASS) {
		fprintf(stderr,
			_("mediagatectl enroll: the passphrase is too short (at least %d bytes)\n"),
			ENROLL_MIN_PASS);
		goto out;
	}
	r = luksadm_format(o.device, &fp, pass, pass_len, uuid);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl enroll: LUKS2 format of %s failed: %s\n"), o.device,
			strerror(-r));
		goto out;
	}
	admin_medium_id(o.medium_id, uuid, medium_id);
	if (strcmp(o.fs, "none")) {
		r = make_filesystem(o.device, o.fs, o.label, pass, pass_len);
		if (r < 0)
			goto out;
	}
	r = admin_register_medium(&(struct admin_medium){.event = "enroll",
							 .device = o.device,
							 .dev = &dev,
							 .luks_uuid = uuid,
							 .medium_id = medium_id,
							 .owner = o.owner,
							 .asset = o.asset,
							 .registry = registry,
							 .inventory = o.inventory,
							 .key = key});
	if (r < 0)
		goto out;
	printf(_("enrolled %s: LUKS2 %s (%s, %u-bit key), USB %04x:%04x, owner \"%s\", asset "
		 "\"%s\"\n"),
	       medium_id, uuid, fp.cipher, fp.key_bits, dev.vid, dev.pid, o.owner, o.asset);
	if (!strcmp(o.fs, "none"))
		printf(_("no filesystem was made (--fs none)\n"));
	ret = r ? 1 : 0; /* an inventory failure was reported above */
out:
	admin_free_passphrase(pass, pass_len);
	orgkey_free(key);
	policy_free(p);
	return ret;
}
