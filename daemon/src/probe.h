/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe: what is on a medium, read through libblkid and libcryptsetup (the
 * adapter over both). Only reads: the daemon probes sticks while the kernel
 * write-blocker is in place, and image files in tests.
 *
 * A whole disk is probed first; when it carries a partition table, every
 * partition is probed and the results are combined, the weakest wins: any
 * plain filesystem makes the medium MEDIA_PLAIN (data on it is written
 * unencrypted), otherwise any LUKS container makes it MEDIA_LUKS (the first
 * one found describes it), otherwise MEDIA_NONE. Partitions of an image file
 * are probed by offset; LUKS found that way has no cipher/key size (those
 * need libcryptsetup on a device node), the daemon probes partition nodes.
 */
#ifndef MEDIAGATE_PROBE_H
#define MEDIAGATE_PROBE_H

#include "media.h"

/* The LUKS2 token type of the organisation token (issue 5 defines its
 * contents and signature; here only its presence is detected). */
#define PROBE_ORG_TOKEN_TYPE "mediagate-org"

/*
 * Probe the block device or image file @path into *@ret (kind never
 * MEDIA_UNKNOWN on success). Returns 0; -EBADMSG for a damaged LUKS header
 * or ambiguous signatures (several filesystems claim the same area);
 * -ENOENT/-EACCES/-EIO... when it cannot be read. *@ret untouched on error.
 */
int probe_path(const char *path, struct media_info *ret);

/* Read @path's LUKS2 token of type @type as JSON text (malloc'ed) into
 * *@ret_json. -ENOENT when there is none, -EBADMSG if not LUKS2. */
int probe_token_json(const char *path, const char *type, char **ret_json);

#endif
