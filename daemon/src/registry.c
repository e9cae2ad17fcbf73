// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry: parser and lookups for the enrolled-media file (see registry.h).
 *
 *   # comment
 *   medium ID luks2|luks1 UUID usb VVVV:PPPP serial "..." owner "..." \
 *          asset "..." enrolled YYYY-MM-DD [retired YYYY-MM-DD]
 *
 * After "medium ID" the attributes may come in any order, each once; all but
 * "retired" are required. Strings are double-quoted with the escapes \" \\
 * and \xNN (any byte but NUL), so registry_print_entry() round-trips hostile
 * serials; raw bytes in a string must be printable or valid UTF-8. A line
 * ending in a backslash continues on the next one. Every error is a
 * file:line:col diagnostic; the parser reports them all (up to a cap).
 *
 * Lookups go through two open-addressing hash tables (LUKS UUID, medium id)
 * over the entry array; loading is one pass plus one insert per entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "registry.h"
#include "strutil.h"

#define REGISTRY_FILE_MAX (256u << 20)
#define REGISTRY_MAX_DIAGS 1000
#define TOK_MAX 1024 /* longest token kept; longer ones are flagged */

struct registry {
	struct registry_entry *v; /* mmap()ed, v_bytes long */
	size_t n, v_bytes;
	/* Slots: low 32 bits index+1 into v (0 = empty), high 32 bits the
	 * key's hash, so a probe rarely touches an entry that is not it. */
	uint64_t *by_uuid;
	uint64_t *by_id;
	size_t mask; /* table size - 1 (a power of two) */
	uint64_t seed;
	/* USB identity (vid:pid serial) -> the latest entry with it, built
	 * after parsing only when some entry is retired (build_usb_index) */
	uint64_t *by_usb;
	size_t usb_mask;
};

/* ---- lexer ---------------------------------------------------------- */

enum tok_kind { TOK_EOF, TOK_EOL, TOK_WORD, TOK_STRING, TOK_ERROR };

struct tok {
	enum tok_kind kind;
	unsigned int line, col;
	size_t len; /* decoded length (may exceed TOK_MAX: too_long) */
	bool too_long;
	char text[TOK_MAX + 1];
};

struct lexer {
	const char *name;
	const char *p, *end;
	unsigned int line;
	const char *line_start;
	struct diag_list *diags;
	unsigned int n_errors;
};

static unsigned int lex_col(const struct lexer *lx, const char *at)
{
	return (unsigned int)(at - lx->line_start) + 1;
}

static void lex_error(struct lexer *lx, unsigned int line, unsigned int col, const char *fmt,
		      const char *arg)
{
	lx->n_errors++;
	if (lx->n_errors > REGISTRY_MAX_DIAGS)
		return;
	if (lx->n_errors == REGISTRY_MAX_DIAGS) {
		diag_add(lx->diags, lx->name, line, col, "too many errors, giving up on the rest");
		return;
	}
	diag_add(lx->diags, lx->name, line, col, fmt, arg ? arg : "");
}

/* Escape a hostile token for a diagnostic, cut to a readable length. */
static const char *esc(char *buf, size_t bufsz, const char *s, size_t len)
{
	size_t need = str_escape(buf, bufsz, s, len, true);

	if (need >= bufsz && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
	return buf;
}

static void newline(struct lexer *lx)
{
	lx->p++;
	lx->line++;
	lx->line_start = lx->p;
}

/* Skip blanks, comments and backslash-newline continuations. */
static void skip_blanks(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == ' ' || c == '\t') {
			lx->p++;
		} else if (c == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p++;
		} else if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p++;
			newline(lx);
		} else if (c == '\\' && lx->p + 2 < lx->end && lx->p[1] == '\r' &&
			   lx->p[2] == '\n') {
			lx->p += 2;
			newline(lx);
		} else if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else {
			break;
		}
	}
}

/* Length of the valid UTF-8 sequence at @p (>= 0x80 lead byte), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	uint32_t cp;

	if (*p >= 0xc2 && *p <= 0xdf) {
		n = 2;
		cp = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		cp = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		cp = *p & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static void tok_put(struct tok *t, char c)
{
	if (t->len < TOK_MAX)
		t->text[t->len] = c;
	else
		t->too_long = true;
	t->len++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A quoted string; on error, reports and skips to the end of the line. */
