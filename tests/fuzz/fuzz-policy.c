// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the policy parser (policy_parse_buffer).
 *
 * Beyond "no crash, no leak, no undefined behaviour", every input checks:
 *  - failure: *ret_policy untouched, at least one diagnostic, each one
 *    pointing inside the input;
 *  - success: the canonical print is clean text (valid UTF-8, no control
 *    bytes: hostile strings are escaped), re-parses, and prints back identically;
 *    both policies agree on rule count, settings and every decision over a
 *    fixed set of devices x media; each decision is well-formed.
 *
 * The input's last "#dev:" comment, a comment to the parser, also describes
 * one more device (binary: ids, connect type, interfaces, then the strings
 * serial|manufacturer|product|port|label), so the fuzzer steers the matcher
 * as well as the parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "strutil.h"
#include "policy.h"

#define NAME_IN "fuzz.conf"
#define NAME_CANON "canonical.conf"

static struct ident_device devs[FUZZ_N_DEVS + 1]; /* the last one from the input */
static struct media_info media[FUZZ_N_MEDIA];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_devices(devs);
	fuzz_media(media);
	return 0;
}

/* Take bytes up to '|' (or the end) as a NUL-free device string. */
static void take_str(const uint8_t **p, const uint8_t *end, char *dst, size_t dstsz)
{
	size_t n = 0;

	while (*p < end && **p != '|') {
		if (**p && n + 1 < dstsz)
			dst[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	dst[n] = '\0';
}

/* The device of the last "#dev:" comment; false if there is none. */
static bool input_device(const uint8_t *data, size_t size, struct ident_device *d,
			 struct media_info *m)
{
	const uint8_t *p = NULL, *end = data + size, *q = data;
	unsigned int n_intf;

	while ((q = memmem(q, (size_t)(end - q), "#dev:", 5))) {
		q += 5;
		p = q;
	}
	if (!p || end - p < 6)
		return false;
	fuzz_dev(d, "", (uint16_t)(p[0] << 8 | p[1]), (uint16_t)(p[2] << 8 | p[3]),
		 (enum ident_connect)(p[4] % 3), "", "", "");
	n_intf = p[5] % 6;
	p += 6;
	for (unsigned int i = 0; i < n_intf && end - p >= 3; i++, p += 3)
		fuzz_intf(d, p[0], p[1], p[2]);
	if (end - p >= 1 && *p < 0x10) /* a device class byte, then strings */
		d->cls = *p++ * 0x11;
	take_str(&p, end, d->serial, sizeof(d->serial));
	take_str(&p, end, d->manufacturer, sizeof(d->manufacturer));
	take_str(&p, end, d->product, sizeof(d->product));
	take_str(&p, end, d->port, sizeof(d->port));
	snprintf(d->name, sizeof(d->name), "%s", d->port);
	memset(m, 0, sizeof(*m));
	m->kind = MEDIA_PLAIN;
	snprintf(m->fstype, sizeof(m->fstype), "vfat");
	take_str(&p, end, m->label, sizeof(m->label));
	return true;
}

static void print_policy(const void *p, FILE *f)
{
	policy_print(p, f);
}

static void print_diags(const void *l, FILE *f)
{
	diag_print(l, f);
}

/* Canonical text is clean: every line valid UTF-8 without control bytes. */
static void check_clean_text(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		fuzz_assert(str_is_clean(s + start, i - start), "printed line %.*s is not clean",
			    (int)(i - start), s + start);
		start = i + 1;
	}
}

static unsigned int count_lines(const char *buf, size_t len)
{
	unsigned int n = 1;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* A parse that failed: diagnostics present, positions inside the input. */
static void check_failure(int r, const struct diag_list *diags, const char *buf, size_t len)
{
	unsigned int lines = count_lines(buf, len);
	size_t n;
	char *s;

	fuzz_assert(r < 0, "policy_parse_buffer returned %d with no policy", r);
	if (r == -ENOMEM)
		return;
	fuzz_assert(diags->n > 0, "parse failed (%d) without a diagnostic", r);
	for (size_t i = 0; i < diags->n; i++) {
		fuzz_assert(diags->v[i].msg && diags->v[i].msg[0], "empty diagnostic %zu", i);
		fuzz_assert(diags->v[i].line <= lines, "diagnostic at line %u, input has %u lines",
			    diags->v[i].line, lines);
	}
	s = fuzz_capture(print_diags, diags, &n);
	free(s);
}

static void check_decision(const struct policy_decision *d, const char *name, unsigned int lines,
			   bool media_known)
{
	fuzz_assert(d->verdict >= POLICY_ALLOW && d->verdict <= POLICY_BLOCK, "verdict %d",
		    d->verdict);
	fuzz_assert(policy_verdict_name(d->verdict) != NULL, "no name for verdict %d", d->verdict);
	fuzz_assert(memchr(d->why, '\0', sizeof(d->why)) != NULL, "why not terminated");
	if (d->is_default) {
		fuzz_assert(d->line == 0, "default decision with line %u", d->line);
	} else {
		fuzz_assert(d->line >= 1 && d->line <= lines, "rule line %u of %u", d->line, lines);
		fuzz_assert(d->file && strcmp(d->file, name) == 0, "rule file %s, expected %s",
			    d->file ? d->file : "(null)", name);
	}
	if (d->needs_media) {
		fuzz_assert(!media_known, "needs_media although the media kind is known");
		fuzz_assert(d->verdict == POLICY_READONLY, "needs_media with verdict %d",
			    d->verdict);
	}
}

/* @a (parsed from the input) and @b (from its canonical print) decide alike. */
static void check_decisions(const struct policy *a, unsigned int a_lines, const struct policy *b,
			    unsigned int b_lines, int n_devs, const struct media_info *dev_media)
{
	for (int i = 0; i < n_devs; i++) {
		for (int j = 0; j < FUZZ_N_MEDIA + 1; j++) {
			const struct media_info *m = j == 0 ? NULL : &media[j];

			if (j == FUZZ_N_MEDIA) { /* the input device's own medium */
				if (i < FUZZ_N_DEVS)
					continue;
				m = dev_media;
			}
			struct policy_decision da, db;

			policy_decide(a, &devs[i], m, &da);
			policy_decide(b, &devs[i], m, &db);
			check_decision(&da, NAME_IN, a_lines, j != 0);
			check_decision(&db, NAME_CANON, b_lines, j != 0);
			fuzz_assert(da.verdict == db.verdict && da.is_default == db.is_default &&
					    da.needs_media == db.needs_media && da.log == db.log,
				    "device %d media %d: input says %s%s (line %u), canonical form "
				    "says %s%s (line %u)",
				    i, j, policy_verdict_name(da.verdict),
				    da.needs_media ? " needs-media" : "", da.line,
				    policy_verdict_name(db.verdict),
				    db.needs_media ? " needs-media" : "", db.line);
		}
	}
}

static void check_settings(const struct policy *a, const struct policy *b)
{
	const struct policy_encryption *ea = policy_encryption(a), *eb = policy_encryption(b);
	const char *ra = policy_registry_path(a), *rb = policy_registry_path(b);

	fuzz_assert(policy_rule_count(a) == policy_rule_count(b), "rule count %u vs %u",
		    policy_rule_count(a), policy_rule_count(b));
	fuzz_assert((!ra && !rb) || (ra && rb && strcmp(ra, rb) == 0), "registry path differs");
	fuzz_assert(ea && eb, "no encryption settings");
	fuzz_assert(ea->luks_version == eb->luks_version && strcmp(ea->cipher, eb->cipher) == 0 &&
			    ea->min_key_bits == eb->min_key_bits,
		    "encryption settings differ after print");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *const sentinel = (struct policy *)&devs[0];
	struct policy *p = sentinel, *q = sentinel;
	struct diag_list diags = {0};
	struct media_info dev_media;
	char *c1, *c2;
	size_t n1, n2;
	int r, n_devs;

	r = policy_parse_buffer(NAME_IN, (const char *)data, size, &p, &diags);
	if (r < 0 || p == sentinel) {
		fuzz_assert(p == sentinel, "*ret_policy written on failure (r=%d)", r);
		check_failure(r, &diags, (const char *)data, size);
		diag_list_free(&diags);
		return 0;
	}
	fuzz_assert(p != NULL, "success (r=%d) with a NULL policy", r);
	diag_list_free(&diags);

	c1 = fuzz_capture(print_policy, p, &n1);
	check_clean_text(c1, n1);
	r = policy_parse_buffer(NAME_CANON, c1, n1, &q, &diags);
	if (r < 0) {
		fprintf(stderr, "--- canonical form:\n%s--- its diagnostics:\n", c1);
		diag_print(&diags, stderr);
	}
	fuzz_assert(r >= 0 && q != sentinel, "canonical form does not re-parse (r=%d)", r);
	diag_list_free(&diags);

	c2 = fuzz_capture(print_policy, q, &n2);
	if (n1 != n2 || memcmp(c1, c2, n1) != 0)
		fprintf(stderr, "--- first print:\n%s--- second print:\n%s---\n", c1, c2);
	fuzz_assert(n1 == n2 && memcmp(c1, c2, n1) == 0, "print -> parse -> print differs");

	check_settings(p, q);
	n_devs = input_device(data, size, &devs[FUZZ_N_DEVS], &dev_media) ? FUZZ_N_DEVS + 1
									  : FUZZ_N_DEVS;
	check_decisions(p, count_lines((const char *)data, size), q, count_lines(c1, n1), n_devs,
			&dev_media);

	free(c1);
	free(c2);
	policy_free(q);
	policy_free(p);
	return 0;
}
