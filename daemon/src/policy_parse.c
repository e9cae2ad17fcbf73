// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_parse: recursive-descent parser for mediagate.conf.
 *
 *   file      := { [statement] NL }
 *   statement := "set" setting | "list" NAME "=" "{" items "}" | rule
 *   setting   := registry STRING | encryption ... | default verdict | notify (on|off)
 *   rule      := verdict class { match }
 *   verdict   := allow | readonly | block
 *   class     := any | CLASSNAME | "class" HEX2
 *   match     := id SET | serial SET | vendor SET | product SET | port SET
 *              | connect (hotplug|hardwired) | with-interface [one-of] SET
 *              | media (registered|luks2|luks|plain|none) | label SET | log | nolog
 *   SET       := item | $NAME | "{" { item | $NAME | NL } "}"
 *
 * Syntax errors skip to the end of the statement (the end of the line, or the
 * closing brace of a list that spans lines) and parsing goes on; semantic
 * errors (repeated match, undefined list, wrong list kind...) are reported
 * and parsing continues in place. Any diagnostic means no policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

/* ---- parser state ---- */

enum { SET_REGISTRY, SET_ENCRYPTION, SET_DEFAULT, SET_NOTIFY, SET__MAX };

struct parser {
	struct plexer lx;
	struct ptoken tok;
	struct policy *pol;
	unsigned int depth; /* open braces, for error recovery */
	bool oom;
	unsigned int set_line[SET__MAX], set_col[SET__MAX];
	/* scratch for the set being parsed (sets do not nest) */
	struct pitem *items;
	unsigned int n_items, cap_items;
};

#define perr(ps, t, ...) policy_lex_error(&(ps)->lx, (t)->line, (t)->col, __VA_ARGS__)

static void next(struct parser *ps)
{
	policy_lex_next(&ps->lx, &ps->tok);
}

static void *palloc(struct parser *ps, size_t n)
{
	void *p = policy_arena_alloc(&ps->pol->arena, n);

	if (!p)
		ps->oom = true;
	return p;
}

static const char *describe(const struct ptoken *t, char *buf, size_t sz)
{
	return policy_tok_describe(t, buf, sz);
}
#define DESC(ps) describe(&(ps)->tok, (char[96]){0}, 96)

static bool is_verdict(const struct ptoken *t, uint8_t *ret_v)
{
	static const char *const names[] = {NULL, "allow", "readonly", "block"};

	for (uint8_t v = POLICY_ALLOW; v <= POLICY_BLOCK; v++)
		if (policy_tok_is(t, names[v])) {
			if (ret_v)
				*ret_v = v;
			return true;
		}
	return false;
}

static bool is_stmt_keyword(const struct ptoken *t)
{
	return is_verdict(t, NULL) || policy_tok_is(t, "set") || policy_tok_is(t, "list");
}

static const char *const attr_names[PA__MAX] = {
	[PA_ID] = "id",
	[PA_SERIAL] = "serial",
	[PA_VENDOR] = "vendor",
	[PA_PRODUCT] = "product",
	[PA_PORT] = "port",
	[PA_CONNECT] = "connect",
	[PA_IFACE] = "with-interface",
	[PA_MEDIA] = "media",
	[PA_LABEL] = "label",
	[PA_LOG] = "log",
};

static int attr_lookup(const struct ptoken *t)
{
	if (policy_tok_is(t, "nolog"))
		return PA_LOG;
	for (int a = 0; a < PA__MAX; a++)
		if (policy_tok_is(t, attr_names[a]))
			return a;
	return -1;
}

static bool is_class_word(const struct ptoken *t)
{
	uint8_t c;

	return policy_tok_is(t, "any") || policy_tok_is(t, "class") ||
	       (t->type == PT_WORD && policy_class_lookup(t->text, t->len, &c));
}

