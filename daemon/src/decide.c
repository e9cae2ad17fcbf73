// SPDX-License-Identifier: GPL-2.0-or-later
/* decide: hold + identity + policy + media -> verdict record. Pure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"

const char *decide_verdict_name(unsigned int v)
{
	switch (v) {
	case MEDIAGATE_VERDICT_ALLOW:
		return "allow";
	case MEDIAGATE_VERDICT_READONLY:
		return "readonly";
	case MEDIAGATE_VERDICT_DENY:
		return "block";
	default:
		return "none";
	}
}

static unsigned int kernel_verdict(enum policy_verdict v)
{
	switch (v) {
	case POLICY_ALLOW:
		return MEDIAGATE_VERDICT_ALLOW;
	case POLICY_READONLY:
		return MEDIAGATE_VERDICT_READONLY;
	default:
		return MEDIAGATE_VERDICT_DENY; /* anything unexpected fails closed */
	}
}

static void append(char *buf, size_t sz, unsigned int n, const char *name)
{
	size_t len = strlen(buf);

	if (len < sz)
		snprintf(buf + len, sz - len, "%s%u:%s", len ? " " : "", n, name);
}

/* The interface list as "N:verdict ..." for the audit line. */
static void describe(struct decide_verdict *v, const struct mediagate_event *ev,
		     const struct ident_device *dev)
{
	v->interfaces[0] = '\0';
	if (!v->device_level) {
		append(v->interfaces, sizeof(v->interfaces), ev->intf_number,
		       decide_verdict_name(v->verdict));
		return;
	}
	for (unsigned int i = 0; i < dev->n_intf && i < IDENT_MAX_INTF; i++) {
		unsigned int num = dev->intf[i].number;
		unsigned int iv = num < MEDIAGATE_MAX_INTF && v->intf_verdict[num]
					  ? v->intf_verdict[num]
					  : v->verdict;

		append(v->interfaces, sizeof(v->interfaces), num, decide_verdict_name(iv));
	}
}

int decide_map(const struct mediagate_event *ev, const struct ident_device *dev,
	       enum policy_verdict pv, struct decide_verdict *ret)
{
	if (ev->type != MEDIAGATE_EV_HELD || !ev->handle)
		return -EINVAL;
	if (ev->level != MEDIAGATE_LEVEL_DEVICE && ev->level != MEDIAGATE_LEVEL_INTERFACE)
		return -EINVAL;
	ret->handle = ev->handle;
	ret->device_level = ev->level == MEDIAGATE_LEVEL_DEVICE;
	ret->verdict = kernel_verdict(pv);
	memset(ret->intf_verdict, 0, sizeof(ret->intf_verdict));
	if (ret->device_level && ret->verdict == MEDIAGATE_VERDICT_READONLY) {
		for (unsigned int i = 0; i < dev->n_intf && i < IDENT_MAX_INTF; i++) {
			const struct ident_intf *it = &dev->intf[i];

			if (it->number >= MEDIAGATE_MAX_INTF)
				continue; /* inherits READONLY: the kernel denies non-SCSI */
			/* an interface listed twice (alternate settings) keeps the strictest */
			if (it->cls == USB_CLASS_CODE_STORAGE &&
			    ret->intf_verdict[it->number] != MEDIAGATE_VERDICT_DENY)
				ret->intf_verdict[it->number] = MEDIAGATE_VERDICT_READONLY;
			else
				ret->intf_verdict[it->number] = MEDIAGATE_VERDICT_DENY;
		}
	}
	describe(ret, ev, dev);
	return 0;
}

int decide_hold(const struct policy *p, const struct registry *reg,
		const struct mediagate_event *ev, const struct ident_device *dev,
		const struct media_info *media, struct decide_verdict *ret)
{
	struct decide_verdict v;
	const struct registry_entry *e = NULL;
	int r;

	memset(&v, 0, sizeof(v));
	if (media && media->kind != MEDIA_UNKNOWN) {
		v.media = *media;
		v.have_media = true;
		v.media.registered = false;
		if (reg)
			registry_check(reg, dev, &v.media, policy_encryption(p), &e, v.registry_why,
				       sizeof(v.registry_why));
		else
			snprintf(v.registry_why, sizeof(v.registry_why), "no registry configured");
		if (e)
			snprintf(v.medium_id, sizeof(v.medium_id), "%s", e->medium_id);
	}
	policy_decide(p, dev, v.have_media ? &v.media : NULL, &v.dec);
	if (reg && !v.dec.needs_media && !v.media.registered) {
		e = registry_find_retired_usb(reg, dev->vid, dev->pid, dev->serial);
		if (e) {
			snprintf(v.retired_medium, sizeof(v.retired_medium), "%s", e->medium_id);
			snprintf(v.retired_on, sizeof(v.retired_on), "%s", e->retired);
		}
	}
	r = decide_map(ev, dev, v.dec.verdict, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

bool decide_changed(const struct decide_verdict *prev, const struct decide_verdict *next)
{
	return prev->verdict != next->verdict ||
	       memcmp(prev->intf_verdict, next->intf_verdict, sizeof(prev->intf_verdict));
}

int decide_pending_add(struct decide_pending_table *t, const struct decide_pending *p)
{
	struct decide_pending *old = decide_pending_by_handle(t, p->handle);

	if (old) {
		*old = *p;
		return 0;
	}
	if (t->n >= DECIDE_MAX_PENDING)
		return -ENOSPC;
	t->v[t->n++] = *p;
	return 0;
}

struct decide_pending *decide_pending_by_handle(struct decide_pending_table *t, uint64_t handle)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->v[i].handle == handle)
			return &t->v[i];
	return NULL;
}

struct decide_pending *decide_pending_by_name(struct decide_pending_table *t, const char *name)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].dev.name, name))
			return &t->v[i];
	return NULL;
}

void decide_pending_remove(struct decide_pending_table *t, uint64_t handle)
{
	for (unsigned int i = 0; i < t->n; i++) {
		if (t->v[i].handle == handle) {
			t->v[i] = t->v[--t->n];
			return;
		}
	}
}
