// SPDX-License-Identifier: GPL-2.0-or-later
/* decide: hold event -> verdict record, with a policy and registry parsed
 * from buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"

#define UUID "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11"

static const char policy_text[] = "set encryption luks2 cipher aes-xts-plain64 min-key-bits 512\n"
				  "block    storage with-interface { hid }\n"
				  "allow    storage media registered\n"
				  "readonly storage\n"
				  "allow    any\n";

static const char registry_text[] =
	"medium USB-0042 luks2 " UUID " usb 0781:5583 serial \"4C530001\" owner \"Taro\" "
	"asset \"PC-0042\" enrolled 2026-11-21\n";

struct fixture {
	struct policy *p;
	struct registry *reg;
};

static int setup(void **state)
{
	static struct fixture f;
	struct diag_list d = {0};

	if (policy_parse_buffer("t.conf", policy_text, sizeof(policy_text) - 1, &f.p, &d) < 0 ||
	    registry_parse_buffer("registry", registry_text, sizeof(registry_text) - 1, &f.reg,
				  &d) < 0) {
		diag_print(&d, stderr);
		diag_list_free(&d);
		return -1;
	}
	diag_list_free(&d);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	policy_free(f->p);
	registry_free(f->reg);
	return 0;
}

/* A device-level hold of a stick with interfaces of the given classes. */
static void make_hold(struct mediagate_event *ev, struct ident_device *d, uint64_t handle,
		      const uint8_t *classes, unsigned int n)
{
	memset(ev, 0, sizeof(*ev));
	memset(d, 0, sizeof(*d));
	ev->size = sizeof(*ev);
	ev->abi = MEDIAGATE_ABI_VERSION;
	ev->type = MEDIAGATE_EV_HELD;
	ev->seq = handle;
	ev->handle = handle;
	ev->level = MEDIAGATE_LEVEL_DEVICE;
	ev->intf_number = 0xff;
	strcpy(ev->devpath, "2-1.4");
	strcpy(d->name, "2-1.4");
	strcpy(d->port, "2-1.4");
	d->vid = 0x0781;
	d->pid = 0x5583;
	strcpy(d->serial, "4C530001");
	d->connect = IDENT_CONNECT_HOTPLUG;
	for (unsigned int i = 0; i < n; i++) {
		d->intf[i].number = (uint8_t)i;
		d->intf[i].cls = classes[i];
		d->intf[i].subcls = classes[i] == 8 ? 6 : 1;
		d->intf[i].proto = classes[i] == 8 ? 0x50 : 1;
	}
	d->n_intf = n;
}

static void luks_media(struct media_info *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = MEDIA_LUKS;
	m->luks_version = 2;
	strcpy(m->luks_uuid, UUID);
	strcpy(m->cipher, "aes-xts-plain64");
	m->key_bits = 512;
}

static void test_stick_needs_media_then_registered(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {8};
	struct mediagate_event ev;
	struct ident_device d;
	struct media_info m;
	struct decide_verdict first, next;

	make_hold(&ev, &d, 11, cls, 1);
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &first), 0);
	assert_int_equal(first.handle, 11);
	assert_true(first.device_level);
	assert_int_equal(first.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_true(first.dec.needs_media);
	assert_int_equal(first.dec.line, 3);
	assert_int_equal(first.intf_verdict[0], MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(first.intf_verdict[1], MEDIAGATE_VERDICT_NONE);
	assert_string_equal(first.interfaces, "0:readonly");
	assert_false(first.have_media);

	/* probed: the enrolled LUKS2 medium on the stick it was enrolled with */
	luks_media(&m);
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, &m, &next), 0);
	assert_int_equal(next.verdict, MEDIAGATE_VERDICT_ALLOW);
	assert_false(next.dec.needs_media);
	assert_int_equal(next.dec.line, 3);
	assert_string_equal(next.dec.file, "t.conf");
	assert_true(next.media.registered);
	assert_string_equal(next.medium_id, "USB-0042");
	assert_string_equal(next.interfaces, "0:allow");
	assert_int_equal(next.intf_verdict[0], MEDIAGATE_VERDICT_NONE);
	assert_true(decide_changed(&first, &next));
	/* the caller's media struct is not modified */
	assert_false(m.registered);
}

