// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: strutil, the escaping every device-supplied string goes
 * through before it reaches a log, an audit line or the policy language.
 *
 * The input is the hostile string itself. Checked on every input:
 *  - the escaped form un-escapes (\\ \" \xNN, as the policy lexer reads
 *    them) to exactly the input bytes: escaping loses and invents nothing;
 *  - it is clean (str_is_clean) and, without keep_utf8, printable ASCII;
 *  - the returned length is the full length whatever the buffer size, and
 *    a short buffer gets a NUL-terminated prefix of the full form;
 *  - str_copy_bounded copies up to the first NUL, within bounds, and says
 *    truthfully whether it cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "strutil.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo the escaping into @out; returns the length, or -1 on a bad escape. */
static long unescape(const char *s, size_t len, unsigned char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i];
			continue;
		}
		if (i + 1 >= len)
			return -1;
		if (s[i + 1] == '\\' || s[i + 1] == '"') {
			out[o++] = (unsigned char)s[++i];
		} else if (s[i + 1] == 'x' && i + 3 < len && hexval(s[i + 2]) >= 0 &&
			   hexval(s[i + 3]) >= 0) {
			out[o++] = (unsigned char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 3;
		} else {
			return -1;
		}
	}
	return (long)o;
}

static void check_escape(const uint8_t *data, size_t size, bool keep_utf8)
{
	size_t cap = size * 4 + 1, n, m;
	char *full = malloc(cap), *part = malloc(cap);
	unsigned char *back = malloc(size + 1);
	long blen;

	if (!full || !part || !back)
		abort();
	n = str_escape(full, cap, (const char *)data, size, keep_utf8);
	fuzz_assert(n < cap && strlen(full) == n, "escape of %zu bytes: returned %zu, wrote %zu",
		    size, n, strlen(full));
	fuzz_assert(str_is_clean(full, n), "escaped form is not clean (keep_utf8=%d)", keep_utf8);
	for (size_t i = 0; i < n && !keep_utf8; i++)
		fuzz_assert(full[i] >= 0x20 && full[i] <= 0x7e, "byte 0x%02x at %zu in ASCII mode",
			    (unsigned char)full[i], i);
	for (size_t i = 0; i < n; i++)
		fuzz_assert(full[i] != '"' || (i > 0 && full[i - 1] == '\\'),
			    "unescaped quote at %zu", i);
	blen = unescape(full, n, back);
	fuzz_assert(blen == (long)size && !memcmp(back, data, size),
		    "escaped form does not read back to the input (keep_utf8=%d)", keep_utf8);

	/*
	 * Short buffers: same return value, a terminated prefix. Besides the
	 * edges, one cut point chosen by the input's last two bytes: over a run
	 * every cut (inside an escape sequence, inside a UTF-8 sequence) is
	 * tried, for the price of one str_escape per input.
	 */
	size_t cut = size >= 2 ? ((size_t)data[size - 2] << 8 | data[size - 1]) % (n + 1) : n / 2;
	const size_t sizes[] = {0, 1, cut, n, n + 1};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t sz = sizes[k];

		if (sz > n + 1) /* n + 1 <= cap */
			continue;
		memset(part, 'Z', sz < cap ? sz + 1 : cap);
		m = str_escape(part, sz, (const char *)data, size, keep_utf8);
		fuzz_assert(m == n, "dstsz %zu: returned %zu, full length %zu", sz, m, n);
		if (sz == 0) {
			fuzz_assert(part[0] == 'Z', "wrote into a zero-size buffer");
			continue;
		}
		m = strnlen(part, sz);
		fuzz_assert(m < sz, "dstsz %zu: not terminated", sz);
		fuzz_assert(!memcmp(part, full, m), "dstsz %zu: not a prefix of the full form", sz);
		fuzz_assert(sz == cap || part[sz] == 'Z', "dstsz %zu: wrote past the buffer", sz);
	}
	free(full);
	free(part);
	free(back);
}

static void check_copy(const uint8_t *data, size_t size)
{
	size_t first_nul = strnlen((const char *)data, size);

	for (size_t sz = 0; sz < 24; sz += 3) {
		char dst[32];
		bool cut;

		memset(dst, 'Z', sizeof(dst));
		cut = str_copy_bounded(dst, sz, (const char *)data, size);
		if (sz == 0) {
			fuzz_assert(dst[0] == 'Z', "wrote into a zero-size buffer");
			continue;
		}
		fuzz_assert(dst[sz] == 'Z', "dstsz %zu: wrote past the buffer", sz);
		fuzz_assert(strlen(dst) == (first_nul < sz - 1 ? first_nul : sz - 1),
			    "dstsz %zu: copied %zu bytes of %zu", sz, strlen(dst), first_nul);
		fuzz_assert(!memcmp(dst, data, strlen(dst)), "dstsz %zu: not the input", sz);
		fuzz_assert(cut == (first_nul > sz - 1), "dstsz %zu: truncated=%d, wrong", sz, cut);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512) /* device strings are at most 255 bytes */
		return 0;
	check_escape(data, size, false);
	check_escape(data, size, true);
	check_copy(data, size);
	return 0;
}
