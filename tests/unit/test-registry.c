// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the registry parser, lookups and registry_check().
 *
 * The binary doubles as the helper of the golden suite (tests/registry):
 *   test-registry --parse FILE   canonical entries, or the diagnostics + exit 1
 *   test-registry --bench N      load time and lookup time for N generated media
 * Without arguments it runs the cmocka tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"

#define UUID1 "3f0c6a1e-8d2b-4c4e-9a57-0b1d2e3f4a5b"
#define UUID2 "9e8d7c6b-5a49-4838-a726-150403020100"

static const char good[] =
	"# company sticks\n"
	"medium USB-0042 luks2 " UUID1 " usb 0781:5583 serial \"4C530001\" \\\n"
	"       owner \"Taro Yamada\" asset \"PC-0042\" enrolled 2026-11-21\n"
	"\n"
	"medium USB-0043 luks2 " UUID2 " usb 0781:5583 serial \"A\\x1b[31m\\\"\\\\\" "
	"owner \"\xe5\xb1\xb1\xe7\x94\xb0\" asset \"PC-0043\" enrolled 2026-01-02 retired "
	"2026-06-30\n";

static struct registry *parse(const char *buf, struct diag_list *diags)
{
	struct registry *r = NULL;
	int ret = registry_parse_buffer("t.reg", buf, strlen(buf), &r, diags);

	if (ret < 0) {
		assert_null(r);
		return NULL;
	}
	assert_non_null(r);
	return r;
}

static void test_parse_good(void **state)
{
	struct diag_list d = {0};
	struct registry *r = parse(good, &d);
	const struct registry_entry *e;

	(void)state;
	assert_non_null(r);
	assert_int_equal(d.n, 0);
	assert_int_equal(registry_count(r), 2);

	e = registry_find_medium(r, "USB-0042");
	assert_non_null(e);
	assert_string_equal(e->luks_uuid, UUID1);
	assert_int_equal(e->luks_version, 2);
	assert_int_equal(e->vid, 0x0781);
	assert_int_equal(e->pid, 0x5583);
	assert_string_equal(e->serial, "4C530001");
	assert_string_equal(e->owner, "Taro Yamada");
	assert_string_equal(e->asset, "PC-0042");
	assert_string_equal(e->enrolled, "2026-11-21");
	assert_string_equal(e->retired, "");
	assert_int_equal(e->line, 2);

	e = registry_find_uuid(r, UUID2);
	assert_non_null(e);
	assert_string_equal(e->medium_id, "USB-0043");
	assert_string_equal(e->serial, "A\x1b[31m\"\\");
	assert_string_equal(e->owner, "\xe5\xb1\xb1\xe7\x94\xb0");
	assert_string_equal(e->retired, "2026-06-30");
	assert_int_equal(e->line, 5);

	/* UUID lookups ignore case; unknown keys miss. */
	assert_ptr_equal(registry_find_uuid(r, "3F0C6A1E-8D2B-4C4E-9A57-0B1D2E3F4A5B"),
			 registry_find_medium(r, "USB-0042"));
	assert_null(registry_find_uuid(r, "00000000-0000-0000-0000-000000000000"));
	assert_null(registry_find_medium(r, "USB-0044"));
	assert_null(registry_find_medium(r, "usb-0042"));
	assert_ptr_equal(registry_entry_at(r, 0), registry_find_medium(r, "USB-0042"));
	assert_null(registry_entry_at(r, 2));
	registry_free(r);
}

/* Retired media are found by USB identity (their LUKS header is gone); a
 * medium in service and a stick enrolled again after retirement are not. */
