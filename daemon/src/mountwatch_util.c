// SPDX-License-Identifier: GPL-2.0-or-later
/* mountwatch_util: pure path helpers of mountwatch (no I/O). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "mountwatch.h"

/* "N-N" or "N-N.N.N...": a USB device's sysfs name (not a root hub
 * "usbN", not an interface "N-N:C.I"). */
static bool is_usb_device_name(const char *s, size_t len)
{
	size_t i = 0;
	bool dash = false;

	if (!len || !isdigit((unsigned char)s[0]))
		return false;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == len || s[i] != '-')
		return false;
	for (i++; i < len; i++) {
		if (isdigit((unsigned char)s[i]))
			dash = true;
		else if (s[i] != '.' || !dash || s[i - 1] == '.')
			return false;
	}
	return dash && s[len - 1] != '.';
}

int mountwatch_usb_name(const char *syspath, char *ret, size_t sz)
{
	const char *best = NULL, *p = syspath;
	size_t best_len = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (is_usb_device_name(p, len)) {
			best = p;
			best_len = len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (!best || best_len >= sz || best_len >= IDENT_NAME_MAX)
		return -ENOENT;
	memcpy(ret, best, best_len);
	ret[best_len] = '\0';
	return 0;
}

bool mountwatch_user_from_path(const char *target, char *ret, size_t sz)
{
	static const char *const prefixes[] = {"/media/", "/run/media/"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t plen = strlen(prefixes[i]), ulen;
		const char *u, *slash;

		if (strncmp(target, prefixes[i], plen))
			continue;
		u = target + plen;
		slash = strchr(u, '/');
		/* /media/LABEL (no user level) says nothing about the user */
		if (!slash)
			return false;
		ulen = (size_t)(slash - u);
		if (!ulen || ulen >= sz || !slash[1])
			return false;
		memcpy(ret, u, ulen);
		ret[ulen] = '\0';
		return true;
	}
	return false;
}
