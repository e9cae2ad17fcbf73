// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop_restart: what a restarted mediagated learns from the kernel. REPLAY
 * re-sends the pending holds (answered by loop.c like any hold); the devices
 * decided before the restart come as PRESENT records (LIST_PRESENT), each
 * with the verdict in force. Each is identified, decided under the policy
 * loaded now, and tracked like a hold this daemon answered, so a reload or
 * a media probe re-evaluates it:
 *
 *   - the decision equals the verdict in force: adopted; nothing is sent and
 *     nothing audited (the verdict was audited when it was given, a restart
 *     is not a decision), one info diagnostic;
 *   - it differs (the policy changed while the daemon was away): sent and
 *     audited with stage=restart, as a reload would;
 *   - the rule needs media facts: a stick in force read-only or allowed keeps
 *     its verdict until its disk has been probed again (never decided anew
 *     from less information than it had), a denied one is let in read-only
 *     to be probed as a fresh hold would be; the probe then decides
 *     (stage=media, audited as usual).
 *
 * Nothing is decided twice differently: with the policy unchanged, the same
 * facts give the same verdict, and it is adopted.
 */
#include <errno.h>
#include <string.h>

#include "blockwatch.h"
#include "log.h"
#include "loop-internal.h"

static enum policy_verdict policy_verdict_of(unsigned int kernel_verdict)
{
	switch (kernel_verdict) {
	case MEDIAGATE_VERDICT_ALLOW:
		return POLICY_ALLOW;
	case MEDIAGATE_VERDICT_READONLY:
		return POLICY_READONLY;
	default:
		return POLICY_BLOCK;
	}
}

static void probe_disk(const struct blockwatch_disk *disk, void *userdata)
{
	loop_media_appeared(userdata, disk->usb_name, disk->devnode);
}

/* Track @rec's device with the verdict in force and re-decide it. */
void loop_on_present(struct loop *l, const struct mediagate_event *rec)
{
	struct decide_pending t = {0};
	struct decide_pending *tp;
	struct decide_verdict now;
	char tag[300];
	int r;

	if (rec->flags & MEDIAGATE_EVF_UNDER_DEVICE)
		return; /* its verdict is its device's, re-decided on that handle */
	if (decide_pending_by_handle(&l->tracked, rec->handle))
		return; /* answered by this daemon already */
	t.ev = *rec;
	t.ev.type = MEDIAGATE_EV_HELD; /* re-decided as the hold it was */
	r = ident_from_event(&t.ev, &t.dev);
	if (r < 0) {
		log_warn_errno(r, "handle %llu: present device not understood, keeps %s",
			       (unsigned long long)rec->handle, decide_verdict_name(rec->verdict));
		return;
	}
	loop_add_hash(l, &t.ev, &t.dev);
	r = decide_hold(l->policy, l->reg, &t.ev, &t.dev, NULL, &now);
	if (r >= 0)
		r = decide_map(&t.ev, &t.dev, policy_verdict_of(rec->verdict), &t.first);
	if (r < 0) {
		log_warn_errno(r, "%s: handle %llu: cannot re-decide, keeps %s",
			       loop_dev_tag(tag, sizeof(tag), &t.dev),
			       (unsigned long long)rec->handle, decide_verdict_name(rec->verdict));
		return;
	}
	t.first.dec = now.dec; /* the verdict in force, by the rule that decides it now */
	t.handle = rec->handle;
	t.since_ns = loop_now_ns();
	if (decide_pending_add(&l->tracked, &t) < 0) {
		log_warn("%s: tracking table full: handle %llu keeps %s, not re-decided",
			 loop_dev_tag(tag, sizeof(tag), &t.dev), (unsigned long long)rec->handle,
			 decide_verdict_name(rec->verdict));
		return;
	}
	tp = decide_pending_by_handle(&l->tracked, rec->handle);
	if (now.dec.needs_media && rec->verdict != MEDIAGATE_VERDICT_DENY)
		log_info("%s: handle %llu: %s in force, kept until its medium is probed",
			 loop_dev_tag(tag, sizeof(tag), &tp->dev), (unsigned long long)tp->handle,
			 decide_verdict_name(rec->verdict));
	else if (loop_redecide(l, tp, NULL, "restart", false) == 0)
		log_info("%s: handle %llu: %s in force, adopted",
			 loop_dev_tag(tag, sizeof(tag), &tp->dev), (unsigned long long)tp->handle,
			 decide_verdict_name(rec->verdict));
	if (tp->first.dec.needs_media && l->bw)
		blockwatch_enumerate(l->bw, tp->dev.name, probe_disk, l);
}

/* Ask for the PRESENT records (at start, and after an overflow). */
int loop_list_present(struct loop *l)
{
	int r = kdev_list_present(l->kdev);

	if (r == -ENOTTY)
		return log_warn_errno(r, "the module cannot list decided devices (older "
					 "module): devices decided before this start are not "
					 "re-evaluated");
	if (r < 0)
		return log_warn_errno(r, "listing decided devices failed");
	if (r > 0)
		log_info("kernel lists %d decided device(s)/interface(s)", r);
	return r;
}
