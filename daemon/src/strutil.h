/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strutil: bounded copies and escaping of hostile strings (USB strings,
 * filesystem labels). Escaped output is printable ASCII only: valid UTF-8
 * multibyte sequences are kept only when @keep_utf8 is set, everything else
 * outside 0x20..0x7e, plus '"' and '\\', becomes \xNN / \" / \\.
 */
#ifndef MEDIAGATE_STRUTIL_H
#define MEDIAGATE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Escape @len bytes of @src into @dst (size @dstsz, always NUL-terminated).
 * Returns the number of bytes the full escape needs (excluding NUL), like
 * snprintf, so truncation is detectable. */
size_t str_escape(char *dst, size_t dstsz, const char *src, size_t len, bool keep_utf8);

/* True if @s (@len bytes) is valid UTF-8 with no control characters. */
bool str_is_clean(const char *s, size_t len);

/* Copy at most @dstsz-1 bytes, stopping at NUL; returns true if truncated. */
bool str_copy_bounded(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
