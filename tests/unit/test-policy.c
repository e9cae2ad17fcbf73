// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-policy: cmocka tests of the policy module (parser, printer, decide),
 * and a data-driven decision-table runner used by tests/policy/run.sh:
 *
 *   test-policy                       run the cmocka tests
 *   test-policy --decide FILE.table   run one decision table, print PASS:/FAIL: per case
 *
 * Table format (same tokens as mediagate.conf, '#' comments):
 *   policy "FILE"        policy to load, relative to the table's directory
 *   case NAME DEVICE... expect VERDICT (line N | default) [needs-media] [nolog]
 * DEVICE words: id VVVV:PPPP, class XX, intf cc:ss:pp (repeatable),
 *   serial|vendor|product|port|label "...", connect hotplug|hardwired,
 *   media unknown|none|plain|luks1|luks2, registered. No media word = no
 *   media facts (NULL).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy-internal.h"
#include "policy.h"

/* ---------------------------------------------------------------- helpers */

static struct policy *parse_ok(const char *text)
{
	struct diag_list d = {0};
	struct policy *p = NULL;
	int r = policy_parse_buffer("t.conf", text, strlen(text), &p, &d);

	if (r < 0)
		diag_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	diag_list_free(&d);
	return p;
}

/* Parse expecting failure; returns the diagnostics joined "L:C: msg\n". */
static char *parse_bad(const char *text, size_t len, size_t *ret_n)
{
	struct diag_list d = {0};
	struct policy *p = NULL;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int r = policy_parse_buffer("t.conf", text, len, &p, &d);

	assert_int_equal(r, -EINVAL);
	assert_null(p);
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	for (size_t i = 0; i < d.n; i++)
		fprintf(f, "%u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	fclose(f);
	*ret_n = d.n;
	diag_list_free(&d);
	return out;
}

static char *print_str(const struct policy *p)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	policy_print(p, f);
	fclose(f);
	return out;
}

static void dev_init(struct ident_device *d, uint16_t vid, uint16_t pid, const char *intfs)
{
	memset(d, 0, sizeof(*d));
	d->vid = vid;
	d->pid = pid;
	d->connect = IDENT_CONNECT_HOTPLUG;
	strcpy(d->port, "1-2");
	/* intfs: "08:06:50 03:01:01" */
	for (const char *s = intfs ? intfs : ""; *s;) {
		unsigned int c, sc, pr;
		int n = 0;

		if (sscanf(s, "%2x:%2x:%2x%n", &c, &sc, &pr, &n) != 3)
			break;
		d->intf[d->n_intf] = (struct ident_intf){(uint8_t)d->n_intf, (uint8_t)c,
							 (uint8_t)sc, (uint8_t)pr};
		d->n_intf++;
		s += n;
		while (*s == ' ')
			s++;
	}
}

static const char *const shipped_like = "set registry \"/etc/mediagate/registry\"\n"
					"block storage with-interface one-of { hid wireless }\n"
					"allow storage media registered\n"
					"readonly storage\n"
					"allow any\n";

/* ------------------------------------------------------------------ tests */

/* Keywords are case-sensitive. */
static void test_keywords_case_sensitive(void **state)
{
	size_t n;
	char *e = parse_bad("ALLOW any\n", 10, &n);

	(void)state;
	assert_int_equal(n, 1);
	assert_string_equal(
		e, "1:1: unknown keyword 'ALLOW' (expected allow, readonly, block, set or list)\n");
	free(e);
}

