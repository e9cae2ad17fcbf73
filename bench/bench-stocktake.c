// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-stocktake: issue 5's ledger goal, `mediagatectl stocktake` over a
 * generated inventory of 10 000 media and 1 000 000 events in <= 1 s.
 *
 *   bench-stocktake [-m MEDIA] [-e EVENTS] [-d DIR]
 *
 * Generates (once; kept in DIR and reused while the sizes match) a registry
 * with MEDIA entries and an inventory with MEDIA media rows (a tenth of
 * them with a wrong serial: copied headers that must not count) and EVENTS
 * events, deterministic. Then times what the verb does: load the registry,
 * open the inventory read-only, run the stocktake query, build the report
 * and write it as CSV (DIR/stocktake.csv, for a CSV-parser check), plus one
 * history query. Prints the figures and "PASS"/"FAIL" against the 1 s goal
 * (exit 1 on FAIL).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "inv_report.h"
#include "inventory.h"
#include "registry.h"
#include "report.h"

#define NOW ((int64_t)1800000000) /* fixed "now" so every run reports the same set */
#define DAY ((int64_t)86400)

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void uuid_of(unsigned int j, char out[37])
{
	uint64_t a = splitmix(j * 2 + 1), b = splitmix(j * 2 + 2);

	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
		 a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52, b & (uint64_t)0xffffffffffff);
}

