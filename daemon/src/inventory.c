// SPDX-License-Identifier: GPL-2.0-or-later
/* inventory: SQLite media ledger. See inventory.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "inventory.h"
#include "macro.h"

struct inv {
	sqlite3 *db;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

/* Schema steps: migrations[i] takes user_version i to i + 1. Never edit a
 * shipped step; append a new one and bump INV_SCHEMA_VERSION. */
static const char *const migrations[INV_SCHEMA_VERSION] = {
	/* 0 -> 1: the first ledger */
	"CREATE TABLE media ("
	" id INTEGER PRIMARY KEY,"
	" vid INTEGER NOT NULL, pid INTEGER NOT NULL, serial TEXT NOT NULL,"
	" manufacturer TEXT, product TEXT,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" last_host TEXT, last_user TEXT,"
	" mount_count INTEGER NOT NULL DEFAULT 0,"
	" last_verdict TEXT,"
	" UNIQUE (vid, pid, serial));"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL, type TEXT NOT NULL,"
	" medium INTEGER REFERENCES media(id),"
	" host TEXT, line TEXT NOT NULL);",
	/* 1 -> 2: registration and media facts; events become append-only */
	"ALTER TABLE media ADD COLUMN medium_id TEXT;"
	"ALTER TABLE media ADD COLUMN registered INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE media ADD COLUMN media_kind TEXT;"
	"ALTER TABLE media ADD COLUMN luks_uuid TEXT;"
	"ALTER TABLE media ADD COLUMN fs_uuid TEXT;"
	"ALTER TABLE media ADD COLUMN fs_label TEXT;"
	"CREATE INDEX events_time ON events(time);"
	"CREATE INDEX events_medium ON events(medium);"
	"CREATE INDEX media_luks_uuid ON media(luks_uuid);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
	/* 2 -> 3: the verdict recorded per attachment, for a restarted daemon */
	"CREATE TABLE attachments ("
	" attach TEXT PRIMARY KEY, boot TEXT NOT NULL,"
	" verdict TEXT NOT NULL, time INTEGER NOT NULL);",
};

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EPERM;
	default:
		return -EIO;
	}
}

static int exec(struct inv *inv, const char *sql)
{
	return sql_errno(sqlite3_exec(inv->db, sql, NULL, NULL, NULL));
}

static int prepare(struct inv *inv, const char *sql, sqlite3_stmt **ret)
{
	return sql_errno(sqlite3_prepare_v2(inv->db, sql, -1, ret, NULL));
}