static void lex_string(struct lexer *lx, struct tok *t)
{
	const char *open = lx->p++;

	t->kind = TOK_STRING;
	while (lx->p < lx->end && *lx->p != '\n') {
		unsigned char c = (unsigned char)*lx->p;
		const char *at = lx->p;

		if (c == '"') {
			lx->p++;
			t->text[t->len < TOK_MAX ? t->len : TOK_MAX] = '\0';
			return;
		}
		if (c == '\\') {
			int hi, lo;

			if (lx->p + 1 < lx->end && (lx->p[1] == '"' || lx->p[1] == '\\')) {
				tok_put(t, lx->p[1]);
				lx->p += 2;
				continue;
			}
			if (lx->p + 3 < lx->end && lx->p[1] == 'x' &&
			    (hi = hexval(lx->p[2])) >= 0 && (lo = hexval(lx->p[3])) >= 0) {
				if (!hi && !lo) {
					lex_error(lx, lx->line, lex_col(lx, at),
						  "NUL byte (\\x00) in string%s", NULL);
					goto fail;
				}
				tok_put(t, (char)(hi << 4 | lo));
				lx->p += 4;
				continue;
			}
			lex_error(lx, lx->line, lex_col(lx, at),
				  "bad escape in string (use \\\", \\\\ or \\xNN)%s", NULL);
			goto fail;
		}
		if (c < 0x20 || c == 0x7f) {
			if (c == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n')
				break;
			lex_error(lx, lx->line, lex_col(lx, at),
				  "control character in string (write it as \\xNN)%s", NULL);
			goto fail;
		}
		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)lx->p,
					    (const unsigned char *)lx->end);

			if (!n) {
				lex_error(lx, lx->line, lex_col(lx, at),
					  "invalid UTF-8 in string (write raw bytes as \\xNN)%s",
					  NULL);
				goto fail;
			}
			for (size_t i = 0; i < n; i++)
				tok_put(t, lx->p[i]);
			lx->p += n;
			continue;
		}
		tok_put(t, (char)c);
		lx->p++;
	}
	lex_error(lx, lx->line, lex_col(lx, open), "unterminated string%s", NULL);
fail:
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
	t->kind = TOK_ERROR;
}

static bool is_word_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != '#';
}

static void lex_next(struct lexer *lx, struct tok *t)
{
	skip_blanks(lx);
	t->line = lx->line;
	t->col = lex_col(lx, lx->p);
	t->len = 0;
	t->too_long = false;
	t->text[0] = '\0';
	if (lx->p >= lx->end) {
		t->kind = TOK_EOF;
		return;
	}
	if (*lx->p == '\n') {
		newline(lx);
		t->kind = TOK_EOL;
		return;
	}
	if (*lx->p == '"') {
		lex_string(lx, t);
		return;
	}
	if (!is_word_char((unsigned char)*lx->p)) {
		char buf[16];

		lex_error(lx, t->line, t->col, "unexpected character '%s'",
			  esc(buf, sizeof(buf), lx->p, 1));
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
		t->kind = TOK_ERROR;
		return;
	}
	t->kind = TOK_WORD;
	{
		const char *start = lx->p;
		size_t n;

		while (lx->p < lx->end && is_word_char((unsigned char)*lx->p))
			lx->p++;
		n = (size_t)(lx->p - start);
		t->len = n;
		t->too_long = n > TOK_MAX;
		memcpy(t->text, start, t->too_long ? TOK_MAX : n);
		t->text[t->too_long ? TOK_MAX : n] = '\0';
	}
}

/*
 * After an error: skip the rest of the logical line as raw bytes (so what
 * follows the error is not reported again as a cascade) and leave @t at its
 * end (EOL or EOF).
 */
static void lex_skip_line(struct lexer *lx, struct tok *t)
{
	if (t->kind == TOK_EOL || t->kind == TOK_EOF)
		return;
	while (lx->p < lx->end && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p++;
			newline(lx);
			continue;
		}
		lx->p++;
	}
	lex_next(lx, t);
}

/* ---- value validators -------------------------------------------------- */