static int gen_registry(const char *path, unsigned int media)
{
	FILE *f = fopen(path, "w");
	char uuid[37];

	if (!f)
		return -errno;
	for (unsigned int j = 0; j < media; j++) {
		uuid_of(j, uuid);
		fprintf(f,
			"medium MG-%06u luks2 %s usb 0781:5583 serial \"SN%08u\" owner \"Owner %u, "
			"dept %u\" asset \"%sPC-%05u\" enrolled 2026-01-%02u%s\n",
			j, uuid, j, j, j % 40, j % 97 == 0 ? "=" : "", j, 1 + j % 28,
			j % 50 == 0 ? " retired 2026-06-01" : "");
	}
	fclose(f);
	chmod(path, 0644);
	return 0;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", err ? err : "?");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

/* Bulk load through SQL (the daemon's one-transaction-per-event path would
 * take hours for a million rows); the schema is the daemon's own. */
static int gen_inventory(const char *path, unsigned int media, unsigned int events)
{
	struct inv *inv = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *m = NULL, *e = NULL;
	char uuid[37], serial[32], mid[32], user[32], line[160];
	int r;

	unlink(path);
	r = inv_open(path, 0, &inv); /* creates and migrates */
	inv_close(inv);
	if (r < 0)
		return r;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -EIO;
	r = exec(db, "PRAGMA synchronous=OFF; BEGIN");
	if (r < 0)
		goto out;
	sqlite3_prepare_v2(
		db,
		"INSERT INTO media (id, vid, pid, serial, manufacturer, product,"
		" first_seen, last_seen, last_host, last_user, mount_count, last_verdict,"
		" medium_id, registered, media_kind, luks_uuid)"
		" VALUES (?1, 1921, 21891, ?2, 'SanDisk', 'Cruzer', ?3, ?4, ?5, ?6, ?7,"
		" 'allow', ?8, ?9, 'luks2', ?10)",
		-1, &m, NULL);
	sqlite3_prepare_v2(db,
			   "INSERT INTO events (time, type, medium, host, line) VALUES (?1, ?2, ?3,"
			   " ?4, ?5)",
			   -1, &e, NULL);
	for (unsigned int j = 0; j < media; j++) {
		uint64_t h = splitmix(j + 1000000);
		int64_t last = NOW - (int64_t)(h % (365 * DAY));
		char host[32];

		uuid_of(j, uuid);
		/* every tenth row is a copied header on a foreign stick */
		snprintf(serial, sizeof(serial), j % 10 == 3 ? "FOREIGN%08u" : "SN%08u", j);
		snprintf(mid, sizeof(mid), "MG-%06u", j);
		snprintf(user, sizeof(user), "user%u", j % 700);
		snprintf(host, sizeof(host), "pc-%04u", j % 3000);
		sqlite3_bind_int64(m, 1, j + 1);
		sqlite3_bind_text(m, 2, serial, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(m, 3, last - 200 * DAY);
		sqlite3_bind_int64(m, 4, last);
		sqlite3_bind_text(m, 5, host, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(m, 6, user, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(m, 7, (int64_t)(h % 500));
		sqlite3_bind_text(m, 8, mid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(m, 9, j % 10 != 3);
		sqlite3_bind_text(m, 10, uuid, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(m) != SQLITE_DONE) {
			r = -EIO;
			goto out;
		}
		sqlite3_reset(m);
	}
	for (unsigned int i = 0; i < events; i++) {
		uint64_t h = splitmix(i + 7);
		static const char *const types[] = {"verdict", "mount", "unmount", "verdict"};

		snprintf(line, sizeof(line),
			 "event=%s dev=\"1-%u\" id=0781:5583 serial=\"SN%08u\" verdict=allow "
			 "rule=\"/etc/mediagate/mediagate.conf:12\"",
			 types[h & 3], (unsigned int)(h >> 8) % 9, (unsigned int)(i % media));
		sqlite3_bind_int64(e, 1, NOW - 400 * DAY + (int64_t)i * 30);
		sqlite3_bind_text(e, 2, types[h & 3], -1, SQLITE_STATIC);
		sqlite3_bind_int64(e, 3, (int64_t)(i % media) + 1);
		sqlite3_bind_text(e, 4, "pc-0001", -1, SQLITE_STATIC);
		sqlite3_bind_text(e, 5, line, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(e) != SQLITE_DONE) {
			r = -EIO;
			goto out;
		}
		sqlite3_reset(e);
	}
	r = exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)");
out:
	sqlite3_finalize(m);
	sqlite3_finalize(e);
	sqlite3_close(db);
	return r;
}

static const struct report_col cols[] = {
	{"medium", "Medium", false},	   {"owner", "Owner", false},
	{"asset", "Asset", false},	   {"usb", "USB ID", false},
	{"serial", "Serial", false},	   {"enrolled", "Enrolled", false},
	{"last_seen", "Last seen", true},  {"days_unseen", "Days unseen", true},
	{"last_host", "Last host", false}, {"last_user", "Last user", false},
};

static void row(const struct registry_entry *e, const struct inv_report_seen *s, void *ud)
{
	char usb[16], last[32] = "", days[32] = "";

	snprintf(usb, sizeof(usb), "%04x:%04x", e->vid, e->pid);
	if (s->last_seen) {
		snprintf(last, sizeof(last), "%" PRId64, s->last_seen);
		snprintf(days, sizeof(days), "%" PRId64, (NOW - s->last_seen) / DAY);
	}
	report_add_row(ud,
		       (const char *const[]){e->medium_id, e->owner, e->asset, usb, e->serial,
					     e->enrolled, last, days, s->last_host, s->last_user});
}

static void hrow(int64_t t, const char *type, const char *host, const char *line, void *ud)
{
	(void)t;
	(void)type;
	(void)host;
	(void)line;
	(*(int *)ud)++;
}

int main(int argc, char **argv)
{
	unsigned int media = 10000, events = 1000000;
	const char *dir = "build/bench";
	char regpath[512], dbpath[512], csvpath[512], stamp[512], want[64], have[64] = "";
	struct diag_list diags = {0};
	struct registry *reg = NULL;
	struct inv_report *ir = NULL;
	struct report *rep = NULL;
	double t0, t1, t2, t3, t4;
	int c, n, nh = 0;
	FILE *f;

	while ((c = getopt(argc, argv, "m:e:d:")) != -1) {
		switch (c) {
		case 'm':
			media = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			events = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-stocktake [-m MEDIA] [-e EVENTS] [-d DIR]\n");
			return 2;
		}
	}
	if (media == 0)
		return 2;
	snprintf(regpath, sizeof(regpath), "%s/stocktake-registry", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/stocktake.db", dir);
	snprintf(csvpath, sizeof(csvpath), "%s/stocktake.csv", dir);
	snprintf(stamp, sizeof(stamp), "%s/stocktake.sizes", dir);
	snprintf(want, sizeof(want), "%u %u v1", media, events);
	if ((f = fopen(stamp, "r"))) {
		if (!fgets(have, sizeof(have), f))
			have[0] = '\0';
		fclose(f);
	}
	if (strcmp(have, want)) {
		printf("generating %u media / %u events in %s ...\n", media, events, dir);
		fflush(stdout);
		t0 = now_ms();
		if (gen_registry(regpath, media) < 0 || gen_inventory(dbpath, media, events) < 0) {
			fprintf(stderr, "bench-stocktake: generation failed\n");
			return 1;
		}
		f = fopen(stamp, "w");
		if (f) {
			fputs(want, f);
			fclose(f);
		}
		printf("generated in %.0f ms\n", now_ms() - t0);
	}

	t0 = now_ms();
	if (registry_load(regpath, &reg, &diags) < 0) {
		diag_print(&diags, stderr);
		return 1;
	}
	t1 = now_ms();
	if (inv_report_open(dbpath, &ir) < 0 || report_new(cols, 10, &rep) < 0)
		return 1;
	n = inv_report_stocktake(ir, reg, NOW - 90 * DAY, row, rep);
	if (n < 0)
		return 1;
	t2 = now_ms();
	f = fopen(csvpath, "w");
	if (!f || report_write(rep, REPORT_CSV, REPORT_BOM, f) < 0 || fclose(f) != 0)
		return 1;
	t3 = now_ms();
	if (inv_report_history(ir, "MG-000042", hrow, &nh) < 0)
		return 1;
	t4 = now_ms();

	printf("stocktake over %u media / %u events (unseen 90d): %d media to chase\n", media,
	       events, n);
	printf("  registry load     %8.1f ms\n", t1 - t0);
	printf("  query + report    %8.1f ms\n", t2 - t1);
	printf("  CSV write         %8.1f ms  (%s)\n", t3 - t2, csvpath);
	printf("  total             %8.1f ms  (goal <= 1000 ms)\n", t3 - t0);
	printf("  history MG-000042 %8.1f ms  (%d events)\n", t4 - t3, nh);
	report_free(rep);
	inv_report_close(ir);
	registry_free(reg);
	diag_list_free(&diags);
	if (t3 - t0 > 1000.0) {
		printf("FAIL: stocktake took more than 1 s\n");
		return 1;
	}
	printf("PASS: stocktake within 1 s\n");
	return 0;
}
