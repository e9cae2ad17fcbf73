// SPDX-License-Identifier: GPL-2.0-or-later
/* fleetdb: report queries over the central ledger (libpq). See fleetdb.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fleetdb.h"
#include "macro.h"

struct fleetdb {
	PGconn *conn;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(PGresult *, PQclear)
#define _cleanup_pgresult_ _cleanup_(PQclearp)

bool fleetdb_is_url(const char *s)
{
	return s && (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void fleetdb_unescape(char *dst, size_t sz, const char *src)
{
	size_t n = 0;

	if (!sz)
		return;
	while (*src && n + 1 < sz) {
		if (src[0] == '\\' && src[1] == 'x' && hexval(src[2]) >= 0 && hexval(src[3]) >= 0) {
			dst[n++] = (char)(hexval(src[2]) << 4 | hexval(src[3]));
			src += 4;
		} else if (src[0] == '\\' && (src[1] == '\\' || src[1] == '"')) {
			dst[n++] = src[1];
			src += 2;
		} else {
			dst[n++] = *src++;
		}
	}
	dst[n] = '\0';
}

/* Run @sql with text parameters; 0 and the result, or -EIO. */
static int query(struct fleetdb *db, const char *sql, int nparams, const char *const *params,
		 PGresult **ret)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		PQclear(res);
		return PQstatus(db->conn) == CONNECTION_OK ? -EIO : -ECONNRESET;
	}
	*ret = res;
	return 0;
}

int fleetdb_open(const char *url, struct fleetdb **ret)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	struct fleetdb *db;
	int r;

	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->conn = PQconnectdb(url);
	if (!db->conn) {
		free(db);
		return -ENOMEM;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		r = -ECONNREFUSED;
		goto fail;
	}
	r = query(db, "SELECT max(version) FROM mg_schema", 0, NULL, &res);
	if (r < 0) {
		r = -EPROTO; /* no ledger schema in this database */
		goto fail;
	}
	if (PQntuples(res) != 1 || atoi(PQgetvalue(res, 0, 0)) != FLEETDB_SCHEMA_VERSION) {
		r = atoi(PQgetvalue(res, 0, 0)) > FLEETDB_SCHEMA_VERSION ? -EPROTONOSUPPORT
									 : -EPROTO;
		goto fail;
	}
	*ret = db;
	return 0;
fail:
	fleetdb_close(db);
	return r;
}

void fleetdb_close(struct fleetdb *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	free(db);
}

static void get_str(PGresult *res, int row, int col, char *dst, size_t sz)
{
	fleetdb_unescape(dst, sz, PQgetvalue(res, row, col)); /* NULL reads as "" */
}

static int64_t get_i64(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void read_medium(PGresult *res, int i, struct inv_medium *m)
{
	memset(m, 0, sizeof(*m));
	m->id = get_i64(res, i, 0);
	m->vid = (uint16_t)get_i64(res, i, 1);
	m->pid = (uint16_t)get_i64(res, i, 2);
	get_str(res, i, 3, m->serial, sizeof(m->serial));
	get_str(res, i, 4, m->manufacturer, sizeof(m->manufacturer));
	get_str(res, i, 5, m->product, sizeof(m->product));
	get_str(res, i, 6, m->medium_id, sizeof(m->medium_id));
	m->registered = PQgetvalue(res, i, 7)[0] == 't';
	get_str(res, i, 8, m->media_kind, sizeof(m->media_kind));
	get_str(res, i, 9, m->luks_uuid, sizeof(m->luks_uuid));
	get_str(res, i, 10, m->fs_uuid, sizeof(m->fs_uuid));
	get_str(res, i, 11, m->fs_label, sizeof(m->fs_label));
	m->first_seen = get_i64(res, i, 12);
	m->last_seen = get_i64(res, i, 13);
	get_str(res, i, 14, m->last_host, sizeof(m->last_host));
	get_str(res, i, 15, m->last_user, sizeof(m->last_user));
	m->mount_count = get_i64(res, i, 16);
	get_str(res, i, 17, m->last_verdict, sizeof(m->last_verdict));
}

int fleetdb_media(struct fleetdb *db, void (*fn)(const struct inv_medium *m, void *userdata),
		  void *userdata)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	struct inv_medium m;
	int r, n;

	r = query(db,
		  "SELECT id, vid, pid, serial, manufacturer, product, medium_id, registered,"
		  " media_kind, luks_uuid, fs_uuid, fs_label, first_seen, last_seen, last_host,"
		  " last_user, mount_count, last_verdict FROM media ORDER BY last_seen DESC, id",
		  0, NULL, &res);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		read_medium(res, i, &m);
		fn(&m, userdata);
	}
	return n;
}