static void test_find_retired_usb(void **state)
{
	static const char again[] =
		"medium OLD-1 luks2 11111111-0000-4000-8000-000000000001 usb 0781:5583 serial "
		"\"S1\" owner \"a\" asset \"b\" enrolled 2026-01-01 retired 2026-02-01\n"
		"medium NEW-1 luks2 11111111-0000-4000-8000-000000000002 usb 0781:5583 serial "
		"\"S1\" owner \"a\" asset \"b\" enrolled 2026-02-02\n"
		"medium OLD-2 luks2 11111111-0000-4000-8000-000000000003 usb 0781:5583 serial "
		"\"S2\" owner \"a\" asset \"b\" enrolled 2026-01-01 retired 2026-02-01\n";
	struct diag_list d = {0};
	struct registry *r = parse(good, &d);
	const struct registry_entry *e;

	(void)state;
	e = registry_find_retired_usb(r, 0x0781, 0x5583, "A\x1b[31m\"\\");
	assert_non_null(e);
	assert_string_equal(e->medium_id, "USB-0043");
	assert_null(registry_find_retired_usb(r, 0x0781, 0x5583, "4C530001")); /* in service */
	assert_null(registry_find_retired_usb(r, 0x0781, 0x5584, "A\x1b[31m\"\\"));
	assert_null(registry_find_retired_usb(r, 0x0781, 0x5583, ""));
	assert_null(registry_find_retired_usb(NULL, 0x0781, 0x5583, "4C530001"));
	registry_free(r);

	r = parse(again, &d);
	assert_null(registry_find_retired_usb(r, 0x0781, 0x5583, "S1"));
	e = registry_find_retired_usb(r, 0x0781, 0x5583, "S2");
	assert_non_null(e);
	assert_string_equal(e->medium_id, "OLD-2");
	registry_free(r);
}

/* Canonical print parses back to the same entry, hostile bytes included. */
static void test_print_roundtrip(void **state)
{
	struct diag_list d = {0};
	struct registry *r = parse(good, &d), *r2;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	for (size_t i = 0; i < registry_count(r); i++)
		registry_print_entry(registry_entry_at(r, i), f);
	fclose(f);
	assert_non_null(strstr(buf, "serial \"A\\x1b[31m\\\"\\\\\""));
	/* one line per entry: no raw control byte escaped the printer */
	for (size_t i = 0; i < len; i++)
		assert_true(buf[i] == '\n' || (unsigned char)buf[i] >= 0x20);
	r2 = parse(buf, &d);
	assert_non_null(r2);
	assert_int_equal(registry_count(r2), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct registry_entry *a = registry_entry_at(r, i);
		const struct registry_entry *b = registry_entry_at(r2, i);

		assert_string_equal(a->serial, b->serial);
		assert_string_equal(a->owner, b->owner);
		assert_string_equal(a->retired, b->retired);
		assert_string_equal(a->luks_uuid, b->luks_uuid);
	}
	free(buf);
	registry_free(r);
	registry_free(r2);
}

static void expect_diags(const char *buf, const char *expected)
{
	struct diag_list d = {0};
	struct registry *r = parse(buf, &d);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_null(r);
	f = open_memstream(&out, &len);
	diag_print(&d, f);
	fclose(f);
	assert_string_equal(out, expected);
	free(out);
	diag_list_free(&d);
}

static void test_errors(void **state)
{
	(void)state;
	expect_diags("medium A luks2 " UUID1 " usb 0781:5583 serial \"x\" owner \"o\" "
		     "asset \"a\" enrolled 2026-11-21 colour \"red\"\n",
		     "t.reg:1:118: unknown keyword 'colour'\n");
	expect_diags("medium A luks2 " UUID1 " usb 0781:5583 serial \"x\" owner \"o\" "
		     "asset \"a\" enrolled 2026-02-30\n",
		     "t.reg:1:107: bad date '2026-02-30' (want YYYY-MM-DD)\n");
	expect_diags("medium A luks2 " UUID1 " usb 0781:5583 serial \"x\n",
		     "t.reg:1:74: unterminated string\n");
	expect_diags("medium A luks2 " UUID1 "\n",
		     "t.reg:1:1: missing 'usb'\nt.reg:1:1: missing 'serial'\n"
		     "t.reg:1:1: missing 'owner'\nt.reg:1:1: missing 'asset'\n"
		     "t.reg:1:1: missing 'enrolled'\n");
	/* every bad line is reported, not just the first */
	expect_diags("medum X\nmedium Y luks3 x\n",
		     "t.reg:1:1: expected 'medium' at the start of an entry\n"
		     "t.reg:2:10: unknown keyword 'luks3'\n");
	/* a NUL byte in the middle of the buffer is not a string terminator */
	{
		static const char nul[] = "medium A\0 luks2\n";
		struct diag_list d = {0};
		struct registry *r = NULL;

		assert_int_equal(registry_parse_buffer("t.reg", nul, sizeof(nul) - 1, &r, &d),
				 -EINVAL);
		assert_null(r);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.v[0].line, 1);
		assert_int_equal(d.v[0].col, 9);
		diag_list_free(&d);
	}
}