static void test_print_exact(void **state)
{
	struct policy *p;
	char *out;

	(void)state;
	p = parse_ok("# comment\n"
		     "  set default   block\n"
		     "list  ids = {0781:5583\n  ABCD:* }   # multi-line list\n"
		     "allow storage  nolog  serial \"A\\x41\\\\\\\"\\x1b\" id $ids\n"
		     "readonly class 08 with-interface {08:06:50 03:*:* } port { \"1-*\" }\n"
		     "block class e1 log\n"
		     "set encryption luks2 min-key-bits 256\n");
	out = print_str(p);
	assert_string_equal(out, "set encryption luks2 cipher aes-xts-plain64 min-key-bits 256\n"
				 "set default block\n"
				 "\n"
				 "list ids = { 0781:5583 abcd:* }\n"
				 "\n"
				 "allow storage id $ids serial \"AA\\\\\\\"\\x1b\" nolog\n"
				 "readonly storage port \"1-*\" with-interface { 08:06:50 hid }\n"
				 "block class e1\n");
	free(out);
	policy_free(p);
}

/* print -> parse -> print is the identity on the printed form. */
static void test_roundtrip(void **state)
{
	static const char *const inputs[] = {
		"set default block\n",
		"allow any\n",
		"set registry \"/r \\\"q\\\"\"\nset encryption luks1 cipher any min-key-bits 0\n"
		"set default readonly\n",
		"list a = { \"x\" \"\\xff\\x01z\" }\nlist b = { $a \"y\" }\n"
		"block hid vendor $b product { $a \"\xe6\x97\xa5\" } label \"\\x7f\" media plain\n",
		"list i = { 03:01:* *:*:* wireless }\nblock any with-interface one-of $i connect "
		"hardwired\n"
		"allow hub id { *:* 1d6b:0002 } port { \"1-1.*\" \"2\" } media none nolog\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct diag_list d = {0};
		struct policy *p = NULL, *q;
		char *a, *b;
		int r = policy_parse_buffer("t.conf", inputs[i], strlen(inputs[i]), &p, &d);

		if (r < 0)
			diag_print(&d, stderr);
		assert_int_equal(r, 0);
		a = print_str(p);
		q = parse_ok(a);
		b = print_str(q);
		assert_string_equal(a, b);
		free(a);
		free(b);
		policy_free(p);
		policy_free(q);
	}
}

static void test_all_errors_reported(void **state)
{
	const char *text = "allow storage\n"
			   "allow storage serial \"a\" serial \"b\"\n" /* semantic: parse goes on */
			   "frob\n"
			   "allow storage id { 0781:5583\n"
			   "  zzzz:0001 }\n"
			   "readonly storage\n"
			   "allow any junk \"x\n";
	size_t n;
	char *e = parse_bad(text, strlen(text), &n);

	(void)state;
	assert_string_equal(
		e, "2:26: repeated 'serial' in rule (first at 2:15)\n"
		   "3:1: unknown keyword 'frob' (expected allow, readonly, block, set or list)\n"
		   "5:3: bad id 'zzzz:0001' (expected VVVV:PPPP, 4 hex digits or '*' each)\n"
		   "7:11: unknown match 'junk' in rule\n");
	assert_int_equal(n, 4);
	free(e);
}

/* An unclosed list ends at the next statement keyword, which still parses. */
static void test_unclosed_list_recovery(void **state)
{
	const char *text = "allow storage id { 0781:5583\n"
			   "block any port \"x\"\n";
	size_t n;
	char *e = parse_bad(text, strlen(text), &n);

	(void)state;
	assert_string_equal(
		e,
		"1:18: missing '}' to close this list\n"
		"2:16: bad port pattern \"x\" (digits, '.', '-' and '*' only, e.g. \"2-1.4\")\n");
	free(e);
}

static void test_too_many_errors(void **state)
{
	char *text = NULL, *e;
	size_t len = 0, n;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	for (int i = 0; i < 500; i++)
		fprintf(f, "bogus %d\n", i);
	fclose(f);
	e = parse_bad(text, len, &n);
	assert_int_equal(n, POLICY_MAX_ERRORS + 1);
	assert_non_null(strstr(e, "too many errors, giving up\n"));
	free(e);
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "allow any\n# c\0mment\nallow \0 any\n";
	size_t n;
	char *e = parse_bad(text, sizeof(text) - 1, &n);

	(void)state;
	assert_string_equal(e, "2:4: NUL byte in file\n3:7: NUL byte in file\n");
	free(e);
}