/*
 * Error recovery: skip to the end of the statement. Inside a list that spans
 * lines that is the closing brace's line; a line starting with a statement
 * keyword ends a list that was never closed. Quiet: the line already has an
 * error, more from the same statement would only be noise.
 */
static void recover(struct parser *ps)
{
	ps->lx.quiet = true;
	while (ps->tok.type != PT_EOF) {
		if (ps->tok.type == PT_NL && ps->depth == 0) {
			ps->lx.quiet = false;
			next(ps);
			return;
		}
		if (ps->tok.type == PT_LBRACE)
			ps->depth++;
		else if (ps->tok.type == PT_RBRACE && ps->depth)
			ps->depth--;
		else if (ps->depth && ps->tok.line_start && is_stmt_keyword(&ps->tok))
			break;
		next(ps);
	}
	ps->depth = 0;
	ps->lx.quiet = false;
}

static int expect_end(struct parser *ps)
{
	if (ps->tok.type == PT_NL) {
		next(ps);
		return 0;
	}
	if (ps->tok.type == PT_EOF)
		return 0;
	if (ps->tok.type != PT_ERROR)
		perr(ps, &ps->tok, "unexpected %s at end of statement", DESC(ps));
	return -EINVAL;
}

/* ---- values ---- */

static int hexdigits(const char *s, size_t n, unsigned int *ret)
{
	unsigned int v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Split @s at ':' into exactly @n fields of @width hex digits or '*'. */
static int parse_fields(const char *s, size_t len, unsigned int n, size_t width, unsigned int *vals,
			uint8_t *ret_any)
{
	uint8_t any = 0;
	size_t start = 0;

	for (unsigned int f = 0; f < n; f++) {
		size_t end = start;

		while (end < len && s[end] != ':')
			end++;
		if ((end == len) != (f == n - 1))
			return -EINVAL;
		if (end - start == 1 && s[start] == '*') {
			any |= 1u << f;
			vals[f] = 0;
		} else if (end - start != width || hexdigits(s + start, width, &vals[f]) < 0) {
			return -EINVAL;
		}
		start = end + 1;
	}
	*ret_any = any;
	return 0;
}

static int parse_id(const struct ptoken *t, struct pval *v)
{
	unsigned int f[2];

	if (parse_fields(t->text, t->len, 2, 4, f, &v->id.any) < 0)
		return -EINVAL;
	v->id.vid = (uint16_t)f[0];
	v->id.pid = (uint16_t)f[1];
	return 0;
}

static int parse_iface(const struct ptoken *t, struct pval *v)
{
	unsigned int f[3];
	uint8_t cls;

	if (policy_class_lookup(t->text, t->len, &cls)) {
		v->ifc.cls = cls;
		v->ifc.any = PIF_ANY_SUB | PIF_ANY_PROTO;
		return 0;
	}
	if (parse_fields(t->text, t->len, 3, 2, f, &v->ifc.any) < 0)
		return -EINVAL;
	v->ifc.cls = (uint8_t)f[0];
	v->ifc.sub = (uint8_t)f[1];
	v->ifc.proto = (uint8_t)f[2];
	return 0;
}

static const char *kind_one(enum pval_kind k)
{
	return k == PV_STR ? "a quoted string" : k == PV_ID ? "an id VVVV:PPPP" : "an interface";
}

static const char *kind_name(enum pval_kind k)
{
	return k == PV_STR ? "strings" : k == PV_ID ? "ids" : k == PV_IFACE ? "interfaces" : "?";
}

static bool port_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '*'))
			return false;
	return true;
}

static void push_item(struct parser *ps, const struct pitem *it)
{
	if (ps->n_items == ps->cap_items) {
		unsigned int cap = ps->cap_items ? ps->cap_items * 2 : 16;
		struct pitem *v = realloc(ps->items, cap * sizeof(*v));

		if (!v) {
			ps->oom = true;
			return;
		}
		ps->items = v;
		ps->cap_items = cap;
	}
	ps->items[ps->n_items++] = *it;
}

