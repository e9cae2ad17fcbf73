/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report: pure formatting of ledger reports (inventory, stocktake, history)
 * as an aligned text table, CSV or JSON.
 *
 * A report is a list of columns (a stable JSON key, a title that the caller
 * may translate, numeric or not) and rows of string cells. Cells hold medium
 * data (labels, serials, user names): a cell that is not clean UTF-8 without
 * control characters is stored escaped (strutil.h) so every format shows it
 * on one line.
 *
 * CSV follows RFC 4180 (CRLF, fields quoted when they contain a comma, quote,
 * CR/LF or edge blanks, quotes doubled), optionally after a UTF-8 byte order
 * mark for spreadsheet programs. A text cell that a spreadsheet would take
 * for a formula (starting with = + - @, TAB or CR) gets a leading
 * apostrophe; numeric columns holding plain integers are left alone.
 * JSON is an array of objects keyed by the column keys (json-c); numeric
 * cells become numbers, empty numeric cells null.
 */
#ifndef MEDIAGATE_REPORT_H
#define MEDIAGATE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum report_format {
	REPORT_TABLE,
	REPORT_CSV,
	REPORT_JSON,
};

#define REPORT_BOM (1u << 0) /* CSV: start with a UTF-8 byte order mark */

struct report_col {
	const char *key; /* JSON key: stable, never translated */
	const char *title; /* header for table and CSV (translated by the caller) */
	bool numeric;
};

struct report;

/* "table", "csv", "json" -> format; -EINVAL otherwise. */
int report_parse_format(const char *s, enum report_format *ret);

/* @cols must stay valid for the life of the report. */
int report_new(const struct report_col *cols, size_t ncols, struct report **ret);
void report_free(struct report *r);
/* Append a row of ncols cells (NULL = empty); they are copied. */
int report_add_row(struct report *r, const char *const *cells);
size_t report_rows(const struct report *r);

/* Write the whole report. 0 or -EIO. */
int report_write(const struct report *r, enum report_format fmt, unsigned int flags, FILE *f);

/* One CSV field as written (quoting and formula guard), for tests and reuse:
 * returns the bytes @dst needs (excluding NUL), like snprintf. */
size_t report_csv_field(char *dst, size_t dstsz, const char *cell, bool numeric);

/* Display width of UTF-8 @s in terminal columns (East Asian wide = 2). */
size_t report_display_width(const char *s);

#endif
