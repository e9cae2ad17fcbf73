// SPDX-License-Identifier: GPL-2.0-or-later
/* token + orgkey: sign/verify round trip, every rejection path, strict parsing
 * of hostile token JSON, key files and their modes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "orgkey.h"
#include "token.h"

#define UUID "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11"

static struct orgkey *key, *other;

static int group_setup(void **state)
{
	(void)state;
	return orgkey_generate(&key) < 0 || orgkey_generate(&other) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	orgkey_free(key);
	orgkey_free(other);
	return 0;
}

static struct token sample(void)
{
	struct token t = {.enrolled = 1763700000, .vid = 0x0781, .pid = 0x5583};

	strcpy(t.medium_id, "MG-0042");
	strcpy(t.luks_uuid, UUID);
	strcpy(t.serial, "4C530001231122114143");
	return t;
}

static struct ident_device stick(const char *serial)
{
	struct ident_device d = {.vid = 0x0781, .pid = 0x5583};

	strcpy(d.serial, serial);
	return d;
}

static int verify(const char *json, const struct orgkey *pub, const char *serial, const char *uuid,
		  struct token *ret)
{
	struct ident_device d = stick(serial);
	char why[512];
	int r = token_verify_for_device(json, strlen(json), pub, &d, uuid, ret, why, sizeof(why));

	assert_true(why[0] != '\0');
	return r;
}

static char *signed_sample(void)
{
	struct token t = sample();
	char *json = NULL;

	assert_int_equal(token_sign(&t, key, &json), 0);
	assert_non_null(json);
	return json;
}

static void test_round_trip(void **state)
{
	char *json = signed_sample();
	char org[ORGKEY_ID_MAX];
	struct token t;

	(void)state;
	assert_int_equal(verify(json, key, "4C530001231122114143", UUID, &t), 0);
	orgkey_id(key, org);
	assert_string_equal(t.org, org);
	assert_string_equal(t.medium_id, "MG-0042");
	assert_string_equal(t.luks_uuid, UUID);
	assert_int_equal(t.enrolled, 1763700000);
	assert_int_equal(t.vid, 0x0781);
	assert_string_equal(t.serial, "4C530001231122114143");
	/* the JSON is what LUKS2 needs: type and keyslots */
	assert_non_null(strstr(json, "\"type\":\"mediagate-org\""));
	assert_non_null(strstr(json, "\"keyslots\":[]"));
	/* upper-case UUID from a caller compares equal */
	assert_int_equal(verify(json, key, "4C530001231122114143",
				"3F0C2F8E-8D1A-4C1B-9A53-0C6F3E0D4B11", NULL),
			 0);
	free(json);
}

/* Replace the first occurrence of @from in @json by @to (same length or not). */
static char *edit(const char *json, const char *from, const char *to)
{
	const char *at = strstr(json, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(json) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, json, (size_t)(at - json));
	strcpy(out + (at - json), to);
	strcat(out, at + strlen(from));
	return out;
}

static void test_tampered_signature(void **state)
{
	char *json = signed_sample(), *bad;
	char *sig = strstr(json, "\"sig\":\"") + 7;

	(void)state;
	/* flip one hex digit of the signature */
	sig[10] = sig[10] == '0' ? '1' : '0';
	assert_int_equal(verify(json, key, "4C530001231122114143", UUID, NULL), -EKEYREJECTED);
	sig[10] = sig[10] == '0' ? '1' : '0';
	/* a signed field changed: medium id, enrolment time, serial */
	bad = edit(json, "MG-0042", "MG-0043");
	assert_int_equal(verify(bad, key, "4C530001231122114143", UUID, NULL), -EKEYREJECTED);
	free(bad);
	bad = edit(json, "1763700000", "1763700001");
	assert_int_equal(verify(bad, key, "4C530001231122114143", UUID, NULL), -EKEYREJECTED);
	free(bad);
	/* "4C53..." hex-encoded begins 3443 3533; make it "5C53..." and present that stick */
	bad = edit(json, "\"serial_hex\":\"3443", "\"serial_hex\":\"3543");
	assert_int_equal(verify(bad, key, "5C530001231122114143", UUID, NULL), -EKEYREJECTED);
	free(bad);
	free(json);
}

static void test_other_organisation(void **state)
{
	char *json = signed_sample();

	(void)state;
	assert_int_equal(verify(json, other, "4C530001231122114143", UUID, NULL), -EKEYREJECTED);
	free(json);
}