static int find_list(const struct policy *p, const char *name, size_t len)
{
	for (unsigned int i = 0; i < p->n_lists; i++)
		if (strlen(p->lists[i].name) == len && !memcmp(p->lists[i].name, name, len))
			return (int)i;
	return -1;
}

/* Classify a bare word in a list definition: id, interface, or neither. */
static enum pval_kind word_kind(const struct ptoken *t)
{
	unsigned int colons = 0;
	uint8_t cls;

	for (size_t i = 0; i < t->len; i++)
		colons += t->text[i] == ':';
	if (colons == 1)
		return PV_ID;
	if (colons == 2 || policy_class_lookup(t->text, t->len, &cls))
		return PV_IFACE;
	return PV_NONE;
}

/*
 * One item of a set. *kind is what the set holds (PV_NONE: not known yet, a
 * list definition infers it from its first item). Semantic errors consume the
 * token and return 0; syntax errors return -EINVAL.
 */
static int parse_item(struct parser *ps, enum pval_kind *kind, enum pattr attr, const char *what)
{
	struct ptoken *t = &ps->tok;
	struct pitem it = {0};
	enum pval_kind k;

	switch (t->type) {
	case PT_REF: {
		int l = find_list(ps->pol, t->text, t->len);

		if (l < 0) {
			perr(ps, t, "undefined list %s", DESC(ps));
			break;
		}
		k = ps->pol->lists[l].set.kind;
		if (*kind != PV_NONE && k != *kind) {
			perr(ps, t, "list %s holds %s, but %s needs %s", DESC(ps), kind_name(k),
			     what, kind_name(*kind));
			break;
		}
		*kind = k;
		if (attr == PA_PORT) {
			const struct pset *s = &ps->pol->lists[l].set;

			for (unsigned int i = 0; i < s->n_flat; i++)
				if (!port_ok(s->flat[i].str.s, s->flat[i].str.len)) {
					perr(ps, t,
					     "list %s holds a bad port pattern (digits, '.', '-' "
					     "and '*' only)",
					     DESC(ps));
					break;
				}
		}
		it.is_ref = true;
		it.list = (unsigned int)l;
		push_item(ps, &it);
		break;
	}
	case PT_STRING:
		if (*kind != PV_NONE && *kind != PV_STR && attr == PA__MAX) {
			perr(ps, t,
			     "list items must be of one kind: this list holds %s, got a string",
			     kind_name(*kind));
			break;
		}
		if (*kind != PV_NONE && *kind != PV_STR) {
			perr(ps, t, "expected %s in %s, got a string", kind_one(*kind), what);
			break;
		}
		*kind = PV_STR;
		if (attr == PA_PORT && !port_ok(t->sval, t->slen)) {
			perr(ps, t,
			     "bad port pattern %s (digits, '.', '-' and '*' only, e.g. \"2-1.4\")",
			     DESC(ps));
			break;
		}
		it.v.str.s = policy_arena_strndup(&ps->pol->arena, t->sval, t->slen);
		if (!it.v.str.s)
			ps->oom = true;
		it.v.str.len = (uint16_t)t->slen;
		push_item(ps, &it);
		break;
	case PT_WORD:
		k = *kind != PV_NONE ? *kind : word_kind(t);
		if (k == PV_ID && parse_id(t, &it.v) < 0) {
			perr(ps, t, "bad id %s (expected VVVV:PPPP, 4 hex digits or '*' each)",
			     DESC(ps));
		} else if (k == PV_IFACE && parse_iface(t, &it.v) < 0) {
			perr(ps, t,
			     "bad interface %s (expected a class name like hid, or cc:ss:pp with 2 "
			     "hex digits or '*' each)",
			     DESC(ps));
		} else if (k == PV_STR && attr == PA__MAX) {
			perr(ps, t,
			     "list items must be of one kind: this list holds strings, got %s",
			     DESC(ps));
		} else if (k == PV_STR) {
			perr(ps, t, "expected a quoted string in %s, got %s", what, DESC(ps));
		} else if (k == PV_NONE) {
			perr(ps, t,
			     "bad list item %s (expected a \"string\", an id VVVV:PPPP or an "
			     "interface)",
			     DESC(ps));
		} else {
			*kind = k;
			push_item(ps, &it);
		}
		break;
	case PT_ERROR:
		return -EINVAL;
	default:
		perr(ps, t, "expected %s in %s, got %s",
		     *kind == PV_NONE ? "a list item" : kind_one(*kind), what, DESC(ps));
		return -EINVAL;
	}
	next(ps);
	return 0;
}

