/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * orgkey: the organisation's Ed25519 key pair (adapter over OpenSSL libcrypto).
 *
 * The private key lives only on the administrator's machine
 * (ORGKEY_DEFAULT_PRIVATE, PKCS#8 PEM, mode 0600, refused if group/others can
 * read it); desktops carry only the public key (ORGKEY_DEFAULT_PUBLIC,
 * SubjectPublicKeyInfo PEM). The organisation id is derived from the public
 * key: "ed25519:" + the first 16 bytes of SHA-256 over the raw 32-byte key,
 * in hex. A token names the key that signed it, so a token made with another
 * key is rejected before any signature check.
 */
#ifndef MEDIAGATE_ORGKEY_H
#define MEDIAGATE_ORGKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ORGKEY_DEFAULT_PRIVATE "/etc/mediagate/org.key"
#define ORGKEY_DEFAULT_PUBLIC "/etc/mediagate/org.pub"
#define ORGKEY_SIG_LEN 64
#define ORGKEY_ID_MAX 48 /* "ed25519:" + 32 hex + NUL */

struct orgkey; /* opaque: a public key, or a key pair */

/* A fresh key pair (not written anywhere). */
int orgkey_generate(struct orgkey **ret_key);
/* Write the private key (created 0600, never overwritten: -EEXIST) and the
 * public key (0644, replaced atomically). */
int orgkey_save(const struct orgkey *k, const char *private_path, const char *public_path);
/* Load a public key file, or a private key file (its public half is there too).
 * A private key readable by group/others is refused (-EPERM). -EBADMSG when
 * the file is not an Ed25519 key. */
int orgkey_load_public(const char *path, struct orgkey **ret_key);
int orgkey_load_private(const char *path, struct orgkey **ret_key);
void orgkey_free(struct orgkey *k);

bool orgkey_has_private(const struct orgkey *k);
/* The organisation id (see above) into @ret (ORGKEY_ID_MAX bytes). */
void orgkey_id(const struct orgkey *k, char ret[ORGKEY_ID_MAX]);
/* The public key as PEM text (malloc'ed). */
int orgkey_public_pem(const struct orgkey *k, char **ret_pem);

/* Ed25519 over @len bytes of @msg. -ENOKEY without a private key. */
int orgkey_sign(const struct orgkey *k, const void *msg, size_t len,
		uint8_t ret_sig[ORGKEY_SIG_LEN]);
/* True only for a valid signature by this key. */
bool orgkey_verify(const struct orgkey *k, const void *msg, size_t len,
		   const uint8_t sig[ORGKEY_SIG_LEN]);

#endif