static void test_duplicates(void **state)
{
	char buf[1024];

	(void)state;
	snprintf(buf, sizeof(buf),
		 "medium A luks2 %s usb 0781:5583 serial \"x\" owner \"o\" asset \"a\" enrolled "
		 "2026-11-21\n"
		 "medium A luks2 %s usb 0781:5583 serial \"x\" owner \"o\" asset \"a\" enrolled "
		 "2026-11-21\n"
		 "medium B luks2 %s usb 0781:5583 serial \"x\" owner \"o\" asset \"a\" enrolled "
		 "2026-11-21\n",
		 UUID1, UUID2, UUID1);
	expect_diags(buf, "t.reg:2:8: duplicate medium id (first defined on line 1)\n"
			  "t.reg:3:16: duplicate LUKS UUID (first registered on line 1)\n");
}

static void test_load_refuses_writable(void **state)
{
	char path[] = "/tmp/test-registry-XXXXXX";
	struct diag_list d = {0};
	struct registry *r = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(registry_load(path, &r, &d), 0);
	assert_int_equal(registry_count(r), 2);
	registry_free(r);
	r = NULL;
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(registry_load(path, &r, &d), -EPERM);
	assert_null(r);
	assert_int_equal(d.n, 1);
	unlink(path);
	assert_int_equal(registry_load(path, &r, &d), -ENOENT);
	diag_list_free(&d);
}

static struct media_info luks(const char *uuid, const char *cipher, unsigned int bits, int ver)
{
	struct media_info m = {.kind = MEDIA_LUKS, .luks_version = ver, .key_bits = bits};

	snprintf(m.luks_uuid, sizeof(m.luks_uuid), "%s", uuid);
	snprintf(m.cipher, sizeof(m.cipher), "%s", cipher);
	return m;
}

static void check_reg(const struct registry *r, const struct ident_device *dev, struct media_info m,
		      bool want, const char *why_has)
{
	static const struct policy_encryption enc = {
		.luks_version = 2, .cipher = "aes-xts-plain64", .min_key_bits = 512};
	const struct registry_entry *e = NULL;
	char why[256];
	bool got;

	m.registered = !want;
	got = registry_check(r, dev, &m, &enc, &e, why, sizeof(why));
	if (got != want || !strstr(why, why_has))
		fail_msg("registered=%d, want %d; why \"%s\" lacks \"%s\"", got, want, why,
			 why_has);
	assert_int_equal(m.registered, want);
}

static void test_check(void **state)
{
	struct diag_list d = {0};
	struct registry *r = parse(good, &d);
	struct ident_device dev = {.vid = 0x0781, .pid = 0x5583, .serial = "4C530001"};
	struct ident_device other = dev;
	struct media_info plain = {.kind = MEDIA_PLAIN};

	(void)state;
	check_reg(r, &dev, luks(UUID1, "aes-xts-plain64", 512, 2), true, "medium USB-0042");
	check_reg(r, &dev, luks("3F0C6A1E-8D2B-4C4E-9A57-0B1D2E3F4A5B", "aes-xts-plain64", 512, 2),
		  true, "USB-0042");
	check_reg(r, &dev, luks("00000000-0000-0000-0000-000000000000", "aes-xts-plain64", 512, 2),
		  false, "not in the registry");
	check_reg(r, &dev, plain, false, "not a LUKS medium");
	/* header copied onto another stick: identity differs */
	other.pid = 0x5581;
	check_reg(r, &other, luks(UUID1, "aes-xts-plain64", 512, 2), false,
		  "USB id 0781:5581, enrolled as 0781:5583");
	other = dev;
	snprintf(other.serial, sizeof(other.serial), "4C530002");
	check_reg(r, &other, luks(UUID1, "aes-xts-plain64", 512, 2), false, "USB serial");
	check_reg(r, &dev, luks(UUID1, "aes-cbc-essiv:sha256", 512, 2), false, "cipher");
	check_reg(r, &dev, luks(UUID1, "aes-xts-plain64", 256, 2), false, "256-bit key");
	check_reg(r, &dev, luks(UUID1, "aes-xts-plain64", 512, 1), false, "LUKS1 header");
	check_reg(r, &dev, luks(UUID1, "aes-xts-plain64", 512, 2), true, "Taro Yamada");
	/* retired medium: never registered */
	other = dev;
	snprintf(other.serial, sizeof(other.serial), "A\x1b[31m\"\\");
	check_reg(r, &other, luks(UUID2, "aes-xts-plain64", 512, 2), false, "retired");
	registry_free(r);
}

