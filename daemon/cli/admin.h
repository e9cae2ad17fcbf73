/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin: helpers shared by the administrator verbs (enroll, register,
 * unregister, retire, verify, org-key, reports): the command line,
 * passphrase input, confirmation, the stick's USB identity, default paths,
 * loading the registry, and the syslog record of every change to the ledger.
 */
#ifndef MEDIAGATE_ADMIN_H
#define MEDIAGATE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ident.h"
#include "policy.h"

#define ADMIN_DEFAULT_REGISTRY "/etc/mediagate/registry"
#define ADMIN_PASS_MAX 512 /* bytes of passphrase / key file */
#define ADMIN_OPTIONS_MAX 16 /* options of one verb, --help aside */

/*
 * One long option of a verb. What it does, by the field that is set:
 *   @arg    takes an argument, stored in *@arg;
 *   @flag   takes none and sets *@flag (also as -@letter if @letter is set);
 *   @parse  takes an argument that @parse converts into @data; < 0: it is
 *           bad (@parse said why on stderr) and the verb exits 2.
 * @required: without it the verb prints its usage and exits 2.
 */
struct admin_option {
	const char *name;
	const char **arg;
	bool *flag;
	char letter;
	int (*parse)(const char *arg, void *data);
	void *data;
	bool required;
};

/* A verb's command line besides its options: usage and operand count. */
struct admin_verb {
	void (*usage)(FILE *f);
	/* said before the usage about an unknown option; NULL: the usage alone */
	void (*unknown)(const char *opt);
	int operands; /* exactly this many */
};

/*
 * Parse @argv (getopt_long, argv[0] is the verb) for @verb taking the
 * @n_opts options @opts (and --help, -h). Returns -1 to go on, with
 * *@ret_operand the first operand (NULL without operands); else the exit
 * code: 0 after --help (usage on stdout), 2 on a usage error.
 */
int admin_parse(int argc, char **argv, const struct admin_verb *verb,
		const struct admin_option *opts, size_t n_opts, const char **ret_operand);

/* The registry at @path with its diagnostics printed on error. A missing
 * file is no error when @missing_ok (*ret NULL then). */
struct registry;
int admin_load_registry(const char *path, bool missing_ok, struct registry **ret);

/*
 * The passphrase: the whole content of @key_file (exact bytes, like
 * cryptsetup --key-file; "-" is not accepted), or typed on the terminal
 * without echo (@confirm: asked twice). Never from the command line or the
 * environment. *ret (malloc'ed, NUL-terminated) must be freed with
 * admin_free_passphrase(), which clears it.
 */
int admin_read_passphrase(const char *key_file, bool confirm, char **ret, size_t *ret_len);
void admin_free_passphrase(char *pass, size_t len);

/* Ask on the terminal; true only for an answer of "yes" (or its translation). */
bool admin_confirm(const char *question);

/*
 * The USB identity of @device: a block device's USB stick from sysfs; an
 * image file needs @usb_id ("VVVV:PPPP") and @serial (tests and demos).
 * Overrides for a real block device are refused (-EINVAL).
 */
int admin_device_ident(const char *device, const char *usb_id, const char *serial,
		       struct ident_device *ret);

/* The registry path: @opt, else the policy's `set registry`, else the default.
 * @policy_path NULL: the default policy (if readable). */
const char *admin_registry_path(const char *opt, const char *policy_path, char *buf, size_t bufsz);

/* Load the policy (owner/mode checked) and print its diagnostics on error. */
int admin_load_policy(const char *path, struct policy **ret);

/* The medium id: @opt if given, else "MG-" and the first 8 hex digits of
 * @luks_uuid in upper case. */
void admin_medium_id(const char *opt, const char *luks_uuid, char ret[64]);

/* "YYYY-MM-DD" (local time) of @t. */
void admin_date(int64_t t, char ret[16]);
/* "YYYY-MM-DD HH:MM" (local time), "" for 0. */
void admin_time(int64_t t, char ret[32]);
void admin_hostname(char ret[256]);

/* Parse "90d", "12w", "36h", "90" (days) into seconds. */
int admin_parse_duration(const char *s, int64_t *ret);

/* One audit line to syslog (LOG_AUTHPRIV|LOG_NOTICE, ident "mediagatectl"),
 * e.g. event=enroll medium="MG-1" ...; the caller escapes the values. */
void admin_audit(const char *line);

/*
 * After a change to the registry at @registry: if it is the registry the
 * running mediagated uses (the one named by the default policy), ask the
 * daemon to reload over its control socket, so the change applies to the
 * next plug and to the sticks present now without a manual `reload`. No
 * daemon running is no error (it reads the registry when it starts); a
 * refused or failed reload is said on stderr, with what to do. Never fails
 * the verb: the registry change itself is done.
 */
void admin_tell_daemon(const char *registry);

/* Escape a hostile string for an audit line (quoted form is the caller's). */
const char *admin_esc(char *buf, size_t bufsz, const char *s);

/* The last steps of enroll and register, in this order: sign the token and
 * store it in the header, add the registry line, add the inventory row
 * (event @event), write the audit line. Prints what fails. Returns 0, 1 when
 * only the inventory row failed (the medium is enrolled), -errno otherwise. */
struct orgkey;
struct admin_medium {
	const char *event; /* "enroll" or "register" */
	const char *device;
	const struct ident_device *dev;
	const char *luks_uuid;
	const char *medium_id;
	const char *owner, *asset;
	const char *registry; /* path */
	const char *inventory; /* path */
	const struct orgkey *key;
};
int admin_register_medium(const struct admin_medium *m);

/* Add one inventory event for @dev (media facts @media may be NULL). A
 * failure is reported on stderr and returned. */
struct media_info;
int admin_inventory_event(const char *inventory, const char *event, const struct ident_device *dev,
			  const struct media_info *media, const char *medium_id, const char *line);

#endif