/* On failure *ret_policy is not written; diagnostics are appended, not replaced. */
static void test_failure_contract(void **state)
{
	struct policy *sentinel = (struct policy *)&sentinel, *p = sentinel;
	struct diag_list d = {0};

	(void)state;
	assert_int_equal(diag_add(&d, "earlier", 1, 1, "kept"), 0);
	assert_int_equal(policy_parse_buffer("x.conf", "allow\n", 6, &p, &d), -EINVAL);
	assert_ptr_equal(p, sentinel);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].msg, "kept");
	assert_string_equal(d.v[1].file, "x.conf");
	diag_list_free(&d);
}

/* Columns are 1-based bytes; a tab is one column; CRLF line ends are fine. */
static void test_positions(void **state)
{
	const char *text = "allow any\r\n\tblock\tstorage id 0781:x\r\n";
	size_t n;
	char *e = parse_bad(text, strlen(text), &n);

	(void)state;
	assert_string_equal(
		e, "2:19: bad id '0781:x' (expected VVVV:PPPP, 4 hex digits or '*' each)\n");
	free(e);
}

static void test_settings(void **state)
{
	struct policy *p = parse_ok("allow any\n");
	const struct policy_encryption *enc = policy_encryption(p);

	(void)state;
	assert_null(policy_registry_path(p));
	assert_int_equal(enc->luks_version, 2);
	assert_string_equal(enc->cipher, "aes-xts-plain64");
	assert_int_equal(enc->min_key_bits, 512);
	assert_int_equal(policy_rule_count(p), 1);
	policy_free(p);

	p = parse_ok("set registry \"/var/reg\"\nset encryption luks1 min-key-bits 256 cipher xts\n"
		     "set default allow\n");
	enc = policy_encryption(p);
	assert_string_equal(policy_registry_path(p), "/var/reg");
	assert_int_equal(enc->luks_version, 1);
	assert_string_equal(enc->cipher, "xts");
	assert_int_equal(enc->min_key_bits, 256);
	assert_int_equal(policy_rule_count(p), 0);
	policy_free(p);
}

static void test_decide_first_match_and_media(void **state)
{
	struct policy *p = parse_ok(shipped_like);
	struct ident_device d;
	struct media_info m = {0};
	struct policy_decision dec;

	(void)state;
	/* a stick that also types: rule 2 */
	dev_init(&d, 0x1234, 0x5678, "08:06:50 03:01:01");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.verdict, POLICY_BLOCK);
	assert_int_equal(dec.line, 2);
	assert_false(dec.is_default);
	assert_false(dec.needs_media);
	assert_string_equal(dec.file, "t.conf");
	assert_string_equal(dec.why,
			    "matched: block storage with-interface one-of { hid wireless }");

	/* a plain stick, media unknown: rule 3 needs media -> readonly + needs_media */
	dev_init(&d, 0x0781, 0x5583, "08:06:50");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.verdict, POLICY_READONLY);
	assert_true(dec.needs_media);
	assert_int_equal(dec.line, 3);
	m.kind = MEDIA_UNKNOWN;
	policy_decide(p, &d, &m, &dec);
	assert_true(dec.needs_media);
	assert_int_equal(dec.line, 3);

	/* probed: registered LUKS2 -> allow rule 3; plain -> readonly rule 4 */
	m.kind = MEDIA_LUKS;
	m.luks_version = 2;
	m.registered = true;
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.verdict, POLICY_ALLOW);
	assert_int_equal(dec.line, 3);
	assert_false(dec.needs_media);
	m.registered = false;
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.verdict, POLICY_READONLY);
	assert_int_equal(dec.line, 4);
	assert_false(dec.needs_media);

	/* keyboard: never touched by the media rule, allowed by rule 5 */
	dev_init(&d, 0x046d, 0xc31c, "03:01:01 03:00:00");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.verdict, POLICY_ALLOW);
	assert_int_equal(dec.line, 5);
	assert_false(dec.needs_media);
	policy_free(p);
}

