// SPDX-License-Identifier: GPL-2.0-or-later
/* token: the signed organisation token of a LUKS2 header. See token.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "strutil.h"
#include "token.h"

#define TOKEN_PREFIX "mediagate-org-token\nv1\n"
#define TOKEN_MAX_DEPTH 3
#define TOKEN_N_KEYS 10
#define ENROLLED_MAX ((int64_t)1 << 40)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free)

static const char hexdig[] = "0123456789abcdef";

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* uppercase is not canonical: refused */
}

static void hex_encode(char *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = hexdig[src[i] >> 4];
		dst[2 * i + 1] = hexdig[src[i] & 15];
	}
	dst[2 * len] = '\0';
}

/* Decode exactly @len hex digits into @dst; false on any bad digit. */
static bool hex_decode(uint8_t *dst, const char *src, size_t len)
{
	if (len % 2)
		return false;
	for (size_t i = 0; i < len; i += 2) {
		int a = hexval(src[i]), b = hexval(src[i + 1]);

		if (a < 0 || b < 0)
			return false;
		dst[i / 2] = (uint8_t)(a << 4 | b);
	}
	return true;
}

bool token_valid_medium_id(const char *s)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t n = strnlen(s, 64);

	if (n == 0 || n >= 64 || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return false;
	return strspn(s, ok) == n;
}

static bool valid_uuid(const char *s)
{
	if (strnlen(s, 40) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (hexval(s[i]) < 0) {
			return false;
		}
	}
	return true;
}

