// SPDX-License-Identifier: GPL-2.0-or-later
/* token_check: the daemon's organisation-token check of a probed medium.
 * See token_check_media() in token.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "media.h"
#include "orgkey.h"
#include "probe.h"
#include "token.h"

int token_check_media(const char *pub_path, const char *devnode, const struct ident_device *dev,
		      struct media_info *media, char *why, size_t whysz)
{
	_cleanup_free_ char *json = NULL;
	struct orgkey *pub = NULL;
	char buf[512];
	int r;

	if (!why) {
		why = buf;
		whysz = sizeof(buf);
	}
	media->token_checked = false;
	media->token_valid = false;
	snprintf(why, whysz, "no organisation token check");
	if (media->kind != MEDIA_LUKS)
		return -EMEDIUMTYPE;
	r = orgkey_load_public(pub_path ? pub_path : ORGKEY_DEFAULT_PUBLIC, &pub);
	if (r == -ENOENT)
		return r; /* no organisation key on this desktop: tokens not in use */
	media->token_checked = true;
	if (r < 0) {
		snprintf(why, whysz, "organisation key %s unusable: %s",
			 pub_path ? pub_path : ORGKEY_DEFAULT_PUBLIC, strerror(-r));
		return r;
	}
	r = probe_token_json(devnode, TOKEN_TYPE, &json);
	if (r < 0)
		snprintf(why, whysz, "no organisation token in the LUKS2 header");
	else
		r = token_verify_for_device(json, strlen(json), pub, dev, media->luks_uuid, NULL,
					    why, whysz);
	orgkey_free(pub);
	media->token_valid = r == 0;
	return r;
}
