/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decide: the decision flow glue (pure). A kernel hold plus the device's
 * identity, the policy, the registry and (once probed) the media facts give
 * one verdict record for MEDIAGATE_IOC_VERDICT, per interface, following the
 * mapping in policy.h:
 *
 *   allow    -> verdict ALLOW, every interface inherits it
 *   readonly -> verdict READONLY; on a device-level hold each storage
 *               interface READONLY and every other interface DENY
 *   block    -> verdict DENY, every interface inherits it
 *
 * An interface-level hold exists because a storage driver asked for that
 * interface, so it takes the verdict as it is (the kernel turns READONLY
 * into DENY on a driver that is not SCSI storage).
 *
 * Media-dependent rules: when the policy needs media facts that are not
 * known yet, the record says READONLY with needs_media set. The caller lets
 * the stick in read-only, probes it (probe.c), calls decide_hold() again
 * with the facts, and sends the new verdict on the same handle if it
 * changed (decide_upgrade() tells).
 */
#ifndef MEDIAGATE_DECIDE_H
#define MEDIAGATE_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "ident.h"
#include "media.h"
#include "policy.h"
#include "registry.h"
#include "uapi/linux/mediagate.h"

struct decide_verdict {
	uint64_t handle;
	bool device_level;
	unsigned int verdict; /* MEDIAGATE_VERDICT_* */
	uint8_t intf_verdict[MEDIAGATE_MAX_INTF]; /* by bInterfaceNumber; 0 = inherit */
	struct policy_decision dec;
	struct media_info media; /* as decided on (registered filled in) */
	bool have_media;
	char medium_id[64]; /* registry entry found by LUKS UUID, or "" */
	char registry_why[256]; /* registration check's explanation, or "" */
	char interfaces[256]; /* "0:readonly 1:deny" for the audit line */
	bool manual; /* set by an administrator, not the policy */
	/* issue 5: the stick's USB identity is that of a retired medium and it
	 * is not registered now; set on a final decision (no media pending) */
	char retired_medium[64]; /* that medium's id, or "" */
	char retired_on[32]; /* its retirement date */
};

/*
 * Decide hold @ev (a MEDIAGATE_EV_HELD record) for device @dev. @media may
 * be NULL (not probed yet); @reg may be NULL (no registry: nothing is
 * registered). Returns 0 or -EINVAL (not a hold, bad level).
 */
int decide_hold(const struct policy *p, const struct registry *reg,
		const struct mediagate_event *ev, const struct ident_device *dev,
		const struct media_info *media, struct decide_verdict *ret);

/* Map a policy verdict onto @ev's hold (the table above). */
int decide_map(const struct mediagate_event *ev, const struct ident_device *dev,
	       enum policy_verdict v, struct decide_verdict *ret);

/* After the media re-decision @next of a hold first answered with @prev:
 * true if @next must be sent (it differs from what is in force). */
bool decide_changed(const struct decide_verdict *prev, const struct decide_verdict *next);

/* Policy verdict name as used in audit lines: "allow", "readonly", "block". */
const char *decide_verdict_name(unsigned int mediagate_verdict);

/*
 * Holds waiting for their medium: a small table keyed by handle, looked up
 * by the USB device name when a block device appears under it.
 */
#define DECIDE_MAX_PENDING 64

struct decide_pending {
	uint64_t handle;
	uint64_t since_ns;
	struct mediagate_event ev;
	struct ident_device dev;
	struct decide_verdict first;
	/* learnt from a PRESENT record after a restart, not probed since: the
	 * media facts it was decided on are lost (loop_restart.c) */
	bool restarted;
};

struct decide_pending_table {
	struct decide_pending v[DECIDE_MAX_PENDING];
	unsigned int n;
};

/* Add or replace (same handle). -ENOSPC when full. */
int decide_pending_add(struct decide_pending_table *t, const struct decide_pending *p);
struct decide_pending *decide_pending_by_handle(struct decide_pending_table *t, uint64_t handle);
/* The pending hold of USB device @name ("2-1.4"), or NULL. */
struct decide_pending *decide_pending_by_name(struct decide_pending_table *t, const char *name);
void decide_pending_remove(struct decide_pending_table *t, uint64_t handle);

#endif
