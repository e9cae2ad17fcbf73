// SPDX-License-Identifier: GPL-2.0-or-later
/* inv_report: read-only report queries over the inventory. See inv_report.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetdb.h"
#include "inv_report.h"
#include "macro.h"

struct inv_report {
	sqlite3 *db;
	struct fleetdb *fleet; /* a central ledger URL was opened (fleetdb.h) */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static int prepare(struct inv_report *ir, const char *sql, sqlite3_stmt **ret)
{
	return sql_errno(sqlite3_prepare_v2(ir->db, sql, -1, ret, NULL));
}

int inv_report_open(const char *path, struct inv_report **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct inv_report *ir;
	int r, v;

	ir = calloc(1, sizeof(*ir));
	if (!ir)
		return -ENOMEM;
	if (fleetdb_is_url(path)) {
		r = fleetdb_open(path, &ir->fleet);
		if (r < 0)
			goto fail;
		*ret = ir;
		return 0;
	}
	r = sql_errno(sqlite3_open_v2(path ? path : INV_DEFAULT_PATH, &ir->db, SQLITE_OPEN_READONLY,
				      NULL));
	if (r < 0)
		goto fail;
	sqlite3_busy_timeout(ir->db, 5000);
	r = prepare(ir, "PRAGMA user_version", &st);
	if (r < 0)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = sql_errno(sqlite3_errcode(ir->db)) ?: -EIO;
		goto fail;
	}
	v = sqlite3_column_int(st, 0);
	if (v != INV_SCHEMA_VERSION) {
		r = v > INV_SCHEMA_VERSION ? -EPROTONOSUPPORT : -EPROTO;
		goto fail;
	}
	*ret = ir;
	return 0;
fail:
	sqlite3_finalize(TAKE_PTR(st));
	inv_report_close(ir);
	return r;
}

void inv_report_close(struct inv_report *ir)
{
	if (!ir)
		return;
	sqlite3_close(ir->db);
	fleetdb_close(ir->fleet);
	free(ir);
}

int inv_report_media(struct inv_report *ir, void (*fn)(const struct inv_medium *m, void *userdata),
		     void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct inv_medium m;
	int r, n = 0;

	if (ir->fleet)
		return fleetdb_media(ir->fleet, fn, userdata);
	r = prepare(ir, INV_MEDIA_SELECT " FROM media ORDER BY last_seen DESC, id", &st);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		inv_read_medium(st, &m);
		fn(&m, userdata);
		n++;
	}
	return r == SQLITE_DONE ? n : (sql_errno(r) ?: -EIO);
}

int inv_report_retired_at(struct inv_report *ir, int64_t id, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (ir->fleet)
		return fleetdb_retired_at(ir->fleet, id, ret);
	r = prepare(ir, "SELECT max(time) FROM events WHERE medium = ?1 AND type = 'retire'", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_errno(sqlite3_errcode(ir->db)) ?: -EIO;
	*ret = sqlite3_column_int64(st, 0); /* NULL reads as 0 */
	return 0;
}

/* The latest genuine sighting of every registry entry into @seen. */
static int collect_seen(struct inv_report *ir, const struct registry *reg,
			struct inv_report_seen *seen)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const struct registry_entry *base = registry_entry_at(reg, 0);
	int r;

	/* only rows that may belong to a registered medium */
	r = prepare(ir,
		    "SELECT medium_id, luks_uuid, vid, pid, serial, last_seen, last_host,"
		    " last_user, mount_count FROM media"
		    " WHERE medium_id IS NOT NULL OR luks_uuid IS NOT NULL",
		    &st);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mid = (const char *)sqlite3_column_text(st, 0);
		const char *uuid = (const char *)sqlite3_column_text(st, 1);
		const char *serial = (const char *)sqlite3_column_text(st, 4);
		const struct registry_entry *e = NULL;
		struct inv_report_seen *s;
		int64_t last = sqlite3_column_int64(st, 5);

		if (mid)
			e = registry_find_medium(reg, mid);
		if (!e && uuid)
			e = registry_find_uuid(reg, uuid);
		if (!e || e->vid != (uint16_t)sqlite3_column_int(st, 2) ||
		    e->pid != (uint16_t)sqlite3_column_int(st, 3) || !serial ||
		    strcmp(serial, e->serial))
			continue; /* not the enrolled stick */
		s = &seen[e - base];
		if (last <= s->last_seen)
			continue;
		s->last_seen = last;
		inv_col_str(st, 6, s->last_host, sizeof(s->last_host));
		inv_col_str(st, 7, s->last_user, sizeof(s->last_user));
		s->mount_count = sqlite3_column_int64(st, 8);
	}
	return r == SQLITE_DONE ? 0 : (sql_errno(r) ?: -EIO);
}

int inv_report_stocktake(struct inv_report *ir, const struct registry *reg, int64_t cutoff,
			 void (*fn)(const struct registry_entry *e,
				    const struct inv_report_seen *seen, void *userdata),
			 void *userdata)
{
	size_t n = registry_count(reg);
	struct inv_report_seen *seen;
	int r, count = 0;

	if (ir->fleet)
		return fleetdb_stocktake(ir->fleet, reg, cutoff, fn, userdata);
	seen = calloc(n ? n : 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	r = collect_seen(ir, reg, seen);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const struct registry_entry *e = registry_entry_at(reg, i);

		if (e->retired[0] || seen[i].last_seen >= cutoff)
			continue;
		fn(e, &seen[i], userdata);
		count++;
	}
	free(seen);
	return r < 0 ? r : count;
}

int inv_report_history(struct inv_report *ir, const char *medium,
		       void (*fn)(int64_t time, const char *type, const char *host,
				  const char *line, void *userdata),
		       void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, n = 0;

	if (ir->fleet)
		return fleetdb_history(ir->fleet, medium, fn, userdata);
	r = prepare(ir,
		    "SELECT time, type, host, line FROM events WHERE medium IN"
		    " (SELECT id FROM media WHERE medium_id = ?1 OR luks_uuid = lower(?1))"
		    " ORDER BY time, id",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, medium, (int)strnlen(medium, 128), SQLITE_TRANSIENT);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const char *host = (const char *)sqlite3_column_text(st, 2);
		const char *line = (const char *)sqlite3_column_text(st, 3);

		fn(sqlite3_column_int64(st, 0), type ? type : "", host ? host : "",
		   line ? line : "", userdata);
		n++;
	}
	return r == SQLITE_DONE ? n : (sql_errno(r) ?: -EIO);
}
