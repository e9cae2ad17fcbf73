/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * luksadm: administrative LUKS2 operations for `mediagatectl` (adapter over
 * libcryptsetup; never the cryptsetup binary). Unlike probe.c, this module
 * writes: format, keyslots, tokens, crypto-erase. It works on block devices
 * and on image files; only luksadm_activate() needs device-mapper (root).
 *
 * Passphrases are passed as (pointer, length), never logged, and the caller
 * clears its copy.
 *
 * Test-only: with MEDIAGATE_TEST_WEAK_PBKDF=1 in the environment the argon2id
 * cost is cut to the minimum (4 iterations, 32 KiB, 1 thread, no benchmark)
 * so unit tests do not spend seconds per keyslot. Never set it in production;
 * mediagatectl warns when it is set.
 */
#ifndef MEDIAGATE_LUKSADM_H
#define MEDIAGATE_LUKSADM_H

#include <stdbool.h>
#include <stddef.h>

#define LUKSADM_WEAK_PBKDF_ENV "MEDIAGATE_TEST_WEAK_PBKDF"

struct luksadm_format_params {
	const char *cipher; /* "aes-xts-plain64" (cipher-mode as in the policy) */
	unsigned int key_bits; /* 512 */
	const char *label; /* LUKS2 label, may be NULL */
};

/* True if the weak test PBKDF is in force (environment). */
bool luksadm_weak_pbkdf(void);

/* Format @path as LUKS2 with one argon2id keyslot for the passphrase; the
 * new header's UUID into @ret_uuid. */
int luksadm_format(const char *path, const struct luksadm_format_params *p, const char *pass,
		   size_t pass_len, char ret_uuid[40]);

/* 0 if @pass opens a keyslot of @path's LUKS header; -EPERM if it opens
 * none; -EINVAL/-ENODEV... when there is no LUKS header. */
int luksadm_check_passphrase(const char *path, const char *pass, size_t pass_len);

/* Store @json as the one token of type @type (replacing an older one of that
 * type). @json must carry "type": @type. */
int luksadm_token_set(const char *path, const char *type, const char *json);
/* The token of type @type (malloc'ed JSON), -ENOENT if none. */
int luksadm_token_get(const char *path, const char *type, char **ret_json);
/* Remove every token of type @type; returns how many were removed. */
int luksadm_token_remove(const char *path, const char *type);

/* Open @path as /dev/mapper/@name (needs root and dm-crypt), close it. */
int luksadm_activate(const char *path, const char *name, const char *pass, size_t pass_len);
int luksadm_deactivate(const char *name);

/*
 * Crypto-erase: destroy every keyslot, overwrite the whole header area
 * (both LUKS2 metadata copies and the keyslot area, up to the data offset)
 * with random bytes and then the metadata copies with zeros, flush, and
 * check with libblkid (probe.c) that no LUKS signature is left.
 * Returns the number of keyslots destroyed, -EBADMSG if no LUKS header,
 * -EIO if a signature survived.
 */
int luksadm_erase(const char *path);

/*
 * Safety for enroll/retire: refuse a target that is mounted, holds a mounted
 * partition, is held by another device (dm, md), backs / or /boot, or (an
 * image file) is attached to a loop device. 0 when safe, -EBUSY with the
 * reason in @why otherwise, -errno if it cannot be checked.
 */
int luksadm_check_target(const char *path, char *why, size_t whysz);

#endif