static bool valid_medium_id(const struct tok *t)
{
	if (t->too_long || t->len == 0 || t->len >= sizeof(((struct registry_entry *)0)->medium_id))
		return false;
	if (!((t->text[0] >= 'A' && t->text[0] <= 'Z') ||
	      (t->text[0] >= 'a' && t->text[0] <= 'z') || (t->text[0] >= '0' && t->text[0] <= '9')))
		return false;
	for (size_t i = 1; i < t->len; i++) {
		char c = t->text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Canonical 8-4-4-4-12 hex; stored lowercase. */
static bool parse_uuid(const struct tok *t, char out[40])
{
	if (t->len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = t->text[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (hexval(c) < 0) {
			return false;
		}
		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[36] = '\0';
	return true;
}

static bool parse_hex4(const char *s, uint16_t *ret)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		v = v << 4 | (unsigned int)h;
	}
	*ret = (uint16_t)v;
	return true;
}

static bool parse_usb_id(const struct tok *t, uint16_t *vid, uint16_t *pid)
{
	return t->len == 9 && t->text[4] == ':' && parse_hex4(t->text, vid) &&
	       parse_hex4(t->text + 5, pid);
}

static bool valid_date(const struct tok *t)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (t->len != 10 || t->text[4] != '-' || t->text[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (t->text[i] < '0' || t->text[i] > '9'))
			return false;
	y = (t->text[0] - '0') * 1000 + (t->text[1] - '0') * 100 + (t->text[2] - '0') * 10 +
	    (t->text[3] - '0');
	m = (t->text[5] - '0') * 10 + (t->text[6] - '0');
	d = (t->text[8] - '0') * 10 + (t->text[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

/* ---- parser -------------------------------------------------------------- */

enum field {
	F_LUKS,
	F_USB,
	F_SERIAL,
	F_OWNER,
	F_ASSET,
	F_ENROLLED,
	F_RETIRED,
	F_MAX,
};

static const char *const field_names[F_MAX] = {
	[F_LUKS] = "luks2/luks1", [F_USB] = "usb",     [F_SERIAL] = "serial",
	[F_OWNER] = "owner",	  [F_ASSET] = "asset", [F_ENROLLED] = "enrolled",
	[F_RETIRED] = "retired",
};

struct pos {
	unsigned int line, col;
};

struct parser {
	struct lexer lx;
	struct registry *reg;
	uint64_t h_id, h_uuid; /* hashes of the entry being parsed */
};

/* Store a string token into a fixed field; false (and a diagnostic) if too long. */
static bool take_string(struct lexer *lx, const struct tok *v, char *dst, size_t dstsz)
{
	if (v->too_long || v->len >= dstsz) {
		char msg[16];

		snprintf(msg, sizeof(msg), "%zu", dstsz - 1);
		lex_error(lx, v->line, v->col, "string too long (at most %s bytes)", msg);
		return false;
	}
	memcpy(dst, v->text, v->len);
	dst[v->len] = '\0';
	return true;
}

/*
 * One attribute: keyword @k was read; read and check its value into @e.
 * Returns the field it set, -1 after a value error (the line goes on), -2
 * after an error that makes the rest of the line meaningless.
 */
static int keyword(const struct tok *k)
{
	static const struct {
		const char *name;
		size_t len;
		int field;
	} kw[] = {
		{"luks2", 5, F_LUKS},	     {"luks1", 5, F_LUKS},	{"usb", 3, F_USB},
		{"serial", 6, F_SERIAL},     {"owner", 5, F_OWNER},	{"asset", 5, F_ASSET},
		{"enrolled", 8, F_ENROLLED}, {"retired", 7, F_RETIRED},
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (k->len == kw[i].len && !memcmp(k->text, kw[i].name, kw[i].len))
			return kw[i].field;
	return -1;
}

static int parse_attr(struct lexer *lx, const struct tok *k, struct registry_entry *e,
		      const bool *have, struct pos *ret_pos)
{
	struct tok v;
	char buf[80];
	int f = keyword(k);

	if (f < 0) {
		lex_error(lx, k->line, k->col, "unknown keyword '%s'",
			  esc(buf, sizeof(buf), k->text, k->too_long ? TOK_MAX : k->len));
		return -2;
	}
	if (have[f])
		lex_error(lx, k->line, k->col, "'%s' given twice", field_names[f]);

	lex_next(lx, &v);
	if (v.kind == TOK_ERROR)
		return -2;
	if (v.kind == TOK_EOL || v.kind == TOK_EOF) {
		lex_error(lx, v.line, v.col, "missing value after '%s'", k->text);
		return -3; /* the EOL is consumed: tell the caller */
	}
	if (f == F_SERIAL || f == F_OWNER || f == F_ASSET) {
		if (v.kind != TOK_STRING) {
			lex_error(lx, v.line, v.col, "expected a quoted string after '%s'",
				  k->text);
			return -1;
		}
	} else if (v.kind != TOK_WORD) {
		lex_error(lx, v.line, v.col, "expected a value, not a string, after '%s'", k->text);
		return -1;
	}
	if (have[f])
		return -1;
	ret_pos->line = v.line;
	ret_pos->col = v.col;

	switch (f) {
	case F_LUKS:
		e->luks_version = k->text[4] - '0';
		if (!parse_uuid(&v, e->luks_uuid)) {
			lex_error(lx, v.line, v.col,
				  "bad LUKS UUID '%s' (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				  esc(buf, sizeof(buf), v.text, v.too_long ? TOK_MAX : v.len));
			return -1;
		}
		break;
	case F_USB:
		if (!parse_usb_id(&v, &e->vid, &e->pid)) {
			lex_error(lx, v.line, v.col, "bad USB id '%s' (want VVVV:PPPP in hex)",
				  esc(buf, sizeof(buf), v.text, v.too_long ? TOK_MAX : v.len));
			return -1;
		}
		break;
	case F_SERIAL:
		if (!take_string(lx, &v, e->serial, sizeof(e->serial)))
			return -1;
		break;
	case F_OWNER:
		if (!take_string(lx, &v, e->owner, sizeof(e->owner)))
			return -1;
		break;
	case F_ASSET:
		if (!take_string(lx, &v, e->asset, sizeof(e->asset)))
			return -1;
		break;
	case F_ENROLLED:
	case F_RETIRED:
		if (!valid_date(&v)) {
			lex_error(lx, v.line, v.col, "bad date '%s' (want YYYY-MM-DD)",
				  esc(buf, sizeof(buf), v.text, v.too_long ? TOK_MAX : v.len));
			return -1;
		}
		memcpy(f == F_ENROLLED ? e->enrolled : e->retired, v.text, 11);
		break;
	}
	return f;
}

static uint64_t hash_str(uint64_t seed, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

#define SLOT_INDEX(s) ((uint32_t)(s))
#define SLOT_MAKE(idx, h) ((uint64_t)(idx) | ((h)&0xffffffff00000000ull))

/* Find the slot holding @key in @tab (or the empty slot where it would go). */
static size_t slot_find_hashed(const struct registry *r, const uint64_t *tab, const char *key,
			       bool by_uuid, uint64_t h)
{
	size_t i = h & r->mask;

	while (SLOT_INDEX(tab[i])) {
		if ((tab[i] ^ h) >> 32 == 0) {
			const struct registry_entry *e = &r->v[SLOT_INDEX(tab[i]) - 1];

			if (!strcmp(by_uuid ? e->luks_uuid : e->medium_id, key))
				return i;
		}
		i = (i + 1) & r->mask;
	}
	return i;
}

static size_t slot_find(const struct registry *r, const uint64_t *tab, const char *key,
			bool by_uuid, uint64_t *ret_hash)
{
	*ret_hash = hash_str(r->seed, key);
	return slot_find_hashed(r, tab, key, by_uuid, *ret_hash);
}

/* Hash @key and start loading its slot, so the insert after the rest of the
 * line is parsed finds it in cache (the tables are larger than the caches). */
static uint64_t hash_prefetch(const struct registry *r, const uint64_t *tab, const char *key)
{
	uint64_t h = hash_str(r->seed, key);

	__builtin_prefetch(&tab[h & r->mask]);
	return h;
}

static const struct registry_entry *lookup(const struct registry *r, const uint64_t *tab,
					   const char *key, bool by_uuid)
{
	uint64_t h;
	size_t i = slot_find(r, tab, key, by_uuid, &h);

	return SLOT_INDEX(tab[i]) ? &r->v[SLOT_INDEX(tab[i]) - 1] : NULL;
}

/* Check the entry parsed into slot v[n] for duplicates and keep it; -EEXIST after a diagnostic. */
static int add_entry(struct parser *ps, const struct registry_entry *e, const struct pos *id,
		     const struct pos *uuid)
{
	struct registry *r = ps->reg;
	uint64_t hi = ps->h_id, hu = ps->h_uuid;
	size_t si = slot_find_hashed(r, r->by_id, e->medium_id, false, hi);
	size_t su = slot_find_hashed(r, r->by_uuid, e->luks_uuid, true, hu);
	char buf[16];
	int ret = 0;

	if (SLOT_INDEX(r->by_id[si])) {
		snprintf(buf, sizeof(buf), "%u", r->v[SLOT_INDEX(r->by_id[si]) - 1].line);
		lex_error(&ps->lx, id->line, id->col,
			  "duplicate medium id (first defined on line %s)", buf);
		ret = -EEXIST;
	}
	if (SLOT_INDEX(r->by_uuid[su])) {
		snprintf(buf, sizeof(buf), "%u", r->v[SLOT_INDEX(r->by_uuid[su]) - 1].line);
		lex_error(&ps->lx, uuid->line, uuid->col,
			  "duplicate LUKS UUID (first registered on line %s)", buf);
		ret = -EEXIST;
	}
	if (ret < 0)
		return ret;
	r->n++;
	r->by_id[si] = SLOT_MAKE(r->n, hi);
	r->by_uuid[su] = SLOT_MAKE(r->n, hu);
	return 0;
}

/*
 * One "medium" line, parsed straight into the next free slot @e (zeroed);
 * the keyword token is in @t. Leaves @t at EOL/EOF. Returns 0 when the
 * entry is complete and may be added, -EINVAL after diagnostics.
 */
static int parse_medium_fields(struct parser *ps, struct tok *t, struct registry_entry *e,
			       struct pos *id_pos, struct pos *uuid_pos)
{
	struct lexer *lx = &ps->lx;
	struct tok id;
	struct pos pos;
	bool have[F_MAX] = {false};
	unsigned int errors = lx->n_errors;
	unsigned int line = t->line, col = t->col;
	char buf[80];

	e->line = line;
	lex_next(lx, &id);
	if (id.kind != TOK_WORD) {
		if (id.kind != TOK_ERROR)
			lex_error(lx, id.line, id.col, "expected a medium id after 'medium'%s",
				  NULL);
		*t = id;
		lex_skip_line(lx, t);
		return -EINVAL;
	}
	id_pos->line = id.line;
	id_pos->col = id.col;
	if (!valid_medium_id(&id))
		lex_error(lx, id.line, id.col,
			  "bad medium id '%s' (1-63 of A-Z a-z 0-9 . _ -, starting with a letter "
			  "or digit)",
			  esc(buf, sizeof(buf), id.text, id.too_long ? TOK_MAX : id.len));
	else
		memcpy(e->medium_id, id.text, id.len + 1);
	ps->h_id = hash_prefetch(ps->reg, ps->reg->by_id, e->medium_id);

	for (;;) {
		int f;

		lex_next(lx, t);
		if (t->kind == TOK_EOL || t->kind == TOK_EOF)
			break;
		if (t->kind == TOK_ERROR) {
			lex_skip_line(lx, t);
			return -EINVAL;
		}
		if (t->kind != TOK_WORD) {
			lex_error(lx, t->line, t->col, "expected a keyword, found a string%s",
				  NULL);
			lex_skip_line(lx, t);
			return -EINVAL;
		}
		f = parse_attr(lx, t, e, have, &pos);
		if (f == -3) {
			t->kind = TOK_EOL;
			break;
		}
		if (f == -2) {
			lex_skip_line(lx, t);
			return -EINVAL;
		}
		if (f >= 0) {
			have[f] = true;
			if (f == F_LUKS) {
				*uuid_pos = pos; /* for duplicate reports */
				ps->h_uuid = hash_prefetch(ps->reg, ps->reg->by_uuid, e->luks_uuid);
			}
		}
	}
	if (lx->n_errors != errors)
		return -EINVAL;
	for (int f = 0; f < F_MAX; f++)
		if (!have[f] && f != F_RETIRED)
			lex_error(lx, line, col, "missing '%s'", field_names[f]);
	if (have[F_RETIRED] && strcmp(e->retired, e->enrolled) < 0)
		lex_error(lx, line, col, "retired date is before the enrolled date%s", NULL);
	return lx->n_errors != errors ? -EINVAL : 0;
}

static void parse_medium(struct parser *ps, struct tok *t)
{
	/* Slot n exists: see max_entries() for the bound. */
	struct registry_entry *e = &ps->reg->v[ps->reg->n];
	struct pos id_pos = {0}, uuid_pos = {0};

	if (parse_medium_fields(ps, t, e, &id_pos, &uuid_pos) < 0 ||
	    add_entry(ps, e, &id_pos, &uuid_pos) < 0)
		memset(e, 0, sizeof(*e));
}

/*
 * Upper bound of the entries in @buf, for sizing the array once: every
 * complete entry takes a line of its own and at least 107 bytes (keywords
 * 38, UUID 36, date 10, usb id 9, three empty strings 6, medium id 1, seven
 * separating blanks), so slot n is there for the entry being parsed.
 */
static size_t max_entries(const char *buf, size_t len)
{
	size_t n = 1, by_size = len / 100 + 1;

	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + len - p))); p++)
		if (++n >= by_size)
			return by_size;
	return n;
}

/* ---- USB identity index (retired media, issue 5) -------------------- */

static uint64_t hash_usb(uint64_t seed, uint16_t vid, uint16_t pid, const char *serial)
{
	return hash_str(seed ^ ((uint64_t)vid << 16 | pid) * 0x9e3779b97f4a7c15ull, serial);
}

static size_t usb_slot(const struct registry *r, uint16_t vid, uint16_t pid, const char *serial,
		       uint64_t h)
{
	size_t i = h & r->usb_mask;

	while (SLOT_INDEX(r->by_usb[i])) {
		if ((r->by_usb[i] ^ h) >> 32 == 0) {
			const struct registry_entry *e = &r->v[SLOT_INDEX(r->by_usb[i]) - 1];

			if (e->vid == vid && e->pid == pid && !strcmp(e->serial, serial))
				return i;
		}
		i = (i + 1) & r->usb_mask;
	}
	return i;
}

/*
 * Index the USB identities of retired media, so a retired stick that shows
 * up again (its LUKS header is gone) is found without a scan. One pass in
 * file order: a retired entry takes its identity's slot; a later entry in
 * service with the same identity (the stick enrolled again) replaces it, so
 * the lookup sees the newest state. Nothing is built when nothing is retired.
 */
static int build_usb_index(struct registry *r)
{
	size_t n_retired = 0, size = 16;

	for (size_t i = 0; i < r->n; i++)
		n_retired += r->v[i].retired[0] != '\0';
	if (!n_retired)
		return 0;
	while (size < n_retired * 2)
		size <<= 1;
	r->by_usb = calloc(size, sizeof(uint64_t));
	if (!r->by_usb)
		return -ENOMEM;
	r->usb_mask = size - 1;
	for (size_t i = 0; i < r->n; i++) {
		const struct registry_entry *e = &r->v[i];
		uint64_t h = hash_usb(r->seed, e->vid, e->pid, e->serial);
		size_t s = usb_slot(r, e->vid, e->pid, e->serial, h);

		if (e->retired[0] || SLOT_INDEX(r->by_usb[s]))
			r->by_usb[s] = SLOT_MAKE(i + 1, h);
	}
	return 0;
}

const struct registry_entry *registry_find_retired_usb(const struct registry *r, uint16_t vid,
						       uint16_t pid, const char *serial)
{
	const struct registry_entry *e;
	uint64_t h;
	size_t s;

	if (!r || !r->by_usb || !serial || !serial[0])
		return NULL;
	h = hash_usb(r->seed, vid, pid, serial);
	s = usb_slot(r, vid, pid, serial, h);
	if (!SLOT_INDEX(r->by_usb[s]))
		return NULL;
	e = &r->v[SLOT_INDEX(r->by_usb[s]) - 1];
	return e->retired[0] ? e : NULL;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	if (r->v)
		munmap(r->v, r->v_bytes);
	free(r->by_uuid);
	free(r->by_id);
	free(r->by_usb);
	free(r);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct registry *, registry_free)

static struct registry *registry_new(size_t max)
{
	_cleanup_(registry_freep) struct registry *r = calloc(1, sizeof(*r));
	size_t size = 16;
	void *v;

	if (!r || max > UINT32_MAX / 4)
		return NULL;
	while (size < max * 2)
		size <<= 1;
	r->mask = size - 1;
	/* Zeroed and populated in one go: demand faults on 100 000 entries of
	 * ~630 bytes cost more than the parsing itself. */
	r->v_bytes = max * sizeof(*r->v);
	v = mmap(NULL, r->v_bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	r->v = v == MAP_FAILED ? NULL : v;
	r->by_uuid = calloc(size, sizeof(uint64_t));
	r->by_id = calloc(size, sizeof(uint64_t));
	if (!r->v || !r->by_uuid || !r->by_id)
		return NULL;
	if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) != sizeof(r->seed))
		r->seed = (uint64_t)(uintptr_t)r ^ 0x9e3779b97f4a7c15ull;
	return TAKE_PTR(r);
}

int registry_parse_buffer(const char *name, const char *buf, size_t len, struct registry **ret_reg,
			  struct diag_list *diags)
{
	_cleanup_(registry_freep) struct registry *reg = NULL;
	struct parser ps = {0};
	struct tok *t;
	int r = 0;

	reg = registry_new(max_entries(buf, len));
	t = malloc(sizeof(*t));
	if (!reg || !t) {
		free(t);
		return -ENOMEM;
	}
	ps.reg = reg;
	ps.lx = (struct lexer){
		.name = name ? name : "<registry>",
		.p = buf,
		.end = buf + len,
		.line = 1,
		.line_start = buf,
		.diags = diags,
	};
	for (;;) {
		lex_next(&ps.lx, t);
		if (t->kind == TOK_EOF)
			break;
		if (t->kind == TOK_EOL)
			continue;
		if (t->kind == TOK_WORD && !strcmp(t->text, "medium")) {
			parse_medium(&ps, t);
		} else {
			if (t->kind != TOK_ERROR)
				lex_error(&ps.lx, t->line, t->col,
					  "expected 'medium' at the start of an entry%s", NULL);
			lex_skip_line(&ps.lx, t);
		}
		if (t->kind == TOK_EOF)
			break;
	}
	if (ps.lx.n_errors)
		r = -EINVAL;
	free(t);
	if (r == 0)
		r = build_usb_index(reg);
	if (r < 0)
		return r;
	*ret_reg = TAKE_PTR(reg);
	return 0;
}

/* Read the whole file; refuse one that others than root/us could have written. */
int registry_load(const char *path, struct registry **ret_reg, struct diag_list *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		diag_add(diags, path, 0, 0, "cannot open registry: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(diags, path, 0, 0, "registry is not a regular file");
		return -EINVAL;
	}
	if ((st.st_mode & 022) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		diag_add(diags, path, 0, 0,
			 "registry is writable by group/others or not owned by root; refusing it");
		return -EPERM;
	}
	if ((uint64_t)st.st_size > REGISTRY_FILE_MAX) {
		diag_add(diags, path, 0, 0, "registry is too large (more than %u bytes)",
			 REGISTRY_FILE_MAX);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int r = -errno;

			diag_add(diags, path, 0, 0, "cannot read registry: %s", strerror(-r));
			return r;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return registry_parse_buffer(path, buf, n, ret_reg, diags);
}

size_t registry_count(const struct registry *r)
{
	return r ? r->n : 0;
}

const struct registry_entry *registry_find_uuid(const struct registry *r, const char *luks_uuid)
{
	char key[40];
	size_t n;

	if (!r || !luks_uuid)
		return NULL;
	n = strnlen(luks_uuid, sizeof(key));
	if (n >= sizeof(key))
		return NULL;
	for (size_t i = 0; i < n; i++)
		key[i] = (luks_uuid[i] >= 'A' && luks_uuid[i] <= 'F') ? (char)(luks_uuid[i] + 32)
								      : luks_uuid[i];
	key[n] = '\0';
	return lookup(r, r->by_uuid, key, true);
}

const struct registry_entry *registry_find_medium(const struct registry *r, const char *medium_id)
{
	if (!r || !medium_id || strnlen(medium_id, 64) >= 64)
		return NULL;
	return lookup(r, r->by_id, medium_id, false);
}

static void print_quoted(FILE *f, const char *key, const char *s)
{
	char buf[IDENT_STR_MAX * 4 + 1];

	str_escape(buf, sizeof(buf), s, strlen(s), true);
	fprintf(f, " %s \"%s\"", key, buf);
}

void registry_print_entry(const struct registry_entry *e, FILE *f)
{
	fprintf(f, "medium %s luks%d %s usb %04x:%04x", e->medium_id, e->luks_version, e->luks_uuid,
		e->vid, e->pid);
	print_quoted(f, "serial", e->serial);
	print_quoted(f, "owner", e->owner);
	print_quoted(f, "asset", e->asset);
	fprintf(f, " enrolled %s", e->enrolled);
	if (e->retired[0])
		fprintf(f, " retired %s", e->retired);
	fputc('\n', f);
}

/* Escaped copy of a hostile string field (a char array) for a "why" text. */
#define why_esc(buf, bufsz, field) esc(buf, bufsz, field, strnlen(field, sizeof(field)))

bool registry_check(const struct registry *r, const struct ident_device *dev,
		    struct media_info *media, const struct policy_encryption *enc,
		    const struct registry_entry **ret_entry, char *why, size_t whysz)
{
	const struct registry_entry *e;
	char a[96], b[96];

	media->registered = false;
	if (media->kind != MEDIA_LUKS) {
		snprintf(why, whysz, "not a LUKS medium");
		return false;
	}
	e = registry_find_uuid(r, media->luks_uuid);
	if (!e) {
		snprintf(why, whysz, "LUKS UUID %s is not in the registry",
			 why_esc(a, sizeof(a), media->luks_uuid));
		return false;
	}
	if (ret_entry)
		*ret_entry = e;
	if (e->retired[0]) {
		snprintf(why, whysz, "medium %s was retired on %s", e->medium_id, e->retired);
		return false;
	}
	if (media->luks_version != e->luks_version) {
		snprintf(why, whysz, "medium %s: LUKS%d header, registered as LUKS%d", e->medium_id,
			 media->luks_version, e->luks_version);
		return false;
	}
	if (!dev) {
		snprintf(why, whysz, "medium %s: no USB identity to compare", e->medium_id);
		return false;
	}
	if (dev->vid != e->vid || dev->pid != e->pid) {
		snprintf(why, whysz, "medium %s: USB id %04x:%04x, enrolled as %04x:%04x",
			 e->medium_id, dev->vid, dev->pid, e->vid, e->pid);
		return false;
	}
	if (strcmp(dev->serial, e->serial)) {
		snprintf(why, whysz, "medium %s: USB serial \"%s\", enrolled as \"%s\"",
			 e->medium_id, why_esc(a, sizeof(a), dev->serial),
			 why_esc(b, sizeof(b), e->serial));
		return false;
	}
	if (enc && enc->luks_version && media->luks_version != enc->luks_version) {
		snprintf(why, whysz, "medium %s: LUKS%d, policy requires LUKS%d", e->medium_id,
			 media->luks_version, enc->luks_version);
		return false;
	}
	if (enc && enc->cipher[0] && strcmp(media->cipher, enc->cipher)) {
		snprintf(why, whysz, "medium %s: cipher \"%s\", policy requires %s", e->medium_id,
			 why_esc(a, sizeof(a), media->cipher), why_esc(b, sizeof(b), enc->cipher));
		return false;
	}
	if (enc && media->key_bits < enc->min_key_bits) {
		snprintf(why, whysz, "medium %s: %u-bit key, policy requires at least %u",
			 e->medium_id, media->key_bits, enc->min_key_bits);
		return false;
	}
	/* issue 5: where the desktop has the organisation key, the header must
	 * also carry a valid organisation token for this stick (token.h) */
	if (media->token_checked && !media->token_valid) {
		snprintf(why, whysz, "medium %s: no valid organisation token for this stick",
			 e->medium_id);
		return false;
	}
	snprintf(why, whysz, "medium %s, owner \"%s\", asset \"%s\", enrolled %s", e->medium_id,
		 why_esc(a, sizeof(a), e->owner), why_esc(b, sizeof(b), e->asset), e->enrolled);
	media->registered = true;
	return true;
}

const struct registry_entry *registry_entry_at(const struct registry *r, size_t i)
{
	return r && i < r->n ? &r->v[i] : NULL;
}
