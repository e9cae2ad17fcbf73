/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inv_report: read-only queries over the inventory (schema in inventory.c)
 * for `mediagatectl inventory | stocktake | history`. Its own read-only
 * SQLite connection (never migrates, never writes: a report can run while
 * the daemon records), refusing a file whose schema version is not the one
 * this build knows.
 *
 * The registry (what the organisation issued) is the list to account for;
 * the inventory says when and where each medium was last seen. A medium's
 * sightings count only when the inventory row's USB identity is the one
 * enrolled, so a copied header on another stick never "finds" a lost one.
 */
#ifndef MEDIAGATE_INV_REPORT_H
#define MEDIAGATE_INV_REPORT_H

#include <stdint.h>

#include "inventory.h"
#include "registry.h"

struct inv_report;

int inv_report_open(const char *path, struct inv_report **ret);
void inv_report_close(struct inv_report *ir);

/* Every media row, most recently seen first. Returns the count. */
int inv_report_media(struct inv_report *ir, void (*fn)(const struct inv_medium *m, void *userdata),
		     void *userdata);

/* Time of the latest "retire" event of media row @id (0: none), so a retired
 * stick that came back (seen after that time) can be reported. A point
 * query through the events_medium index. */
int inv_report_retired_at(struct inv_report *ir, int64_t id, int64_t *ret);

/* Last genuine sighting of one registry entry (zeroed: never seen). */
struct inv_report_seen {
	int64_t last_seen; /* 0: never */
	char last_host[256];
	char last_user[256];
	int64_t mount_count;
};

/*
 * Stocktake: for each registry entry in service (not retired) whose last
 * genuine sighting is older than @cutoff (Unix seconds; never seen counts),
 * call @fn in registry order. One scan of the media table plus one hash
 * lookup per row. Returns the number of entries reported.
 */
int inv_report_stocktake(struct inv_report *ir, const struct registry *reg, int64_t cutoff,
			 void (*fn)(const struct registry_entry *e,
				    const struct inv_report_seen *seen, void *userdata),
			 void *userdata);

/* The events of medium @medium (a registry medium id or a LUKS UUID),
 * oldest first. Returns the count (0: nothing recorded). */
int inv_report_history(struct inv_report *ir, const char *medium,
		       void (*fn)(int64_t time, const char *type, const char *host,
				  const char *line, void *userdata),
		       void *userdata);

#endif