/* Copy the scratch items into @out and expand $references into out->flat. */
static void finish_set(struct parser *ps, enum pval_kind kind, struct pset *out)
{
	unsigned int n_flat = 0, k = 0;

	out->kind = kind;
	out->n_items = ps->n_items;
	out->items = palloc(ps, ps->n_items * sizeof(*out->items) + 1);
	if (!out->items)
		return;
	if (ps->n_items) /* ps->items may still be NULL */
		memcpy(out->items, ps->items, ps->n_items * sizeof(*out->items));
	for (unsigned int i = 0; i < ps->n_items; i++)
		n_flat += ps->items[i].is_ref ? ps->pol->lists[ps->items[i].list].set.n_flat : 1;
	out->flat = palloc(ps, n_flat * sizeof(*out->flat) + 1);
	if (!out->flat)
		return;
	for (unsigned int i = 0; i < ps->n_items; i++) {
		const struct pitem *it = &ps->items[i];

		if (!it->is_ref) {
			out->flat[k++] = it->v;
			continue;
		}
		const struct pset *ls = &ps->pol->lists[it->list].set;

		if (ls->n_flat)
			memcpy(out->flat + k, ls->flat, ls->n_flat * sizeof(*ls->flat));
		k += ls->n_flat;
	}
	out->n_flat = k;
}

/*
 * A set after a match keyword or a list's '=': one item, a $list, or
 * "{ ... }" (may span lines). @kind PV_NONE infers it (list definitions).
 */
static int parse_set(struct parser *ps, enum pval_kind kind, enum pattr attr, const char *what,
		     bool braces_only, struct pset *out)
{
	struct ptoken open = ps->tok;
	unsigned int errors = ps->lx.n_errors;
	int r;

	ps->n_items = 0;
	if (ps->tok.type != PT_LBRACE) {
		if (braces_only) {
			perr(ps, &ps->tok, "expected '{' after '=', got %s", DESC(ps));
			return -EINVAL;
		}
		r = parse_item(ps, &kind, attr, what);
		if (r < 0)
			return r;
		finish_set(ps, kind, out);
		return 0;
	}
	ps->depth++;
	next(ps);
	for (;;) {
		if (ps->tok.type == PT_NL) {
			next(ps);
			continue;
		}
		if (ps->tok.type == PT_RBRACE) {
			ps->depth--;
			next(ps);
			break;
		}
		if (ps->tok.type == PT_EOF || (ps->tok.line_start && is_stmt_keyword(&ps->tok))) {
			perr(ps, &open, "missing '}' to close this list");
			return -EINVAL;
		}
		r = parse_item(ps, &kind, attr, what);
		if (r < 0)
			return r;
	}
	if (ps->n_items == 0 && ps->lx.n_errors == errors) {
		if (attr == PA__MAX)
			perr(ps, &open, "empty list");
		else
			perr(ps, &open, "empty list in %s", what);
	}
	finish_set(ps, kind, out);
	return 0;
}

/* ---- statements ---- */

static bool set_repeated(struct parser *ps, int which, const struct ptoken *at, const char *name)
{
	if (ps->set_line[which]) {
		perr(ps, at, "'set %s' repeated (first at %u:%u)", name, ps->set_line[which],
		     ps->set_col[which]);
		return true;
	}
	ps->set_line[which] = at->line;
	ps->set_col[which] = at->col;
	return false;
}

