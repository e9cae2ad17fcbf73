// SPDX-License-Identifier: GPL-2.0-or-later
/* nls: gettext set-up for mediagatectl. See nls.h. */
#include <locale.h>
#include <stdlib.h>

#include "nls.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

void nls_init(void)
{
	const char *dir = secure_getenv("MEDIAGATE_LOCALEDIR");

	if (!dir || !*dir)
		dir = secure_getenv("TEXTDOMAINDIR");
	if (!dir || !*dir)
		dir = LOCALEDIR;
	setlocale(LC_ALL, "");
	bindtextdomain(MEDIAGATE_TEXTDOMAIN, dir);
	bind_textdomain_codeset(MEDIAGATE_TEXTDOMAIN, "UTF-8");
	textdomain(MEDIAGATE_TEXTDOMAIN);
}