static bool valid_org(const char *s)
{
	size_t n = strnlen(s, ORGKEY_ID_MAX);

	if (n != 8 + 32 || strncmp(s, "ed25519:", 8))
		return false;
	for (size_t i = 8; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

static bool valid_fields(const struct token *t)
{
	return valid_org(t->org) && token_valid_medium_id(t->medium_id) &&
	       valid_uuid(t->luks_uuid) && t->enrolled > 0 && t->enrolled < ENROLLED_MAX &&
	       strnlen(t->serial, sizeof(t->serial)) < sizeof(t->serial);
}

static int put_field(FILE *f, const char *name, const char *val, size_t len)
{
	fprintf(f, "%s=%zu:", name, len);
	fwrite(val, 1, len, f);
	return fputc('\n', f) == EOF ? -EIO : 0;
}

int token_canonical(const struct token *t, char **ret_buf, size_t *ret_len)
{
	char *buf = NULL, num[32], usb[16];
	size_t len = 0;
	FILE *f;

	if (!valid_fields(t))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	snprintf(num, sizeof(num), "%" PRId64, t->enrolled);
	snprintf(usb, sizeof(usb), "%04x:%04x", t->vid, t->pid);
	fputs(TOKEN_PREFIX, f);
	put_field(f, "org", t->org, strlen(t->org));
	put_field(f, "medium", t->medium_id, strlen(t->medium_id));
	put_field(f, "luks_uuid", t->luks_uuid, strlen(t->luks_uuid));
	put_field(f, "enrolled", num, strlen(num));
	put_field(f, "usb", usb, strlen(usb));
	put_field(f, "serial", t->serial, strlen(t->serial));
	if (ferror(f) | fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static int add_str(json_object *o, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int token_sign(const struct token *in, const struct orgkey *key, char **ret_json)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_free_ char *canon = NULL;
	char serial_hex[2 * IDENT_STR_MAX + 1], sig_hex[2 * ORGKEY_SIG_LEN + 1], usb[16];
	struct token t = *in;
	const char *s;
	size_t clen;
	int r;

	if (!orgkey_has_private(key))
		return -ENOKEY;
	orgkey_id(key, t.org);
	r = token_canonical(&t, &canon, &clen);
	if (r < 0)
		return r;
	r = orgkey_sign(key, canon, clen, t.sig);
	if (r < 0)
		return r;
	hex_encode(serial_hex, (const uint8_t *)t.serial, strlen(t.serial));
	hex_encode(sig_hex, t.sig, sizeof(t.sig));
	snprintf(usb, sizeof(usb), "%04x:%04x", t.vid, t.pid);

	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = add_str(o, "type", TOKEN_TYPE);
	if (r >= 0)
		r = json_object_object_add(o, "keyslots", json_object_new_array());
	if (r >= 0)
		r = json_object_object_add(o, "version", json_object_new_int(TOKEN_VERSION));
	if (r >= 0)
		r = add_str(o, "org", t.org);
	if (r >= 0)
		r = add_str(o, "medium", t.medium_id);
	if (r >= 0)
		r = add_str(o, "luks_uuid", t.luks_uuid);
	if (r >= 0)
		r = json_object_object_add(o, "enrolled", json_object_new_int64(t.enrolled));
	if (r >= 0)
		r = add_str(o, "usb", usb);
	if (r >= 0)
		r = add_str(o, "serial_hex", serial_hex);
	if (r >= 0)
		r = add_str(o, "sig", sig_hex);
	if (r < 0)
		return -ENOMEM;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!s || !(*ret_json = strdup(s)))
		return -ENOMEM;
	return 0;
}

/* The string member @key of @o, 1..@max-1 bytes, copied into @dst. */
static bool get_str(json_object *o, const char *key, char *dst, size_t max)
{
	json_object *v;
	const char *s;
	int len;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len <= 0 || (size_t)len >= max || strnlen(s, (size_t)len + 1) != (size_t)len)
		return false; /* empty, too long, or an embedded NUL (\u0000) */
	memcpy(dst, s, (size_t)len + 1);
	return true;
}

static bool get_int(json_object *o, const char *key, int64_t *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*ret = json_object_get_int64(v);
	return errno == 0;
}

static bool parse_usb(const char *s, uint16_t *vid, uint16_t *pid)
{
	uint8_t b[4];

	if (strlen(s) != 9 || s[4] != ':' || !hex_decode(b, s, 4) || !hex_decode(b + 2, s + 5, 4))
		return false;
	*vid = (uint16_t)(b[0] << 8 | b[1]);
	*pid = (uint16_t)(b[2] << 8 | b[3]);
	return true;
}

/* Everything but the JSON syntax: key set, types, formats. */
static int parse_object(json_object *o, struct token *ret)
{
	char type[32], usb[16], serial_hex[2 * IDENT_STR_MAX], sig_hex[2 * ORGKEY_SIG_LEN + 2];
	struct token t = {0};
	json_object *ks;
	int64_t version;
	size_t n;

	if (!json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) != TOKEN_N_KEYS)
		return -EBADMSG;
	if (!get_str(o, "type", type, sizeof(type)) || strcmp(type, TOKEN_TYPE))
		return -EBADMSG;
	if (!json_object_object_get_ex(o, "keyslots", &ks) ||
	    !json_object_is_type(ks, json_type_array) || json_object_array_length(ks) != 0)
		return -EBADMSG;
	if (!get_int(o, "version", &version) || version != TOKEN_VERSION)
		return -EBADMSG;
	if (!get_str(o, "org", t.org, sizeof(t.org)) ||
	    !get_str(o, "medium", t.medium_id, sizeof(t.medium_id)) ||
	    !get_str(o, "luks_uuid", t.luks_uuid, sizeof(t.luks_uuid)) ||
	    !get_int(o, "enrolled", &t.enrolled) || !get_str(o, "usb", usb, sizeof(usb)) ||
	    !parse_usb(usb, &t.vid, &t.pid) || !get_str(o, "sig", sig_hex, sizeof(sig_hex)) ||
	    strlen(sig_hex) != 2 * ORGKEY_SIG_LEN ||
	    !hex_decode(t.sig, sig_hex, 2 * ORGKEY_SIG_LEN))
		return -EBADMSG;
	/* the serial may be empty (a device without one): "" is allowed here */
	{
		json_object *v;

		if (!json_object_object_get_ex(o, "serial_hex", &v) ||
		    !json_object_is_type(v, json_type_string))
			return -EBADMSG;
		n = (size_t)json_object_get_string_len(v);
		if (n >= sizeof(serial_hex))
			return -EBADMSG;
		memcpy(serial_hex, json_object_get_string(v), n + 1);
	}
	if (strlen(serial_hex) != n || !hex_decode((uint8_t *)t.serial, serial_hex, n))
		return -EBADMSG;
	t.serial[n / 2] = '\0';
	if (strlen(t.serial) != n / 2)
		return -EBADMSG; /* a NUL byte inside the serial */
	if (!valid_fields(&t))
		return -EBADMSG;
	*ret = t;
	return 0;
}

int token_parse(const char *json, size_t len, struct token *ret)
{
	_cleanup_(json_tokener_freep) json_tokener *tok = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	size_t end;

	if (len > TOKEN_JSON_MAX)
		return -E2BIG;
	if (!json || strnlen(json, len) != len)
		return -EBADMSG;
	tok = json_tokener_new_ex(TOKEN_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success)
		return -EBADMSG;
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", json[end]))
		end++;
	if (end != len)
		return -EBADMSG; /* trailing garbage */
	return parse_object(o, ret);
}

int token_verify_for_device(const char *json, size_t len, const struct orgkey *pub,
			    const struct ident_device *dev, const char *luks_uuid,
			    struct token *ret_tok, char *why, size_t whysz)
{
	_cleanup_free_ char *canon = NULL;
	char org[ORGKEY_ID_MAX], a[IDENT_STR_MAX * 4], b[IDENT_STR_MAX * 4];
	struct token t;
	size_t clen;
	int r;

	r = token_parse(json, len, &t);
	if (r < 0) {
		snprintf(why, whysz, "organisation token is malformed");
		return r;
	}
	orgkey_id(pub, org);
	if (strcmp(org, t.org)) {
		snprintf(why, whysz, "token of organisation %s, expected %s", t.org, org);
		return -EKEYREJECTED;
	}
	r = token_canonical(&t, &canon, &clen);
	if (r < 0) {
		snprintf(why, whysz, "organisation token is malformed");
		return -EBADMSG;
	}
	if (!orgkey_verify(pub, canon, clen, t.sig)) {
		snprintf(why, whysz, "token of medium %s: bad signature", t.medium_id);
		return -EKEYREJECTED;
	}
	if (!luks_uuid || strcasecmp(luks_uuid, t.luks_uuid)) {
		str_escape(a, sizeof(a), luks_uuid ? luks_uuid : "",
			   luks_uuid ? strlen(luks_uuid) : 0, false);
		snprintf(why, whysz, "token of medium %s was made for header %s, found on %s",
			 t.medium_id, t.luks_uuid, a);
		return -EMEDIUMTYPE;
	}
	if (!dev || dev->vid != t.vid || dev->pid != t.pid ||
	    strncmp(dev->serial, t.serial, sizeof(dev->serial))) {
		str_escape(a, sizeof(a), t.serial, strlen(t.serial), true);
		if (dev)
			str_escape(b, sizeof(b), dev->serial,
				   strnlen(dev->serial, sizeof(dev->serial)), true);
		snprintf(why, whysz,
			 "token of medium %s was made for USB %04x:%04x serial \"%s\", "
			 "found on %04x:%04x serial \"%s\"",
			 t.medium_id, t.vid, t.pid, a, dev ? dev->vid : 0, dev ? dev->pid : 0,
			 dev ? b : "");
		return -EMEDIUMTYPE;
	}
	snprintf(why, whysz, "token of medium %s verified (%s)", t.medium_id, t.org);
	if (ret_tok)
		*ret_tok = t;
	return 0;
}