static void test_other_stick_or_header(void **state)
{
	char *json = signed_sample();

	(void)state;
	/* header copied onto another stick: same vid:pid, other serial */
	assert_int_equal(verify(json, key, "DEADBEEF", UUID, NULL), -EMEDIUMTYPE);
	assert_int_equal(verify(json, key, "", UUID, NULL), -EMEDIUMTYPE);
	/* other vid:pid */
	{
		struct ident_device d = stick("4C530001231122114143");
		char why[512];

		d.pid = 0x5584;
		assert_int_equal(token_verify_for_device(json, strlen(json), key, &d, UUID, NULL,
							 why, sizeof(why)),
				 -EMEDIUMTYPE);
		assert_non_null(strstr(why, "0781:5584"));
		assert_int_equal(token_verify_for_device(json, strlen(json), key, NULL, UUID, NULL,
							 why, sizeof(why)),
				 -EMEDIUMTYPE);
	}
	/* token moved into another header */
	assert_int_equal(verify(json, key, "4C530001231122114143",
				"00000000-8d1a-4c1b-9a53-0c6f3e0d4b11", NULL),
			 -EMEDIUMTYPE);
	free(json);
}

static void test_hostile_serial_round_trip(void **state)
{
	struct token t = sample(), back;
	struct ident_device d = {.vid = 0x0781, .pid = 0x5583};
	char *json = NULL, why[512];
	const char hostile[] = "\x01\"\\\n\xff\xfe<script>%s";

	(void)state;
	strcpy(t.serial, hostile);
	strcpy(d.serial, hostile);
	assert_int_equal(token_sign(&t, key, &json), 0);
	/* hex keeps the JSON plain ASCII */
	for (const char *p = json; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_int_equal(
		token_verify_for_device(json, strlen(json), key, &d, UUID, &back, why, sizeof(why)),
		0);
	assert_string_equal(back.serial, hostile);
	/* the "why" text of a mismatch escapes it */
	strcpy(d.serial, "x");
	assert_int_equal(
		token_verify_for_device(json, strlen(json), key, &d, UUID, NULL, why, sizeof(why)),
		-EMEDIUMTYPE);
	for (const char *p = why; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	free(json);
	/* an empty serial is allowed (devices without one) */
	t.serial[0] = '\0';
	assert_int_equal(token_sign(&t, key, &json), 0);
	d.serial[0] = '\0';
	assert_int_equal(
		token_verify_for_device(json, strlen(json), key, &d, UUID, NULL, why, sizeof(why)),
		0);
	free(json);
}

static void test_sign_refuses_bad_fields(void **state)
{
	struct token t = sample();
	char *json = NULL;
	struct orgkey *pub = NULL;

	(void)state;
	strcpy(t.medium_id, "bad id");
	assert_int_equal(token_sign(&t, key, &json), -EINVAL);
	t = sample();
	strcpy(t.luks_uuid, "not-a-uuid");
	assert_int_equal(token_sign(&t, key, &json), -EINVAL);
	t = sample();
	t.enrolled = 0;
	assert_int_equal(token_sign(&t, key, &json), -EINVAL);
	assert_null(json);
	/* a public key alone cannot sign */
	{
		char path[] = "/tmp/mg-token-pub-XXXXXX";
		char *text = NULL;
		int fd = mkstemp(path);
		FILE *f;

		assert_true(fd >= 0);
		assert_int_equal(orgkey_public_pem(key, &text), 0);
		f = fdopen(fd, "w");
		fputs(text, f);
		fclose(f);
		free(text);
		assert_int_equal(orgkey_load_public(path, &pub), 0);
		unlink(path);
		assert_false(orgkey_has_private(pub));
		t = sample();
		assert_int_equal(token_sign(&t, pub, &json), -ENOKEY);
		orgkey_free(pub);
	}
}

static void test_strict_parse(void **state)
{
	char *json = signed_sample(), *bad;
	struct token t;
	static const struct {
		const char *from, *to;
	} edits[] = {
		{"\"version\":1", "\"version\":2"},
		{"\"version\":1", "\"version\":1.0"},
		{"\"version\":1", "\"version\":\"1\""},
		{"\"keyslots\":[]", "\"keyslots\":[\"0\"]"},
		{"\"keyslots\":[]", "\"keyslot\":[]"},
		{"\"type\":\"mediagate-org\"", "\"type\":\"luks2-keyring\""},
		{"\"usb\":\"0781:5583\"", "\"usb\":\"0781-5583\""},
		{"\"usb\":\"0781:5583\"", "\"usb\":\"0781:55830\""},
		{"\"medium\":\"MG-0042\"", "\"medium\":\"MG 0042\""},
		{"\"medium\":\"MG-0042\"", "\"medium\":\"\""},
		{"\"medium\":\"MG-0042\"", "\"medium\":\"MG\\u00000042\""},
		{"\"medium\":\"MG-0042\"", "\"medium\":{\"a\":{\"b\":[1]}}"},
		{"\"enrolled\":1763700000", "\"enrolled\":-1"},
		{"\"enrolled\":1763700000", "\"enrolled\":99999999999999999999999"},
		{"\"serial_hex\":\"34", "\"serial_hex\":\"00"}, /* NUL in the serial */
		{"\"serial_hex\":\"34", "\"serial_hex\":\"3"}, /* odd length */
		{"\"serial_hex\":\"34", "\"serial_hex\":\"4C"}, /* upper case */
		{"\"org\":\"ed25519:", "\"org\":\"rsa:"},
		{"\"sig\":\"", "\"sig\":\"00"},
		{"{", "{\"extra\":1,"},
		{"{", "[{"},
	};

	(void)state;
	assert_int_equal(token_parse(json, strlen(json), &t), 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		bad = edit(json, edits[i].from, edits[i].to);
		if (token_parse(bad, strlen(bad), &t) != -EBADMSG)
			fail_msg("accepted edit %zu: %s", i, bad);
		free(bad);
	}
	/* trailing garbage, a second object, embedded NUL, truncation, size cap */
	bad = malloc(strlen(json) + 8);
	sprintf(bad, "%s x", json);
	assert_int_equal(token_parse(bad, strlen(bad), &t), -EBADMSG);
	sprintf(bad, "%s{}", json);
	assert_int_equal(token_parse(bad, strlen(bad), &t), -EBADMSG);
	assert_int_equal(token_parse(json, strlen(json) + 1, &t), -EBADMSG);
	assert_int_equal(token_parse(json, strlen(json) - 1, &t), -EBADMSG);
	sprintf(bad, "%s \n", json);
	assert_int_equal(token_parse(bad, strlen(bad), &t), 0);
	free(bad);
	bad = malloc(TOKEN_JSON_MAX + 2);
	memset(bad, ' ', TOKEN_JSON_MAX + 1);
	bad[TOKEN_JSON_MAX + 1] = '\0';
	assert_int_equal(token_parse(bad, TOKEN_JSON_MAX + 1, &t), -E2BIG);
	free(bad);
	/* deep nesting is refused by depth, not by recursion */
	bad = malloc(20001);
	memset(bad, '[', 20000);
	bad[20000] = '\0';
	assert_int_equal(token_parse(bad, 2000, &t), -EBADMSG);
	free(bad);
	assert_int_equal(token_parse("", 0, &t), -EBADMSG);
	free(json);
}

static void test_key_files(void **state)
{
	char dir[] = "/tmp/mg-orgkey-XXXXXX", priv[64], pub[64], id1[ORGKEY_ID_MAX],
	     id2[ORGKEY_ID_MAX], id3[ORGKEY_ID_MAX];
	struct orgkey *k = NULL, *lp = NULL, *lk = NULL;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(priv, sizeof(priv), "%s/org.key", dir);
	snprintf(pub, sizeof(pub), "%s/org.pub", dir);
	assert_int_equal(orgkey_generate(&k), 0);
	assert_int_equal(orgkey_save(k, priv, pub), 0);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* never overwrite a private key */
	assert_int_equal(orgkey_save(k, priv, pub), -EEXIST);
	assert_int_equal(orgkey_load_public(pub, &lp), 0);
	assert_int_equal(orgkey_load_private(priv, &lk), 0);
	orgkey_id(k, id1);
	orgkey_id(lp, id2);
	orgkey_id(lk, id3);
	assert_string_equal(id1, id2);
	assert_string_equal(id1, id3);
	assert_int_equal(strlen(id1), 40);
	assert_true(orgkey_has_private(lk));
	assert_false(orgkey_has_private(lp));
	/* a token signed with the loaded private key verifies with the public file */
	{
		struct token t = sample();
		char *json = NULL;

		assert_int_equal(token_sign(&t, lk, &json), 0);
		assert_int_equal(verify(json, lp, "4C530001231122114143", UUID, NULL), 0);
		free(json);
	}
	/* a private key others can read is refused; so is garbage */
	chmod(priv, 0640);
	orgkey_free(lk);
	lk = NULL;
	assert_int_equal(orgkey_load_private(priv, &lk), -EPERM);
	assert_null(lk);
	chmod(pub, 0666);
	assert_int_equal(orgkey_load_public(pub, &lk), -EPERM);
	chmod(pub, 0644);
	{
		FILE *f = fopen(pub, "w");

		fputs("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", f);
		fclose(f);
	}
	assert_int_equal(orgkey_load_public(pub, &lk), -EBADMSG);
	unlink(priv);
	unlink(pub);
	rmdir(dir);
	orgkey_free(k);
	orgkey_free(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_other_organisation),
		cmocka_unit_test(test_other_stick_or_header),
		cmocka_unit_test(test_hostile_serial_round_trip),
		cmocka_unit_test(test_sign_refuses_bad_fields),
		cmocka_unit_test(test_strict_parse),
		cmocka_unit_test(test_key_files),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
