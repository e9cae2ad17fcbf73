// SPDX-License-Identifier: GPL-2.0-or-later
/* report (table/CSV/JSON formatting) and inv_report (stocktake and history
 * queries over a real inventory file). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "inv_report.h"
#include "report.h"

static const struct report_col cols[] = {
	{"medium", "Medium", false},
	{"owner", "Owner", false},
	{"mounts", "Mounts", true},
};

static char *render(const struct report *r, enum report_format fmt, unsigned int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(report_write(r, fmt, flags, f), 0);
	fclose(f);
	return buf;
}

static struct report *sample(void)
{
	struct report *r = NULL;

	assert_int_equal(report_new(cols, 3, &r), 0);
	assert_int_equal(report_add_row(r, (const char *const[]){"MG-1", "Taro, \"T\"", "3"}), 0);
	assert_int_equal(
		report_add_row(r, (const char *const[]){"MG-2", "=HYPERLINK(\"x\")", "-5"}), 0);
	assert_int_equal(report_add_row(r, (const char *const[]){"MG-3", "山田\n花子", NULL}), 0);
	assert_int_equal(report_add_row(r, (const char *const[]){"MG-4", "\x01\xff bad", "+1"}), 0);
	return r;
}

static void test_csv(void **state)
{
	struct report *r = sample();
	char *out;

	(void)state;
	out = render(r, REPORT_CSV, 0);
	assert_string_equal(out, "Medium,Owner,Mounts\r\n"
				 "MG-1,\"Taro, \"\"T\"\"\",3\r\n"
				 "MG-2,\"'=HYPERLINK(\"\"x\"\")\",-5\r\n"
				 /* a newline is a control character: escaped, one line */
				 "MG-3,山田\\x0a花子,\r\n"
				 "MG-4,\\x01\\xff bad,\"'+1\"\r\n");
	free(out);
	out = render(r, REPORT_CSV, REPORT_BOM);
	assert_memory_equal(out, "\xef\xbb\xbfMedium,", 10);
	free(out);
	report_free(r);
}

static void test_csv_field(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(report_csv_field(buf, sizeof(buf), "plain", false), 5);
	assert_string_equal(buf, "plain");
	report_csv_field(buf, sizeof(buf), "@SUM(A1)", false);
	assert_string_equal(buf, "\"'@SUM(A1)\"");
	report_csv_field(buf, sizeof(buf), "-3", false);
	assert_string_equal(buf, "\"'-3\"");
	report_csv_field(buf, sizeof(buf), "-3", true);
	assert_string_equal(buf, "-3");
	report_csv_field(buf, sizeof(buf), "-3+A1", true);
	assert_string_equal(buf, "\"'-3+A1\"");
	report_csv_field(buf, sizeof(buf), " lead", false);
	assert_string_equal(buf, "\" lead\"");
	report_csv_field(buf, sizeof(buf), "", false);
	assert_string_equal(buf, "");
	/* truncation is reported like snprintf */
	assert_int_equal(report_csv_field(buf, 4, "a,b", false), 5);
	assert_string_equal(buf, "\"a,");
}

static void test_json(void **state)
{
	struct report *r = sample();
	char *out = render(r, REPORT_JSON, 0);
	json_object *arr = json_tokener_parse(out), *o, *v;

	(void)state;
	assert_non_null(arr);
	assert_int_equal(json_object_array_length(arr), 4);
	o = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(o, "owner", &v));
	assert_string_equal(json_object_get_string(v), "Taro, \"T\"");
	assert_true(json_object_object_get_ex(o, "mounts", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 3);
	o = json_object_array_get_idx(arr, 2);
	assert_true(json_object_object_get_ex(o, "mounts", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "owner", &v));
	assert_string_equal(json_object_get_string(v), "山田\\x0a花子");
	o = json_object_array_get_idx(arr, 3);
	assert_true(json_object_object_get_ex(o, "mounts", &v));
	assert_true(json_object_is_type(v, json_type_string)); /* "+1" is not a plain integer */
	json_object_put(arr);
	free(out);
	report_free(r);
}

