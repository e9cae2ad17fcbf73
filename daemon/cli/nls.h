/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nls: message translation for mediagatectl (gettext, text domain
 * "mediagate", catalogues from daemon/po/). _() translates, N_() marks a
 * string in a static table for xgettext and leaves it as is.
 *
 * The catalogue directory is LOCALEDIR (default /usr/share/locale), or
 * $TEXTDOMAINDIR / $MEDIAGATE_LOCALEDIR when set (tests point it at the
 * build tree); both are ignored in a set-id process (secure_getenv).
 */
#ifndef MEDIAGATE_NLS_H
#define MEDIAGATE_NLS_H

#include <libintl.h>

#define MEDIAGATE_TEXTDOMAIN "mediagate"
#define _(s) gettext(s)
#define N_(s) (s)

/* setlocale(LC_ALL, "") + bindtextdomain + textdomain. */
void nls_init(void);

#endif