static int parse_encryption(struct parser *ps, const struct ptoken *at)
{
	struct policy_encryption enc = {
		.luks_version = 2, .cipher = "aes-xts-plain64", .min_key_bits = 512};
	bool seen_cipher = false, seen_bits = false;

	next(ps);
	if (policy_tok_is(&ps->tok, "luks2") || policy_tok_is(&ps->tok, "luks1")) {
		enc.luks_version = ps->tok.text[4] - '0';
	} else {
		perr(ps, &ps->tok,
		     "bad value for 'set encryption': expected luks2 or luks1, got %s", DESC(ps));
		return -EINVAL;
	}
	next(ps);
	while (ps->tok.type == PT_WORD) {
		struct ptoken kw = ps->tok;
		bool cipher = policy_tok_is(&kw, "cipher");

		if (!cipher && !policy_tok_is(&kw, "min-key-bits")) {
			perr(ps, &kw,
			     "unknown encryption option %s (expected cipher or min-key-bits)",
			     DESC(ps));
			return -EINVAL;
		}
		if (cipher ? seen_cipher : seen_bits)
			perr(ps, &kw, "repeated %s in 'set encryption'", DESC(ps));
		next(ps);
		if (cipher) {
			bool ok = ps->tok.type == PT_WORD && ps->tok.len < sizeof(enc.cipher);

			for (size_t i = 0; ok && i < ps->tok.len; i++) {
				char c = ps->tok.text[i];

				ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
			}
			if (!ok) {
				perr(ps, &ps->tok,
				     "bad cipher %s (expected a cipher spec like aes-xts-plain64, "
				     "or any)",
				     DESC(ps));
				return -EINVAL;
			}
			if (policy_tok_is(&ps->tok, "any"))
				enc.cipher[0] = '\0';
			else
				memcpy(enc.cipher, ps->tok.text, ps->tok.len);
			enc.cipher[ps->tok.len] = '\0';
			seen_cipher = true;
		} else {
			unsigned int bits = 0;
			bool ok = ps->tok.type == PT_WORD && ps->tok.len <= 4;

			for (size_t i = 0; ok && i < ps->tok.len; i++) {
				ok = ps->tok.text[i] >= '0' && ps->tok.text[i] <= '9';
				bits = bits * 10 + (unsigned int)(ps->tok.text[i] - '0');
			}
			if (!ok || bits > 4096) {
				perr(ps, &ps->tok,
				     "bad min-key-bits %s (expected a number of bits, 0 to 4096)",
				     DESC(ps));
				return -EINVAL;
			}
			enc.min_key_bits = bits;
			seen_bits = true;
		}
		next(ps);
	}
	if (!set_repeated(ps, SET_ENCRYPTION, at, "encryption")) {
		ps->pol->enc = enc;
		ps->pol->enc_set = true;
	}
	return expect_end(ps);
}

