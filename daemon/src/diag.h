/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diag: parser diagnostics as data. Parsers append "file:line:col: message"
 * records to a list instead of printing; callers decide where they go.
 */
#ifndef MEDIAGATE_DIAG_H
#define MEDIAGATE_DIAG_H

#include <stdio.h>

struct diag {
	char *file;
	unsigned int line; /* 1-based; 0 = no position (whole file) */
	unsigned int col; /* 1-based; 0 = no column */
	char *msg;
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
};

/* Append a diagnostic; returns 0 or -ENOMEM. */
int diag_add(struct diag_list *l, const char *file, unsigned int line, unsigned int col,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Print each as "file:line:col: message\n" (position parts omitted when 0). */
void diag_print(const struct diag_list *l, FILE *f);
void diag_list_free(struct diag_list *l);

#endif