static int query_int(struct inv *inv, const char *sql, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv, sql, &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int inv_schema_version(struct inv *inv)
{
	int64_t v;
	int r;

	r = query_int(inv, "PRAGMA user_version", &v);
	return r < 0 ? r : (int)v;
}

/* Run one migration step and the version bump atomically. */
static int migrate_step(struct inv *inv, int from)
{
	char sql[64];
	int r;

	r = exec(inv, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	/* another opener may have migrated while we waited for the lock */
	r = inv_schema_version(inv);
	if (r == from) {
		r = exec(inv, migrations[from]);
		if (r >= 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", from + 1);
			r = exec(inv, sql);
		}
	}
	if (r < 0) {
		exec(inv, "ROLLBACK");
		return r;
	}
	return exec(inv, "COMMIT");
}

static int migrate(struct inv *inv)
{
	int v, r;

	for (;;) {
		v = inv_schema_version(inv);
		if (v < 0)
			return v;
		if (v > INV_SCHEMA_VERSION)
			return -EPROTONOSUPPORT;
		if (v == INV_SCHEMA_VERSION)
			return 0;
		r = migrate_step(inv, v);
		if (r < 0)
			return r;
	}
}

int inv_open(const char *path, unsigned int flags, struct inv **ret_inv)
{
	bool ro = flags & INV_OPEN_READONLY;
	struct inv *inv;
	int r;

	if (!path)
		path = INV_DEFAULT_PATH;
	if (!ro) {
		/* create it with a mode that keeps user names private */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

		if (fd < 0)
			return -errno;
		close(fd);
	}
	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return -ENOMEM;
	r = sql_errno(sqlite3_open_v2(path, &inv->db,
				      ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, NULL));
	if (r < 0)
		goto fail;
	sqlite3_busy_timeout(inv->db, 5000);
	sqlite3_extended_result_codes(inv->db, 0);
	if (!ro) {
		r = exec(inv, "PRAGMA journal_mode = WAL");
		if (r >= 0)
			r = exec(inv, "PRAGMA synchronous = NORMAL");
		if (r >= 0)
			r = migrate(inv);
	} else {
		r = inv_schema_version(inv);
		if (r > INV_SCHEMA_VERSION)
			r = -EPROTONOSUPPORT;
		else if (r >= 0 && r < INV_SCHEMA_VERSION)
			r = -EPROTO; /* the daemon migrates; readers don't */
	}
	if (r >= 0)
		r = exec(inv, "PRAGMA foreign_keys = ON");
	if (r >= 0 && (flags & INV_OPEN_SMALL_CACHE))
		r = exec(inv, "PRAGMA cache_size = -256");
	if (r < 0)
		goto fail;
	*ret_inv = inv;
	return 0;
fail:
	inv_close(inv);
	return r;
}

void inv_close(struct inv *inv)
{
	if (!inv)
		return;
	sqlite3_close(inv->db);
	free(inv);
}

int inv_integrity_check(struct inv *inv)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const unsigned char *res;
	int r;

	r = prepare(inv, "PRAGMA integrity_check", &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EBADMSG;
	res = sqlite3_column_text(st, 0);
	return res && !strcmp((const char *)res, "ok") ? 0 : -EBADMSG;
}

static const char *media_kind_str(const struct media_info *m)
{
	switch (m->kind) {
	case MEDIA_NONE:
		return "none";
	case MEDIA_PLAIN:
		return "plain";
	case MEDIA_LUKS:
		return m->luks_version == 1 ? "luks1" : "luks2";
	default:
		return NULL;
	}
}

static void bind_str(sqlite3_stmt *st, int idx, const char *s, size_t max)
{
	if (s)
		sqlite3_bind_text(st, idx, s, (int)strnlen(s, max), SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

static int upsert_medium(struct inv *inv, const struct inv_sighting *s, int64_t *ret_id)
{
	static const char sql[] =
		"INSERT INTO media (vid, pid, serial, manufacturer, product, first_seen,"
		" last_seen, last_host, last_user, mount_count, last_verdict, medium_id,"
		" registered, media_kind, luks_uuid, fs_uuid, fs_label)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, coalesce(?12, 0), ?13,"
		" ?14, ?15, ?16)"
		" ON CONFLICT (vid, pid, serial) DO UPDATE SET"
		" manufacturer = excluded.manufacturer, product = excluded.product,"
		" last_seen = max(last_seen, excluded.last_seen),"
		" last_host = coalesce(excluded.last_host, last_host),"
		" last_user = coalesce(excluded.last_user, last_user),"
		" mount_count = mount_count + excluded.mount_count,"
		" last_verdict = coalesce(excluded.last_verdict, last_verdict),"
		" medium_id = coalesce(excluded.medium_id, medium_id),"
		" registered = coalesce(?12, registered),"
		" media_kind = coalesce(excluded.media_kind, media_kind),"
		" luks_uuid = CASE WHEN ?13 IS NULL THEN luks_uuid ELSE excluded.luks_uuid END,"
		" fs_uuid = CASE WHEN ?13 IS NULL THEN fs_uuid ELSE excluded.fs_uuid END,"
		" fs_label = CASE WHEN ?13 IS NULL THEN fs_label ELSE excluded.fs_label END"
		" RETURNING id";
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const struct ident_device *d = s->dev;
	const struct media_info *m = s->media;
	const char *kind = m ? media_kind_str(m) : NULL;
	int r;

	r = prepare(inv, sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, d->vid);
	sqlite3_bind_int(st, 2, d->pid);
	bind_str(st, 3, d->serial, sizeof(d->serial));
	bind_str(st, 4, d->manufacturer, sizeof(d->manufacturer));
	bind_str(st, 5, d->product, sizeof(d->product));
	sqlite3_bind_int64(st, 6, s->time);
	bind_str(st, 7, s->host, 256);
	bind_str(st, 8, s->user, 256);
	sqlite3_bind_int(st, 9, s->mount ? 1 : 0);
	bind_str(st, 10, s->verdict, 16);
	bind_str(st, 11, s->medium_id, 64);
	if (kind) {
		sqlite3_bind_int(st, 12, m->registered);
		sqlite3_bind_text(st, 13, kind, -1, SQLITE_STATIC);
		bind_str(st, 14, m->kind == MEDIA_LUKS ? m->luks_uuid : NULL, sizeof(m->luks_uuid));
		bind_str(st, 15, m->fs_uuid[0] ? m->fs_uuid : NULL, sizeof(m->fs_uuid));
		bind_str(st, 16, m->label[0] ? m->label : NULL, sizeof(m->label));
	}
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	*ret_id = sqlite3_column_int64(st, 0);
	return 0;
}

static int append_event(struct inv *inv, int64_t time, const char *type, int64_t medium,
			const char *host, const char *line)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv,
		    "INSERT INTO events (time, type, medium, host, line)"
		    " VALUES (?1, ?2, ?3, ?4, ?5)",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, time);
	bind_str(st, 2, type, 32);
	if (medium > 0)
		sqlite3_bind_int64(st, 3, medium);
	bind_str(st, 4, host, 256);
	bind_str(st, 5, line ? line : "", 8192);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	return 0;
}

static int set_attachment(struct inv *inv, const char *attach, const char *boot,
			  const char *verdict, int64_t time)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv,
		    "INSERT INTO attachments (attach, boot, verdict, time) VALUES (?1, ?2, ?3, ?4)"
		    " ON CONFLICT (attach) DO UPDATE SET verdict = excluded.verdict,"
		    " time = excluded.time",
		    &st);
	if (r < 0)
		return r;
	bind_str(st, 1, attach, 256);
	bind_str(st, 2, boot, 64);
	bind_str(st, 3, verdict, 16);
	sqlite3_bind_int64(st, 4, time);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	return 0;
}

