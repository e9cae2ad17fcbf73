/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry: the enrolled company media (/etc/mediagate/registry, written by
 * `mediagatectl enroll`). One medium per line, human-readable:
 *
 *   medium USB-0042 luks2 3f0c...-uuid usb 0781:5583 serial "4C53..." \
 *          owner "Taro Yamada" asset "PC-0042" enrolled 2026-11-21
 *
 * Parsed with the same care as the policy (file:line:col diagnostics).
 * Lookup by LUKS UUID and by medium id is a hash lookup, never a scan.
 */
#ifndef MEDIAGATE_REGISTRY_H
#define MEDIAGATE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "ident.h"
#include "media.h"
#include "policy.h"

struct registry_entry {
	char medium_id[64];
	int luks_version;
	char luks_uuid[40];
	uint16_t vid, pid;
	char serial[IDENT_STR_MAX];
	char owner[128];
	char asset[64];
	char enrolled[32]; /* YYYY-MM-DD */
	char retired[32]; /* "" while in service */
	unsigned int line;
};

struct registry; /* opaque */

int registry_load(const char *path, struct registry **ret_reg, struct diag_list *diags);
int registry_parse_buffer(const char *name, const char *buf, size_t len, struct registry **ret_reg,
			  struct diag_list *diags);
void registry_free(struct registry *r);
size_t registry_count(const struct registry *r);
const struct registry_entry *registry_find_uuid(const struct registry *r, const char *luks_uuid);
const struct registry_entry *registry_find_medium(const struct registry *r, const char *medium_id);
/*
 * The retired medium last enrolled with USB identity @vid:@pid @serial, or
 * NULL (never enrolled, enrolled again since, or an empty serial). A hash
 * lookup: a retired stick has no LUKS header left to find it by.
 */
const struct registry_entry *registry_find_retired_usb(const struct registry *r, uint16_t vid,
						       uint16_t pid, const char *serial);
/* Entry @i (0-based, file order), or NULL past the end: for listings. */
const struct registry_entry *registry_entry_at(const struct registry *r, size_t i);
/* Canonical line for an entry, for writers (enroll) and golden tests. */
void registry_print_entry(const struct registry_entry *e, FILE *f);

/*
 * Registration check: the medium's LUKS UUID is in the registry (not
 * retired), the USB identity recorded there matches @dev, and the LUKS
 * version/cipher/key size meet @enc; and when the organisation token was
 * checked (media->token_checked, token_check_media() in token.h), it is
 * valid. Sets media->registered, returns it, and
 * explains in @why (size @whysz). *ret_entry (may be NULL) gets the entry
 * found by UUID, even when some other condition failed.
 */
bool registry_check(const struct registry *r, const struct ident_device *dev,
		    struct media_info *media, const struct policy_encryption *enc,
		    const struct registry_entry **ret_entry, char *why, size_t whysz);

#endif
