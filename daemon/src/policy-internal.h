/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy-internal: the policy module's private types, shared by
 * policy_lex.c (tokens), policy_parse.c (grammar -> struct policy),
 * policy_print.c (canonical text) and policy_decide.c (matching).
 * Not for other modules: use policy.h.
 */
#ifndef MEDIAGATE_POLICY_INTERNAL_H
#define MEDIAGATE_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "policy.h"

#define POLICY_STR_MAX 255 /* bytes of a string literal after unescaping */
#define POLICY_WORD_MAX 64 /* characters of a bare word */
#define POLICY_MAX_ERRORS 50 /* diagnostics before the parser gives up */
#define POLICY_FILE_MAX (16u << 20)

/* ---- lexer ---- */

enum ptok_type {
	PT_EOF,
	PT_NL,
	PT_WORD, /* [A-Za-z0-9_.:*-]+ */
	PT_STRING, /* "...", unescaped into sval */
	PT_REF, /* $name (text = name without '$') */
	PT_LBRACE,
	PT_RBRACE,
	PT_EQ,
	PT_ERROR, /* already reported */
};

struct ptoken {
	enum ptok_type type;
	unsigned int line, col;
	bool line_start; /* first token on its line */
	const char *text; /* raw source text of a WORD / REF name */
	size_t len;
	size_t slen; /* STRING: unescaped bytes (may hold any byte but NUL) */
	char sval[POLICY_STR_MAX + 1];
};

struct plexer {
	const char *name;
	const char *buf;
	size_t len, pos;
	unsigned int line;
	size_t line_pos; /* offset of the current line's first byte */
	bool line_start;
	bool quiet; /* error recovery: do not report */
	unsigned int n_errors;
	bool gave_up; /* too many errors, or out of memory */
	bool oom;
	struct diag_list *diags;
};

void policy_lex_init(struct plexer *lx, const char *name, const char *buf, size_t len,
		     struct diag_list *diags);
void policy_lex_next(struct plexer *lx, struct ptoken *t);
void policy_lex_error(struct plexer *lx, unsigned int line, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "'word'", "\"string\"", "'$name'", "end of line"... for messages (escaped, bounded). */
const char *policy_tok_describe(const struct ptoken *t, char *buf, size_t bufsz);
bool policy_tok_is(const struct ptoken *t, const char *word);

/* ---- arena: everything a loaded policy points to ---- */

struct parena_chunk; /* policy_load.c */
struct parena {
	struct parena_chunk *head;
};
void *policy_arena_alloc(struct parena *a, size_t n); /* zeroed; NULL on ENOMEM */
char *policy_arena_strndup(struct parena *a, const char *s, size_t n);
void policy_arena_free(struct parena *a);

/* ---- values ---- */

enum pval_kind {
	PV_NONE = 0,
	PV_STR,
	PV_ID,
	PV_IFACE,
};

#define PID_ANY_VID 0x1
#define PID_ANY_PID 0x2
#define PIF_ANY_CLS 0x1
#define PIF_ANY_SUB 0x2
#define PIF_ANY_PROTO 0x4

struct pval {
	union {
		struct {
			const char *s; /* arena; NUL-terminated for convenience */
			uint16_t len;
		} str;
		struct {
			uint16_t vid, pid;
			uint8_t any; /* PID_ANY_* */
		} id;
		struct {
			uint8_t cls, sub, proto;
			uint8_t any; /* PIF_ANY_* */
		} ifc;
	};
};

/* An item as written: a literal or a $list reference (kept for printing). */
struct pitem {
	bool is_ref;
	unsigned int list; /* index into policy->lists when is_ref */
	struct pval v;
};

/* A value set: what follows an attribute or a list's `=`. */
struct pset {
	enum pval_kind kind;
	bool braces; /* written with { } (printed so if > 1 item or a list) */
	unsigned int n_items, n_flat;
	struct pitem *items; /* as written */
	struct pval *flat; /* references expanded: what matching uses */
};

struct plist {
	const char *name;
	unsigned int line, col;
	struct pset set;
};

enum pattr {
	PA_ID,
	PA_SERIAL,
	PA_VENDOR,
	PA_PRODUCT,
	PA_PORT,
	PA_CONNECT,
	PA_IFACE,
	PA_MEDIA,
	PA_LABEL,
	PA_LOG,
	PA__MAX,
};

enum pmedia {
	PM_NONE_SET = 0,
	PM_REGISTERED,
	PM_LUKS2,
	PM_LUKS,
	PM_PLAIN,
	PM_NOTHING, /* `media none` */
};

struct prule {
	uint8_t verdict; /* enum policy_verdict */
	bool any_class; /* `any` */
	uint8_t cls; /* device class otherwise */
	bool needs_media; /* has `media` or `label` */
	bool iface_one_of;
	bool log;
	uint8_t connect; /* enum ident_connect; 0 = not set */
	uint8_t media; /* enum pmedia */
	unsigned int attrs; /* 1 << PA_* present */
	struct pset ids, serials, vendors, products, ports, ifaces, labels;
	unsigned int line, col;
	const char *text; /* canonical text, arena */
};

struct policy {
	struct parena arena;
	const char *file;
	const char *registry;
	struct policy_encryption enc;
	bool enc_set;
	uint8_t default_verdict; /* 0 = built-in (block storage, allow others) */
	uint8_t notify; /* `set notify`: 0 = not set (on), 1 = on, 2 = off */
	unsigned int n_lists, n_rules, cap_lists, cap_rules;
	struct plist *lists;
	struct prule *rules;
};

/* ---- names ---- */

/* USB class names usable as device class and interface class. */
const char *policy_class_name(uint8_t cls);
bool policy_class_lookup(const char *word, size_t len, uint8_t *ret_cls);

/* ---- canonical text ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};
void policy_sbuf_add(struct sbuf *b, const char *s, size_t n);
void policy_sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void policy_sbuf_add_quoted(struct sbuf *b, const char *s, size_t n);
void policy_sbuf_free(struct sbuf *b);

void policy_format_set(const struct policy *p, const struct pset *set, struct sbuf *b);
void policy_format_rule(const struct policy *p, const struct prule *r, struct sbuf *b);

#endif