int inv_set_attachment(struct inv *inv, const char *attach, const char *boot, const char *verdict,
		       int64_t time)
{
	if (!attach || !boot || !verdict)
		return -EINVAL;
	return set_attachment(inv, attach, boot, verdict, time);
}

int inv_get_attachment(struct inv *inv, const char *attach, char *ret_verdict, size_t sz)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv, "SELECT verdict FROM attachments WHERE attach = ?1", &st);
	if (r < 0)
		return r;
	bind_str(st, 1, attach, 256);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return sql_errno(r) ?: -EIO;
	inv_col_str(st, 0, ret_verdict, sz);
	return 0;
}

int inv_prune_attachments(struct inv *inv, const char *boot)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv, "DELETE FROM attachments WHERE boot <> ?1", &st);
	if (r < 0)
		return r;
	bind_str(st, 1, boot, 64);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	return sqlite3_changes(inv->db);
}

int inv_begin(struct inv *inv)
{
	return exec(inv, "BEGIN IMMEDIATE");
}

int inv_commit(struct inv *inv)
{
	int r = exec(inv, "COMMIT");

	if (r < 0)
		exec(inv, "ROLLBACK");
	return r;
}

void inv_rollback(struct inv *inv)
{
	exec(inv, "ROLLBACK");
}

int inv_record(struct inv *inv, const struct inv_sighting *s)
{
	bool own = sqlite3_get_autocommit(inv->db); /* else inside inv_begin() */
	int64_t id = 0;
	int r;

	if (!s->dev || !s->type)
		return -EINVAL;
	r = own ? exec(inv, "BEGIN IMMEDIATE") : 0;
	if (r < 0)
		return r;
	r = upsert_medium(inv, s, &id);
	if (r >= 0)
		r = append_event(inv, s->time, s->type, id, s->host, s->line);
	if (r >= 0 && s->attach && s->boot && s->verdict)
		r = set_attachment(inv, s->attach, s->boot, s->verdict, s->time);
	if (r < 0) {
		if (own)
			exec(inv, "ROLLBACK");
		return r;
	}
	return own ? exec(inv, "COMMIT") : 0;
}