static void test_decide_defaults(void **state)
{
	struct policy *p = parse_ok("block hid id 0000:0000\n");
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 1, 2, "08:06:50");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	assert_int_equal(dec.line, 0);
	assert_int_equal(dec.verdict, POLICY_BLOCK);
	assert_true(dec.log);
	assert_string_equal(
		dec.why,
		"no rule matched: built-in default block (device has a storage interface)");
	dev_init(&d, 1, 2, "03:01:02");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	assert_int_equal(dec.verdict, POLICY_ALLOW);
	policy_free(p);

	p = parse_ok("set default readonly\n");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	assert_int_equal(dec.verdict, POLICY_READONLY);
	assert_string_equal(dec.why, "no rule matched: set default readonly");
	policy_free(p);
}

static void test_decide_media_kinds(void **state)
{
	struct policy *p = parse_ok("allow storage media luks2 nolog\n"
				    "readonly storage media luks\n"
				    "allow storage label { \"OK\" \"\\xffX\" }\n"
				    "block storage media plain\n"
				    "readonly storage media none\n");
	struct ident_device d;
	struct media_info m = {.kind = MEDIA_LUKS, .luks_version = 2};
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 1, 2, "08:06:50");
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.line, 1);
	assert_false(dec.log);
	m.luks_version = 1;
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.line, 2);
	assert_true(dec.log);
	m = (struct media_info){.kind = MEDIA_PLAIN};
	strcpy(m.label, "\xffX");
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.line, 3);
	strcpy(m.label, "OKAY");
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.line, 4);
	m = (struct media_info){.kind = MEDIA_NONE};
	policy_decide(p, &d, &m, &dec);
	assert_int_equal(dec.line, 5);
	assert_int_equal(dec.verdict, POLICY_READONLY);
	policy_free(p);
}

/* Device strings compare byte-exactly, escapes included. */
static void test_decide_hostile_strings(void **state)
{
	struct policy *p = parse_ok("block any serial \"\\x1b[2J\\xff\\\"\" vendor \"Evil\"\n"
				    "allow any product { \"\" \"Stick\" }\n");
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 1, 2, "03:01:01");
	strcpy(d.serial, "\x1b[2J\xff\"");
	strcpy(d.manufacturer, "Evil");
	strcpy(d.product, "x");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	/* the why string carries the rule escaped: printable ASCII only */
	for (const char *c = dec.why; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
	assert_non_null(strstr(dec.why, "\\x1b[2J\\xff\\\""));
	strcpy(d.serial, "\x1b[2J\xff"); /* a prefix is not a match */
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	strcpy(d.manufacturer, "evil"); /* nor another case */
	strcpy(d.serial, "\x1b[2J\xff\"");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	d.product[0] = '\0'; /* "" matches a device without a product */
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 2);
	policy_free(p);
}

static void test_decide_ids_ports_connect(void **state)
{
	struct policy *p = parse_ok("block any id { 0781:* *:5583 }\n"
				    "readonly any port \"1-*.4\" connect hardwired\n"
				    "allow any port { \"3-1\" \"2-*\" }\n");
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 0x0781, 0x0001, "");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	dev_init(&d, 0x1111, 0x5583, "");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	dev_init(&d, 0x1111, 0x1111, "");
	strcpy(d.port, "1-2.3.4");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default); /* hotplug, rule 2 wants hardwired */
	d.connect = IDENT_CONNECT_HARDWIRED;
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 2);
	strcpy(d.port, "1-2.3.45");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	strcpy(d.port, "2-7");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 3);
	strcpy(d.port, "3-1.1");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	policy_free(p);
}

