// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mediagatectl org-key init [--private F] [--public F]
 * mediagatectl org-key show [--public F]
 *
 * init creates the organisation's Ed25519 key pair on the administrator's
 * machine (private key 0600, never overwritten); only the public key goes
 * to the desktops. show prints the organisation id and the public key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "macro.h"
#include "cli.h"
#include "nls.h"
#include "orgkey.h"

static void orgkey_usage(FILE *f)
{
	fprintf(f,
		_("usage: mediagatectl org-key init [--private FILE] [--public FILE]\n"
		  "       mediagatectl org-key show [--public FILE]\n"
		  "  Create or show the organisation key pair (defaults %s, %s).\n"),
		ORGKEY_DEFAULT_PRIVATE, ORGKEY_DEFAULT_PUBLIC);
}

static int show(const char *pub_path)
{
	_cleanup_free_ char *pem = NULL;
	struct orgkey *k = NULL;
	char id[ORGKEY_ID_MAX];
	int r;

	r = orgkey_load_public(pub_path, &k);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl org-key: cannot load %s: %s\n"), pub_path,
			strerror(-r));
		return 1;
	}
	orgkey_id(k, id);
	r = orgkey_public_pem(k, &pem);
	orgkey_free(k);
	if (r < 0)
		return 1;
	printf(_("organisation id: %s\n"), id);
	printf(_("public key: %s\n"), pub_path);
	fputs(pem, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int init(const char *priv_path, const char *pub_path)
{
	struct orgkey *k = NULL;
	char id[ORGKEY_ID_MAX], line[256];
	int r;

	r = orgkey_generate(&k);
	if (r >= 0)
		r = orgkey_save(k, priv_path, pub_path);
	if (r < 0) {
		if (r == -EEXIST)
			fprintf(stderr,
				_("mediagatectl org-key: %s exists; refusing to replace the "
				  "organisation key\n"),
				priv_path);
		else
			fprintf(stderr, _("mediagatectl org-key: cannot create the key pair: %s\n"),
				strerror(-r));
		orgkey_free(k);
		return 1;
	}
	orgkey_id(k, id);
	orgkey_free(k);
	snprintf(line, sizeof(line), "event=org-key-init org=%s uid=%u", id, (unsigned)getuid());
	admin_audit(line);
	printf(_("created organisation key %s\n"), id);
	printf(_("private key: %s (keep it on this machine only)\n"), priv_path);
	printf(_("public key: %s (install it on every desktop)\n"), pub_path);
	return 0;
}

int cmd_org_key(int argc, char **argv)
{
	const char *priv = ORGKEY_DEFAULT_PRIVATE, *pub = ORGKEY_DEFAULT_PUBLIC, *action;
	const struct admin_option opts[] = {
		{"private", .arg = &priv},
		{"public", .arg = &pub},
	};
	int r;

	r = admin_parse(argc, argv, &(struct admin_verb){.usage = orgkey_usage, .operands = 1},
			opts, ARRAY_SIZE(opts), &action);
	if (r >= 0)
		return r;
	if (!strcmp(action, "init"))
		return init(priv, pub);
	if (!strcmp(action, "show"))
		return show(pub);
	orgkey_usage(stderr);
	return 2;
}
