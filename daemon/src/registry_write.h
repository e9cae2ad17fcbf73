/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry_write: change the registry file (registry.h) for enroll, retire
 * and unregister. Every change:
 *   - takes an exclusive flock on "<path>.lock" (concurrent mediagatectl
 *     runs queue up instead of losing each other's lines),
 *   - parses the current file and refuses to touch one with errors,
 *   - edits only the lines of the one entry concerned (other lines, comments
 *     and formatting stay byte-for-byte), writing it with
 *     registry_print_entry(),
 *   - checks that the result parses, writes it to a temporary file in the
 *     same directory (same owner and mode; 0644 for a new file), fsyncs it,
 *     renames it over the old one and fsyncs the directory.
 * Diagnostics about the current file go to @diags.
 */
#ifndef MEDIAGATE_REGISTRY_WRITE_H
#define MEDIAGATE_REGISTRY_WRITE_H

#include "diag.h"
#include "registry.h"

/* Append @e (its line field is ignored). -EEXIST if its medium id or LUKS
 * UUID is already there (retired or not). A missing file is created. */
int registry_write_add(const char *path, const struct registry_entry *e, struct diag_list *diags);

/* Set "retired @date" (YYYY-MM-DD) on medium @medium_id. -ENOENT if absent,
 * -EALREADY if it is retired already. */
int registry_write_retire(const char *path, const char *medium_id, const char *date,
			  struct diag_list *diags);

/* Remove medium @medium_id's entry. -ENOENT if absent. */
int registry_write_remove(const char *path, const char *medium_id, struct diag_list *diags);

#endif
