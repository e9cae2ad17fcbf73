// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop_restart: what a restarted mediagated learns from the kernel. REPLAY
 * re-sends the pending holds (answered by loop.c like any hold); the devices
 * decided before the restart come as PRESENT records (LIST_PRESENT), each
 * with the verdict in force. Each is identified, decided under the policy
 * loaded now, and tracked like a hold this daemon answered, so a reload or
 * a media probe re-evaluates it.
 *
 * Every verdict in force is audited exactly once. The daemon sends a verdict
 * first and writes its audit line and ledger row after (the ledger must not
 * delay the decision), so a kill -9 between the two leaves a verdict in force
 * that neither syslog nor the inventory knows. One attachment of one device
 * is named across restarts by "BOOT_ID HANDLE DEVPATH" (the kernel handle is
 * never reused within a module load; the boot id tells boots apart; the
 * device name narrows a module reload to the same port): every recorded
 * verdict also sets that attachment's row in the ledger's attachments table
 * (same transaction as the event row; rows of other boots are pruned at
 * start). For each PRESENT record:
 *
 *   - the ledger holds the verdict in force for this attachment: it was
 *     audited, nothing is written again;
 *   - it does not (killed between ioctl and audit line, or no ledger): one
 *     line stage=restart-adopted and its ledger row, with the rule that
 *     gives that verdict under the policy now (also a read-only "until
 *     probed" of a rule that needs media: the verdict of such a hold, a
 *     probe that confirms it sends nothing), or rule="unknown" when the
 *     policy now gives another verdict without the medium's facts (an
 *     allow or deny decided on them, or a policy changed meanwhile);
 *
 * then:
 *
 *   - the decision equals the verdict in force: adopted; nothing is sent,
 *     one info diagnostic;
 *   - it differs (the policy changed while the daemon was away): sent and
 *     audited with stage=restart, as a reload would;
 *   - the rule needs media facts and the stick is in force read-only or
 *     allowed: it keeps its verdict until its disk has been probed again
 *     (never decided anew from less information than it had); the probe
 *     then decides, and is audited (stage=media) only if it changes the
 *     verdict: a probe that confirms the verdict in force is no decision
 *     (a debug diagnostic says so);
 *   - the rule needs media facts and the stick is denied: it stays denied.
 *     The facts it was denied on are lost with the old daemon, and learning
 *     them again means letting a denied stick in read-only, which the deny
 *     forbids. Only a decision that needs no media facts (a serial, class
 *     or id rule; an administrator's allow) changes it, at this restart or
 *     a later reload; otherwise a replug has it decided afresh.
 *
 * The other order: a replayed hold (its verdict never landed) whose
 * attachment the ledger already holds with the verdict decided now is
 * answered and not audited again (loop.c, flush_records); decided
 * differently (the policy changed), the new verdict is audited as usual.
 * Left: a kill between the audit line and its ledger row audits that
 * verdict twice (the second time stage=restart-adopted), never zero times.
 *
 * Nothing is decided twice differently: with the policy unchanged, the same
 * facts give the same verdict, and it is adopted.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "blockwatch.h"
#include "log.h"
#include "loop-internal.h"
#include "strutil.h"

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

const char *loop_boot_id(void)
{
	static char id[40];
	static bool read_once;
	char buf[64];
	ssize_t n;
	int fd;

	if (read_once)
		return id[0] ? id : NULL;
	read_once = true;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 32)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strspn(buf, "0123456789abcdef-") != strlen(buf) || strlen(buf) >= sizeof(id))
		return NULL;
	strcpy(id, buf);
	return id;
}

const char *loop_attach_key(char *buf, size_t sz, const struct mediagate_event *ev)
{
	char name[sizeof(ev->devpath) * 4 + 1];
	const char *boot = loop_boot_id();

	if (!boot || !ev->handle)
		return NULL;
	str_escape(name, sizeof(name), ev->devpath, strnlen(ev->devpath, sizeof(ev->devpath)),
		   false);
	if (snprintf(buf, sz, "%s %llu %s", boot, (unsigned long long)ev->handle, name) >= (int)sz)
		return NULL;
	return buf;
}

bool loop_verdict_recorded(struct loop *l, const struct mediagate_event *ev, unsigned int verdict)
{
	char key[LOOP_ATTACH_KEY_MAX], got[16];
	const char *attach = loop_attach_key(key, sizeof(key), ev);

	if (!l->inv || !attach || inv_get_attachment(l->inv, attach, got, sizeof(got)) < 0)
		return false;
	return !strcmp(got, decide_verdict_name(verdict));
}

/* The verdict in force of @t (PRESENT, tracked) has no audit line: write
 * it now, by @now's rule if that rule gives the same verdict. */
static void audit_adopted(struct loop *l, const struct decide_pending *t,
			  const struct decide_verdict *now)
{
	struct decide_verdict v = t->first;
	bool same = !decide_changed(&t->first, now);
	char reason[512];

	if (same) {
		v.dec = now->dec;
		snprintf(reason, sizeof(reason), "in force before this start, not audited then; %s",
			 now->dec.why);
	} else {
		memset(&v.dec, 0, sizeof(v.dec)); /* rule="unknown" */
		v.dec.log = true;
		snprintf(reason, sizeof(reason),
			 "in force before this start, not audited then; the rule that gave it "
			 "is not known (%s)",
			 now->dec.needs_media ? "needs media facts"
					      : "the policy decides otherwise");
	}
	loop_record_verdict(l, t, &v, "restart-adopted", reason);
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
	bool deny_kept;
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
	loop_apply_override(l, &t.ev, &t.dev, &now);
	t.handle = rec->handle;
	t.since_ns = loop_now_ns();
	t.restarted = true;
	if (decide_pending_add(&l->tracked, &t) < 0) {
		log_warn("%s: tracking table full: handle %llu keeps %s, not re-decided",
			 loop_dev_tag(tag, sizeof(tag), &t.dev), (unsigned long long)rec->handle,
			 decide_verdict_name(rec->verdict));
		if (!loop_verdict_recorded(l, &t.ev, rec->verdict))
			audit_adopted(l, &t, &now);
		return;
	}
	tp = decide_pending_by_handle(&l->tracked, rec->handle);
	if (!loop_verdict_recorded(l, &tp->ev, rec->verdict))
		audit_adopted(l, tp, &now);
	tp->first.dec = now.dec; /* the verdict in force, by the rule that decides it now */
	deny_kept = now.dec.needs_media && rec->verdict == MEDIAGATE_VERDICT_DENY;
	if (deny_kept)
		tp->first.dec.needs_media = false; /* not waiting for a medium */
	if (now.dec.needs_media && !deny_kept)
		log_info("%s: handle %llu: %s in force, kept until its medium is probed",
			 loop_dev_tag(tag, sizeof(tag), &tp->dev), (unsigned long long)tp->handle,
			 decide_verdict_name(rec->verdict));
	else if (deny_kept)
		log_info("%s: handle %llu: deny in force, kept: its rule needs media facts, "
			 "and a denied stick is not opened to learn them (replug to decide it "
			 "afresh)",
			 loop_dev_tag(tag, sizeof(tag), &tp->dev), (unsigned long long)tp->handle);
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
