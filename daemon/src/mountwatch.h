/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountwatch: mounts and unmounts of filesystems that live on a USB medium,
 * directly, through a partition, or through a device-mapper (dm-crypt)
 * mapping on top of it (slaves are followed). Adapter over libmount's
 * monitor and the mount table; the pure helpers are in mountwatch_util.c.
 *
 * The table present at start is the baseline and is not reported, so a
 * restarted daemon never reports a mount twice. A remount (ro <-> rw) of the
 * same mount is not a new mount.
 */
#ifndef MEDIAGATE_MOUNTWATCH_H
#define MEDIAGATE_MOUNTWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "ident.h"

struct mountwatch_mount {
	int id; /* mount id from mountinfo */
	char source[256]; /* "/dev/sdb1", "/dev/mapper/x" */
	char target[512]; /* mountpoint, raw (may hold any byte but NUL) */
	char fstype[32];
	bool readonly;
	char usb_name[IDENT_NAME_MAX]; /* the USB device under it: "2-1.4" */
	/* Filled by the event callback at mount time and kept for the
	 * unmount (the stick may be gone by then). */
	bool described;
	struct ident_device dev;
	char label[256];
	char uuid[64];
	char user[64];
	const char *user_source;
};

/* Does block device @source live on a USB device? 1 and its name in @ret,
 * 0 if not, -errno. */
typedef int (*mountwatch_resolve_fn)(const char *source, char *ret, size_t sz, void *userdata);
typedef void (*mountwatch_event_fn)(struct mountwatch_mount *m, bool unmount, void *userdata);

struct mountwatch;

/*
 * @mountinfo: NULL for /proc/self/mountinfo (tests pass a file). @monitor:
 * open a libmount kernel monitor (mountwatch_fd() is then pollable).
 * @resolve: NULL for mountwatch_resolve_sysfs(). Reads the baseline.
 */
int mountwatch_new(const char *mountinfo, bool monitor, mountwatch_resolve_fn resolve,
		   void *resolve_data, struct mountwatch **ret_mw);
void mountwatch_free(struct mountwatch *mw);
int mountwatch_fd(const struct mountwatch *mw); /* -1 without monitor */

/* Drain the monitor, re-read the table and report every mount/unmount of
 * a USB medium since the last call. Returns how many were reported. */
int mountwatch_refresh(struct mountwatch *mw, mountwatch_event_fn fn, void *userdata);

/* The default resolver: /sys/dev/block/MAJ:MIN, following dm slaves. */
int mountwatch_resolve_sysfs(const char *source, char *ret, size_t sz, void *userdata);

/*
 * Who mounted it: from the path (/media/USER/..., /run/media/USER/...),
 * else the mountpoint's owner if not root, else the active user of seat0.
 * *@ret_source is "path", "owner", "seat" or "unknown" (then @ret is "").
 */
void mountwatch_user(const char *target, char *ret, size_t sz, const char **ret_source);

/* Pure helpers (mountwatch_util.c). */
/* The innermost USB device name ("2-1.4") in a sysfs device path; -ENOENT. */
int mountwatch_usb_name(const char *syspath, char *ret, size_t sz);
/* USER from /media/USER/... or /run/media/USER/...; false otherwise. */
bool mountwatch_user_from_path(const char *target, char *ret, size_t sz);

#endif
