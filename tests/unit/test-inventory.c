// SPDX-License-Identifier: GPL-2.0-or-later
/* Inventory: schema, migration, upsert, append-only events, kill -9 safety. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "inventory.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mg-inv-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/inventory.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_dev(struct ident_device *d, const char *serial)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, "2-1.4");
	d->vid = 0x0781;
	d->pid = 0x5583;
	strcpy(d->manufacturer, "SanDisk");
	strcpy(d->product, "Ultra Fit");
	strcpy(d->serial, serial);
}

static void test_create_and_schema(void **state)
{
	struct inv *inv = NULL;
	struct stat st;
	int64_t n = -1;

	(void)state;
	assert_int_equal(inv_open(path, 0, &inv), 0);
	assert_int_equal(inv_schema_version(inv), INV_SCHEMA_VERSION);
	assert_int_equal(inv_integrity_check(inv), 0);
	assert_int_equal(inv_count_media(inv, &n), 0);
	assert_int_equal(n, 0);
	inv_close(inv);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* reopening an up-to-date file changes nothing */
	assert_int_equal(inv_open(path, 0, &inv), 0);
	assert_int_equal(inv_schema_version(inv), INV_SCHEMA_VERSION);
	inv_close(inv);
}

static void test_upsert_and_events(void **state)
{
	struct inv *inv = NULL;
	struct ident_device d;
	struct media_info m = {.kind = MEDIA_LUKS, .luks_version = 2, .registered = true};
	struct inv_medium row;
	int64_t n;
	struct inv_sighting s = {.time = 1000,
				 .type = "verdict",
				 .dev = &d,
				 .verdict = "readonly",
				 .host = "pc1",
				 .line = "event=verdict ..."};

	(void)state;
	make_dev(&d, "4C53\n0001"); /* raw bytes stored as they are */
	strcpy(m.luks_uuid, "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11");
	assert_int_equal(inv_open(path, 0, &inv), 0);
	assert_int_equal(inv_record(inv, &s), 0);
	s.time = 1005;
	s.media = &m;
	s.medium_id = "USB-0042";
	s.verdict = "allow";
	assert_int_equal(inv_record(inv, &s), 0);
	s.time = 1010;
	s.type = "mount";
	s.media = NULL;
	s.medium_id = NULL;
	s.verdict = NULL;
	s.user = "taro";
	s.mount = true;
	s.line = "event=mount ...";
	assert_int_equal(inv_record(inv, &s), 0);
	s.time = 900; /* a late, older record never moves last_seen back */
	s.type = "unmount";
	s.mount = false;
	s.host = "pc2";
	assert_int_equal(inv_record(inv, &s), 0);
	assert_int_equal(inv_record_event(inv, 1020, "reload", "pc2", "event=reload ..."), 0);

	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "4C53\n0001", &row), 0);
	assert_int_equal(row.first_seen, 1000);
	assert_int_equal(row.last_seen, 1010);
	assert_string_equal(row.last_host, "pc2");
	assert_string_equal(row.last_user, "taro");
	assert_int_equal(row.mount_count, 1);
	assert_string_equal(row.last_verdict, "allow");
	assert_string_equal(row.medium_id, "USB-0042");
	assert_true(row.registered);
	assert_string_equal(row.media_kind, "luks2");
	assert_string_equal(row.luks_uuid, "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11");
	assert_string_equal(row.manufacturer, "SanDisk");
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "other", &row), -ENOENT);
	assert_int_equal(inv_count_media(inv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(inv_count_events(inv, NULL, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(inv_count_events(inv, "verdict", &n), 0);
	assert_int_equal(n, 2);
	inv_close(inv);

	/* survives reopen, also read-only */
	assert_int_equal(inv_open(path, INV_OPEN_READONLY, &inv), 0);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "4C53\n0001", &row), 0);
	assert_int_equal(row.mount_count, 1);
	assert_int_equal(inv_count_events(inv, NULL, &n), 0);
	assert_int_equal(n, 5);
	inv_close(inv);
}

static void test_events_append_only(void **state)
{
	struct inv *inv = NULL;
	sqlite3 *db;

	(void)state;
	assert_int_equal(inv_open(path, 0, &inv), 0);
	assert_int_equal(inv_record_event(inv, 1, "reload", "pc1", "event=reload"), 0);
	inv_close(inv);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE events SET line = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
}

/* A file as the first release wrote it (user_version 1) is migrated in
 * place, keeping its rows. */
static void test_migration_from_v1(void **state)
{
	struct inv *inv = NULL;
	struct inv_medium row;
	struct ident_device d;
	struct inv_sighting s = {.time = 50, .type = "verdict", .dev = &d, .verdict = "block"};
	sqlite3 *db;
	int64_t n;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(
			db,
			"CREATE TABLE media (id INTEGER PRIMARY KEY, vid INTEGER NOT NULL,"
			" pid INTEGER NOT NULL, serial TEXT NOT NULL, manufacturer TEXT,"
			" product TEXT, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
			" last_host TEXT, last_user TEXT, mount_count INTEGER NOT NULL DEFAULT 0,"
			" last_verdict TEXT, UNIQUE (vid, pid, serial));"
			"CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
			" time INTEGER NOT NULL, type TEXT NOT NULL,"
			" medium INTEGER REFERENCES media(id), host TEXT, line TEXT NOT NULL);"
			"INSERT INTO media VALUES (1, 1921, 21891, 'OLD1', 'SanDisk', 'Cruzer',"
			" 10, 20, 'pc9', 'hana', 3, 'readonly');"
			"INSERT INTO events (time, type, medium, host, line)"
			" VALUES (20, 'mount', 1, 'pc9', 'event=mount');"
			"PRAGMA user_version = 1;",
			NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(inv_open(path, INV_OPEN_READONLY, &inv), -EPROTO);
	assert_int_equal(inv_open(path, 0, &inv), 0);
	assert_int_equal(inv_schema_version(inv), INV_SCHEMA_VERSION);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "OLD1", &row), 0);
	assert_int_equal(row.mount_count, 3);
	assert_string_equal(row.last_user, "hana");
	assert_false(row.registered);
	assert_string_equal(row.media_kind, "");
	make_dev(&d, "OLD1");
	assert_int_equal(inv_record(inv, &s), 0);
	assert_int_equal(inv_get_medium(inv, 0x0781, 0x5583, "OLD1", &row), 0);
	assert_string_equal(row.last_verdict, "block");
	assert_int_equal(row.first_seen, 10);
	assert_int_equal(inv_count_events(inv, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(inv_integrity_check(inv), 0);
	inv_close(inv);
}

static void test_refuses_newer(void **state)
{
	struct inv *inv = NULL;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(inv_open(path, 0, &inv), -EPROTONOSUPPORT);
	assert_null(inv);
}

static void test_not_a_database(void **state)
{
	struct inv *inv = NULL;
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fputs("this is not an sqlite file, just text that is long enough to be read\n", f);
	fclose(f);
	assert_int_equal(inv_open(path, 0, &inv), -EBADMSG);
}

/* Child: write sightings as fast as it can until killed. */
static void __attribute__((noreturn)) writer(int iter)
{
	struct inv *inv = NULL;
	struct ident_device d;
	char serial[32], line[128];

	if (inv_open(path, 0, &inv) < 0)
		_exit(2);
	for (unsigned int i = 0;; i++) {
		struct inv_sighting s = {.time = i,
					 .type = i % 3 ? "verdict" : "mount",
					 .dev = &d,
					 .verdict = "allow",
					 .host = "pc",
					 .user = "u",
					 .mount = i % 3 == 0,
					 .line = line};

		snprintf(serial, sizeof(serial), "S%u", (i * 7 + (unsigned int)iter) % 50);
		make_dev(&d, serial);
		snprintf(line, sizeof(line), "event=verdict n=%u", i);
		if (inv_record(inv, &s) < 0)
			_exit(3);
		if (i % 20 == 0)
			inv_record_event(inv, i, "reload", "pc", "event=reload");
	}
}

static void test_kill9_crash_safety(void **state)
{
	int64_t prev = 0;
	struct timespec t0, t1;

	(void)state;
	srand((unsigned int)time(NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int iter = 0; iter < 30; iter++) {
		struct inv *inv = NULL;
		struct timespec ts = {0, (long)(rand() % 40000) * 1000 + 2000000};
		int64_t n = -1, mounts = 0;
		int status;
		pid_t pid;

		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			writer(iter);
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* killed by us, not failed on its own */
		assert_true(WIFSIGNALED(status));

		assert_int_equal(inv_open(path, 0, &inv), 0);
		assert_int_equal(inv_integrity_check(inv), 0);
		assert_int_equal(inv_schema_version(inv), INV_SCHEMA_VERSION);
		assert_int_equal(inv_count_events(inv, NULL, &n), 0);
		/* committed events are never lost */
		assert_true(n >= prev);
		prev = n;
		/* each mount event was committed with its counter */
		assert_int_equal(inv_count_events(inv, "mount", &mounts), 0);
		{
			sqlite3 *db;
			sqlite3_stmt *st;

			assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
			assert_int_equal(
				sqlite3_prepare_v2(db,
						   "SELECT coalesce(sum(mount_count),0) FROM media",
						   -1, &st, NULL),
				SQLITE_OK);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			assert_int_equal(sqlite3_column_int64(st, 0), mounts);
			sqlite3_finalize(st);
			sqlite3_close(db);
		}
		inv_close(inv);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("kill -9: 30 iterations, %lld events survived, %.1f s\n", (long long)prev,
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* the writer must actually have written something */
	assert_true(prev > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert_and_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_crash_safety, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
