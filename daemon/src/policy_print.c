// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_print: the canonical form of a policy. Settings first (registry,
 * encryption, default, notify), then list definitions, then rules, one per line,
 * single spaces, attributes in a fixed order, lowercase hex, class names
 * where the class has one, strings escaped with strutil (the escapes the
 * lexer reads). Printing a parsed canonical form gives the same text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"
#include "strutil.h"

static const struct {
	uint8_t cls;
	const char *name;
} class_names[] = {
	{0x01, "audio"},       {0x02, "comm"},
	{0x03, "hid"},	       {0x05, "physical"},
	{0x06, "still-image"}, {0x07, "printer"},
	{0x08, "storage"},     {0x09, "hub"},
	{0x0a, "cdc-data"},    {0x0b, "smartcard"},
	{0x0e, "video"},       {0xe0, "wireless"},
	{0xef, "misc"},	       {0xff, "vendor-specific"},
};

const char *policy_class_name(uint8_t cls)
{
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (class_names[i].cls == cls)
			return class_names[i].name;
	return NULL;
}

bool policy_class_lookup(const char *word, size_t len, uint8_t *ret_cls)
{
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strlen(class_names[i].name) == len && !memcmp(class_names[i].name, word, len)) {
			*ret_cls = class_names[i].cls;
			return true;
		}
	return false;
}

const char *policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_READONLY:
		return "readonly";
	case POLICY_BLOCK:
		return "block";
	}
	return "invalid";
}

static bool sbuf_reserve(struct sbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return false;
		}
		b->s = s;
		b->cap = cap;
	}
	return true;
}