/* Generate @n valid entries. */
static char *generate(size_t n, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"medium M%06zu luks2 %08zx-0000-4000-8000-%012zx usb 0781:5583 serial "
			"\"S%zu\" "
			"owner \"Owner %zu\" asset \"A-%zu\" enrolled 2026-01-01\n",
			i, i * 2654435761u % 0xffffffffu, i, i, i, i);
	fclose(f);
	*ret_len = len;
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_many(void **state)
{
	size_t len, n = 100000;
	char *buf = generate(n, &len);
	struct diag_list d = {0};
	struct registry *r = NULL;
	char key[64];
	double t0;

	(void)state;
	t0 = now();
	assert_int_equal(registry_parse_buffer("big", buf, len, &r, &d), 0);
	fprintf(stderr, "# 100000 entries loaded in %.1f ms\n", (now() - t0) * 1e3);
	assert_int_equal(registry_count(r), n);
	for (size_t i = 0; i < n; i += 7) {
		const struct registry_entry *e;

		snprintf(key, sizeof(key), "M%06zu", i);
		e = registry_find_medium(r, key);
		assert_non_null(e);
		assert_ptr_equal(registry_find_uuid(r, e->luks_uuid), e);
	}
	assert_null(registry_find_medium(r, "M100000"));
	registry_free(r);
	free(buf);
}

/* The shortest possible entries, back to back: the array bound holds. */
static void test_minimal_entries(void **state)
{
	static const char ids[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char buf[sizeof(ids) * 120];
	struct diag_list d = {0};
	struct registry *r = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) - 1; i++) {
		int n = snprintf(buf + len, sizeof(buf) - len,
				 "%smedium %c luks2 00000000-0000-0000-0000-%012zx usb 0000:0000 "
				 "serial\"\"owner\"\"asset\"\"enrolled 2026-01-01",
				 i ? "\n" : "", ids[i], i);

		assert_int_equal(n, i ? 108 : 107);
		len += (size_t)n;
	}
	assert_int_equal(registry_parse_buffer("min", buf, len, &r, &d), 0);
	assert_int_equal(registry_count(r), sizeof(ids) - 1);
	assert_non_null(registry_find_medium(r, "9"));
	registry_free(r);
}

static int bench(size_t n)
{
	size_t len;
	char *buf = generate(n, &len);
	struct diag_list d = {0};
	struct registry *r = NULL;
	double t0, t1, t2;
	char key[64];

	t0 = now();
	if (registry_parse_buffer("bench", buf, len, &r, &d) < 0) {
		diag_print(&d, stderr);
		return 1;
	}
	t1 = now();
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "M%06zu", i);
		if (!registry_find_uuid(r, registry_find_medium(r, key)->luks_uuid))
			return 1;
	}
	t2 = now();
	printf("registry: %zu media, load %.1f ms, lookup (id + uuid) %.0f ns\n", n,
	       (t1 - t0) * 1e3, (t2 - t1) * 1e9 / (double)n);
	registry_free(r);
	free(buf);
	return 0;
}

/* Golden-suite helper: print canonical entries or the diagnostics. */
static int parse_file(const char *path)
{
	struct diag_list d = {0};
	struct registry *r = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = fopen(path, "re");
	char chunk[4096];

	if (!f) {
		perror(path);
		return 2;
	}
	{
		FILE *m = open_memstream(&buf, &len);

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		fclose(m);
	}
	fclose(f);
	if (registry_parse_buffer(path, buf, len, &r, &d) < 0) {
		diag_print(&d, stdout);
		diag_list_free(&d);
		free(buf);
		return 1;
	}
	for (size_t i = 0; i < registry_count(r); i++)
		registry_print_entry(registry_entry_at(r, i), stdout);
	registry_free(r);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_find_retired_usb),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_load_refuses_writable),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_minimal_entries),
	};

	if (argc == 3 && !strcmp(argv[1], "--parse"))
		return parse_file(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(strtoul(argv[2], NULL, 10));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