static void test_unregistered_luks_stays_readonly(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {8};
	struct mediagate_event ev;
	struct ident_device d;
	struct media_info m;
	struct decide_verdict first, next;

	make_hold(&ev, &d, 12, cls, 1);
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &first), 0);
	luks_media(&m);
	strcpy(m.luks_uuid, "aaaaaaaa-8d1a-4c1b-9a53-0c6f3e0d4b11");
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, &m, &next), 0);
	assert_int_equal(next.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(next.dec.line, 4);
	assert_false(next.media.registered);
	assert_string_equal(next.medium_id, "");
	assert_non_null(strstr(next.registry_why, "not in the registry"));
	assert_false(decide_changed(&first, &next));
}

/* The enrolled header copied onto another stick: UUID known, serial wrong. */
static void test_copied_header_not_registered(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {8};
	struct mediagate_event ev;
	struct ident_device d;
	struct media_info m;
	struct decide_verdict v;

	make_hold(&ev, &d, 13, cls, 1);
	strcpy(d.serial, "OTHERSTICK");
	luks_media(&m);
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, &m, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_false(v.media.registered);
	assert_string_equal(v.medium_id, "USB-0042"); /* found, but it does not match */
	assert_non_null(strstr(v.registry_why, "serial"));

	/* re-formatted as plain: never registered */
	memset(&m, 0, sizeof(m));
	m.kind = MEDIA_PLAIN;
	strcpy(m.fstype, "vfat");
	strcpy(d.serial, "4C530001");
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, &m, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(v.dec.line, 4);

	/* weaker key than `set encryption` asks for */
	luks_media(&m);
	m.key_bits = 256;
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, &m, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_false(v.media.registered);
}

static void test_stick_that_types_is_blocked(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {8, 3};
	struct mediagate_event ev;
	struct ident_device d;
	struct decide_verdict v;

	make_hold(&ev, &d, 14, cls, 2);
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_DENY);
	assert_int_equal(v.dec.line, 2);
	assert_false(v.dec.needs_media);
	assert_string_equal(v.interfaces, "0:block 1:block");
	for (unsigned int i = 0; i < MEDIAGATE_MAX_INTF; i++)
		assert_int_equal(v.intf_verdict[i], MEDIAGATE_VERDICT_NONE);
}

static void test_keyboard_allowed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {3};
	struct mediagate_event ev;
	struct ident_device d;
	struct decide_verdict v;

	make_hold(&ev, &d, 15, cls, 1);
	ev.flags = MEDIAGATE_EVF_STRICT;
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_ALLOW);
	assert_int_equal(v.dec.line, 5);
	assert_false(v.dec.is_default);
	assert_string_equal(v.interfaces, "0:allow");
}

