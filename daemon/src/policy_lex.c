// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_lex: the mediagate.conf tokenizer. Hand-written, byte-oriented,
 * positions are 1-based line and byte column. Every lexical error is
 * reported here (so the parser only skips PT_ERROR tokens); after
 * POLICY_MAX_ERRORS diagnostics the lexer stops with one "giving up" line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"
#include "strutil.h"

void policy_lex_init(struct plexer *lx, const char *name, const char *buf, size_t len,
		     struct diag_list *diags)
{
	memset(lx, 0, sizeof(*lx));
	lx->name = name;
	lx->buf = buf;
	lx->len = len;
	lx->line = 1;
	lx->line_start = true;
	lx->diags = diags;
	/* a UTF-8 byte order mark, as some editors write: skipped, not counted */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		lx->pos = lx->line_pos = 3;
}

void policy_lex_error(struct plexer *lx, unsigned int line, unsigned int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (lx->quiet || lx->gave_up)
		return;
	if (++lx->n_errors > POLICY_MAX_ERRORS) {
		lx->gave_up = true;
		if (diag_add(lx->diags, lx->name, line, col, "too many errors, giving up") < 0)
			lx->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag_add(lx->diags, lx->name, line, col, "%s", msg) < 0) {
		lx->oom = true;
		lx->gave_up = true;
	}
}

static unsigned int col_of(const struct plexer *lx, size_t pos)
{
	return (unsigned int)(pos - lx->line_pos + 1);
}

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '*' || c == '-';
}

static bool is_name_char(unsigned char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-');
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the UTF-8 sequence announced by lead byte @c (1 if invalid). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 1;
}

/* Escaped, bounded rendering of raw bytes for a message. */
static const char *show(const char *s, size_t n, char *buf, size_t bufsz)
{
	/* escape into bufsz-3 so "..." always fits after a cut, never mid-escape */
	if (str_escape(buf, bufsz - 3, s, n, false) >= bufsz - 3)
		strcat(buf, "...");
	return buf;
}

/* Append @n unescaped bytes to the string token; reports "too long" once. */
static void str_put(struct plexer *lx, struct ptoken *t, const char *s, size_t n, bool *bad)
{
	if (t->slen + n > POLICY_STR_MAX) {
		if (!*bad)
			policy_lex_error(lx, t->line, t->col, "string too long (max %u bytes)",
					 POLICY_STR_MAX);
		t->slen = POLICY_STR_MAX + 1; /* stays too long */
		*bad = true;
		return;
	}
	memcpy(t->sval + t->slen, s, n);
	t->slen += n;
}

/* One backslash escape at lx->pos (the backslash); appends the byte. */
static void lex_escape(struct plexer *lx, struct ptoken *t, bool *bad)
{
	const unsigned char *b = (const unsigned char *)lx->buf;
	size_t at = lx->pos;
	char tmp[16];

	lx->pos++;
	if (lx->pos >= lx->len || b[lx->pos] == '\n')
		return; /* "unterminated string" follows */
	if (b[lx->pos] == '\\' || b[lx->pos] == '"') {
		str_put(lx, t, (const char *)b + lx->pos, 1, bad);
		lx->pos++;
		return;
	}
	if (b[lx->pos] == 'x') {
		int hi = lx->pos + 1 < lx->len ? hexval(b[lx->pos + 1]) : -1;
		int lo = lx->pos + 2 < lx->len ? hexval(b[lx->pos + 2]) : -1;
		char c;

		if (hi < 0 || lo < 0) {
			policy_lex_error(lx, lx->line, col_of(lx, at),
					 "bad escape: \\x needs two hex digits");
			*bad = true;
			lx->pos++;
			return;
		}
		lx->pos += 3;
		c = (char)(hi << 4 | lo);
		if (c == '\0') {
			policy_lex_error(lx, lx->line, col_of(lx, at),
					 "\\x00 not allowed: strings cannot hold NUL bytes");
			*bad = true;
			return;
		}
		str_put(lx, t, &c, 1, bad);
		return;
	}
	policy_lex_error(lx, lx->line, col_of(lx, at),
			 "bad escape '\\%s' in string (use \\\\, \\\" or \\xNN)",
			 show((const char *)b + lx->pos, 1, tmp, sizeof(tmp)));
	*bad = true;
	if (b[lx->pos] != '\0')
		lx->pos++;
}

