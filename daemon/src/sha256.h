/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256: SHA-256 (FIPS 180-4) of a buffer. The daemon hashes USB
 * descriptors with it; it is here rather than in libcrypto so that the
 * long-lived daemon does not map libcrypto (3.3 MB resident for one hash
 * function: bench/RESULTS.md, "Daemon decision time and RSS").
 */
#ifndef MEDIAGATE_SHA256_H
#define MEDIAGATE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* The SHA-256 digest of @len bytes at @buf into @ret (@buf may be NULL
 * when @len is 0). */
void sha256_digest(const void *buf, size_t len, uint8_t ret[SHA256_LEN]);

#endif
