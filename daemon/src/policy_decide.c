// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_decide: first-match evaluation of a parsed policy against one
 * device (and, once probed, its medium). No allocation: the device is
 * summarised once on the stack (class bitmap, string lengths), then each
 * rule's matches are tried cheapest first.
 */
#include <string.h>

#include "policy-internal.h"

struct devsum {
	uint64_t cls[4]; /* bDeviceClass and every bInterfaceClass */
	size_t serial_len, vendor_len, product_len, port_len;
	bool storage;
};

static void summarise(const struct ident_device *d, struct devsum *s)
{
	unsigned int n = d->n_intf < IDENT_MAX_INTF ? d->n_intf : IDENT_MAX_INTF;

	memset(s->cls, 0, sizeof(s->cls));
	s->cls[d->cls >> 6] |= 1ull << (d->cls & 63);
	if (d->storage_driver) /* a vendor-class stick claimed by usb-storage */
		s->cls[USB_CLASS_CODE_STORAGE >> 6] |= 1ull << (USB_CLASS_CODE_STORAGE & 63);
	for (unsigned int i = 0; i < n; i++)
		s->cls[d->intf[i].cls >> 6] |= 1ull << (d->intf[i].cls & 63);
	s->serial_len = strnlen(d->serial, sizeof(d->serial));
	s->vendor_len = strnlen(d->manufacturer, sizeof(d->manufacturer));
	s->product_len = strnlen(d->product, sizeof(d->product));
	s->port_len = strnlen(d->port, sizeof(d->port));
	s->storage = s->cls[USB_CLASS_CODE_STORAGE >> 6] & (1ull << (USB_CLASS_CODE_STORAGE & 63));
}

static bool has_class(const struct devsum *s, uint8_t cls)
{
	return s->cls[cls >> 6] & (1ull << (cls & 63));
}

static bool match_ids(const struct pset *set, uint16_t vid, uint16_t pid)
{
	for (unsigned int i = 0; i < set->n_flat; i++) {
		const struct pval *v = &set->flat[i];

		if ((v->id.any & PID_ANY_VID || v->id.vid == vid) &&
		    (v->id.any & PID_ANY_PID || v->id.pid == pid))
			return true;
	}
	return false;
}

/* Byte-exact: the policy string's raw bytes against the device's raw bytes. */
static bool match_strs(const struct pset *set, const char *s, size_t len)
{
	for (unsigned int i = 0; i < set->n_flat; i++)
		if (set->flat[i].str.len == len && !memcmp(set->flat[i].str.s, s, len))
			return true;
	return false;
}

