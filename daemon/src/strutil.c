// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * strutil: bounded copies and escaping of hostile strings.
 *
 * The escaped form is what the policy language reads back: \\ \" and \xNN
 * (lowercase hex), so an escaped device string can be pasted into
 * mediagate.conf and matches the same raw bytes.
 */
#include <string.h>

#include "strutil.h"

/*
 * Length of the valid UTF-8 sequence starting at @s (at most @len bytes), or
 * 0 if it is not valid: no overlong forms, no surrogates, nothing above
 * U+10FFFF. *ret_cp gets the code point.
 */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned int *ret_cp)
{
	unsigned int cp, min;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/*
 * Code points kept raw in keep_utf8 mode: everything printable except C1
 * controls and the bidirectional formatting characters, which can make a log
 * line or a terminal show something other than its bytes.
 */
static bool cp_is_safe(unsigned int cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return false;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return false;
	return true;
}

/* Append @n bytes of @s at *pos if all of them (plus the NUL) fit; count anyway. */
static void put(char *dst, size_t dstsz, size_t *pos, bool *full, const char *s, size_t n)
{
	if (!*full && dstsz && *pos + n < dstsz) {
		memcpy(dst + *pos, s, n);
		dst[*pos + n] = '\0';
	} else {
		*full = true; /* never emit a later, shorter piece after a cut */
	}
	if (!*full)
		*pos += n;
}

size_t str_escape(char *dst, size_t dstsz, const char *src, size_t len, bool keep_utf8)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t pos = 0, need = 0, i = 0;
	bool full = false;

	if (dstsz)
		dst[0] = '\0';
	while (i < len) {
		unsigned int cp = 0;
		size_t n = utf8_seq(s + i, len - i, &cp);
		char esc[4 * 4];
		size_t elen;

		if (n == 1 && s[i] == '"') {
			memcpy(esc, "\\\"", 2);
			elen = 2;
		} else if (n == 1 && s[i] == '\\') {
			memcpy(esc, "\\\\", 2);
			elen = 2;
		} else if (n == 1 && cp_is_safe(cp)) {
			esc[0] = (char)s[i];
			elen = 1;
		} else if (n > 1 && keep_utf8 && cp_is_safe(cp)) {
			memcpy(esc, s + i, n);
			elen = n;
		} else {
			/* escape every byte of an unsafe or invalid sequence */
			if (n == 0)
				n = 1;
			elen = 0;
			for (size_t k = 0; k < n; k++) {
				esc[elen++] = '\\';
				esc[elen++] = 'x';
				esc[elen++] = hex[s[i + k] >> 4];
				esc[elen++] = hex[s[i + k] & 0xf];
			}
		}
		put(dst, dstsz, &pos, &full, esc, elen);
		need += elen;
		i += n;
	}
	return need;
}

bool str_is_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned int cp;
		size_t n = utf8_seq(u + i, len - i, &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

bool str_copy_bounded(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen);
	bool truncated = false;

	if (dstsz == 0)
		return n > 0;
	if (n > dstsz - 1) {
		n = dstsz - 1;
		truncated = true;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return truncated;
}