void policy_sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (!sbuf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void policy_sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		policy_sbuf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void policy_sbuf_add_quoted(struct sbuf *b, const char *s, size_t n)
{
	size_t need = str_escape(NULL, 0, s, n, true);

	policy_sbuf_add(b, "\"", 1);
	if (!sbuf_reserve(b, need))
		return;
	str_escape(b->s + b->len, need + 1, s, n, true);
	b->len += need;
	policy_sbuf_add(b, "\"", 1);
}

void policy_sbuf_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static void format_hex(struct sbuf *b, unsigned int v, bool any, int width)
{
	if (any)
		policy_sbuf_add(b, "*", 1);
	else
		policy_sbuf_addf(b, "%0*x", width, v);
}

static void format_value(enum pval_kind kind, const struct pval *v, struct sbuf *b)
{
	const char *name;

	switch (kind) {
	case PV_STR:
		policy_sbuf_add_quoted(b, v->str.s, v->str.len);
		break;
	case PV_ID:
		format_hex(b, v->id.vid, v->id.any & PID_ANY_VID, 4);
		policy_sbuf_add(b, ":", 1);
		format_hex(b, v->id.pid, v->id.any & PID_ANY_PID, 4);
		break;
	case PV_IFACE:
		name = policy_class_name(v->ifc.cls);
		if (name && v->ifc.any == (PIF_ANY_SUB | PIF_ANY_PROTO)) {
			policy_sbuf_add(b, name, strlen(name));
			break;
		}
		format_hex(b, v->ifc.cls, v->ifc.any & PIF_ANY_CLS, 2);
		policy_sbuf_add(b, ":", 1);
		format_hex(b, v->ifc.sub, v->ifc.any & PIF_ANY_SUB, 2);
		policy_sbuf_add(b, ":", 1);
		format_hex(b, v->ifc.proto, v->ifc.any & PIF_ANY_PROTO, 2);
		break;
	case PV_NONE:
		break;
	}
}

static void format_item(const struct policy *p, enum pval_kind kind, const struct pitem *it,
			struct sbuf *b)
{
	if (it->is_ref) {
		policy_sbuf_add(b, "$", 1);
		policy_sbuf_add(b, p->lists[it->list].name, strlen(p->lists[it->list].name));
	} else {
		format_value(kind, &it->v, b);
	}
}

/* A value set: one item bare, several in braces. */
void policy_format_set(const struct policy *p, const struct pset *set, struct sbuf *b)
{
	if (set->n_items == 1) {
		format_item(p, set->kind, &set->items[0], b);
		return;
	}
	policy_sbuf_add(b, "{", 1);
	for (unsigned int i = 0; i < set->n_items; i++) {
		policy_sbuf_add(b, " ", 1);
		format_item(p, set->kind, &set->items[i], b);
	}
	policy_sbuf_add(b, " }", 2);
}

static void format_attr_set(const struct policy *p, const char *kw, const struct pset *set,
			    struct sbuf *b)
{
	policy_sbuf_addf(b, " %s ", kw);
	policy_format_set(p, set, b);
}

static const char *media_name(uint8_t m)
{
	switch (m) {
	case PM_REGISTERED:
		return "registered";
	case PM_LUKS2:
		return "luks2";
	case PM_LUKS:
		return "luks";
	case PM_PLAIN:
		return "plain";
	case PM_NOTHING:
		return "none";
	}
	return "?";
}

void policy_format_rule(const struct policy *p, const struct prule *r, struct sbuf *b)
{
	const char *v = policy_verdict_name(r->verdict);
	const char *cname = policy_class_name(r->cls);

	policy_sbuf_add(b, v, strlen(v));
	if (r->any_class)
		policy_sbuf_add(b, " any", 4);
	else if (cname)
		policy_sbuf_addf(b, " %s", cname);
	else
		policy_sbuf_addf(b, " class %02x", r->cls);
	if (r->attrs & (1u << PA_ID))
		format_attr_set(p, "id", &r->ids, b);
	if (r->attrs & (1u << PA_SERIAL))
		format_attr_set(p, "serial", &r->serials, b);
	if (r->attrs & (1u << PA_VENDOR))
		format_attr_set(p, "vendor", &r->vendors, b);
	if (r->attrs & (1u << PA_PRODUCT))
		format_attr_set(p, "product", &r->products, b);
	if (r->attrs & (1u << PA_PORT))
		format_attr_set(p, "port", &r->ports, b);
	if (r->attrs & (1u << PA_CONNECT))
		policy_sbuf_addf(b, " connect %s",
				 r->connect == IDENT_CONNECT_HOTPLUG ? "hotplug" : "hardwired");
	if (r->attrs & (1u << PA_IFACE))
		format_attr_set(p, r->iface_one_of ? "with-interface one-of" : "with-interface",
				&r->ifaces, b);
	if (r->attrs & (1u << PA_MEDIA))
		policy_sbuf_addf(b, " media %s", media_name(r->media));
	if (r->attrs & (1u << PA_LABEL))
		format_attr_set(p, "label", &r->labels, b);
	if (!r->log)
		policy_sbuf_add(b, " nolog", 6);
}

/* Whole policy into @b. */
static void format_policy(const struct policy *p, struct sbuf *b)
{
	bool any_set = p->registry || p->enc_set || p->default_verdict || p->notify;

	if (p->registry) {
		policy_sbuf_add(b, "set registry ", 13);
		policy_sbuf_add_quoted(b, p->registry, strlen(p->registry));
		policy_sbuf_add(b, "\n", 1);
	}
	if (p->enc_set)
		policy_sbuf_addf(b, "set encryption luks%d cipher %s min-key-bits %u\n",
				 p->enc.luks_version, p->enc.cipher[0] ? p->enc.cipher : "any",
				 p->enc.min_key_bits);
	if (p->default_verdict)
		policy_sbuf_addf(b, "set default %s\n", policy_verdict_name(p->default_verdict));
	if (p->notify)
		policy_sbuf_addf(b, "set notify %s\n", p->notify == 1 ? "on" : "off");
	if (any_set && (p->n_lists || p->n_rules))
		policy_sbuf_add(b, "\n", 1);
	for (unsigned int i = 0; i < p->n_lists; i++) {
		const struct plist *l = &p->lists[i];

		policy_sbuf_addf(b, "list %s = {", l->name);
		for (unsigned int k = 0; k < l->set.n_items; k++) {
			policy_sbuf_add(b, " ", 1);
			format_item(p, l->set.kind, &l->set.items[k], b);
		}
		policy_sbuf_add(b, " }\n", 3);
	}
	if (p->n_lists && p->n_rules)
		policy_sbuf_add(b, "\n", 1);
	for (unsigned int i = 0; i < p->n_rules; i++) {
		policy_sbuf_add(b, p->rules[i].text, strlen(p->rules[i].text));
		policy_sbuf_add(b, "\n", 1);
	}
}

void policy_print(const struct policy *p, FILE *f)
{
	struct sbuf b = {0};

	format_policy(p, &b);
	if (b.oom)
		fprintf(f, "# out of memory while printing the policy\n");
	else if (b.len)
		fwrite(b.s, 1, b.len, f);
	policy_sbuf_free(&b);
}
