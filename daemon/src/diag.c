// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

int diag_add(struct diag_list *l, const char *file, unsigned int line, unsigned int col,
	     const char *fmt, ...)
{
	struct diag *d;
	va_list ap;
	int r;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct diag *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	d = &l->v[l->n];
	d->line = line;
	d->col = col;
	d->file = strdup(file ? file : "<input>");
	va_start(ap, fmt);
	r = vasprintf(&d->msg, fmt, ap);
	va_end(ap);
	if (!d->file || r < 0) {
		free(d->file);
		if (r >= 0)
			free(d->msg);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

void diag_print(const struct diag_list *l, FILE *f)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct diag *d = &l->v[i];

		if (d->line && d->col)
			fprintf(f, "%s:%u:%u: %s\n", d->file, d->line, d->col, d->msg);
		else if (d->line)
			fprintf(f, "%s:%u: %s\n", d->file, d->line, d->msg);
		else
			fprintf(f, "%s: %s\n", d->file, d->msg);
	}
}

void diag_list_free(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].msg);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
