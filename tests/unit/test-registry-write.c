// SPDX-License-Identifier: GPL-2.0-or-later
/* registry_write: add / retire / remove keep every other byte, refuse broken
 * files and duplicates, keep the mode, and concurrent writers lose nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry_write.h"

static char dir[64], path[128];

static const char base[] =
	"# company media\r\n"
	"medium USB-0001 luks2 11111111-1111-4111-8111-111111111111 usb 0781:5583 \\\n"
	"    serial \"AAA\" owner \"Taro \\\"T\\\" Yamada\" asset \"PC-1\" enrolled 2026-01-02\n"
	"\n"
	"medium USB-0002 luks2 22222222-2222-4222-8222-222222222222 usb 0781:5583 serial "
	"\"B\\x01B\" owner \"\xe5\xb1\xb1\xe7\x94\xb0\" asset \"PC-2\" enrolled 2026-01-03 # hi "
	"\\\n"
	"# trailing comment\n";

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
}

static char *get(void)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct registry_entry entry(const char *id, const char *uuid)
{
	struct registry_entry e = {.luks_version = 2, .vid = 0x0951, .pid = 0x1666};

	snprintf(e.medium_id, sizeof(e.medium_id), "%s", id);
	snprintf(e.luks_uuid, sizeof(e.luks_uuid), "%s", uuid);
	strcpy(e.serial, "S\"1\\\x7f");
	strcpy(e.owner, "Hanako");
	strcpy(e.asset, "=cmd|' /C calc'!A0");
	strcpy(e.enrolled, "2026-11-21");
	return e;
}

static struct registry *load(void)
{
	struct diag_list d = {0};
	struct registry *r = NULL;

	if (registry_load(path, &r, &d) < 0) {
		diag_print(&d, stderr);
		fail();
	}
	diag_list_free(&d);
	return r;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mg-regw-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/registry", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_add_new_file(void **state)
{
	struct registry_entry e = entry("MG-1", "33333333-3333-4333-8333-333333333333");
	struct diag_list d = {0};
	struct registry *r;
	struct stat st;

	(void)state;
	unlink(path);
	assert_int_equal(registry_write_add(path, &e, &d), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	r = load();
	assert_int_equal(registry_count(r), 1);
	assert_string_equal(registry_find_medium(r, "MG-1")->serial, e.serial);
	assert_string_equal(registry_find_medium(r, "MG-1")->asset, e.asset);
	registry_free(r);
	/* duplicates by id and by UUID (any case) */
	assert_int_equal(registry_write_add(path, &e, &d), -EEXIST);
	e = entry("MG-2", "33333333-3333-4333-8333-333333333333");
	assert_int_equal(registry_write_add(path, &e, &d), -EEXIST);
	e = entry("MG-1", "44444444-3333-4333-8333-333333333333");
	assert_int_equal(registry_write_add(path, &e, &d), -EEXIST);
	diag_list_free(&d);
}

static void test_add_keeps_bytes(void **state)
{
	struct registry_entry e = entry("MG-9", "99999999-9999-4999-8999-999999999999");
	struct diag_list d = {0};
	struct registry *r;
	char *after;

	(void)state;
	put(base);
	chmod(path, 0640);
	assert_int_equal(registry_write_add(path, &e, &d), 0);
	after = get();
	assert_memory_equal(after, base, strlen(base));
	assert_true(!strncmp(after + strlen(base), "medium MG-9 luks2 ", 18));
	free(after);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
	}
	r = load();
	assert_int_equal(registry_count(r), 3);
	registry_free(r);
	/* a last line without newline gets one before the new entry */
	put("# no newline at the end");
	assert_int_equal(registry_write_add(path, &e, &d), 0);
	after = get();
	assert_true(!strncmp(after, "# no newline at the end\nmedium MG-9 ", 36));
	free(after);
	diag_list_free(&d);
}

static void test_retire_and_remove(void **state)
{
	struct diag_list d = {0};
	const struct registry_entry *e;
	struct registry *r;
	char *after, *expect;
	const char *first_end = strstr(base, "2026-01-02\n") + 11;

	(void)state;
	put(base);
	/* retire the entry that spans two lines */
	assert_int_equal(registry_write_retire(path, "USB-0001", "2026-11-21", &d), 0);
	r = load();
	e = registry_find_medium(r, "USB-0001");
	assert_non_null(e);
	assert_string_equal(e->retired, "2026-11-21");
	assert_string_equal(e->owner, "Taro \"T\" Yamada");
	assert_string_equal(registry_find_medium(r, "USB-0002")->retired, "");
	registry_free(r);
	after = get();
	/* the comment line before and everything after stay as they were */
	assert_true(!strncmp(after, "# company media\r\n", 17));
	assert_non_null(strstr(after, first_end));
	assert_string_equal(strstr(after, first_end), first_end);
	free(after);
	assert_int_equal(registry_write_retire(path, "USB-0001", "2026-11-22", &d), -EALREADY);
	assert_int_equal(registry_write_retire(path, "USB-0404", "2026-11-22", &d), -ENOENT);

	/* remove the second one; a backslash ending its comment does not
	 * continue the entry (the parser ends a comment at the newline) */
	put(base);
	assert_int_equal(registry_write_remove(path, "USB-0002", &d), 0);
	after = get();
	expect = calloc(1, sizeof(base));
	memcpy(expect, base, (size_t)(strstr(base, "medium USB-0002") - base));
	strcat(expect, "# trailing comment\n");
	assert_string_equal(after, expect);
	free(expect);
	free(after);
	assert_int_equal(registry_write_remove(path, "USB-0002", &d), -ENOENT);
	diag_list_free(&d);
}

static void test_refuses_broken_file(void **state)
{
	struct registry_entry e = entry("MG-7", "77777777-7777-4777-8777-777777777777");
	struct diag_list d = {0};
	static const char broken[] = "medium X luks2 not-a-uuid\n";
	char *after;

	(void)state;
	put(broken);
	assert_int_equal(registry_write_add(path, &e, &d), -EINVAL);
	assert_true(d.n > 0);
	after = get();
	assert_string_equal(after, broken);
	free(after);
	/* an entry that would not parse back is refused too */
	put("");
	strcpy(e.enrolled, "yesterday");
	assert_int_equal(registry_write_add(path, &e, &d), -EINVAL);
	after = get();
	assert_string_equal(after, "");
	free(after);
	diag_list_free(&d);
}

static void test_concurrent_writers(void **state)
{
	enum { WRITERS = 6, EACH = 15 };
	struct registry *r;
	pid_t pids[WRITERS];

	(void)state;
	put("# start\n");
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			for (int i = 0; i < EACH; i++) {
				struct diag_list d = {0};
				char id[32], uuid[40];
				struct registry_entry e;

				snprintf(id, sizeof(id), "W%d-%d", w, i);
				snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-000000000000",
					 w * 1000 + i);
				e = entry(id, uuid);
				if (registry_write_add(path, &e, &d) < 0)
					_exit(1);
				diag_list_free(&d);
			}
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int st;

		assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	r = load();
	assert_int_equal(registry_count(r), WRITERS * EACH);
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_new_file),
		cmocka_unit_test(test_add_keeps_bytes),
		cmocka_unit_test(test_retire_and_remove),
		cmocka_unit_test(test_refuses_broken_file),
		cmocka_unit_test(test_concurrent_writers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
