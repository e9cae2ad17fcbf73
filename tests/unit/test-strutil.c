// SPDX-License-Identifier: GPL-2.0-or-later
/* test-strutil: escaping and bounded copies of hostile strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strutil.h"

static const char *esc(const char *s, size_t len, bool keep_utf8)
{
	static char buf[512];
	size_t need = str_escape(buf, sizeof(buf), s, len, keep_utf8);

	assert_int_equal(need, strlen(buf));
	return buf;
}

static void test_escape_plain(void **state)
{
	(void)state;
	assert_string_equal(esc("SanDisk 3.2Gen1", 15, false), "SanDisk 3.2Gen1");
	assert_string_equal(esc("", 0, false), "");
}

static void test_escape_quotes_backslash(void **state)
{
	(void)state;
	assert_string_equal(esc("a\"b\\c", 5, false), "a\\\"b\\\\c");
}

static void test_escape_control(void **state)
{
	(void)state;
	assert_string_equal(esc("\x1b[31mX\n\t\x7f", 9, false), "\\x1b[31mX\\x0a\\x09\\x7f");
	/* an embedded NUL within @len is escaped, not a terminator */
	assert_string_equal(esc("a\0b", 3, false), "a\\x00b");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* valid UTF-8: kept with keep_utf8, escaped bytewise without */
	assert_string_equal(esc("\xe6\x97\xa5", 3, true), "\xe6\x97\xa5");
	assert_string_equal(esc("\xe6\x97\xa5", 3, false), "\\xe6\\x97\\xa5");
	/* invalid: lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF */
	assert_string_equal(esc("\x80", 1, true), "\\x80");
	assert_string_equal(esc("\xe6\x97", 2, true), "\\xe6\\x97");
	assert_string_equal(esc("\xc0\xaf", 2, true), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80", 3, true), "\\xed\\xa0\\x80");
	assert_string_equal(esc("\xf4\x90\x80\x80", 4, true), "\\xf4\\x90\\x80\\x80");
	/* C1 control and a bidi override are escaped even with keep_utf8 */
	assert_string_equal(esc("\xc2\x85", 2, true), "\\xc2\\x85");
	assert_string_equal(esc("a\xe2\x80\xae"
				"b",
				5, true),
			    "a\\xe2\\x80\\xaeb");
	/* a valid sequence after an invalid byte is still recognised */
	assert_string_equal(esc("\xff\xc3\xa9", 3, true), "\\xff\xc3\xa9");
}

static void test_escape_truncation(void **state)
{
	char buf[8];
	size_t need;

	(void)state;
	need = str_escape(buf, sizeof(buf), "abcdefghij", 10, false);
	assert_int_equal(need, 10);
	assert_string_equal(buf, "abcdefg");
	/* never a partial escape: "ab" + "\x01" does not fit in 5 */
	need = str_escape(buf, 5, "ab\x01z", 4, false);
	assert_int_equal(need, 7);
	assert_string_equal(buf, "ab");
	/* never a piece after a cut, even if it would fit */
	need = str_escape(buf, 6, "abc\x01z", 5, false);
	assert_string_equal(buf, "abc");
	assert_int_equal(need, 8);
	/* never half of a kept UTF-8 character */
	need = str_escape(buf, 4, "ab\xc3\xa9", 4, true);
	assert_string_equal(buf, "ab");
	assert_int_equal(need, 4);
	/* size 0 and 1 */
	assert_int_equal(str_escape(NULL, 0, "\"", 1, false), 2);
	buf[0] = 'X';
	assert_int_equal(str_escape(buf, 1, "a", 1, false), 1);
	assert_string_equal(buf, "");
}

static void test_is_clean(void **state)
{
	(void)state;
	assert_true(str_is_clean("Kingston DT", 11));
	assert_true(str_is_clean("\xe6\x97\xa5\xe6\x9c\xac", 6));
	assert_true(str_is_clean("", 0));
	assert_false(str_is_clean("a\tb", 3));
	assert_false(str_is_clean("a\x7f", 2));
	assert_false(str_is_clean("\xff", 1));
	assert_false(str_is_clean("\xc2\x9b", 2)); /* C1 CSI */
	assert_false(str_is_clean("a\0b", 3));
	assert_false(str_is_clean("\xe6\x97", 2));
}

static void test_copy_bounded(void **state)
{
	char buf[5];

	(void)state;
	assert_false(str_copy_bounded(buf, sizeof(buf), "abcd", 10));
	assert_string_equal(buf, "abcd");
	assert_true(str_copy_bounded(buf, sizeof(buf), "abcde", 10));
	assert_string_equal(buf, "abcd");
	/* stops at srclen, and at an embedded NUL */
	assert_false(str_copy_bounded(buf, sizeof(buf), "abcdefgh", 2));
	assert_string_equal(buf, "ab");
	assert_false(str_copy_bounded(buf, sizeof(buf), "a\0cdefgh", 8));
	assert_string_equal(buf, "a");
	assert_true(str_copy_bounded(buf, 0, "a", 1));
	assert_false(str_copy_bounded(buf, 0, "", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_quotes_backslash),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_is_clean),
		cmocka_unit_test(test_copy_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
