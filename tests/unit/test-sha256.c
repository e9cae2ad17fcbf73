// SPDX-License-Identifier: GPL-2.0-or-later
/* test-sha256: the daemon's own SHA-256 against FIPS 180-4's examples and
 * against libcrypto on every length across the block and padding edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "sha256.h"

static const char *hex(const uint8_t *h)
{
	static char buf[2 * SHA256_LEN + 1];

	for (unsigned int i = 0; i < SHA256_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", h[i]);
	return buf;
}

static void test_fips_examples(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t h[SHA256_LEN];
	char *million;

	(void)state;
	sha256_digest(NULL, 0, h);
	assert_string_equal(hex(h),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_digest("abc", 3, h);
	assert_string_equal(hex(h),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_digest(two_blocks, strlen(two_blocks), h);
	assert_string_equal(hex(h),
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha256_digest(million, 1000000, h);
	free(million);
	assert_string_equal(hex(h),
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length 0..1100 of pseudo-random bytes (all 64-byte block and
 * 55/56-byte padding boundaries, a USB configuration's usual sizes). */
static void test_against_libcrypto(void **state)
{
	static uint8_t buf[1100];
	uint8_t ours[SHA256_LEN], theirs[SHA256_LEN];
	uint32_t x = 2463534242u;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (size_t len = 0; len <= sizeof(buf); len++) {
		sha256_digest(buf, len, ours);
		SHA256(buf, len, theirs);
		if (memcmp(ours, theirs, SHA256_LEN))
			fail_msg("length %zu: %s differs from libcrypto", len, hex(ours));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_against_libcrypto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