static int parse_setting(struct parser *ps)
{
	struct ptoken at = ps->tok;
	uint8_t v;

	next(ps);
	if (policy_tok_is(&ps->tok, "registry")) {
		next(ps);
		if (ps->tok.type != PT_STRING) {
			if (ps->tok.type != PT_ERROR)
				perr(ps, &ps->tok,
				     "bad value for 'set registry': expected a quoted absolute "
				     "path, got %s",
				     DESC(ps));
			return -EINVAL;
		}
		if (ps->tok.slen == 0 || ps->tok.sval[0] != '/')
			perr(ps, &ps->tok, "bad value for 'set registry': path must be absolute");
		else if (!set_repeated(ps, SET_REGISTRY, &at, "registry"))
			ps->pol->registry =
				policy_arena_strndup(&ps->pol->arena, ps->tok.sval, ps->tok.slen);
		next(ps);
		return expect_end(ps);
	}
	if (policy_tok_is(&ps->tok, "encryption"))
		return parse_encryption(ps, &at);
	if (policy_tok_is(&ps->tok, "default")) {
		next(ps);
		if (!is_verdict(&ps->tok, &v)) {
			perr(ps, &ps->tok,
			     "bad value for 'set default': expected allow, readonly or block, got "
			     "%s",
			     DESC(ps));
			return -EINVAL;
		}
		if (!set_repeated(ps, SET_DEFAULT, &at, "default"))
			ps->pol->default_verdict = v;
		next(ps);
		return expect_end(ps);
	}
	if (policy_tok_is(&ps->tok, "notify")) {
		next(ps);
		if (!policy_tok_is(&ps->tok, "on") && !policy_tok_is(&ps->tok, "off")) {
			perr(ps, &ps->tok, "bad value for 'set notify': expected on or off, got %s",
			     DESC(ps));
			return -EINVAL;
		}
		if (!set_repeated(ps, SET_NOTIFY, &at, "notify"))
			ps->pol->notify = policy_tok_is(&ps->tok, "on") ? 1 : 2;
		next(ps);
		return expect_end(ps);
	}
	if (ps->tok.type != PT_ERROR)
		perr(ps, &ps->tok,
		     "unknown setting %s (expected registry, encryption, default or notify)",
		     DESC(ps));
	return -EINVAL;
}

static bool valid_list_name(const struct ptoken *t)
{
	if (t->type != PT_WORD || t->len == 0)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '-'))))
			return false;
	}
	return true;
}

static int parse_list_def(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct ptoken name;
	struct pset set = {0};
	int prev, r;

	next(ps);
	if (!valid_list_name(&ps->tok)) {
		if (ps->tok.type != PT_ERROR)
			perr(ps, &ps->tok,
			     "bad list name %s (letters, digits, '_' and '-', not starting with a "
			     "digit or '-')",
			     DESC(ps));
		return -EINVAL;
	}
	name = ps->tok;
	next(ps);
	if (ps->tok.type != PT_EQ) {
		perr(ps, &ps->tok, "expected '=' after the list name, got %s", DESC(ps));
		return -EINVAL;
	}
	next(ps);
	r = parse_set(ps, PV_NONE, PA__MAX, "a list", true, &set);
	if (r < 0)
		return r;
	prev = find_list(p, name.text, name.len);
	if (prev >= 0) {
		perr(ps, &name, "list %s already defined at %u:%u",
		     describe(&name, (char[96]){0}, 96), p->lists[prev].line, p->lists[prev].col);
	} else if (!ps->oom) {
		if (p->n_lists == p->cap_lists) {
			unsigned int cap = p->cap_lists ? p->cap_lists * 2 : 8;
			struct plist *v = realloc(p->lists, cap * sizeof(*v));

			if (!v) {
				ps->oom = true;
				return -ENOMEM;
			}
			p->lists = v;
			p->cap_lists = cap;
		}
		p->lists[p->n_lists++] = (struct plist){
			.name = policy_arena_strndup(&p->arena, name.text, name.len),
			.line = name.line,
			.col = name.col,
			.set = set,
		};
	}
	return expect_end(ps);
}

static int parse_class(struct parser *ps, struct prule *r, const char *verdict)
{
	unsigned int v;

	if (policy_tok_is(&ps->tok, "any")) {
		r->any_class = true;
	} else if (policy_tok_is(&ps->tok, "class")) {
		next(ps);
		if (ps->tok.type != PT_WORD || ps->tok.len != 2 ||
		    hexdigits(ps->tok.text, 2, &v) < 0) {
			perr(ps, &ps->tok, "bad class %s (expected 2 hex digits, e.g. class e0)",
			     DESC(ps));
			return -EINVAL;
		}
		r->cls = (uint8_t)v;
	} else if (ps->tok.type != PT_WORD ||
		   !policy_class_lookup(ps->tok.text, ps->tok.len, &r->cls)) {
		if (ps->tok.type != PT_ERROR)
			perr(ps, &ps->tok,
			     "missing device class after '%s' (storage, hid, hub, any, another "
			     "class name or class XX), got %s",
			     verdict, DESC(ps));
		return -EINVAL;
	}
	next(ps);
	return 0;
}