int fleetdb_retired_at(struct fleetdb *db, int64_t id, int64_t *ret)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	char idbuf[24];
	int r;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	r = query(db, "SELECT max(time) FROM events WHERE medium = $1 AND type = 'retire'", 1,
		  (const char *const[]){idbuf}, &res);
	if (r < 0)
		return r;
	*ret = PQntuples(res) == 1 ? get_i64(res, 0, 0) : 0;
	return 0;
}

/* The latest genuine sighting of every registry entry into @seen: a media
 * row counts only with the enrolled USB identity (as inv_report.c). */
static int collect_seen(struct fleetdb *db, const struct registry *reg,
			struct inv_report_seen *seen)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	const struct registry_entry *base = registry_entry_at(reg, 0);
	int r, n;

	r = query(db,
		  "SELECT medium_id, luks_uuid, vid, pid, serial, last_seen, last_host,"
		  " last_user, mount_count FROM media"
		  " WHERE medium_id IS NOT NULL OR luks_uuid IS NOT NULL",
		  0, NULL, &res);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const struct registry_entry *e = NULL;
		struct inv_report_seen *s;
		char serial[IDENT_STR_MAX];
		int64_t last = get_i64(res, i, 5);

		if (!PQgetisnull(res, i, 0))
			e = registry_find_medium(reg, PQgetvalue(res, i, 0));
		if (!e && !PQgetisnull(res, i, 1))
			e = registry_find_uuid(reg, PQgetvalue(res, i, 1));
		if (!e)
			continue;
		get_str(res, i, 4, serial, sizeof(serial));
		if (e->vid != (uint16_t)get_i64(res, i, 2) ||
		    e->pid != (uint16_t)get_i64(res, i, 3) || strcmp(serial, e->serial))
			continue; /* not the enrolled stick */
		s = &seen[e - base];
		if (last <= s->last_seen)
			continue;
		s->last_seen = last;
		get_str(res, i, 6, s->last_host, sizeof(s->last_host));
		get_str(res, i, 7, s->last_user, sizeof(s->last_user));
		s->mount_count = get_i64(res, i, 8);
	}
	return 0;
}

int fleetdb_stocktake(struct fleetdb *db, const struct registry *reg, int64_t cutoff,
		      void (*fn)(const struct registry_entry *e, const struct inv_report_seen *seen,
				 void *userdata),
		      void *userdata)
{
	size_t n = registry_count(reg);
	struct inv_report_seen *seen = calloc(n ? n : 1, sizeof(*seen));
	int r, count = 0;

	if (!seen)
		return -ENOMEM;
	r = collect_seen(db, reg, seen);
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

int fleetdb_history(struct fleetdb *db, const char *medium,
		    void (*fn)(int64_t time, const char *type, const char *host, const char *line,
			       void *userdata),
		    void *userdata)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	char key[129];
	int r, n;

	snprintf(key, sizeof(key), "%s", medium);
	r = query(
		db,
		"SELECT e.time, e.type, h.name, e.line FROM events e JOIN hosts h ON h.id = e.host"
		" WHERE e.medium IN"
		" (SELECT id FROM media WHERE medium_id = $1 OR luks_uuid = lower($1))"
		" ORDER BY e.time, e.id",
		1, (const char *const[]){key}, &res);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		fn(get_i64(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		   PQgetvalue(res, i, 3), userdata);
	return n;
}