static void test_table(void **state)
{
	static const struct report_col jcols[] = {
		{"medium", "媒体", false},
		{"mounts", "回数", true},
	};
	struct report *r = NULL;
	char *out;

	(void)state;
	assert_int_equal(report_display_width("媒体"), 4);
	assert_int_equal(report_display_width("abc"), 3);
	assert_int_equal(report_new(jcols, 2, &r), 0);
	assert_int_equal(report_add_row(r, (const char *const[]){"MG-100", "7"}), 0);
	assert_int_equal(report_add_row(r, (const char *const[]){"山", "12"}), 0);
	out = render(r, REPORT_TABLE, 0);
	/* 媒体 is 4 columns wide, 山 2: padding counts columns, not bytes */
	assert_string_equal(out, "媒体    回数\n"
				 "------  ----\n"
				 "MG-100     7\n"
				 "山        12\n");
	free(out);
	report_free(r);
	{
		enum report_format f;

		assert_int_equal(report_parse_format("csv", &f), 0);
		assert_int_equal(f, REPORT_CSV);
		assert_int_equal(report_parse_format("xml", &f), -EINVAL);
	}
}

/* ---- inv_report over a real inventory ------------------------------- */

static char dbpath[64];

static void sight(struct inv *inv, int64_t t, const char *type, uint16_t pid, const char *serial,
		  const char *medium_id, const char *uuid, const char *user)
{
	struct ident_device d = {.vid = 0x0781, .pid = pid};
	struct media_info m = {.kind = MEDIA_LUKS, .luks_version = 2, .registered = true};
	struct inv_sighting s = {
		.time = t,
		.type = type,
		.dev = &d,
		.media = &m,
		.medium_id = medium_id,
		.verdict = "allow",
		.host = "pc-01",
		.user = user,
		.line = type,
	};

	strcpy(d.serial, serial);
	strcpy(m.luks_uuid, uuid);
	assert_int_equal(inv_record(inv, &s), 0);
}

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"
#define U4 "44444444-4444-4444-8444-444444444444"

static const char reg_text[] =
	"medium MG-1 luks2 " U1
	" usb 0781:5583 serial \"S1\" owner \"A\" asset \"P1\" enrolled 2026-01-01\n"
	"medium MG-2 luks2 " U2
	" usb 0781:5583 serial \"S2\" owner \"B\" asset \"P2\" enrolled 2026-01-01\n"
	"medium MG-3 luks2 " U3
	" usb 0781:5583 serial \"S3\" owner \"C\" asset \"P3\" enrolled 2026-01-01\n"
	"medium MG-4 luks2 " U4
	" usb 0781:5583 serial \"S4\" owner \"D\" asset \"P4\" enrolled 2026-01-01"
	" retired 2026-02-01\n";

struct got {
	char ids[8][64];
	int64_t seen[8];
	char users[8][256];
	int n;
};

static void collect(const struct registry_entry *e, const struct inv_report_seen *s, void *ud)
{
	struct got *g = ud;

	snprintf(g->ids[g->n], 64, "%s", e->medium_id);
	snprintf(g->users[g->n], sizeof(g->users[0]), "%s", s->last_user);
	g->seen[g->n++] = s->last_seen;
}

static void hist(int64_t t, const char *type, const char *host, const char *line, void *ud)
{
	struct got *g = ud;

	(void)host;
	(void)line;
	snprintf(g->ids[g->n], 64, "%s", type);
	g->seen[g->n++] = t;
}

static struct inv_report *media_ir;

static void media_row(const struct inv_medium *m, void *ud)
{
	struct got *g = ud;
	int64_t retired_at = -1;

	assert_int_equal(inv_report_retired_at(media_ir, m->id, &retired_at), 0);
	snprintf(g->ids[g->n], 64, "%s", m->medium_id);
	snprintf(g->users[g->n], sizeof(g->users[0]), "%s", m->last_user);
	g->seen[g->n++] = retired_at;
}

