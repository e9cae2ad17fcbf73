// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the organisation token JSON read from a medium's LUKS2
 * header (token_parse, token_verify_for_device). The header is written by
 * whoever had the stick: hostile.
 *
 * Beyond "no crash, no leak, no undefined behaviour", every input checks:
 *  - failure: one of the documented errors, *ret untouched;
 *  - success: the fields are well-formed (medium id, lower-case UUID,
 *    NUL-free serial), the canonical form builds, and re-signing the token
 *    with a test key renders JSON that parses back to the same fields and
 *    verifies for the stick it names (and not for another one);
 *  - token_verify_for_device on the raw input never accepts it (it was not
 *    signed with the test key) and always explains why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "orgkey.h"
#include "token.h"

static struct orgkey *key;
static struct ident_device dev;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (orgkey_generate(&key) < 0)
		abort();
	fuzz_dev(&dev, "1-2", 0x0781, 0x5583, IDENT_CONNECT_HOTPLUG, "SanDisk", "Cruzer",
		 "4C530001231120115142");
	return 0;
}

static bool same_fields(const struct token *a, const struct token *b)
{
	return !strcmp(a->medium_id, b->medium_id) && !strcmp(a->luks_uuid, b->luks_uuid) &&
	       a->enrolled == b->enrolled && a->vid == b->vid && a->pid == b->pid &&
	       !strcmp(a->serial, b->serial);
}

static void check_well_formed(const struct token *t)
{
	fuzz_assert(token_valid_medium_id(t->medium_id), "medium id not valid");
	fuzz_assert(strlen(t->luks_uuid) == 36, "uuid length %zu", strlen(t->luks_uuid));
	for (int i = 0; i < 36; i++) {
		char c = t->luks_uuid[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		fuzz_assert(dash ? c == '-' : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'),
			    "uuid byte %d is '%c'", i, c);
	}
	fuzz_assert(memchr(t->serial, '\0', sizeof(t->serial)), "serial not terminated");
	fuzz_assert(memchr(t->org, '\0', sizeof(t->org)), "org not terminated");
}

/* Re-sign @t with the test key: the JSON parses back and verifies. */
static void check_resign(const struct token *t)
{
	struct ident_device d = dev, other;
	struct token back, got;
	char *json = NULL, *canon = NULL, why[256];
	size_t clen;
	int r;

	r = token_canonical(t, &canon, &clen);
	fuzz_assert(r == 0 && canon, "canonical form of a parsed token: %d", r);
	free(canon);

	r = token_sign(t, key, &json);
	fuzz_assert(r == 0 && json, "signing a parsed token: %d", r);
	r = token_parse(json, strlen(json), &back);
	if (r < 0)
		fprintf(stderr, "--- signed JSON:\n%s\n", json);
	fuzz_assert(r == 0, "signed JSON does not parse: %d", r);
	fuzz_assert(same_fields(t, &back), "fields changed through sign -> parse");

	d.vid = t->vid;
	d.pid = t->pid;
	snprintf(d.serial, sizeof(d.serial), "%s", t->serial);
	memset(why, 'x', sizeof(why));
	r = token_verify_for_device(json, strlen(json), key, &d, t->luks_uuid, &got, why,
				    sizeof(why));
	fuzz_assert(r == 0, "own signed token rejected (%d): %.*s", r, (int)sizeof(why), why);
	fuzz_assert(same_fields(t, &got), "verify returned other fields");

	other = d;
	other.pid ^= 1;
	r = token_verify_for_device(json, strlen(json), key, &other, t->luks_uuid, NULL, why,
				    sizeof(why));
	fuzz_assert(r == -EMEDIUMTYPE, "token accepted for another stick (%d)", r);
	fuzz_assert(memchr(why, '\0', sizeof(why)), "why not terminated");
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token t, before;
	char why[256];
	int r;

	memset(&t, 0x5a, sizeof(t));
	before = t;
	r = token_parse((const char *)data, size, &t);
	if (r < 0) {
		fuzz_assert(r == -EBADMSG || r == -E2BIG || r == -ENOMEM, "undocumented error %d",
			    r);
		fuzz_assert(!memcmp(&t, &before, sizeof(t)), "*ret written on error %d", r);
	} else {
		fuzz_assert(r == 0, "returned %d", r);
		check_well_formed(&t);
		check_resign(&t);
	}

	memset(why, 'x', sizeof(why));
	r = token_verify_for_device((const char *)data, size, key, &dev,
				    "3f0c6a2e-9b1d-4c8e-a7f2-5d6e8b9c0a13", NULL, why, sizeof(why));
	fuzz_assert(r < 0, "a token not signed with the test key verified");
	fuzz_assert(memchr(why, '\0', sizeof(why)) && why[0], "no explanation for %d", r);
	return 0;
}