/* A double-quoted string starting at lx->pos. */
static void lex_string(struct plexer *lx, struct ptoken *t)
{
	const unsigned char *b = (const unsigned char *)lx->buf;
	bool bad = false;

	t->type = PT_STRING;
	t->slen = 0;
	lx->pos++;
	for (;;) {
		unsigned char c;
		size_t n;

		if (lx->pos >= lx->len || b[lx->pos] == '\n') {
			policy_lex_error(lx, t->line, t->col, "unterminated string");
			t->type = PT_ERROR;
			return;
		}
		c = b[lx->pos];
		if (c == '"') {
			lx->pos++;
			break;
		}
		if (c == '\\') {
			lex_escape(lx, t, &bad);
			continue;
		}
		if (c == '\0') {
			policy_lex_error(lx, lx->line, col_of(lx, lx->pos), "NUL byte in file");
			bad = true;
			lx->pos++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			policy_lex_error(lx, lx->line, col_of(lx, lx->pos),
					 "control character in string (write it as \\x%02x)", c);
			bad = true;
			lx->pos++;
			continue;
		}
		n = utf8_len(c);
		if (c >= 0x80 && (n == 1 || lx->pos + n > lx->len ||
				  !str_is_clean((const char *)b + lx->pos, n))) {
			policy_lex_error(lx, lx->line, col_of(lx, lx->pos),
					 "invalid UTF-8 in string (write raw bytes as \\xNN)");
			bad = true;
			lx->pos++;
			continue;
		}
		str_put(lx, t, (const char *)b + lx->pos, n, &bad);
		lx->pos += n;
	}
	t->sval[t->slen <= POLICY_STR_MAX ? t->slen : 0] = '\0';
	if (bad)
		t->type = PT_ERROR;
}

/* A comment runs to the end of the line; only NUL bytes are errors in it. */
static void skip_comment(struct plexer *lx)
{
	while (lx->pos < lx->len && lx->buf[lx->pos] != '\n') {
		if (lx->buf[lx->pos] == '\0')
			policy_lex_error(lx, lx->line, col_of(lx, lx->pos), "NUL byte in file");
		lx->pos++;
	}
}

static void lex_word(struct plexer *lx, struct ptoken *t, size_t start, enum ptok_type type)
{
	const unsigned char *b = (const unsigned char *)lx->buf;
	bool ref = type == PT_REF;

	while (lx->pos < lx->len &&
	       (ref ? is_name_char(b[lx->pos], lx->pos == start) : is_word_char(b[lx->pos])))
		lx->pos++;
	t->type = type;
	t->text = lx->buf + start;
	t->len = lx->pos - start;
	if (ref && t->len == 0) {
		policy_lex_error(lx, t->line, t->col, "'$' must be followed by a list name");
		t->type = PT_ERROR;
	} else if (t->len > POLICY_WORD_MAX) {
		policy_lex_error(lx, t->line, t->col, "word too long (max %u characters)",
				 POLICY_WORD_MAX);
		t->type = PT_ERROR;
	}
}

void policy_lex_next(struct plexer *lx, struct ptoken *t)
{
	const unsigned char *b = (const unsigned char *)lx->buf;

	t->text = NULL;
	t->len = 0;
	t->slen = 0;
	for (;;) {
		unsigned char c;

		t->line = lx->line;
		t->col = col_of(lx, lx->pos);
		t->line_start = lx->line_start;
		if (lx->pos >= lx->len || lx->gave_up) {
			t->type = PT_EOF;
			return;
		}
		c = b[lx->pos];
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			skip_comment(lx);
			continue;
		}
		lx->line_start = false;
		if (c == '\n') {
			lx->pos++;
			lx->line++;
			lx->line_pos = lx->pos;
			lx->line_start = true;
			t->type = PT_NL;
			return;
		}
		if (c == '"') {
			lex_string(lx, t);
			return;
		}
		if (c == '$') {
			lx->pos++;
			lex_word(lx, t, lx->pos, PT_REF);
			return;
		}
		if (is_word_char(c)) {
			lex_word(lx, t, lx->pos, PT_WORD);
			return;
		}
		lx->pos++;
		t->type = c == '{' ? PT_LBRACE : c == '}' ? PT_RBRACE : c == '=' ? PT_EQ : PT_ERROR;
		if (t->type != PT_ERROR)
			return;
		if (c == '\0') {
			policy_lex_error(lx, t->line, t->col, "NUL byte in file");
		} else {
			size_t n = c >= 0x80 ? utf8_len(c) : 1;
			char tmp[32];

			if (n > 1 && (lx->pos - 1 + n > lx->len ||
				      !str_is_clean((const char *)b + lx->pos - 1, n)))
				n = 1;
			lx->pos += n - 1;
			policy_lex_error(lx, t->line, t->col, "unexpected character '%s'",
					 show((const char *)b + lx->pos - n, n, tmp, sizeof(tmp)));
		}
		return;
	}
}

const char *policy_tok_describe(const struct ptoken *t, char *buf, size_t bufsz)
{
	char tmp[48];

	switch (t->type) {
	case PT_EOF:
		return "end of file";
	case PT_NL:
		return "end of line";
	case PT_LBRACE:
		return "'{'";
	case PT_RBRACE:
		return "'}'";
	case PT_EQ:
		return "'='";
	case PT_ERROR:
		return "an invalid token";
	case PT_WORD:
		snprintf(buf, bufsz, "'%s'", show(t->text, t->len, tmp, sizeof(tmp)));
		return buf;
	case PT_REF:
		snprintf(buf, bufsz, "'$%s'", show(t->text, t->len, tmp, sizeof(tmp)));
		return buf;
	case PT_STRING:
		snprintf(buf, bufsz, "\"%s\"", show(t->sval, t->slen, tmp, sizeof(tmp)));
		return buf;
	}
	return "?";
}

bool policy_tok_is(const struct ptoken *t, const char *word)
{
	return t->type == PT_WORD && strlen(word) == t->len && !memcmp(t->text, word, t->len);
}
