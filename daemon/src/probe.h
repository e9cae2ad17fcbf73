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

#include <stddef.h>

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

/*
 * probe_path() in a child process: the medium's bytes are parsed by
 * libblkid and libcryptsetup outside the daemon, and a stick that stalls
 * its reads costs at most @timeout_ms (-ETIMEDOUT; the child is killed).
 * The child keeps only its reply pipe (no inherited descriptor such as
 * /dev/mediagate), drops every capability, sets no-new-privileges and is
 * not dumpable. With @drop_to_uid != 0 it also gives up root first: uid
 * @drop_to_uid, gid and only supplementary group @gid (the "disk" group
 * can read block devices; needs CAP_SETUID/CAP_SETGID).
 */
int probe_path_isolated(const char *path, int timeout_ms, unsigned int drop_to_uid,
			unsigned int gid, struct media_info *ret);

/*
 * The same, asynchronously, for an event loop: probe_start() forks the
 * child; ret->fd becomes readable when it is done; probe_finish() then reads
 * its answer (0 and *@ret, or -errno) and reaps it; probe_cancel() kills and
 * reaps a child that takes too long. Each job ends in exactly one of the two.
 * @post (may be NULL) runs in the child after a successful probe, with the
 * same restrictions, to check more of the medium (the organisation token):
 * it may change *@m and explain in @why, which probe_finish() hands back.
 */
struct probe_job {
	int pid;
	int fd;
};
typedef void (*probe_post_fn)(const char *path, struct media_info *m, char *why, size_t whysz,
			      void *userdata);
int probe_start(const char *path, unsigned int drop_to_uid, unsigned int gid, probe_post_fn post,
		void *userdata, struct probe_job *ret);
int probe_finish(struct probe_job *job, struct media_info *ret, char *why, size_t whysz);
void probe_cancel(struct probe_job *job);

/* What a probe child writes on its reply pipe (fd 3 of mediagate-probe). */
struct probe_reply {
	int r;
	struct media_info m;
	char why[256];
};

/* Give up every capability (always allowed; root's file ownership stays). */
int probe_drop_caps(void);

/*
 * The daemon's probes (probe_job.c): the child execs the mediagate-probe
 * helper instead of parsing in a copy of the daemon, so the daemon never
 * maps libblkid, libcryptsetup and what they pull in. probe_helper_open()
 * finds the helper (PROBE_HELPER_NAME next to the running program, else
 * PROBE_HELPER_PATH; -EPERM if group/other-writable or owned by someone
 * else) and opens it O_PATH into *@ret_fd, its path into @path.
 * probe_exec_start() is probe_start() with the helper: same restrictions
 * (only its pipes, no capabilities, no-new-privileges) plus an empty
 * environment; @dev (@devsz bytes, may be NULL) is handed to the helper on
 * its stdin: a struct ident_device for the organisation token check of a
 * LUKS medium. Finished with probe_finish() / probe_cancel().
 * probe_exec_run(): the same, waiting at most @timeout_ms.
 */
#define PROBE_HELPER_NAME "mediagate-probe"
#define PROBE_HELPER_PATH "/usr/libexec/mediagate/" PROBE_HELPER_NAME
int probe_helper_open(char *path, size_t pathsz, int *ret_fd);
int probe_exec_start(int helper_fd, const char *path, const void *dev, size_t devsz,
		     struct probe_job *ret);
int probe_exec_run(int helper_fd, const char *path, int timeout_ms, struct media_info *ret);

/* Read @path's LUKS2 token of type @type as JSON text (malloc'ed) into
 * *@ret_json. -ENOENT when there is none, -EBADMSG if not LUKS2. */
int probe_token_json(const char *path, const char *type, char **ret_json);

#endif
