/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * token: the organisation token kept in a company medium's LUKS2 header
 * (token type TOKEN_TYPE). It says which organisation enrolled which medium
 * on which USB stick, signed with the organisation's Ed25519 key (orgkey.h):
 *
 *   {"type":"mediagate-org","keyslots":[],"version":1,
 *    "org":"ed25519:<32 hex>","medium":"MG-3F0C1A2B",
 *    "luks_uuid":"3f0c1a2b-....","enrolled":1763700000,
 *    "usb":"0781:5583","serial_hex":"3443353331","sig":"<128 hex>"}
 *
 * The signature covers a canonical byte string built from the fields (never
 * the JSON text): a fixed prefix, then each field as name=LEN:BYTES\n in the
 * order above. The serial is carried hex-encoded, so any byte a device may
 * report survives JSON. The header comes from a medium: token_parse() is
 * strict (size, depth, exact key set, types, formats) and never trusts it.
 *
 * Pure over json-c; signatures through orgkey (the OpenSSL adapter).
 */
#ifndef MEDIAGATE_TOKEN_H
#define MEDIAGATE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "orgkey.h"

#define TOKEN_TYPE "mediagate-org"
#define TOKEN_VERSION 1
#define TOKEN_JSON_MAX 4096 /* longer token text is refused unparsed */

struct token {
	char org[ORGKEY_ID_MAX];
	char medium_id[64];
	char luks_uuid[40]; /* lowercase 8-4-4-4-12 */
	int64_t enrolled; /* Unix seconds */
	uint16_t vid, pid;
	char serial[IDENT_STR_MAX]; /* raw, NUL-free */
	uint8_t sig[ORGKEY_SIG_LEN];
};

/* True for a registry-compatible medium id: [A-Za-z0-9][A-Za-z0-9._-]{0,62}. */
bool token_valid_medium_id(const char *s);

/* The canonical byte string that is signed (malloc'ed, *ret_len bytes). */
int token_canonical(const struct token *t, char **ret_buf, size_t *ret_len);

/* Sign @t with @key (sets org from the key) and render the token JSON
 * (malloc'ed). -EINVAL if a field is malformed, -ENOKEY without a private key. */
int token_sign(const struct token *t, const struct orgkey *key, char **ret_json);

/* Strict parse of @len bytes of token JSON (no signature check). 0 or
 * -EBADMSG (-E2BIG over TOKEN_JSON_MAX). *ret untouched on error. */
int token_parse(const char *json, size_t len, struct token *ret);

/*
 * Parse, check that the token was made with @pub's organisation key and that
 * its signature is good; then that it belongs on this medium: its LUKS UUID
 * is @luks_uuid and its USB identity (VID:PID and serial) is @dev's.
 * Returns 0 (token valid for this stick), -EBADMSG/-E2BIG (malformed),
 * -EKEYREJECTED (another organisation, or a bad signature), -EMEDIUMTYPE
 * (valid token, but made for another stick or another header). Explains in
 * @why (always set, already escaped for logs). *ret_tok (may be NULL) is
 * written only on success.
 */
int token_verify_for_device(const char *json, size_t len, const struct orgkey *pub,
			    const struct ident_device *dev, const char *luks_uuid,
			    struct token *ret_tok, char *why, size_t whysz);

/*
 * Daemon side (token_check.c; reads the header through probe.c, read-only):
 * when the organisation public key @pub_path exists, read the organisation
 * token of LUKS2 medium @devnode and verify it for stick @dev, recording the
 * result in media->token_checked / media->token_valid for registry_check().
 * No key file (ENOENT): nothing is checked (token_checked false), so a site
 * without organisation keys keeps working. A key file that cannot be loaded
 * fails closed (checked, not valid). @why (may be NULL) gets the reason.
 * Returns 0 when the token is valid, -errno otherwise.
 */
struct media_info;
int token_check_media(const char *pub_path, const char *devnode, const struct ident_device *dev,
		      struct media_info *media, char *why, size_t whysz);

#endif