static void test_inv_report(void **state)
{
	struct diag_list d = {0};
	struct registry *reg = NULL;
	struct inv_report *ir = NULL;
	struct inv *inv = NULL;
	struct got g = {0};
	int n;

	(void)state;
	strcpy(dbpath, "/tmp/mg-invrep-XXXXXX");
	assert_true(mkstemp(dbpath) >= 0);
	assert_int_equal(inv_open(dbpath, 0, &inv), 0);
	sight(inv, 1000, "verdict", 0x5583, "S1", "MG-1", U1, "alice");
	sight(inv, 5000, "mount", 0x5583, "S1", "MG-1", U1, "bob");
	sight(inv, 2000, "verdict", 0x5583, "S2", "MG-2", U2, "carol");
	/* MG-3's header copied onto another stick: that sighting must not count */
	sight(inv, 9000, "verdict", 0x5583, "FAKE", "MG-3", U3, "mallory");
	sight(inv, 100, "verdict", 0x5583, "S4", "MG-4", U4, "dave");
	/* MG-4 was retired at 150 and came back at 300 */
	sight(inv, 150, "retire", 0x5583, "S4", "MG-4", U4, "admin");
	sight(inv, 300, "verdict", 0x5583, "S4", "MG-4", U4, "eve");
	inv_close(inv);
	assert_int_equal(registry_parse_buffer("reg", reg_text, strlen(reg_text), &reg, &d), 0);

	assert_int_equal(inv_report_open(dbpath, &ir), 0);
	/* unseen since 3000: MG-2 (2000) and MG-3 (never genuinely); MG-4 retired */
	n = inv_report_stocktake(ir, reg, 3000, collect, &g);
	assert_int_equal(n, 2);
	assert_string_equal(g.ids[0], "MG-2");
	assert_int_equal(g.seen[0], 2000);
	assert_string_equal(g.users[0], "carol");
	assert_string_equal(g.ids[1], "MG-3");
	assert_int_equal(g.seen[1], 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(inv_report_stocktake(ir, reg, 100, collect, &g), 1); /* only MG-3 */
	memset(&g, 0, sizeof(g));
	n = inv_report_history(ir, "MG-1", hist, &g);
	assert_int_equal(n, 2);
	assert_string_equal(g.ids[0], "verdict");
	assert_string_equal(g.ids[1], "mount");
	assert_int_equal(g.seen[1], 5000);
	memset(&g, 0, sizeof(g));
	assert_int_equal(inv_report_history(ir, "11111111-1111-4111-8111-111111111111", hist, &g),
			 2);
	assert_int_equal(inv_report_history(ir, "MG-404", hist, &g), 0);
	memset(&g, 0, sizeof(g));
	media_ir = ir;
	assert_int_equal(inv_report_media(ir, media_row, &g), 4);
	/* newest first: MG-3's foreign stick (9000), MG-1 (5000), MG-2 (2000), MG-4 (300) */
	assert_string_equal(g.ids[3], "MG-4");
	assert_int_equal(g.seen[3], 150); /* retired_at */
	assert_string_equal(g.users[3], "eve");
	assert_int_equal(g.seen[0], 0);
	inv_report_close(ir);
	registry_free(reg);
	diag_list_free(&d);
	/* a file that is no inventory is refused */
	{
		FILE *f = fopen(dbpath, "w");

		fputs("not sqlite at all, just text that is long enough to be a header......", f);
		fclose(f);
		assert_true(inv_report_open(dbpath, &ir) < 0);
	}
	unlink(dbpath);
	assert_true(inv_report_open("/nonexistent/inv.db", &ir) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),	   cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_json),	   cmocka_unit_test(test_table),
		cmocka_unit_test(test_inv_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
