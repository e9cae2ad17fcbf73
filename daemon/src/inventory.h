/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inventory: the media ledger, an SQLite adapter
 * (/var/lib/mediagate/inventory.db).
 *
 * - media: one row per medium ever seen, keyed by its USB identity
 *   (vid, pid, raw serial): identity, registration, first/last seen, last
 *   host, last user, mount count, last verdict, what was on it.
 * - events: append-only (triggers refuse UPDATE and DELETE): every verdict,
 *   mount, unmount, tamper and reload, with its audit line.
 * - attachments: the last verdict recorded for each attachment of a device
 *   in this boot (key: boot id, kernel handle, device name; see
 *   loop_restart.c), storage or not, so a restarted daemon can tell a
 *   verdict in force that was never audited from one that was. Rows of
 *   other boots are pruned (inv_prune_attachments).
 *
 * WAL journal, synchronous=NORMAL (durable against a killed process; a
 * power loss may lose the last commits, never corrupts), every write one
 * transaction: a kill -9 at
 * any point leaves the last committed state. The schema version lives in
 * PRAGMA user_version; inv_open() migrates older files step by step, each
 * step in its own transaction, and refuses files newer than this build.
 */
#ifndef MEDIAGATE_INVENTORY_H
#define MEDIAGATE_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "media.h"

#define INV_DEFAULT_PATH "/var/lib/mediagate/inventory.db"
#define INV_SCHEMA_VERSION 3

struct inv;

#define INV_OPEN_READONLY (1U << 0)
/* A long-lived writer (the daemon): SQLite's page cache kept at
 * 256 KiB instead of its default 2 MiB, which would otherwise fill up with
 * ledger pages the daemon never reads again (RSS grew 1.2 MB over 2 000
 * plugs). */
#define INV_OPEN_SMALL_CACHE (1U << 1)

/* Open (creating it 0640 if missing, unless read-only) and migrate. */
int inv_open(const char *path, unsigned int flags, struct inv **ret_inv);
void inv_close(struct inv *inv);
/* PRAGMA user_version of the open file. */
int inv_schema_version(struct inv *inv);
/* PRAGMA integrity_check: 0 if "ok", -EBADMSG otherwise. */
int inv_integrity_check(struct inv *inv);

/* One observation of a medium, stored as an upsert of its media row plus
 * one appended event, in a single transaction. */
struct inv_sighting {
	int64_t time; /* Unix seconds */
	const char *type; /* event name: "verdict", "mount", "unmount", "tamper" */
	const struct ident_device *dev; /* required */
	const struct media_info *media; /* NULL: keep what is stored */
	const char *medium_id; /* registry id; NULL: keep */
	const char *verdict; /* NULL: keep last_verdict */
	const char *host;
	const char *user; /* NULL: keep last_user */
	bool mount; /* count a mount */
	const char *line; /* the audit line */
	const char *attach; /* with @verdict: also inv_set_attachment(), same transaction */
	const char *boot;
};
int inv_record(struct inv *inv, const struct inv_sighting *s);

/* One transaction around several writes: after inv_begin(), inv_record()
 * and inv_set_attachment() do not commit by themselves; inv_commit() (which
 * rolls back if it fails) or inv_rollback() ends it. */
int inv_begin(struct inv *inv);
int inv_commit(struct inv *inv);
void inv_rollback(struct inv *inv);

/* Attachments (schema 3): set the verdict recorded for @attach (of boot
 * @boot); read it back into @ret_verdict (-ENOENT if none); delete the rows
 * of every boot but @boot (returns how many). */
int inv_set_attachment(struct inv *inv, const char *attach, const char *boot, const char *verdict,
		       int64_t time);
int inv_get_attachment(struct inv *inv, const char *attach, char *ret_verdict, size_t sz);
int inv_prune_attachments(struct inv *inv, const char *boot);

/* An event that concerns no medium (policy reload). */
int inv_record_event(struct inv *inv, int64_t time, const char *type, const char *host,
		     const char *line);

struct inv_medium {
	int64_t id;
	uint16_t vid, pid;
	char serial[IDENT_STR_MAX];
	char manufacturer[IDENT_STR_MAX];
	char product[IDENT_STR_MAX];
	char medium_id[64];
	bool registered;
	char media_kind[16]; /* "", "none", "plain", "luks1", "luks2" */
	char luks_uuid[40];
	char fs_uuid[64];
	char fs_label[256];
	int64_t first_seen, last_seen;
	char last_host[256];
	char last_user[256];
	int64_t mount_count;
	char last_verdict[16];
};

/* Look a medium up by USB identity; -ENOENT if never seen. */
int inv_get_medium(struct inv *inv, uint16_t vid, uint16_t pid, const char *serial,
		   struct inv_medium *ret);
/* Number of media rows / event rows (of @type, or all when NULL). */
int inv_count_media(struct inv *inv, int64_t *ret);
int inv_count_events(struct inv *inv, const char *type, int64_t *ret);

/* Listings for the control socket, oldest first: events with time >=
 * @since (at most @limit, the newest ones), and every medium. The callback
 * gets each row; its strings are only valid during the call. */
int inv_list_events(struct inv *inv, int64_t since, unsigned int limit,
		    void (*fn)(int64_t time, const char *type, const char *line, void *userdata),
		    void *userdata);
int inv_list_media(struct inv *inv, void (*fn)(const struct inv_medium *m, void *userdata),
		   void *userdata);

/* Row readers shared with inv_report (the same media columns, in this order). */
#define INV_MEDIA_SELECT                                                                           \
	"SELECT id, vid, pid, serial, manufacturer, product, medium_id, registered,"               \
	" media_kind, luks_uuid, fs_uuid, fs_label, first_seen, last_seen, last_host,"             \
	" last_user, mount_count, last_verdict"
struct sqlite3_stmt;
/* Copy a text column into @dst (size @sz), truncated, always NUL-terminated. */
void inv_col_str(struct sqlite3_stmt *st, int col, char *dst, size_t sz);
/* Fill @ret from a row selected with INV_MEDIA_SELECT. */
void inv_read_medium(struct sqlite3_stmt *st, struct inv_medium *ret);

#endif