static void test_decide_interfaces(void **state)
{
	struct policy *p = parse_ok("block any with-interface { storage hid }\n"
				    "readonly any with-interface one-of { e0:01:* 02:*:* }\n"
				    "allow any with-interface 08:06:*\n"
				    "allow class 06\n");
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 1, 1, "08:06:50 03:01:01");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	dev_init(&d, 1, 1, "08:06:50 e0:01:01");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 2);
	dev_init(&d, 1, 1, "08:06:62");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 3);
	dev_init(&d, 1, 1, "08:05:50");
	policy_decide(p, &d, NULL, &dec);
	assert_true(dec.is_default);
	assert_int_equal(dec.verdict, POLICY_BLOCK);
	/* still-image is not storage: a camera falls to its own class rule */
	dev_init(&d, 1, 1, "06:01:01");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 4);
	/* bDeviceClass counts for the device class */
	dev_init(&d, 1, 1, "");
	d.cls = 0x06;
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 4);
	policy_free(p);

	/* a vendor-class interface that usb-storage claims by ID is storage */
	p = parse_ok("readonly storage\nallow any\n");
	dev_init(&d, 1, 1, "ff:ff:ff");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 2);
	d.storage_driver = true;
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	assert_int_equal(dec.verdict, POLICY_READONLY);
	policy_free(p);
}

static void test_decide_lists_flattened(void **state)
{
	struct policy *p = parse_ok("list a = { \"s1\" }\nlist b = { $a \"s2\" }\n"
				    "block any serial { $b \"s3\" }\n");
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	dev_init(&d, 1, 1, "");
	for (int i = 1; i <= 4; i++) {
		snprintf(d.serial, sizeof(d.serial), "s%d", i);
		policy_decide(p, &d, NULL, &dec);
		assert_int_equal(dec.is_default, i == 4);
	}
	policy_free(p);
}

static void test_why_truncated(void **state)
{
	char text[2048] = "block any serial {";
	struct policy *p;
	struct ident_device d;
	struct policy_decision dec;

	(void)state;
	for (int i = 0; i < 60; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " \"serial%02d\"", i);
	strcat(text, " }\n");
	p = parse_ok(text);
	dev_init(&d, 1, 1, "");
	strcpy(d.serial, "serial59");
	policy_decide(p, &d, NULL, &dec);
	assert_int_equal(dec.line, 1);
	assert_int_equal(strlen(dec.why), sizeof(dec.why) - 1);
	assert_string_equal(dec.why + strlen(dec.why) - 3, "...");
	policy_free(p);
}

static void test_load_refusals(void **state)
{
	char dir[] = "/tmp/test-policy.XXXXXX", path[64];
	struct diag_list d = {0};
	struct policy *p = NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "allow any\n", 10), 10);
	close(fd);

	if (geteuid() == 0) {
		assert_int_equal(policy_load(path, true, &p, &d), 0);
		policy_free(p);
		p = NULL;
		assert_int_equal(chown(path, 65534, 0), 0);
		assert_int_equal(policy_load(path, true, &p, &d), -EPERM);
		assert_int_equal(d.n, 1);
		assert_string_equal(d.v[0].msg,
				    "refusing policy: owned by uid 65534, must be owned by root");
		diag_list_free(&d);
		assert_int_equal(chown(path, 0, 0), 0);
	}
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(policy_load(path, true, &p, &d), -EPERM);
	assert_null(p);
	assert_int_equal(d.n, geteuid() == 0 ? 1 : 2);
	assert_string_equal(
		d.v[d.n - 1].msg,
		"refusing policy: writable by group or others (mode 0666), run chmod go-w");
	assert_int_equal(d.v[0].line, 0);
	diag_list_free(&d);
	/* tests may skip the check */
	assert_int_equal(policy_load(path, false, &p, &d), 0);
	policy_free(p);
	p = NULL;

	assert_int_equal(policy_load(dir, false, &p, &d), -EINVAL);
	assert_string_equal(d.v[0].msg, "not a regular file");
	diag_list_free(&d);
	unlink(path);
	assert_int_equal(policy_load(path, false, &p, &d), -ENOENT);
	assert_string_equal(d.v[0].msg, "cannot open: No such file or directory");
	diag_list_free(&d);
	rmdir(dir);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* 1000 rules that do not match, then the catch-all: every rule is tried. */
