/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy: the mediagate.conf language (lexer, recursive-descent parser,
 * canonical printer) and the first-match decision. Pure: no I/O beyond
 * reading the file it is given, no logging (diagnostics are returned).
 *
 * Rules match devices. A verdict maps onto a device's interfaces as:
 *   allow    -> every interface allowed
 *   readonly -> storage interfaces behind the kernel write-blocker, every
 *               other interface denied (a read-only data carrier must not
 *               also type or network)
 *   block    -> every interface denied
 */
#ifndef MEDIAGATE_POLICY_H
#define MEDIAGATE_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "ident.h"
#include "media.h"

enum policy_verdict {
	POLICY_ALLOW = 1, /* same values as MEDIAGATE_VERDICT_* */
	POLICY_READONLY = 2,
	POLICY_BLOCK = 3,
};

struct policy; /* opaque */

/* Encryption requirements from `set encryption ...` (defaults if absent). */
struct policy_encryption {
	int luks_version; /* 2 */
	char cipher[64]; /* "aes-xts-plain64"; "" = any */
	unsigned int min_key_bits; /* 0 = any */
};

struct policy_decision {
	enum policy_verdict verdict;
	bool is_default; /* no rule matched */
	const char *file; /* deciding rule's file (owned by the policy) */
	unsigned int line; /* deciding rule's line; 0 if default */
	bool log; /* rule says log (default true) */
	/* The first rule that could match needs media facts that are not known
	 * yet (media kind MEDIA_UNKNOWN): verdict is POLICY_READONLY so the
	 * medium can be probed through the write-blocker; decide again after. */
	bool needs_media;
	char why[256]; /* human summary: "matched storage media registered" */
	/* why is already safe to print or log as is: the rule's canonical text,
	 * whose strings are escaped (printable ASCII and safe UTF-8 only);
	 * escaping it again would double every backslash. */
};

/*
 * Parse @path. Refuses a file not owned by root or writable by group/others
 * unless @check_owner is false (tests). On success *ret_policy is set and 0
 * returned; on any error every diagnostic is appended to @diags and -EINVAL
 * (or -errno for I/O) returned, *ret_policy untouched.
 */
int policy_load(const char *path, bool check_owner, struct policy **ret_policy,
		struct diag_list *diags);
/* Same for a buffer; @name is used as the file name in diagnostics. */
int policy_parse_buffer(const char *name, const char *buf, size_t len, struct policy **ret_policy,
			struct diag_list *diags);
void policy_free(struct policy *p);

/* Write the canonical form (stable, re-parses to the same policy). */
void policy_print(const struct policy *p, FILE *f);

/* First match wins. @media may be NULL (= MEDIA_UNKNOWN). */
void policy_decide(const struct policy *p, const struct ident_device *dev,
		   const struct media_info *media, struct policy_decision *ret);

/* Settings. Strings owned by the policy; NULL when not set. */
const char *policy_registry_path(const struct policy *p);
const struct policy_encryption *policy_encryption(const struct policy *p);
unsigned int policy_rule_count(const struct policy *p);
/* `set notify`: desktop notices for read-only and blocked sticks (default on). */
bool policy_notify(const struct policy *p);

const char *policy_verdict_name(enum policy_verdict v);

#endif