int inv_record_event(struct inv *inv, int64_t time, const char *type, const char *host,
		     const char *line)
{
	if (!type)
		return -EINVAL;
	/* a single statement is its own transaction */
	return append_event(inv, time, type, 0, host, line);
}

void inv_col_str(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= sz)
		n = sz - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

#define MEDIA_COLUMNS INV_MEDIA_SELECT " FROM media"

int inv_get_medium(struct inv *inv, uint16_t vid, uint16_t pid, const char *serial,
		   struct inv_medium *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct inv_medium m = {0};
	int r;

	r = prepare(inv, MEDIA_COLUMNS " WHERE vid = ?1 AND pid = ?2 AND serial = ?3", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, vid);
	sqlite3_bind_int(st, 2, pid);
	bind_str(st, 3, serial ? serial : "", IDENT_STR_MAX);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return sql_errno(r) ?: -EIO;
	inv_read_medium(st, &m);
	*ret = m;
	return 0;
}

void inv_read_medium(sqlite3_stmt *st, struct inv_medium *ret)
{
	struct inv_medium m = {0};

	m.id = sqlite3_column_int64(st, 0);
	m.vid = (uint16_t)sqlite3_column_int(st, 1);
	m.pid = (uint16_t)sqlite3_column_int(st, 2);
	inv_col_str(st, 3, m.serial, sizeof(m.serial));
	inv_col_str(st, 4, m.manufacturer, sizeof(m.manufacturer));
	inv_col_str(st, 5, m.product, sizeof(m.product));
	inv_col_str(st, 6, m.medium_id, sizeof(m.medium_id));
	m.registered = sqlite3_column_int(st, 7) != 0;
	inv_col_str(st, 8, m.media_kind, sizeof(m.media_kind));
	inv_col_str(st, 9, m.luks_uuid, sizeof(m.luks_uuid));
	inv_col_str(st, 10, m.fs_uuid, sizeof(m.fs_uuid));
	inv_col_str(st, 11, m.fs_label, sizeof(m.fs_label));
	m.first_seen = sqlite3_column_int64(st, 12);
	m.last_seen = sqlite3_column_int64(st, 13);
	inv_col_str(st, 14, m.last_host, sizeof(m.last_host));
	inv_col_str(st, 15, m.last_user, sizeof(m.last_user));
	m.mount_count = sqlite3_column_int64(st, 16);
	inv_col_str(st, 17, m.last_verdict, sizeof(m.last_verdict));
	*ret = m;
}

int inv_count_media(struct inv *inv, int64_t *ret)
{
	return query_int(inv, "SELECT count(*) FROM media", ret);
}

int inv_count_events(struct inv *inv, const char *type, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(inv, "SELECT count(*) FROM events WHERE ?1 IS NULL OR type = ?1", &st);
	if (r < 0)
		return r;
	bind_str(st, 1, type, 32);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_errno(sqlite3_errcode(inv->db)) ?: -EIO;
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int inv_list_events(struct inv *inv, int64_t since, unsigned int limit,
		    void (*fn)(int64_t time, const char *type, const char *line, void *userdata),
		    void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, n = 0;

	r = prepare(inv,
		    "SELECT time, type, line FROM (SELECT id, time, type, line FROM events"
		    " WHERE time >= ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		fn(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), userdata);
		n++;
	}
	return r == SQLITE_DONE ? n : (sql_errno(r) ?: -EIO);
}

int inv_list_media(struct inv *inv, void (*fn)(const struct inv_medium *m, void *userdata),
		   void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct inv_medium m;
	int r, n = 0;

	r = prepare(inv, MEDIA_COLUMNS " ORDER BY id", &st);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		inv_read_medium(st, &m);
		fn(&m, userdata);
		n++;
	}
	return r == SQLITE_DONE ? n : (sql_errno(r) ?: -EIO);
}
