// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure helpers over struct ident_device (no libudev here). */
#include "ident.h"

bool ident_has_class(const struct ident_device *d, uint8_t cls)
{
	if (d->cls == cls || (cls == USB_CLASS_CODE_STORAGE && d->storage_driver))
		return true;
	for (unsigned int i = 0; i < d->n_intf && i < IDENT_MAX_INTF; i++)
		if (d->intf[i].cls == cls)
			return true;
	return false;
}
