/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop: mediagated's event loop. One epoll set over /dev/mediagate (kdev),
 * a signalfd (SIGHUP reload, SIGTERM/SIGINT stop), a udev monitor for
 * block disks (blockwatch) and a libmount monitor (mountwatch). No timers,
 * no polling: idle means asleep.
 *
 * On a hold: identify (ident_from_event + descriptor hash), decide
 * (decide.c), send the verdict (kdev), one audit line (audit.c ->
 * log_audit), one inventory row for storage devices. A hold whose rule
 * needs media facts is let in read-only; when its disk appears the disk is
 * probed (probe.c), the hold re-decided and, if that changed the verdict,
 * the new one sent on the same handle.
 *
 * Reload: parse the new policy (and its registry); swap only if both load,
 * otherwise keep the old ones and log the diagnostics. Then every tracked
 * device is re-decided and changed verdicts are sent (stage=reload).
 */
#ifndef MEDIAGATE_LOOP_H
#define MEDIAGATE_LOOP_H

#include <stdbool.h>

#include "mountwatch.h"

struct notify_config;

struct loop_config {
	const char *policy_path; /* required */
	const char *dev_path; /* NULL: /dev/mediagate */
	const char *db_path; /* NULL: /var/lib/mediagate/inventory.db; "": none */
	bool check_owner; /* refuse a policy not owned by root (default) */
	bool watch_block; /* udev monitor for media probing */
	bool signals; /* own a signalfd for the blocked signals */
	bool watch_mounts; /* libmount monitor: mount/unmount records */
	const char *mountinfo; /* NULL: /proc/self/mountinfo (tests: a file) */
	mountwatch_resolve_fn resolve; /* NULL: sysfs (tests: a fake) */
	const char *control_path; /* NULL: /run/mediagate/control; "": none */
	const char *control_group; /* NULL: "mediagate"; missing group: root only */
	const struct notify_config *notify; /* desktop notices; NULL: defaults (tests: a bus) */
};

struct loop;

/* Load policy + registry, open the inventory and the kernel device, ask the
 * kernel to replay pending holds. */
int loop_new(const struct loop_config *cfg, struct loop **ret_loop);
void loop_free(struct loop *l);

/* Wait up to @timeout_ms (-1: forever) and handle what is ready. Returns
 * 0, or -errno on a fatal error (the kernel device went away). */
int loop_dispatch(struct loop *l, int timeout_ms);
/* Dispatch until a stop signal; returns 0 or the fatal -errno. */
int loop_run(struct loop *l);
bool loop_stopped(const struct loop *l);

/* Reload the policy now (what SIGHUP does). 0 if swapped, -errno if the
 * old one was kept. */
int loop_reload(struct loop *l);

/* The disk @devnode of USB device @usb_name appeared (what the udev
 * monitor reports): start probing it (in a child, answered through the
 * loop) for every hold of that device that waits for its medium and is not
 * being probed already. Returns how many probes started. */
int loop_media_appeared(struct loop *l, const char *usb_name, const char *devnode);
/* Media probes still running. */
unsigned int loop_probes_running(const struct loop *l);

/*
 * Control requests (control.h) are served in the loop: status, list,
 * allow NAME [--for DURATION], block NAME, reload, events [--since UNIX],
 * inventory. "allow" without --for and "block" hold until the device is
 * unplugged; "allow --for" is bound to the stick's identity (VID:PID and
 * serial), so it survives a re-plug within its window, and expires by
 * itself (a timerfd): the device is re-decided by the policy and logged.
 */

/* Re-read the mount table now (what the libmount monitor triggers):
 * one audit line and inventory row per mount/unmount of a USB medium.
 * Returns how many were recorded, -errno. */
int loop_mounts_changed(struct loop *l);

#endif