/* The value after a one-word match (connect, media). */
static int parse_choice(struct parser *ps, const char *what, const char *const *names, uint8_t *ret)
{
	for (uint8_t i = 1; names[i]; i++)
		if (policy_tok_is(&ps->tok, names[i])) {
			*ret = i;
			next(ps);
			return 0;
		}
	if (ps->tok.type != PT_ERROR) {
		char expect[128] = "";

		for (uint8_t i = 1; names[i]; i++)
			snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "%s%s",
				 i == 1		? ""
				 : names[i + 1] ? ", "
						: " or ",
				 names[i]);
		perr(ps, &ps->tok, "bad %s %s (expected %s)", what, DESC(ps), expect);
	}
	return -EINVAL;
}

static int parse_match(struct parser *ps, struct prule *r, int a, const struct ptoken *kw)
{
	static const char *const connects[] = {NULL, "hotplug", "hardwired", NULL};
	static const char *const medias[] = {NULL,    "registered", "luks2", "luks",
					     "plain", "none",	    NULL};
	char what[32];

	snprintf(what, sizeof(what), "'%s'", attr_names[a]);
	switch (a) {
	case PA_ID:
		return parse_set(ps, PV_ID, a, what, false, &r->ids);
	case PA_SERIAL:
		return parse_set(ps, PV_STR, a, what, false, &r->serials);
	case PA_VENDOR:
		return parse_set(ps, PV_STR, a, what, false, &r->vendors);
	case PA_PRODUCT:
		return parse_set(ps, PV_STR, a, what, false, &r->products);
	case PA_PORT:
		return parse_set(ps, PV_STR, a, what, false, &r->ports);
	case PA_LABEL:
		return parse_set(ps, PV_STR, a, what, false, &r->labels);
	case PA_IFACE:
		if (policy_tok_is(&ps->tok, "one-of")) {
			r->iface_one_of = true;
			next(ps);
		}
		return parse_set(ps, PV_IFACE, a, what, false, &r->ifaces);
	case PA_CONNECT:
		return parse_choice(ps, "connect", connects, &r->connect);
	case PA_MEDIA:
		return parse_choice(ps, "media", medias, &r->media);
	case PA_LOG:
		r->log = policy_tok_is(kw, "log");
		return 0;
	}
	return -EINVAL;
}

static void add_rule(struct parser *ps, struct prule *r)
{
	struct policy *p = ps->pol;
	struct sbuf b = {0};

	if (p->n_rules == p->cap_rules) {
		unsigned int cap = p->cap_rules ? p->cap_rules * 2 : 32;
		struct prule *v = realloc(p->rules, cap * sizeof(*v));

		if (!v) {
			ps->oom = true;
			return;
		}
		p->rules = v;
		p->cap_rules = cap;
	}
	policy_format_rule(p, r, &b);
	r->text = b.oom ? NULL : policy_arena_strndup(&p->arena, b.s, b.len);
	policy_sbuf_free(&b);
	if (!r->text) {
		ps->oom = true;
		return;
	}
	p->rules[p->n_rules++] = *r;
}