/* readonly on a composite device: storage read-only, everything else denied */
static void test_readonly_composite_mapping(void **state)
{
	static const char text[] = "readonly storage\n";
	static const uint8_t cls[] = {8, 2, 10, 8};
	struct policy *p = NULL;
	struct diag_list dl = {0};
	struct mediagate_event ev;
	struct ident_device d;
	struct decide_verdict v;

	(void)state;
	assert_int_equal(policy_parse_buffer("ro.conf", text, sizeof(text) - 1, &p, &dl), 0);
	make_hold(&ev, &d, 16, cls, 4);
	d.intf[3].number = 5;
	assert_int_equal(decide_hold(p, NULL, &ev, &d, NULL, &v), 0);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(v.intf_verdict[0], MEDIAGATE_VERDICT_READONLY);
	assert_int_equal(v.intf_verdict[1], MEDIAGATE_VERDICT_DENY);
	assert_int_equal(v.intf_verdict[2], MEDIAGATE_VERDICT_DENY);
	assert_int_equal(v.intf_verdict[3], MEDIAGATE_VERDICT_NONE);
	assert_int_equal(v.intf_verdict[5], MEDIAGATE_VERDICT_READONLY);
	assert_string_equal(v.interfaces, "0:readonly 1:block 2:block 5:readonly");

	/* an interface-level hold takes the verdict as it is */
	ev.level = MEDIAGATE_LEVEL_INTERFACE;
	ev.intf_number = 1;
	strcpy(ev.devpath, "2-1.4:1.1");
	assert_int_equal(decide_hold(p, NULL, &ev, &d, NULL, &v), 0);
	assert_false(v.device_level);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_READONLY);
	for (unsigned int i = 0; i < MEDIAGATE_MAX_INTF; i++)
		assert_int_equal(v.intf_verdict[i], MEDIAGATE_VERDICT_NONE);
	assert_string_equal(v.interfaces, "1:readonly");

	/* no rule for a keyboard: built-in default (allow without storage) */
	make_hold(&ev, &d, 17, cls + 1, 1);
	assert_int_equal(decide_hold(p, NULL, &ev, &d, NULL, &v), 0);
	assert_true(v.dec.is_default);
	assert_int_equal(v.verdict, MEDIAGATE_VERDICT_ALLOW);
	policy_free(p);
}

static void test_bad_records(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cls[] = {8};
	struct mediagate_event ev;
	struct ident_device d;
	struct decide_verdict v = {.handle = 77};

	make_hold(&ev, &d, 18, cls, 1);
	ev.type = MEDIAGATE_EV_REMOVED;
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &v), -EINVAL);
	assert_int_equal(v.handle, 77);
	ev.type = MEDIAGATE_EV_HELD;
	ev.level = 9;
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &v), -EINVAL);
	ev.level = MEDIAGATE_LEVEL_DEVICE;
	ev.handle = 0;
	assert_int_equal(decide_hold(f->p, f->reg, &ev, &d, NULL, &v), -EINVAL);
}

static void test_pending_table(void **state)
{
	static struct decide_pending_table t;
	static struct decide_pending p;

	(void)state;
	for (unsigned int i = 0; i < DECIDE_MAX_PENDING; i++) {
		memset(&p, 0, sizeof(p));
		p.handle = 100 + i;
		snprintf(p.dev.name, sizeof(p.dev.name), "1-%u", i);
		assert_int_equal(decide_pending_add(&t, &p), 0);
	}
	p.handle = 1000;
	assert_int_equal(decide_pending_add(&t, &p), -ENOSPC);
	p.handle = 105;
	strcpy(p.dev.name, "3-3");
	assert_int_equal(decide_pending_add(&t, &p), 0); /* replace */
	assert_int_equal(t.n, DECIDE_MAX_PENDING);
	assert_non_null(decide_pending_by_name(&t, "3-3"));
	assert_null(decide_pending_by_name(&t, "1-5"));
	assert_int_equal(decide_pending_by_name(&t, "1-7")->handle, 107);
	decide_pending_remove(&t, 107);
	assert_null(decide_pending_by_handle(&t, 107));
	assert_int_equal(t.n, DECIDE_MAX_PENDING - 1);
	assert_non_null(decide_pending_by_handle(&t, 100 + DECIDE_MAX_PENDING - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stick_needs_media_then_registered),
		cmocka_unit_test(test_unregistered_luks_stays_readonly),
		cmocka_unit_test(test_copied_header_not_registered),
		cmocka_unit_test(test_stick_that_types_is_blocked),
		cmocka_unit_test(test_keyboard_allowed),
		cmocka_unit_test(test_readonly_composite_mapping),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_pending_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
