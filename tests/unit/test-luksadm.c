// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * luksadm on image files (no device-mapper, no root needed): format with the
 * policy's cipher and argon2id, passphrase check, organisation token in the
 * header (set/replace/get/remove, verify against the stick), a header copied
 * onto another stick, and crypto-erase (no keyslot, no LUKS signature, old
 * passphrase useless, no byte of the old keyslot area left).
 * Uses MEDIAGATE_TEST_WEAK_PBKDF=1 (test-only argon2id cost).
 */
#include <errno.h>
#include <fcntl.h>
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
#include <json-c/json.h>
#include <libcryptsetup.h>

#include "luksadm.h"
#include "probe.h"
#include "registry.h"
#include "token.h"

#define PASS "correct horse battery staple"
#define SERIAL "4C530001231122114143"

static char dir[64];
static struct orgkey *key;

static const char *img(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void make_image(const char *name, off_t size)
{
	int fd = open(img(name), O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void format(const char *name, char uuid[40])
{
	struct luksadm_format_params p = {.cipher = "aes-xts-plain64", .key_bits = 512};

	make_image(name, 32 << 20);
	assert_int_equal(luksadm_format(img(name), &p, PASS, strlen(PASS), uuid), 0);
}

static int group_setup(void **state)
{
	(void)state;
	setenv(LUKSADM_WEAK_PBKDF_ENV, "1", 1);
	crypt_metadata_locking(NULL, 0);
	strcpy(dir, "/tmp/mg-luksadm-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return orgkey_generate(&key) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	orgkey_free(key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_format(void **state)
{
	struct crypt_device *cd = NULL;
	const struct crypt_pbkdf_type *pbkdf;
	struct media_info m;
	char uuid[40];

	(void)state;
	assert_true(luksadm_weak_pbkdf());
	format("f.img", uuid);
	assert_int_equal(strlen(uuid), 36);
	assert_int_equal(probe_path(img("f.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_int_equal(m.luks_version, 2);
	assert_string_equal(m.cipher, "aes-xts-plain64");
	assert_int_equal(m.key_bits, 512);
	assert_string_equal(m.luks_uuid, uuid);
	assert_false(m.token_present);
	/* keyslot 0 uses argon2id */
	assert_int_equal(crypt_init(&cd, img("f.img")), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	{
		struct crypt_pbkdf_type ks;

		assert_int_equal(crypt_keyslot_get_pbkdf(cd, 0, &ks), 0);
		assert_string_equal(ks.type, CRYPT_KDF_ARGON2ID);
	}
	pbkdf = crypt_get_pbkdf_type(cd);
	assert_non_null(pbkdf);
	crypt_free(cd);
	assert_int_equal(luksadm_check_passphrase(img("f.img"), PASS, strlen(PASS)), 0);
	assert_int_equal(luksadm_check_passphrase(img("f.img"), "wrong", 5), -EPERM);
	/* a bad cipher spec or key size is refused before anything is written */
	{
		struct luksadm_format_params p = {.cipher = "aes", .key_bits = 512};

		make_image("g.img", 32 << 20);
		assert_int_equal(luksadm_format(img("g.img"), &p, PASS, strlen(PASS), uuid),
				 -EINVAL);
		p.cipher = "aes-xts-plain64";
		p.key_bits = 0;
		assert_int_equal(luksadm_format(img("g.img"), &p, PASS, strlen(PASS), uuid),
				 -EINVAL);
		assert_int_equal(probe_path(img("g.img"), &m), 0);
		assert_int_equal(m.kind, MEDIA_NONE);
	}
}

static char *make_token(const char *uuid, const char *serial)
{
	struct token t = {.enrolled = 1763700000, .vid = 0x0781, .pid = 0x5583};
	char *json = NULL;

	strcpy(t.medium_id, "MG-0001");
	strcpy(t.luks_uuid, uuid);
	strcpy(t.serial, serial);
	assert_int_equal(token_sign(&t, key, &json), 0);
	return json;
}

static int verify_on(const char *path, const char *serial)
{
	struct ident_device d = {.vid = 0x0781, .pid = 0x5583};
	struct media_info m;
	char *json = NULL, why[512];
	int r;

	strcpy(d.serial, serial);
	/* the daemon's path: probe (UUID) + probe_token_json (read-only snapshot) */
	r = probe_path(path, &m);
	if (r < 0)
		return r;
	r = probe_token_json(path, TOKEN_TYPE, &json);
	if (r < 0)
		return r;
	r = token_verify_for_device(json, strlen(json), key, &d, m.luks_uuid, NULL, why,
				    sizeof(why));
	free(json);
	return r;
}

static void test_token_in_header(void **state)
{
	char uuid[40], *json, *back = NULL;
	struct media_info m;

	(void)state;
	format("t.img", uuid);
	assert_int_equal(luksadm_token_get(img("t.img"), TOKEN_TYPE, &back), -ENOENT);
	json = make_token(uuid, SERIAL);
	assert_int_equal(luksadm_token_set(img("t.img"), TOKEN_TYPE, json), 0);
	assert_int_equal(luksadm_token_get(img("t.img"), TOKEN_TYPE, &back), 0);
	{
		struct token a, b;

		assert_int_equal(token_parse(json, strlen(json), &a), 0);
		assert_int_equal(token_parse(back, strlen(back), &b), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	free(back);
	assert_int_equal(probe_path(img("t.img"), &m), 0);
	assert_true(m.token_present);
	assert_int_equal(verify_on(img("t.img"), SERIAL), 0);
	/* setting again replaces: still exactly one token of our type */
	assert_int_equal(luksadm_token_set(img("t.img"), TOKEN_TYPE, json), 0);
	assert_int_equal(luksadm_token_remove(img("t.img"), TOKEN_TYPE), 1);
	assert_int_equal(luksadm_token_remove(img("t.img"), TOKEN_TYPE), 0);
	assert_int_equal(luksadm_token_set(img("t.img"), TOKEN_TYPE, json), 0);
	/* the passphrase still opens it */
	assert_int_equal(luksadm_check_passphrase(img("t.img"), PASS, strlen(PASS)), 0);
	free(json);
}

static void test_tampered_token_in_header(void **state)
{
	char uuid[40], *json;

	(void)state;
	format("x.img", uuid);
	json = make_token(uuid, SERIAL);
	/* flip one signature digit, store it: the header says "not ours" */
	{
		char *sig = strstr(json, "\"sig\":\"") + 7;

		sig[0] = sig[0] == 'a' ? 'b' : 'a';
	}
	assert_int_equal(luksadm_token_set(img("x.img"), TOKEN_TYPE, json), 0);
	assert_int_equal(verify_on(img("x.img"), SERIAL), -EKEYREJECTED);
	free(json);
}

static void test_header_copied_to_other_stick(void **state)
{
	char uuid[40], *json, cmd[512];

	(void)state;
	format("a.img", uuid);
	json = make_token(uuid, SERIAL);
	assert_int_equal(luksadm_token_set(img("a.img"), TOKEN_TYPE, json), 0);
	free(json);
	/* copy the first 16 MiB (both headers + keyslots) onto a blank image */
	make_image("b.img", 32 << 20);
	snprintf(cmd, sizeof(cmd), "dd if='%s' of='%s' bs=1M count=16 conv=notrunc status=none",
		 img("a.img"), img("b.img"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(verify_on(img("b.img"), SERIAL), 0); /* same stick: fine */
	/* ...but b.img is on a stick with another serial */
	assert_int_equal(verify_on(img("b.img"), "OTHER-STICK-0001"), -EMEDIUMTYPE);
}

static bool read_range(const char *path, off_t off, size_t len, uint8_t *buf)
{
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && pread(fd, buf, len, off) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_erase(void **state)
{
	char uuid[40], *json, cmd[512], *back = NULL;
	static uint8_t before[16 << 20], after[16 << 20];
	uint64_t area;
	struct media_info m;
	int n;

	(void)state;
	format("e.img", uuid);
	json = make_token(uuid, SERIAL);
	assert_int_equal(luksadm_token_set(img("e.img"), TOKEN_TYPE, json), 0);
	free(json);
	{
		struct crypt_device *cd = NULL;

		assert_int_equal(crypt_init(&cd, img("e.img")), 0);
		assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
		struct crypt_pbkdf_type weak = {.type = CRYPT_KDF_PBKDF2,
						.hash = "sha256",
						.time_ms = 1,
						.iterations = 1000,
						.flags = CRYPT_PBKDF_NO_BENCHMARK};

		assert_int_equal(crypt_set_pbkdf_type(cd, &weak), 0);
		/* a second keyslot, as an administrator might have added */
		assert_true(crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, PASS, strlen(PASS),
							    "second", 6) >= 0);
		area = crypt_get_data_offset(cd) * 512;
		crypt_free(cd);
	}
	assert_true(area > 0 && area <= sizeof(before));
	assert_true(read_range(img("e.img"), 0, area, before));

	n = luksadm_erase(img("e.img"));
	assert_int_equal(n, 2);
	/* no LUKS signature (libblkid via probe), no header for libcryptsetup,
	 * nor for the cryptsetup binary */
	assert_int_equal(probe_path(img("e.img"), &m), 0);
	assert_int_not_equal(m.kind, MEDIA_LUKS);
	assert_true(luksadm_check_passphrase(img("e.img"), PASS, strlen(PASS)) < 0);
	assert_true(luksadm_check_passphrase(img("e.img"), "second", 6) < 0);
	assert_int_equal(luksadm_token_get(img("e.img"), TOKEN_TYPE, &back), -EBADMSG);
	snprintf(cmd, sizeof(cmd), "cryptsetup isLuks '%s' 2>/dev/null", img("e.img"));
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cryptsetup luksDump '%s' >/dev/null 2>&1", img("e.img"));
	assert_int_not_equal(system(cmd), 0);
	/* no 4 KiB block of the old header area survived */
	assert_true(read_range(img("e.img"), 0, area, after));
	for (uint64_t off = 0; off < area; off += 4096) {
		static const uint8_t zero[4096];

		if (!memcmp(before + off, zero, 4096))
			continue; /* it was zero before: nothing to erase */
		if (!memcmp(before + off, after + off, 4096))
			fail_msg("block at %llu unchanged by erase", (unsigned long long)off);
	}
	/* erasing again: there is nothing to erase */
	assert_int_equal(luksadm_erase(img("e.img")), -EBADMSG);
}

static void test_check_target(void **state)
{
	char why[256];

	(void)state;
	make_image("ok.img", 1 << 20);
	assert_int_equal(luksadm_check_target(img("ok.img"), why, sizeof(why)), 0);
	assert_int_equal(luksadm_check_target(dir, why, sizeof(why)), -ENOTBLK);
	assert_int_equal(luksadm_check_target(img("missing.img"), why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "cannot stat"));
}

/* The daemon's path: token_check_media() after the probe, then registry_check(). */
static void test_daemon_token_check(void **state)
{
	char uuid[40], *json, pub[160], regtext[512], why[256];
	struct ident_device stick = {.vid = 0x0781, .pid = 0x5583}, other = stick;
	struct diag_list d = {0};
	struct registry *reg = NULL;
	struct media_info m;
	FILE *f;

	(void)state;
	strcpy(stick.serial, SERIAL);
	strcpy(other.serial, "OTHER");
	format("d.img", uuid);
	snprintf(pub, sizeof(pub), "%s/org.pub", dir);
	f = fopen(pub, "w");
	assert_non_null(f);
	{
		char *pem = NULL;

		assert_int_equal(orgkey_public_pem(key, &pem), 0);
		fputs(pem, f);
		free(pem);
	}
	fclose(f);
	snprintf(regtext, sizeof(regtext),
		 "medium MG-0001 luks2 %s usb 0781:5583 serial \"" SERIAL "\" owner \"A\" "
		 "asset \"B\" enrolled 2026-11-21\n",
		 uuid);
	assert_int_equal(registry_parse_buffer("reg", regtext, strlen(regtext), &reg, &d), 0);

	/* no token yet: checked, not valid, not registered */
	assert_int_equal(probe_path(img("d.img"), &m), 0);
	assert_int_equal(token_check_media(pub, img("d.img"), &stick, &m, why, sizeof(why)),
			 -ENOENT);
	assert_true(m.token_checked);
	assert_false(m.token_valid);
	assert_false(registry_check(reg, &stick, &m, NULL, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "organisation token"));

	/* with the token: registered */
	json = make_token(uuid, SERIAL);
	assert_int_equal(luksadm_token_set(img("d.img"), TOKEN_TYPE, json), 0);
	free(json);
	assert_int_equal(probe_path(img("d.img"), &m), 0);
	assert_int_equal(token_check_media(pub, img("d.img"), &stick, &m, why, sizeof(why)), 0);
	assert_true(m.token_checked && m.token_valid);
	assert_true(registry_check(reg, &stick, &m, NULL, NULL, why, sizeof(why)));

	/* the token says another stick (registry entry faked for it): not registered */
	assert_int_equal(probe_path(img("d.img"), &m), 0);
	assert_int_equal(token_check_media(pub, img("d.img"), &other, &m, why, sizeof(why)),
			 -EMEDIUMTYPE);
	assert_false(m.token_valid);

	/* no organisation key on this desktop: not checked, registry alone decides */
	assert_int_equal(probe_path(img("d.img"), &m), 0);
	assert_int_equal(
		token_check_media("/nonexistent/org.pub", img("d.img"), &stick, &m, NULL, 0),
		-ENOENT);
	assert_false(m.token_checked);
	assert_true(registry_check(reg, &stick, &m, NULL, NULL, why, sizeof(why)));

	/* a broken key file fails closed */
	f = fopen(pub, "w");
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(probe_path(img("d.img"), &m), 0);
	assert_true(token_check_media(pub, img("d.img"), &stick, &m, NULL, 0) < 0);
	assert_true(m.token_checked);
	assert_false(registry_check(reg, &stick, &m, NULL, NULL, why, sizeof(why)));
	registry_free(reg);
	diag_list_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_token_in_header),
		cmocka_unit_test(test_tampered_token_in_header),
		cmocka_unit_test(test_header_copied_to_other_stick),
		cmocka_unit_test(test_erase),
		cmocka_unit_test(test_check_target),
		cmocka_unit_test(test_daemon_token_check),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