static int parse_rule(struct parser *ps, uint8_t verdict)
{
	struct prule r = {.verdict = verdict, .log = true};
	struct ptoken first[PA__MAX];
	char vname[16];
	int ret;

	r.line = ps->tok.line;
	r.col = ps->tok.col;
	snprintf(vname, sizeof(vname), "%s", policy_verdict_name(verdict));
	next(ps);
	ret = parse_class(ps, &r, vname);
	if (ret < 0)
		return ret;
	while (ps->tok.type == PT_WORD) {
		struct ptoken kw = ps->tok;
		int a = attr_lookup(&kw);
		struct prule dup = {.log = true};
		struct prule *target = &r;

		if (a < 0) {
			perr(ps, &kw, "unknown match %s in rule", DESC(ps));
			return -EINVAL;
		}
		if (r.attrs & (1u << a)) {
			char d[96];

			if (a == PA_LOG &&
			    !policy_tok_is(&first[a], kw.text[0] == 'l' ? "log" : "nolog"))
				perr(ps, &kw, "%s conflicts with %s at %u:%u", DESC(ps),
				     describe(&first[a], d, sizeof(d)), first[a].line,
				     first[a].col);
			else
				perr(ps, &kw, "repeated %s in rule (first at %u:%u)", DESC(ps),
				     first[a].line, first[a].col);
			target = &dup; /* parse the value anyway, then drop it */
		} else {
			r.attrs |= 1u << a;
			first[a] = kw;
		}
		next(ps);
		ret = parse_match(ps, target, a, &kw);
		if (ret < 0)
			return ret;
	}
	ret = expect_end(ps);
	if (ret < 0)
		return ret;
	r.needs_media = r.attrs & ((1u << PA_MEDIA) | (1u << PA_LABEL));
	add_rule(ps, &r);
	return 0;
}

static int parse_statement(struct parser *ps)
{
	uint8_t v;

	if (ps->tok.type == PT_ERROR)
		return -EINVAL;
	if (policy_tok_is(&ps->tok, "set"))
		return parse_setting(ps);
	if (policy_tok_is(&ps->tok, "list"))
		return parse_list_def(ps);
	if (is_verdict(&ps->tok, &v))
		return parse_rule(ps, v);
	if (is_class_word(&ps->tok) || attr_lookup(&ps->tok) >= 0)
		perr(ps, &ps->tok,
		     "missing verdict: a rule starts with allow, readonly or block, not %s",
		     DESC(ps));
	else if (ps->tok.type == PT_WORD)
		perr(ps, &ps->tok,
		     "unknown keyword %s (expected allow, readonly, block, set or list)", DESC(ps));
	else
		perr(ps, &ps->tok, "expected a rule, 'set' or 'list', got %s", DESC(ps));
	return -EINVAL;
}

int policy_parse_buffer(const char *name, const char *buf, size_t len, struct policy **ret_policy,
			struct diag_list *diags)
{
	struct parser ps = {0};
	struct policy *p;
	int r = 0;

	if (len > POLICY_FILE_MAX) {
		diag_add(diags, name, 0, 0, "file too large (%zu bytes, max %u)", len,
			 POLICY_FILE_MAX);
		return -EFBIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->file = policy_arena_strndup(&p->arena, name, strlen(name));
	if (!p->file) {
		policy_free(p);
		return -ENOMEM;
	}
	ps.pol = p;
	policy_lex_init(&ps.lx, p->file, buf, len, diags);
	next(&ps);
	while (ps.tok.type != PT_EOF && !ps.oom) {
		if (ps.tok.type == PT_NL) {
			next(&ps);
			continue;
		}
		if (parse_statement(&ps) < 0)
			recover(&ps);
	}
	free(ps.items);
	if (ps.oom || ps.lx.oom)
		r = -ENOMEM;
	else if (ps.lx.n_errors)
		r = -EINVAL;
	else if (p->n_rules == 0 && !p->default_verdict) {
		/* An emptied or truncated file must not silently hand every
		 * device to the built-in default on a reload. */
		diag_add(diags, p->file, 0, 0,
			 "no rules and no 'set default': refusing an empty policy (say what "
			 "you mean, e.g. 'set default block' or a rule)");
		r = -EINVAL;
	}
	if (r < 0) {
		policy_free(p);
		return r;
	}
	if (!p->enc_set)
		p->enc = (struct policy_encryption){
			.luks_version = 2, .cipher = "aes-xts-plain64", .min_key_bits = 512};
	*ret_policy = p;
	return 0;
}