static void test_thousand_rules(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct diag_list d = {0};
	struct policy *p = NULL;
	struct ident_device dev;
	struct policy_decision dec;
	double t0, load, worst = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		fprintf(f, "allow storage id %04x:%04x serial \"SN%06d\" port \"%d-*\"\n", i, i, i,
			i % 9 + 1);
	fprintf(f, "readonly storage\n");
	fclose(f);
	t0 = now_us();
	assert_int_equal(policy_parse_buffer("big.conf", text, len, &p, &d), 0);
	load = now_us() - t0;
	assert_int_equal(policy_rule_count(p), 1001);
	dev_init(&dev, 0xffff, 0xffff, "08:06:50");
	for (int i = 0; i < 200; i++) {
		t0 = now_us();
		policy_decide(p, &dev, NULL, &dec);
		t0 = now_us() - t0;
		if (t0 > worst)
			worst = t0;
	}
	assert_int_equal(dec.line, 1001);
	print_message(
		"1000 rules: load %.0f us, worst decision %.1f us (sanitizer build is slower)\n",
		load, worst);
	/* generous bounds: the real goals are checked by make bench */
	assert_true(load < 2e6);
	policy_free(p);
	free(text);
}

/* ------------------------------------------------------- decision tables */

struct table {
	struct plexer lx;
	struct ptoken tok;
	const char *path, *base;
	struct policy *pol;
	int fail, pass;
};

static void tnext(struct table *t)
{
	policy_lex_next(&t->lx, &t->tok);
}

