/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fleetdb: the central ledger (PostgreSQL, policy/fleet/schema-001.sql), a
 * libpq adapter with the read-only queries of inv_report.h, fleet-wide.
 *
 * The central tables mirror the desktop inventory's media and events; their
 * strings are stored as the audit lines carry them (escaped to printable
 * ASCII) and are unescaped here, so the reports format central rows exactly
 * like local ones. inv_report_open() hands a "postgresql://" or
 * "postgres://" URL to fleetdb_open(); callers use inv_report_*() as usual.
 */
#ifndef MEDIAGATE_FLEETDB_H
#define MEDIAGATE_FLEETDB_H

#include <stdbool.h>
#include <stdint.h>

#include "inv_report.h"

#define FLEETDB_SCHEMA_VERSION 1

struct fleetdb;

/* Is @s a PostgreSQL connection URL? */
bool fleetdb_is_url(const char *s);

/* Connect (libpq URL) and check the schema version: -ECONNREFUSED if the
 * server cannot be reached, -EPROTO for another schema version. */
int fleetdb_open(const char *url, struct fleetdb **ret);
void fleetdb_close(struct fleetdb *db);

/* The same contracts as inv_report_media / _retired_at / _stocktake /
 * _history (inv_report.h), over every desktop's events. */
int fleetdb_media(struct fleetdb *db, void (*fn)(const struct inv_medium *m, void *userdata),
		  void *userdata);
int fleetdb_retired_at(struct fleetdb *db, int64_t id, int64_t *ret);
int fleetdb_stocktake(struct fleetdb *db, const struct registry *reg, int64_t cutoff,
		      void (*fn)(const struct registry_entry *e, const struct inv_report_seen *seen,
				 void *userdata),
		      void *userdata);
int fleetdb_history(struct fleetdb *db, const char *medium,
		    void (*fn)(int64_t time, const char *type, const char *host, const char *line,
			       void *userdata),
		    void *userdata);

/* Undo the audit escaping (\\ \" \xNN) of @src into @dst (size @sz, always
 * NUL-terminated, cut at @sz - 1 bytes). Pure; exported for tests. */
void fleetdb_unescape(char *dst, size_t sz, const char *src);

#endif
