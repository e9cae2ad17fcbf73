// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl explain SYSFS-PATH [--policy FILE] [--registry FILE] [--media SPEC]
 *
 * What the daemon would decide for the USB device at SYSFS-PATH: its identity
 * (device strings escaped), the verdict, the deciding rule (file:line or
 * default) and why, what each interface gets, and for a given medium the
 * registration result. Read-only: it never touches the device.
 *
 * SPEC describes the medium, since explain does not probe:
 *   none | plain[:FSTYPE[:LABEL]] | luks2:UUID[:CIPHER:KEYBITS] | luks1:UUID[:CIPHER:KEYBITS]
 * Without CIPHER:KEYBITS a LUKS medium is assumed to meet `set encryption`.
 * Without --media the medium is unknown, as before the daemon has probed it.
 *
 * Exit: 0 explained, 1 policy/registry/device could not be read, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "ident.h"
#include "media.h"
#include "policy.h"
#include "registry.h"
#include "strutil.h"

#define ESC_MAX (IDENT_STR_MAX * 4 + 1)

static void explain_usage(FILE *f)
{
	fprintf(f,
		"usage: mediagatectl explain SYSFS-PATH [--policy FILE] [--registry FILE]\n"
		"                            [--media SPEC]\n"
		"  The verdict the policy gives the USB device at SYSFS-PATH (/sys/devices/...,\n"
		"  /sys/bus/usb/devices/NAME or NAME), the rule that decided it, and why.\n"
		"  --policy FILE    policy to use (default " MEDIAGATE_DEFAULT_POLICY ")\n"
		"  --registry FILE  registry of enrolled media (default: the policy's `set "
		"registry`)\n"
		"  --media SPEC     the medium on the stick (default: not probed yet):\n"
		"                   none | plain[:FSTYPE[:LABEL]] |\n"
		"                   luks2:UUID[:CIPHER:KEYBITS] | luks1:UUID[:CIPHER:KEYBITS]\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	char buf[256];

	str_escape(buf, sizeof(buf), arg, strlen(arg), true);
	fprintf(stderr, "mediagatectl explain: ");
	fprintf(stderr, fmt, buf);
	fprintf(stderr, "\n(see mediagatectl explain --help)\n");
	return 2;
}

/* Print @s escaped, in double quotes. */
static void put_str(const char *s)
{
	char buf[ESC_MAX];

	str_escape(buf, sizeof(buf), s, strlen(s), true);
	printf("\"%s\"", buf);
}

/* USB class codes (usb.org "Defined Class Codes"), for readable output. */
static const char *class_name(uint8_t cls)
{
	static const struct {
		uint8_t code;
		const char *name;
	} names[] = {
		{0x00, "per-interface"}, {0x01, "audio"},      {0x02, "comm"},
		{0x03, "hid"},		 {0x05, "physical"},   {0x06, "image"},
		{0x07, "printer"},	 {0x08, "storage"},    {0x09, "hub"},
		{0x0a, "cdc-data"},	 {0x0b, "smartcard"},  {0x0d, "content-security"},
		{0x0e, "video"},	 {0x0f, "healthcare"}, {0x10, "audio-video"},
		{0xdc, "diagnostic"},	 {0xe0, "wireless"},   {0xef, "misc"},
		{0xfe, "application"},	 {0xff, "vendor"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == cls)
			return names[i].name;
	return "other";
}

static bool valid_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* Bounded copy of @n bytes; false if it does not fit. */
static bool copy_part(char *dst, size_t dstsz, const char *s, size_t n)
{
	if (n >= dstsz)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/*
 * Parse --media SPEC into @m. Sets *ret_assumed when a LUKS medium's cipher
 * and key size were not given. Returns 0 or prints why and returns 2.
 */
static int parse_media(const char *spec, struct media_info *m, bool *ret_assumed)
{
	const char *rest, *colon;

	memset(m, 0, sizeof(*m));
	*ret_assumed = false;
	if (!strcmp(spec, "none")) {
		m->kind = MEDIA_NONE;
		return 0;
	}
	if (!strncmp(spec, "plain", 5) && (spec[5] == '\0' || spec[5] == ':')) {
		m->kind = MEDIA_PLAIN;
		if (!spec[5])
			return 0;
		rest = spec + 6;
		colon = strchr(rest, ':');
		if (!copy_part(m->fstype, sizeof(m->fstype), rest,
			       colon ? (size_t)(colon - rest) : strlen(rest)) ||
		    (colon && !copy_part(m->label, sizeof(m->label), colon + 1, strlen(colon + 1))))
			return usage_error("--media '%s': filesystem type or label too long", spec);
		return 0;
	}
	if ((!strncmp(spec, "luks2:", 6) || !strncmp(spec, "luks1:", 6))) {
		const char *uuid = spec + 6, *last;
		char *end;
		unsigned long bits;

		m->kind = MEDIA_LUKS;
		m->luks_version = spec[4] - '0';
		colon = strchr(uuid, ':');
		if (!valid_uuid(uuid, colon ? (size_t)(colon - uuid) : strlen(uuid)))
			return usage_error("--media '%s': bad LUKS UUID (want "
					   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
					   spec);
		memcpy(m->luks_uuid, uuid, 36);
		m->luks_uuid[36] = '\0';
		if (!colon) {
			*ret_assumed = true;
			return 0;
		}
		/* CIPHER may itself hold ':' (aes-cbc-essiv:sha256): KEYBITS is last. */
		last = strrchr(colon + 1, ':');
		if (!last || last == colon + 1)
			return usage_error("--media '%s': want luksN:UUID:CIPHER:KEYBITS", spec);
		errno = 0;
		bits = strtoul(last + 1, &end, 10);
		if (errno || *end || end == last + 1 || bits == 0 || bits > 65536)
			return usage_error("--media '%s': bad key size in bits", spec);
		m->key_bits = (unsigned int)bits;
		if (!copy_part(m->cipher, sizeof(m->cipher), colon + 1, (size_t)(last - colon - 1)))
			return usage_error("--media '%s': cipher name too long", spec);
		return 0;
	}
	return usage_error("--media '%s': want none, plain[:FSTYPE[:LABEL]], "
			   "luks2:UUID[:CIPHER:KEYBITS] or luks1:UUID[:CIPHER:KEYBITS]",
			   spec);
}

static void print_device(const char *path, const struct ident_device *d)
{
	printf("device: ");
	put_str(d->name);
	printf(" (");
	put_str(path);
	printf(")\n");
	printf("  id: %04x:%04x bcdDevice %x.%02x\n", d->vid, d->pid, d->bcd >> 8, d->bcd & 0xff);
	printf("  class: %02x:%02x:%02x (%s)\n", d->cls, d->subcls, d->proto, class_name(d->cls));
	if (d->speed_mbps == 1)
		printf("  speed: 1.5 Mbit/s\n");
	else if (d->speed_mbps)
		printf("  speed: %u Mbit/s\n", d->speed_mbps);
	else
		printf("  speed: unknown\n");
	printf("  connect: %s\n", ident_connect_name(d->connect));
	printf("  port: ");
	put_str(d->port);
	printf("\n  manufacturer: ");
	put_str(d->manufacturer);
	printf("\n  product: ");
	put_str(d->product);
	printf("\n  serial: ");
	put_str(d->serial);
	printf("\n");
	if (d->strings_truncated)
		printf("  strings: truncated to %d bytes\n", IDENT_STR_MAX - 1);
	if (d->have_hash) {
		printf("  descriptors-sha256: ");
		for (size_t i = 0; i < sizeof(d->desc_hash); i++)
			printf("%02x", d->desc_hash[i]);
		printf("\n");
	}
	for (unsigned int i = 0; i < d->n_intf; i++)
		printf("  interface %u: %02x:%02x:%02x (%s)\n", d->intf[i].number, d->intf[i].cls,
		       d->intf[i].subcls, d->intf[i].proto, class_name(d->intf[i].cls));
}

static void print_media(const struct media_info *m, bool given, bool assumed)
{
	printf("media: ");
	if (!given) {
		printf("not probed (give --media to explain a medium)\n");
		return;
	}
	switch (m->kind) {
	case MEDIA_NONE:
		printf("none\n");
		break;
	case MEDIA_PLAIN:
		printf("plain");
		if (m->fstype[0]) {
			printf(" ");
			put_str(m->fstype);
		}
		if (m->label[0]) {
			printf(" label ");
			put_str(m->label);
		}
		printf("\n");
		break;
	case MEDIA_LUKS:
		printf("luks%d %s cipher ", m->luks_version, m->luks_uuid);
		put_str(m->cipher);
		printf(" key %u bits%s\n", m->key_bits,
		       assumed ? " (not given: assumed to meet `set encryption`)" : "");
		break;
	default:
		printf("unknown\n");
		break;
	}
}

/* Load the registry and run the registration check. 0, or 1 after diagnostics. */
static int check_registration(const char *path, const struct policy *p,
			      const struct ident_device *dev, struct media_info *m)
{
	struct diag_list diags = {0};
	struct registry *reg = NULL;
	char why[512];
	int r;

	printf("registry: ");
	if (!path) {
		printf("none configured (no `set registry`, no --registry)\n");
		printf("registration: not registered: no registry\n");
		return 0;
	}
	put_str(path);
	printf("\n");
	r = registry_load(path, &reg, &diags);
	if (r < 0) {
		diag_print(&diags, stderr);
		if (!diags.n)
			fprintf(stderr, "mediagatectl explain: registry: %s\n", strerror(-r));
		diag_list_free(&diags);
		return 1;
	}
	registry_check(reg, dev, m, policy_encryption(p), NULL, why, sizeof(why));
	printf("registration: %s: %s\n", m->registered ? "registered" : "not registered", why);
	registry_free(reg);
	diag_list_free(&diags);
	return 0;
}

static const char *intf_verdict(enum policy_verdict v, uint8_t cls)
{
	switch (v) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_READONLY:
		return cls == USB_CLASS_CODE_STORAGE ? "readonly" : "deny";
	default:
		return "deny";
	}
}

static void print_decision(const struct policy_decision *dec, const struct ident_device *d)
{
	char buf[ESC_MAX];

	printf("verdict: %s\n", policy_verdict_name(dec->verdict));
	if (dec->is_default) {
		printf("rule: default\n");
	} else {
		str_escape(buf, sizeof(buf), dec->file ? dec->file : "?",
			   strlen(dec->file ? dec->file : "?"), true);
		printf("rule: %s:%u\n", buf, dec->line);
	}
	str_escape(buf, sizeof(buf), dec->why, strnlen(dec->why, sizeof(dec->why)), true);
	printf("why: %s\n", buf);
	if (dec->needs_media)
		printf("needs-media: yes: the stick is let in read-only, probed, then decided "
		       "again (try --media)\n");
	if (!d->n_intf)
		printf("interfaces: none listed: device-level verdict %s\n",
		       policy_verdict_name(dec->verdict));
	for (unsigned int i = 0; i < d->n_intf; i++)
		printf("interface %u: %02x:%02x:%02x %s -> %s\n", d->intf[i].number, d->intf[i].cls,
		       d->intf[i].subcls, d->intf[i].proto, class_name(d->intf[i].cls),
		       intf_verdict(dec->verdict, d->intf[i].cls));
}

static int load_policy(const char *path, bool check_owner, struct policy **ret)
{
	struct diag_list diags = {0};
	int r = policy_load(path, check_owner, ret, &diags);

	if (r < 0) {
		diag_print(&diags, stderr);
		if (!diags.n)
			fprintf(stderr, "mediagatectl explain: %s: %s\n", path, strerror(-r));
	}
	diag_list_free(&diags);
	return r;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"registry", required_argument, NULL, 'r'},
		{"media", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *policy_path = MEDIAGATE_DEFAULT_POLICY, *registry_path = NULL, *spec = NULL;
	struct policy_decision dec;
	struct ident_device dev;
	struct media_info media = {.kind = MEDIA_UNKNOWN};
	struct policy *p = NULL;
	bool explicit_policy = false, assumed = false;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			explicit_policy = true;
			break;
		case 'r':
			registry_path = optarg;
			break;
		case 'm':
			spec = optarg;
			break;
		case 'h':
			explain_usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s", argc - optind ? "give exactly one SYSFS-PATH"
						       : "missing SYSFS-PATH");
	if (spec) {
		r = parse_media(spec, &media, &assumed);
		if (r)
			return r;
	}

	r = ident_from_syspath(argv[optind], &dev);
	if (r == -ENOENT || r == -ENODEV || r == -EINVAL || r == -ENAMETOOLONG || r == -ENOTDIR)
		return usage_error("'%s' is not a USB device in sysfs", argv[optind]);
	if (r < 0) {
		char buf[256];

		str_escape(buf, sizeof(buf), argv[optind], strlen(argv[optind]), true);
		fprintf(stderr, "mediagatectl explain: %s: cannot identify the device: %s%s\n", buf,
			strerror(-r),
			r == -EBADMSG ? " (malformed descriptors: the daemon blocks such a device)"
				      : "");
		return 1;
	}

	/* The daemon refuses a policy others could have written; so does the
	 * default here. An explicit --policy is explained as it is. */
	if (load_policy(policy_path, !explicit_policy, &p) < 0)
		return 1;

	print_device(argv[optind], &dev);
	if (spec && assumed) {
		const struct policy_encryption *enc = policy_encryption(p);

		if (enc) {
			snprintf(media.cipher, sizeof(media.cipher), "%s", enc->cipher);
			media.key_bits = enc->min_key_bits;
		}
	}
	print_media(&media, spec != NULL, assumed);
	if (media.kind == MEDIA_LUKS) {
		if (!registry_path)
			registry_path = policy_registry_path(p);
		if (check_registration(registry_path, p, &dev, &media)) {
			policy_free(p);
			return 1;
		}
	}

	policy_decide(p, &dev, spec ? &media : NULL, &dec);
	print_decision(&dec, &dev);
	policy_free(p);
	return fflush(stdout) == 0 ? 0 : 1;
}
