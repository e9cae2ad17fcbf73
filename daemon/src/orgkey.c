// SPDX-License-Identifier: GPL-2.0-or-later
/* orgkey: Ed25519 organisation key pair over OpenSSL. See orgkey.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "fileutil.h"
#include "macro.h"
#include "orgkey.h"

#define ORGKEY_FILE_MAX 16384

struct orgkey {
	EVP_PKEY *pkey;
	bool priv;
	uint8_t raw_pub[32];
};

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct orgkey *, orgkey_free)

void orgkey_free(struct orgkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* Take ownership of @pkey if it is an Ed25519 key. */
static int wrap(EVP_PKEY **pkey, bool priv, struct orgkey **ret_key)
{
	struct orgkey *k;
	size_t len = sizeof(k->raw_pub);

	if (EVP_PKEY_get_id(*pkey) != EVP_PKEY_ED25519)
		return -EBADMSG;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (EVP_PKEY_get_raw_public_key(*pkey, k->raw_pub, &len) != 1 || len != 32) {
		free(k);
		return -EBADMSG;
	}
	k->pkey = TAKE_PTR(*pkey);
	k->priv = priv;
	*ret_key = k;
	return 0;
}

int orgkey_generate(struct orgkey **ret_key)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!pkey)
		return -EIO;
	return wrap(&pkey, true, ret_key);
}

bool orgkey_has_private(const struct orgkey *k)
{
	return k && k->priv;
}

void orgkey_id(const struct orgkey *k, char ret[ORGKEY_ID_MAX])
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	int n;

	SHA256(k->raw_pub, sizeof(k->raw_pub), h);
	n = snprintf(ret, ORGKEY_ID_MAX, "ed25519:");
	for (int i = 0; i < 16; i++)
		n += snprintf(ret + n, (size_t)(ORGKEY_ID_MAX - n), "%02x", h[i]);
}

static int bio_to_string(BIO *b, char **ret)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0)
		return -EIO;
	s = strndup(data, (size_t)n);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int orgkey_public_pem(const struct orgkey *k, char **ret_pem)
{
	_cleanup_(BIO_freep) BIO *b = BIO_new(BIO_s_mem());

	if (!b || PEM_write_bio_PUBKEY(b, k->pkey) != 1)
		return -EIO;
	return bio_to_string(b, ret_pem);
}

static int save_private(const struct orgkey *k, const char *path)
{
	_cleanup_(BIO_freep) BIO *b = BIO_new(BIO_s_mem());
	_cleanup_close_ int fd = -1;
	char *data;
	long n;
	int r;

	if (!b || PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		return -EIO;
	n = BIO_get_mem_data(b, &data);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = fileutil_write_all(fd, data, (size_t)n);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

static int save_public(const struct orgkey *k, const char *path)
{
	_cleanup_free_ char *pem = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = orgkey_public_pem(k, &pem);
	if (r < 0)
		return r;
	fd = fileutil_write_temp(path, ".XXXXXX", pem, strlen(pem), &tmp);
	if (fd < 0)
		return fd;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int orgkey_save(const struct orgkey *k, const char *private_path, const char *public_path)
{
	int r;

	if (!k->priv)
		return -ENOKEY;
	r = save_private(k, private_path);
	if (r < 0)
		return r;
	return save_public(k, public_path);
}

/* Read a small key file into a memory BIO; @private: refuse loose modes. */
static int read_key_file(const char *path, bool private, BIO **ret_bio)
{
	_cleanup_close_ int fd = -1;
	char buf[ORGKEY_FILE_MAX];
	struct stat st;
	size_t n = 0;
	BIO *b;
	int r;

	fd = fileutil_open_regular(path, &st);
	if (fd < 0)
		return fd;
	if (private && (st.st_mode & 077))
		return -EPERM;
	if (!private && (st.st_mode & 022))
		return -EPERM;
	r = fileutil_read_all(fd, buf, sizeof(buf), &n);
	if (r < 0)
		return r;
	if (n == sizeof(buf))
		return -EFBIG;
	/* a BIO with its own copy, so the stack buffer can be cleared */
	b = BIO_new(BIO_s_mem());
	if (!b || BIO_write(b, buf, (int)n) != (int)n) {
		BIO_free(b);
		explicit_bzero(buf, sizeof(buf));
		return -ENOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	*ret_bio = b;
	return 0;
}

/* A key file: the public key, or (@private) the key pair. */
static int load(const char *path, bool private, struct orgkey **ret_key)
{
	_cleanup_(BIO_freep) BIO *b = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	int r;

	r = read_key_file(path, private, &b);
	if (r < 0)
		return r;
	pkey = private ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
		       : PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!pkey)
		return -EBADMSG;
	return wrap(&pkey, private, ret_key);
}

int orgkey_load_public(const char *path, struct orgkey **ret_key)
{
	return load(path, false, ret_key);
}

int orgkey_load_private(const char *path, struct orgkey **ret_key)
{
	return load(path, true, ret_key);
}

int orgkey_sign(const struct orgkey *k, const void *msg, size_t len,
		uint8_t ret_sig[ORGKEY_SIG_LEN])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	uint8_t sig[ORGKEY_SIG_LEN];
	size_t siglen = sizeof(sig);

	if (!k->priv)
		return -ENOKEY;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != sizeof(sig))
		return -EIO;
	memcpy(ret_sig, sig, sizeof(sig));
	return 0;
}

bool orgkey_verify(const struct orgkey *k, const void *msg, size_t len,
		   const uint8_t sig[ORGKEY_SIG_LEN])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	return ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	       EVP_DigestVerify(ctx, sig, ORGKEY_SIG_LEN, msg, len) == 1;
}
