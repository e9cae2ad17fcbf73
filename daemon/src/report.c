// SPDX-License-Identifier: GPL-2.0-or-later
/* report: table / CSV / JSON output of ledger reports. See report.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "report.h"
#include "strutil.h"

#define REPORT_CELL_MAX 4096 /* longer medium data is cut (escaped form) */

struct report {
	const struct report_col *cols;
	size_t ncols;
	char **cells; /* nrows * ncols */
	size_t nrows, cap;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

int report_parse_format(const char *s, enum report_format *ret)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "table"))
		*ret = REPORT_TABLE;
	else if (!strcmp(s, "csv"))
		*ret = REPORT_CSV;
	else if (!strcmp(s, "json"))
		*ret = REPORT_JSON;
	else
		return -EINVAL;
	return 0;
}

int report_new(const struct report_col *cols, size_t ncols, struct report **ret)
{
	struct report *r;

	if (ncols == 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cols = cols;
	r->ncols = ncols;
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	free(r);
}

size_t report_rows(const struct report *r)
{
	return r->nrows;
}

/* A cell as stored: clean text as is, anything else escaped. */
static char *cell_dup(const char *s)
{
	size_t len = s ? strnlen(s, REPORT_CELL_MAX) : 0;
	char *out;

	if (!s)
		return strdup("");
	if (str_is_clean(s, len) && len < REPORT_CELL_MAX)
		return strndup(s, len);
	out = malloc(REPORT_CELL_MAX);
	if (out)
		str_escape(out, REPORT_CELL_MAX, s, len, true);
	return out;
}

int report_add_row(struct report *r, const char *const *cells)
{
	size_t base;

	if (r->nrows == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char **v = reallocarray(r->cells, cap * r->ncols, sizeof(char *));

		if (!v)
			return -ENOMEM;
		r->cells = v;
		r->cap = cap;
	}
	base = r->nrows * r->ncols;
	for (size_t c = 0; c < r->ncols; c++) {
		r->cells[base + c] = cell_dup(cells[c]);
		if (!r->cells[base + c]) {
			while (c--)
				free(r->cells[base + c]);
			return -ENOMEM;
		}
	}
	r->nrows++;
	return 0;
}

static const char *cell(const struct report *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

/* Decode one UTF-8 sequence (input already validated or escaped). */
static uint32_t next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		n = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		n = 2;
	} else {
		cp = s[0] & 0x07;
		n = 3;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p += i;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p += n + 1;
	return cp;
}

static bool is_wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
	       (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	       (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	       (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	       (cp >= 0x20000 && cp <= 0x3fffd);
}

size_t report_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		uint32_t cp = next_cp(&p);

		if (cp >= 0x300 && cp <= 0x36f)
			continue; /* combining marks take no column */
		w += is_wide(cp) ? 2 : 1;
	}
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static int write_table(const struct report *r, FILE *f)
{
	_cleanup_free_ size_t *w = calloc(r->ncols, sizeof(size_t));

	if (!w)
		return -ENOMEM;
	for (size_t c = 0; c < r->ncols; c++) {
		w[c] = report_display_width(r->cols[c].title);
		for (size_t i = 0; i < r->nrows; i++) {
			size_t cw = report_display_width(cell(r, i, c));

			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (size_t c = 0; c < r->ncols; c++) {
		fputs(r->cols[c].title, f);
		if (c + 1 < r->ncols)
			pad(f, w[c] - report_display_width(r->cols[c].title) + 2);
	}
	fputc('\n', f);
	for (size_t c = 0; c < r->ncols; c++) {
		for (size_t k = 0; k < w[c]; k++)
			fputc('-', f);
		if (c + 1 < r->ncols)
			pad(f, 2);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t c = 0; c < r->ncols; c++) {
			const char *s = cell(r, i, c);
			size_t sw = report_display_width(s);

			/* numbers right-aligned, text left-aligned */
			if (r->cols[c].numeric)
				pad(f, w[c] - sw);
			fputs(s, f);
			if (c + 1 < r->ncols)
				pad(f, (r->cols[c].numeric ? 0 : w[c] - sw) + 2);
		}
		fputc('\n', f);
	}
	return 0;
}

/* A plain integer: what a numeric column may carry without a guard. */
static bool is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	return strspn(s, "0123456789") == strlen(s);
}

size_t report_csv_field(char *dst, size_t dstsz, const char *s, bool numeric)
{
	size_t need = 0, len = strlen(s);
	bool guard = false, quote = false;

#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (need + 1 < dstsz)                                                              \
			dst[need] = (ch);                                                          \
		need++;                                                                            \
	} while (0)

	if (!(numeric && is_integer(s)) && len && strchr("=+-@\t\r", s[0]))
		guard = true;
	if (strpbrk(s, ",\"\r\n") || (len && (s[0] == ' ' || s[len - 1] == ' ')) || guard)
		quote = true;
	if (quote)
		PUT('"');
	if (guard)
		PUT('\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			PUT('"');
		PUT(*p);
	}
	if (quote)
		PUT('"');
#undef PUT
	if (dstsz)
		dst[need < dstsz ? need : dstsz - 1] = '\0';
	return need;
}

static void csv_put(FILE *f, const char *s, bool numeric)
{
	char small[512];
	size_t need = report_csv_field(small, sizeof(small), s, numeric);

	if (need < sizeof(small)) {
		fputs(small, f);
		return;
	}
	{
		char *big = malloc(need + 1);

		if (!big)
			return; /* the caller sees the error through ferror() */
		report_csv_field(big, need + 1, s, numeric);
		fputs(big, f);
		free(big);
	}
}

static int write_csv(const struct report *r, unsigned int flags, FILE *f)
{
	if (flags & REPORT_BOM)
		fputs("\xef\xbb\xbf", f);
	for (size_t c = 0; c < r->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_put(f, r->cols[c].title, false);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t c = 0; c < r->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_put(f, cell(r, i, c), r->cols[c].numeric);
		}
		fputs("\r\n", f);
	}
	return 0;
}

static json_object *json_cell(const char *s, bool numeric)
{
	if (numeric) {
		if (!*s)
			return NULL; /* json null */
		if (is_integer(s) && strlen(s) < 19)
			return json_object_new_int64(strtoll(s, NULL, 10));
	}
	return json_object_new_string(s);
}

static int write_json(const struct report *r, FILE *f)
{
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	const char *text;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
		for (size_t c = 0; c < r->ncols; c++)
			json_object_object_add(o, r->cols[c].key,
					       json_cell(cell(r, i, c), r->cols[c].numeric));
	}
	text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	fputs(text, f);
	fputc('\n', f);
	return 0;
}

int report_write(const struct report *r, enum report_format fmt, unsigned int flags, FILE *f)
{
	int ret;

	switch (fmt) {
	case REPORT_TABLE:
		ret = write_table(r, f);
		break;
	case REPORT_CSV:
		ret = write_csv(r, flags, f);
		break;
	case REPORT_JSON:
		ret = write_json(r, f);
		break;
	default:
		return -EINVAL;
	}
	if (ret < 0)
		return ret;
	return ferror(f) ? -EIO : 0;
}