/* '*' matches any run of characters, everything else itself. */
static bool glob(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

static bool match_ports(const struct pset *set, const char *port, size_t len)
{
	for (unsigned int i = 0; i < set->n_flat; i++)
		if (glob(set->flat[i].str.s, set->flat[i].str.len, port, len))
			return true;
	return false;
}

static bool iface_match(const struct pval *v, const struct ident_intf *in)
{
	return (v->ifc.any & PIF_ANY_CLS || v->ifc.cls == in->cls) &&
	       (v->ifc.any & PIF_ANY_SUB || v->ifc.sub == in->subcls) &&
	       (v->ifc.any & PIF_ANY_PROTO || v->ifc.proto == in->proto);
}

static bool device_has_iface(const struct ident_device *d, const struct pval *v)
{
	unsigned int n = d->n_intf < IDENT_MAX_INTF ? d->n_intf : IDENT_MAX_INTF;

	for (unsigned int i = 0; i < n; i++)
		if (iface_match(v, &d->intf[i]))
			return true;
	return false;
}

/* all-of: every element is matched by some interface; one-of: any element is. */
static bool match_ifaces(const struct prule *r, const struct ident_device *d)
{
	for (unsigned int i = 0; i < r->ifaces.n_flat; i++) {
		bool m = device_has_iface(d, &r->ifaces.flat[i]);

		if (r->iface_one_of && m)
			return true;
		if (!r->iface_one_of && !m)
			return false;
	}
	return !r->iface_one_of;
}

static bool match_media(const struct prule *r, const struct media_info *m)
{
	if (r->attrs & (1u << PA_MEDIA)) {
		bool ok = false;

		switch (r->media) {
		case PM_REGISTERED:
			ok = m->kind == MEDIA_LUKS && m->registered;
			break;
		case PM_LUKS2:
			ok = m->kind == MEDIA_LUKS && m->luks_version == 2;
			break;
		case PM_LUKS:
			ok = m->kind == MEDIA_LUKS;
			break;
		case PM_PLAIN:
			ok = m->kind == MEDIA_PLAIN;
			break;
		case PM_NOTHING:
			ok = m->kind == MEDIA_NONE;
			break;
		}
		if (!ok)
			return false;
	}
	if (r->attrs & (1u << PA_LABEL))
		return m->kind == MEDIA_PLAIN &&
		       match_strs(&r->labels, m->label, strnlen(m->label, sizeof(m->label)));
	return true;
}

/* Everything but media facts. */
static bool match_device(const struct prule *r, const struct ident_device *d,
			 const struct devsum *s)
{
	if (!r->any_class && !has_class(s, r->cls))
		return false;
	if (!r->attrs)
		return true;
	if (r->attrs & (1u << PA_ID) && !match_ids(&r->ids, d->vid, d->pid))
		return false;
	if (r->attrs & (1u << PA_CONNECT) && d->connect != r->connect)
		return false;
	if (r->attrs & (1u << PA_SERIAL) && !match_strs(&r->serials, d->serial, s->serial_len))
		return false;
	if (r->attrs & (1u << PA_VENDOR) &&
	    !match_strs(&r->vendors, d->manufacturer, s->vendor_len))
		return false;
	if (r->attrs & (1u << PA_PRODUCT) && !match_strs(&r->products, d->product, s->product_len))
		return false;
	if (r->attrs & (1u << PA_PORT) && !match_ports(&r->ports, d->port, s->port_len))
		return false;
	if (r->attrs & (1u << PA_IFACE) && !match_ifaces(r, d))
		return false;
	/* Only a device with a mass-storage interface carries a medium. */
	if (r->needs_media && !s->storage)
		return false;
	return true;
}

/* "@prefix<rule text>", cut with "..." at a character boundary if too long. */
static void set_why(char *why, size_t sz, const char *prefix, const char *text)
{
	size_t plen = strlen(prefix), tlen = strlen(text);

	if (plen + tlen < sz) {
		memcpy(why, prefix, plen);
		memcpy(why + plen, text, tlen + 1);
		return;
	}
	tlen = sz - plen - 4;
	while (tlen && ((unsigned char)text[tlen] & 0xc0) == 0x80)
		tlen--;
	memcpy(why, prefix, plen);
	memcpy(why + plen, text, tlen);
	memcpy(why + plen + tlen, "...", 4);
}

void policy_decide(const struct policy *p, const struct ident_device *dev,
		   const struct media_info *media, struct policy_decision *ret)
{
	struct devsum s;

	summarise(dev, &s);
	memset(ret, 0, sizeof(*ret));
	ret->file = p->file;
	ret->log = true;
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct prule *r = &p->rules[i];

		if (!match_device(r, dev, &s))
			continue;
		if (r->needs_media && (!media || media->kind == MEDIA_UNKNOWN)) {
			ret->verdict = POLICY_READONLY;
			ret->line = r->line;
			ret->log = r->log;
			ret->needs_media = true;
			set_why(ret->why, sizeof(ret->why),
				"needs media facts, read-only until probed: ", r->text);
			return;
		}
		if (r->needs_media && !match_media(r, media))
			continue;
		ret->verdict = r->verdict;
		ret->line = r->line;
		ret->log = r->log;
		set_why(ret->why, sizeof(ret->why), "matched: ", r->text);
		return;
	}
	ret->is_default = true;
	if (p->default_verdict) {
		ret->verdict = p->default_verdict;
		snprintf(ret->why, sizeof(ret->why), "no rule matched: set default %s",
			 policy_verdict_name(ret->verdict));
	} else {
		ret->verdict = s.storage ? POLICY_BLOCK : POLICY_ALLOW;
		snprintf(ret->why, sizeof(ret->why), "no rule matched: built-in default %s (%s)",
			 policy_verdict_name(ret->verdict),
			 s.storage ? "device has a storage interface" : "no storage interface");
	}
}

const char *policy_registry_path(const struct policy *p)
{
	return p->registry;
}

bool policy_notify(const struct policy *p)
{
	return p->notify != 2;
}

const struct policy_encryption *policy_encryption(const struct policy *p)
{
	return &p->enc;
}

unsigned int policy_rule_count(const struct policy *p)
{
	return p->n_rules;
}
