// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fleet-emit: real mediagated audit lines for the fleet test, made by the
 * daemon's own formatters (audit.c) from a deterministic list of sightings.
 *
 *   fleet-emit [--json] [--seq N] [--time T] [--media K] [--host H]
 *              [--inventory DB] COUNT
 *
 * Event i concerns medium i % K: a verdict (even media: registered LUKS2,
 * odd: plain, read-only), then mounts and unmounts by user "user<i%7>".
 * Medium 3 has a hostile serial (quote, newline, non-ASCII). Lines go to
 * stdout, key=value or (--json) "@cee: {...}" with sequence numbers N, N+1...
 * With --inventory the same sightings are also recorded in a local
 * inventory (inv_record, host H), so local and central reports can be
 * compared.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "inventory.h"

static void make_device(unsigned int k, struct ident_device *d, struct media_info *m, char *medium,
			size_t msz)
{
	memset(d, 0, sizeof(*d));
	memset(m, 0, sizeof(*m));
	snprintf(d->name, sizeof(d->name), "1-%u", 1 + k % 4);
	d->vid = 0x0781;
	d->pid = 0x5583;
	snprintf(d->manufacturer, sizeof(d->manufacturer), "SanDisk");
	snprintf(d->product, sizeof(d->product), "Cruzer Blade");
	if (k == 3)
		snprintf(d->serial, sizeof(d->serial), "EVIL\"ser\nial\xc3\xa9");
	else
		snprintf(d->serial, sizeof(d->serial), "4C53%08u", k);
	medium[0] = '\0';
	if (k % 2 == 0) {
		m->kind = MEDIA_LUKS;
		m->luks_version = 2;
		snprintf(m->luks_uuid, sizeof(m->luks_uuid), "6f1c2a4e-0000-4000-8000-%012u", k);
		snprintf(m->cipher, sizeof(m->cipher), "aes-xts-plain64");
		m->key_bits = 512;
		m->registered = true;
		snprintf(medium, msz, "USB-%04u", k);
	} else {
		m->kind = MEDIA_PLAIN;
		snprintf(m->fstype, sizeof(m->fstype), "vfat");
		snprintf(m->label, sizeof(m->label), "STICK%u", k);
		snprintf(m->fs_uuid, sizeof(m->fs_uuid), "%04X-%04X", k, k);
	}
}

/* Format event @i into @line and fill the matching inventory sighting. */
static int make_event(uint64_t i, unsigned int nmedia, char *line, size_t sz,
		      struct ident_device *d, struct media_info *m, char *medium, char *user,
		      struct inv_sighting *s)
{
	unsigned int k = i % nmedia, step = (i / nmedia) % 3;
	bool ro = k % 2 != 0;

	make_device(k, d, m, medium, 64);
	snprintf(user, 32, "user%u", (unsigned int)(i % 7));
	s->dev = d;
	if (step == 0) {
		s->media = m; /* what a verdict knows; mounts keep it */
		s->medium_id = medium[0] ? medium : NULL;
		struct audit_verdict v = {
			.handle = i + 1,
			.dev = d,
			.stage = "media",
			.verdict = ro ? "readonly" : "allow",
			.rule_file = "/etc/mediagate/mediagate.conf",
			.rule_line = ro ? 40 : 31,
			.media = m,
			.medium_id = medium[0] ? medium : NULL,
			.reason = ro ? "not registered" : "registered medium",
		};
		s->type = "verdict";
		s->verdict = v.verdict;
		return audit_format_verdict(line, sz, &v);
	}
	struct audit_mount am = {
		.unmount = step == 2,
		.dev = d,
		.block = "/dev/sdb1",
		.fstype = ro ? m->fstype : "exfat",
		.label = m->label,
		.uuid = ro ? m->fs_uuid : m->luks_uuid,
		.mountpoint = "/media/stick",
		.readonly = ro,
		.user = user,
		.user_source = "path",
	};
	s->type = am.unmount ? "unmount" : "mount";
	s->user = user;
	s->mount = !am.unmount;
	return audit_format_mount(line, sz, &am);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"seq", required_argument, NULL, 's'},
		{"time", required_argument, NULL, 't'},
		{"media", required_argument, NULL, 'm'},
		{"host", required_argument, NULL, 'H'},
		{"inventory", required_argument, NULL, 'i'},
		{0},
	};
	uint64_t seq = 1, count;
	int64_t t0 = 1767225600; /* 2026-01-01 */
	unsigned int nmedia = 10;
	const char *host = "desktop", *db = NULL;
	struct inv *inv = NULL;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			seq = strtoull(optarg, NULL, 10);
			break;
		case 't':
			t0 = strtoll(optarg, NULL, 10);
			break;
		case 'm':
			nmedia = strtoul(optarg, NULL, 10);
			break;
		case 'H':
			host = optarg;
			break;
		case 'i':
			db = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || nmedia == 0) {
		fprintf(stderr, "usage: fleet-emit [--json] [--seq N] [--time T] [--media K] "
				"[--host H] [--inventory DB] COUNT\n");
		return 2;
	}
	count = strtoull(argv[optind], NULL, 10);
	if (db && (r = inv_open(db, 0, &inv)) < 0) {
		fprintf(stderr, "fleet-emit: %s: %s\n", db, strerror(-r));
		return 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		char line[AUDIT_LINE_MAX], cee[AUDIT_CEE_MAX], medium[64], user[32];
		struct inv_sighting s = {.time = t0 + (int64_t)i * 60, .host = host};
		struct ident_device d;
		struct media_info m;

		if (make_event(i, nmedia, line, sizeof(line), &d, &m, medium, user, &s) < 0)
			return 1;
		s.line = line;
		if (inv && (r = inv_record(inv, &s)) < 0) {
			fprintf(stderr, "fleet-emit: inv_record: %s\n", strerror(-r));
			return 1;
		}
		if (json && audit_format_cee(cee, sizeof(cee), line, seq + i, s.time) < 0)
			return 1;
		puts(json ? cee : line);
	}
	inv_close(inv);
	return 0;
}