static int tfail(struct table *t, const char *cas, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tfail(struct table *t, const char *cas, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: decide/%s/%s (%s:%u:%u: ", t->base, cas, t->path, t->tok.line, t->tok.col);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	t->fail++;
	return -EINVAL;
}

static int word_hex(const struct ptoken *tk, unsigned int n, unsigned int *v)
{
	char buf[32];
	unsigned int c[3];
	int used = 0;

	if (tk->type != PT_WORD || tk->len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tk->text, tk->len);
	buf[tk->len] = '\0';
	if (n == 1 && sscanf(buf, "%2x%n", &c[0], &used) == 1 && used == 2 && !buf[used])
		v[0] = c[0];
	else if (n == 2 && sscanf(buf, "%4x:%4x%n", &c[0], &c[1], &used) == 2 && used == 9)
		v[0] = c[0], v[1] = c[1];
	else if (n == 3 && sscanf(buf, "%2x:%2x:%2x%n", &c[0], &c[1], &c[2], &used) == 3 &&
		 used == 8)
		v[0] = c[0], v[1] = c[1], v[2] = c[2];
	else
		return -EINVAL;
	return 0;
}

static int table_string(struct table *t, const char *cas, char *dst, size_t sz)
{
	tnext(t);
	if (t->tok.type != PT_STRING || t->tok.slen >= sz)
		return tfail(t, cas, "expected a string");
	memcpy(dst, t->tok.sval, t->tok.slen);
	dst[t->tok.slen] = '\0';
	return 0;
}

/* case NAME DEVICE... expect VERDICT (line N | default) [needs-media] [nolog] */
static int table_case(struct table *t)
{
	struct ident_device d = {.connect = IDENT_CONNECT_HOTPLUG};
	struct media_info m = {0};
	bool have_media = false, want_default = false, want_nm = false, want_log = true;
	unsigned int v[3], want_line = 0;
	struct policy_decision dec;
	char cas[POLICY_WORD_MAX + 1] = "?";
	int want = 0;

	tnext(t);
	if (t->tok.type != PT_WORD)
		return tfail(t, cas, "expected a case name");
	snprintf(cas, sizeof(cas), "%.*s", (int)t->tok.len, t->tok.text);
	for (tnext(t); !policy_tok_is(&t->tok, "expect"); tnext(t)) {
		struct ptoken kw = t->tok;
		int r = 0;

		if (policy_tok_is(&kw, "id") || policy_tok_is(&kw, "class") ||
		    policy_tok_is(&kw, "intf")) {
			unsigned int n = kw.text[0] == 'i' && kw.len == 2 ? 2
					 : kw.text[0] == 'c'		  ? 1
									  : 3;

			tnext(t);
			if (word_hex(&t->tok, n, v) < 0)
				return tfail(t, cas, "bad hex value");
			if (n == 2) {
				d.vid = (uint16_t)v[0];
				d.pid = (uint16_t)v[1];
			} else if (n == 1) {
				d.cls = (uint8_t)v[0];
			} else {
				if (d.n_intf == IDENT_MAX_INTF)
					return tfail(t, cas, "too many interfaces");
				d.intf[d.n_intf] =
					(struct ident_intf){(uint8_t)d.n_intf, (uint8_t)v[0],
							    (uint8_t)v[1], (uint8_t)v[2]};
				d.n_intf++;
			}
		} else if (policy_tok_is(&kw, "serial")) {
			r = table_string(t, cas, d.serial, sizeof(d.serial));
		} else if (policy_tok_is(&kw, "vendor")) {
			r = table_string(t, cas, d.manufacturer, sizeof(d.manufacturer));
		} else if (policy_tok_is(&kw, "product")) {
			r = table_string(t, cas, d.product, sizeof(d.product));
		} else if (policy_tok_is(&kw, "port")) {
			r = table_string(t, cas, d.port, sizeof(d.port));
		} else if (policy_tok_is(&kw, "label")) {
			r = table_string(t, cas, m.label, sizeof(m.label));
		} else if (policy_tok_is(&kw, "connect")) {
			tnext(t);
			if (policy_tok_is(&t->tok, "hotplug"))
				d.connect = IDENT_CONNECT_HOTPLUG;
			else if (policy_tok_is(&t->tok, "hardwired"))
				d.connect = IDENT_CONNECT_HARDWIRED;
			else
				return tfail(t, cas, "bad connect");
		} else if (policy_tok_is(&kw, "media")) {
			tnext(t);
			have_media = true;
			if (policy_tok_is(&t->tok, "unknown"))
				m.kind = MEDIA_UNKNOWN;
			else if (policy_tok_is(&t->tok, "none"))
				m.kind = MEDIA_NONE;
			else if (policy_tok_is(&t->tok, "plain"))
				m.kind = MEDIA_PLAIN;
			else if (policy_tok_is(&t->tok, "luks1") || policy_tok_is(&t->tok, "luks2"))
				m.kind = MEDIA_LUKS, m.luks_version = t->tok.text[4] - '0';
			else
				return tfail(t, cas, "bad media");
		} else if (policy_tok_is(&kw, "registered")) {
			m.registered = true;
		} else {
			return tfail(t, cas, "unknown device word (or missing 'expect')");
		}
		if (r < 0)
			return r;
	}
	tnext(t);
	for (int i = POLICY_ALLOW; i <= POLICY_BLOCK; i++)
		if (policy_tok_is(&t->tok, policy_verdict_name(i)))
			want = i;
	if (!want)
		return tfail(t, cas, "expected a verdict after 'expect'");
	tnext(t);
	if (policy_tok_is(&t->tok, "default")) {
		want_default = true;
	} else if (policy_tok_is(&t->tok, "line")) {
		tnext(t);
		if (t->tok.type != PT_WORD || sscanf(t->tok.text, "%u", &want_line) != 1)
			return tfail(t, cas, "expected a line number");
	} else {
		return tfail(t, cas, "expected 'line N' or 'default'");
	}
	for (tnext(t); t->tok.type == PT_WORD; tnext(t)) {
		if (policy_tok_is(&t->tok, "needs-media"))
			want_nm = true;
		else if (policy_tok_is(&t->tok, "nolog"))
			want_log = false;
		else
			return tfail(t, cas, "unknown expectation");
	}
	if (t->tok.type != PT_NL && t->tok.type != PT_EOF)
		return tfail(t, cas, "trailing garbage");
	if (!t->pol)
		return tfail(t, cas, "no policy loaded");

	policy_decide(t->pol, &d, have_media ? &m : NULL, &dec);
	if ((int)dec.verdict != want || dec.is_default != want_default ||
	    (!want_default && dec.line != want_line) || dec.needs_media != want_nm ||
	    dec.log != want_log) {
		char where[32] = "default";

		if (!dec.is_default)
			snprintf(where, sizeof(where), "line %u", dec.line);
		printf("FAIL: decide/%s/%s (got %s %s%s%s: %s)\n", t->base, cas,
		       policy_verdict_name(dec.verdict), where,
		       dec.needs_media ? " needs-media" : "", dec.log ? "" : " nolog", dec.why);
		t->fail++;
		return 0;
	}
	printf("PASS: decide/%s/%s\n", t->base, cas);
	t->pass++;
	return 0;
}

static int table_policy(struct table *t, const char *dir)
{
	struct diag_list d = {0};
	char path[4096];

	tnext(t);
	if (t->tok.type != PT_STRING)
		return tfail(t, "policy", "expected a quoted file name");
	snprintf(path, sizeof(path), "%s/%s", dir, t->tok.sval);
	policy_free(t->pol);
	t->pol = NULL;
	if (policy_load(path, false, &t->pol, &d) < 0) {
		diag_print(&d, stdout);
		diag_list_free(&d);
		return tfail(t, "policy", "policy does not load");
	}
	tnext(t);
	return 0;
}

static int run_table(const char *path)
{
	struct table t = {.path = path};
	struct diag_list d = {0};
	char *buf = NULL, *dirc = strdup(path), *basec = strdup(path), *dot;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (!f || !dirc || !basec) {
		printf("FAIL: decide/%s (cannot open)\n", path);
		if (f)
			fclose(f);
		free(dirc);
		free(basec);
		return 1;
	}
	buf = malloc(1 << 20);
	len = buf ? fread(buf, 1, 1 << 20, f) : 0;
	fclose(f);
	t.base = basename(basec);
	dot = strrchr(basec, '.');
	if (dot)
		*dot = '\0';
	policy_lex_init(&t.lx, path, buf, len, &d);
	for (tnext(&t); t.tok.type != PT_EOF;) {
		int r = 0;

		if (t.tok.type == PT_NL) {
			tnext(&t);
			continue;
		}
		if (policy_tok_is(&t.tok, "policy"))
			r = table_policy(&t, dirname(dirc));
		else if (policy_tok_is(&t.tok, "case"))
			r = table_case(&t);
		else
			r = tfail(&t, "syntax", "expected 'policy' or 'case'");
		if (r < 0) /* skip the rest of the line */
			while (t.tok.type != PT_NL && t.tok.type != PT_EOF)
				tnext(&t);
	}
	if (d.n) {
		diag_print(&d, stdout);
		printf("FAIL: decide/%s (table does not lex)\n", t.base);
		t.fail++;
	}
	if (t.pass + t.fail == 0) {
		printf("FAIL: decide/%s (no case)\n", t.base);
		t.fail++;
	}
	diag_list_free(&d);
	policy_free(t.pol);
	free(buf);
	free(dirc);
	free(basec);
	return t.fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_case_sensitive),
		cmocka_unit_test(test_print_exact),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_unclosed_list_recovery),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_failure_contract),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_decide_first_match_and_media),
		cmocka_unit_test(test_decide_defaults),
		cmocka_unit_test(test_decide_media_kinds),
		cmocka_unit_test(test_decide_hostile_strings),
		cmocka_unit_test(test_decide_ids_ports_connect),
		cmocka_unit_test(test_decide_interfaces),
		cmocka_unit_test(test_decide_lists_flattened),
		cmocka_unit_test(test_why_truncated),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_thousand_rules),
	};

	if (argc == 3 && !strcmp(argv[1], "--decide"))
		return run_table(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--decide FILE.table]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
