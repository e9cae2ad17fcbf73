// SPDX-License-Identifier: GPL-2.0-or-later
/* The central ledger's pure parts: the JSON audit form (audit_format_cee)
 * and its unescaping on the way back (fleetdb_unescape). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "audit.h"
#include "fleetdb.h"

static const char *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

/* Every key of the line, in order, plus seq, time and the line itself. */
static void test_cee_mount(void **state)
{
	struct ident_device d = {.vid = 0x0781, .pid = 0x5583};
	struct audit_mount m = {.dev = &d,
				.block = "/dev/sdb1",
				.fstype = "vfat",
				.label = "L\"A\\B\n\xc3\xa9",
				.uuid = "",
				.mountpoint = "/media/x",
				.user = "taro",
				.user_source = "path"};
	char line[AUDIT_LINE_MAX], cee[AUDIT_CEE_MAX], raw[64];
	struct json_object *o;
	int n;

	(void)state;
	strcpy(d.name, "1-2");
	strcpy(d.serial, "S1");
	assert_true(audit_format_mount(line, sizeof(line), &m) > 0);
	n = audit_format_cee(cee, sizeof(cee), line, 42, 1767225600);
	assert_int_equal(n, (int)strlen(cee));
	assert_memory_equal(cee, "@cee: {\"seq\":42,\"time\":1767225600,\"event\":\"mount\",", 49);
	o = json_tokener_parse(cee + 6);
	assert_non_null(o);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "seq")), 42);
	assert_string_equal(get(o, "id"), "0781:5583");
	assert_string_equal(get(o, "mode"), "rw");
	assert_string_equal(get(o, "line"), line);
	/* the value keeps the line's escaped form; unescaped, it is the raw label */
	assert_string_equal(get(o, "label"), "L\\\"A\\\\B\\x0a\\xc3\\xa9");
	fleetdb_unescape(raw, sizeof(raw), get(o, "label"));
	assert_string_equal(raw, m.label);
	json_object_put(o);
}

static void test_cee_errors(void **state)
{
	char cee[AUDIT_CEE_MAX], small[40];

	(void)state;
	assert_int_equal(audit_format_cee(cee, sizeof(cee), "event=reload x=\"open", 1, 0),
			 -EINVAL);
	assert_int_equal(audit_format_cee(cee, sizeof(cee), "no pairs here", 1, 0), -EINVAL);
	assert_int_equal(audit_format_cee(small, sizeof(small), "event=suppressed count=3", 1, 0),
			 -ENOBUFS);
	assert_true(audit_format_cee(cee, sizeof(cee), "event=suppressed count=3", 1, 0) > 0);
	assert_string_equal(cee, "@cee: {\"seq\":1,\"time\":0,\"event\":\"suppressed\","
				 "\"count\":\"3\",\"line\":\"event=suppressed count=3\"}");
}

static void test_unescape(void **state)
{
	char out[8];

	(void)state;
	fleetdb_unescape(out, sizeof(out), "a\\x41\\\\\\\"z");
	assert_string_equal(out, "aA\\\"z");
	fleetdb_unescape(out, sizeof(out), "\\xZZ\\q");
	assert_string_equal(out, "\\xZZ\\q"); /* not an escape: kept */
	fleetdb_unescape(out, 4, "abcdef");
	assert_string_equal(out, "abc");
	assert_true(fleetdb_is_url("postgresql://u@h/db"));
	assert_true(fleetdb_is_url("postgres://h/db"));
	assert_false(fleetdb_is_url("/var/lib/mediagate/inventory.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cee_mount),
		cmocka_unit_test(test_cee_errors),
		cmocka_unit_test(test_unescape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
