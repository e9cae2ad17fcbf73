/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * media: what is on a stick, as probed through the read-only path (libblkid,
 * libcryptsetup). Pure data; filled by the probe adapter, or by hand from
 * `mediagatectl explain --media`. Strings come from the medium: hostile.
 */
#ifndef MEDIAGATE_MEDIA_H
#define MEDIAGATE_MEDIA_H

#include <stdbool.h>

enum media_kind {
	MEDIA_UNKNOWN = 0, /* not probed yet: rules that need media cannot be answered */
	MEDIA_NONE, /* readable, nothing recognised (blank, unknown fs) */
	MEDIA_PLAIN, /* a plain (unencrypted) filesystem */
	MEDIA_LUKS, /* a LUKS container */
};

struct media_info {
	enum media_kind kind;
	/* MEDIA_PLAIN */
	char fstype[32];
	char label[256];
	char fs_uuid[64];
	/* MEDIA_LUKS */
	int luks_version; /* 1 or 2 */
	char luks_uuid[40];
	char cipher[64]; /* "aes-xts-plain64" */
	unsigned int key_bits;
	bool token_present; /* a mediagate organisation token is in the header */
	/* Organisation token check (token_check_media(), token.h): done only
	 * where the desktop has the organisation public key; when done, a medium
	 * is registered only with a valid token for this header and stick. */
	bool token_checked;
	bool token_valid;
	/* Result of the registration check (registry + identity + encryption
	 * requirements + token), computed by the caller before deciding. */
	bool registered;
};

#endif
