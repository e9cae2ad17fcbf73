// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the registry parser (registry_parse_buffer).
 *
 * Beyond "no crash, no leak, no undefined behaviour", every input checks:
 *  - failure: *ret_reg untouched, at least one diagnostic inside the input;
 *  - every entry (registry_entry_at) is found again by its own id and UUID,
 *    and so is every entry that a word of the input finds (the hash lookups
 *    agree with the stored data);
 *  - its canonical line (registry_print_entry) is clean text, parses alone
 *    into an equal entry, and prints identically;
 *  - registry_check() answers consistently for it and for fixed devices.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz-util.h"
#include "strutil.h"
#include "policy.h"
#include "registry.h"

#define NAME_IN "fuzz.registry"
#define NAME_LINE "line.registry"
#define MAX_WORDS 256
#define MAX_ENTRIES 64

static struct ident_device devs[FUZZ_N_DEVS];
static struct policy_encryption enc = {
	.luks_version = 2,
	.cipher = "aes-xts-plain64",
	.min_key_bits = 512,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_devices(devs);
	return 0;
}

static void print_entry(const void *e, FILE *f)
{
	registry_print_entry(e, f);
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

static void check_failure(int r, const struct diag_list *diags, const char *buf, size_t len)
{
	unsigned int lines = count_lines(buf, len);
	size_t n;
	char *s;

	fuzz_assert(r < 0, "registry_parse_buffer returned %d with no registry", r);
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

static bool entries_equal(const struct registry_entry *a, const struct registry_entry *b)
{
	return strcmp(a->medium_id, b->medium_id) == 0 && a->luks_version == b->luks_version &&
	       strcmp(a->luks_uuid, b->luks_uuid) == 0 && a->vid == b->vid && a->pid == b->pid &&
	       strcmp(a->serial, b->serial) == 0 && strcmp(a->owner, b->owner) == 0 &&
	       strcmp(a->asset, b->asset) == 0 && strcmp(a->enrolled, b->enrolled) == 0 &&
	       strcmp(a->retired, b->retired) == 0;
}

/* The canonical line of @e parses alone into an equal entry. */
static void check_print_roundtrip(const struct registry_entry *e)
{
	struct registry *const sentinel = (struct registry *)&devs[0];
	struct registry *r = sentinel;
	const struct registry_entry *e2;
	struct diag_list diags = {0};
	char *l1, *l2;
	size_t n1, n2;
	int ret;

	l1 = fuzz_capture(print_entry, e, &n1);
	check_clean_text(l1, n1);
	ret = registry_parse_buffer(NAME_LINE, l1, n1, &r, &diags);
	if (ret < 0) {
		fprintf(stderr, "--- canonical line:\n%s--- its diagnostics:\n", l1);
		diag_print(&diags, stderr);
	}
	fuzz_assert(ret >= 0 && r != sentinel && r, "canonical line does not parse (%d)", ret);
	diag_list_free(&diags);
	fuzz_assert(registry_count(r) == 1, "canonical line holds %zu entries", registry_count(r));
	e2 = registry_find_medium(r, e->medium_id);
	fuzz_assert(e2, "medium %s not found after print", e->medium_id);
	if (!entries_equal(e, e2))
		fprintf(stderr, "--- canonical line:\n%s", l1);
	fuzz_assert(entries_equal(e, e2), "entry changed through print -> parse");
	l2 = fuzz_capture(print_entry, e2, &n2);
	fuzz_assert(n1 == n2 && memcmp(l1, l2, n1) == 0, "print -> parse -> print differs");
	free(l1);
	free(l2);
	registry_free(r);
}

static void check_registry_check(const struct registry *r, const struct ident_device *dev,
				 const char *uuid)
{
	const struct registry_entry *found = NULL;
	struct media_info m = {.kind = MEDIA_LUKS, .luks_version = 2, .key_bits = 512};
	char why[128];
	bool ok;

	snprintf(m.luks_uuid, sizeof(m.luks_uuid), "%s", uuid);
	snprintf(m.cipher, sizeof(m.cipher), "aes-xts-plain64");
	m.token_present = true;
	memset(why, 'x', sizeof(why));
	ok = registry_check(r, dev, &m, &enc, &found, why, sizeof(why));
	fuzz_assert(ok == m.registered, "registry_check returned %d, media.registered %d", ok,
		    m.registered);
	fuzz_assert(memchr(why, '\0', sizeof(why)) != NULL, "why not terminated");
	if (ok)
		fuzz_assert(found != NULL, "registered without an entry");
}

/* Checks for one entry found through a lookup. */
static void check_entry(const struct registry *r, const struct registry_entry *e)
{
	const struct registry_entry *x;
	struct ident_device dev = devs[0];

	/* Duplicate ids and UUIDs are parse errors: each lookup finds @e itself. */
	x = registry_find_medium(r, e->medium_id);
	fuzz_assert(x == e, "medium %s (line %u): lookup by id finds %s", e->medium_id, e->line,
		    x ? x->medium_id : "nothing");
	x = registry_find_uuid(r, e->luks_uuid);
	fuzz_assert(x == e, "uuid %s (line %u): lookup by uuid finds %s", e->luks_uuid, e->line,
		    x ? x->medium_id : "nothing");
	check_print_roundtrip(e);

	/* The device it was enrolled with, then a stranger. */
	dev.vid = e->vid;
	dev.pid = e->pid;
	snprintf(dev.serial, sizeof(dev.serial), "%s", e->serial);
	check_registry_check(r, &dev, e->luks_uuid);
	check_registry_check(r, &devs[1], e->luks_uuid);
}

/* Look every word of the input up, as it is and lower-cased: a hit is exact. */
static void check_words(const struct registry *r, const char *buf, size_t len)
{
	unsigned int nwords = 0;
	size_t i = 0;

	while (i < len && nwords < MAX_WORDS) {
		char w[64];
		size_t n = 0;

		while (i < len && (isspace((unsigned char)buf[i]) || buf[i] == '"'))
			i++;
		while (i < len && !isspace((unsigned char)buf[i]) && buf[i] != '"') {
			if (n < sizeof(w) - 1)
				w[n++] = buf[i];
			i++;
		}
		if (!n)
			continue;
		w[n] = '\0';
		nwords++;
		for (int pass = 0; pass < 2; pass++) {
			const struct registry_entry *e;

			if (pass == 1)
				for (size_t k = 0; k < n; k++)
					w[k] = (char)tolower((unsigned char)w[k]);
			e = registry_find_medium(r, w);
			fuzz_assert(!e || strcmp(e->medium_id, w) == 0, "id %s finds %s", w,
				    e->medium_id);
			e = registry_find_uuid(r, w);
			fuzz_assert(!e || strcasecmp(e->luks_uuid, w) == 0, "uuid %s finds %s", w,
				    e->luks_uuid);
		}
		if (nwords <= 4)
			check_registry_check(r, &devs[nwords % FUZZ_N_DEVS], w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry *const sentinel = (struct registry *)&devs[0];
	struct registry *r = sentinel;
	struct diag_list diags = {0};
	int ret;

	ret = registry_parse_buffer(NAME_IN, (const char *)data, size, &r, &diags);
	if (ret < 0 || r == sentinel) {
		fuzz_assert(r == sentinel, "*ret_reg written on failure (%d)", ret);
		check_failure(ret, &diags, (const char *)data, size);
		diag_list_free(&diags);
		return 0;
	}
	fuzz_assert(r != NULL, "success (%d) with a NULL registry", ret);
	diag_list_free(&diags);
	fuzz_assert(registry_count(r) <= count_lines((const char *)data, size),
		    "%zu entries from %u lines", registry_count(r),
		    count_lines((const char *)data, size));
	registry_find_uuid(r, "");
	registry_find_medium(r, "");
	for (size_t i = 0; i < registry_count(r) && i < MAX_ENTRIES; i++) {
		const struct registry_entry *e = registry_entry_at(r, i);

		fuzz_assert(e, "entry %zu of %zu missing", i, registry_count(r));
		fuzz_assert(i == 0 || e->line > registry_entry_at(r, i - 1)->line,
			    "entries out of file order");
		check_entry(r, e);
	}
	fuzz_assert(!registry_entry_at(r, registry_count(r)), "an entry past the end");
	check_words(r, (const char *)data, size);
	registry_free(r);
	return 0;
}
