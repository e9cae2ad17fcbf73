// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the event-record reader, i.e. what the daemon does with
 * one record read() from /dev/mediagate: kdev_event_check(), then
 * ident_from_event(), then decide_hold() under the shipped policy and a
 * small registry. The record's strings come from the USB device.
 *
 * The input is the raw record (zero-padded or cut to its size). Checked:
 *  - kdev_event_check: -EBADMSG or 0; on 0 every string is terminated, and
 *    a second check changes nothing;
 *  - ident_from_event: on error *ret_dev untouched; on success the name is
 *    the devpath up to ':', ids and interfaces are the record's, strings are
 *    bounded copies;
 *  - decide_hold on a hold: 0, the kernel verdict follows the policy
 *    verdict (allow -> ALLOW, readonly -> READONLY, block -> DENY), and a
 *    device-level readonly puts storage interfaces READONLY and every other
 *    interface DENY; a non-hold is refused with -EINVAL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "fuzz-util.h"
#include "ident.h"
#include "kdev.h"
#include "policy.h"
#include "registry.h"

#define UUID_ENROLLED "3f0c6a2e-9b1d-4c8e-a7f2-5d6e8b9c0a13"

static struct policy *pol;
static struct registry *reg;
static struct media_info media[3];

/* The shipped policy when run from the top of the tree, else a stand-in. */
static const char fallback_policy[] =
	"set encryption luks2 cipher aes-xts-plain64 min-key-bits 512\n"
	"block storage with-interface one-of { hid e0:01:01 }\n"
	"allow storage media registered\n"
	"readonly storage\n"
	"allow hub\n"
	"allow hid connect hardwired\n"
	"allow any\n";

static const char registry_text[] =
	"medium USB-0042 luks2 " UUID_ENROLLED " usb 0781:5583 serial \"4C530001231120115142\" "
	"owner \"Taro Yamada\" asset \"PC-0042\" enrolled 2026-11-21\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag_list diags = {0};

	if (policy_load("policy/mediagate.conf", false, &pol, &diags) < 0) {
		diag_list_free(&diags);
		if (policy_parse_buffer("fallback.conf", fallback_policy,
					sizeof(fallback_policy) - 1, &pol, &diags) < 0)
			abort();
	}
	if (registry_parse_buffer("registry", registry_text, sizeof(registry_text) - 1, &reg,
				  &diags) < 0)
		abort();
	diag_list_free(&diags);

	media[0].kind = MEDIA_NONE;
	media[1].kind = MEDIA_LUKS;
	media[1].luks_version = 2;
	snprintf(media[1].luks_uuid, sizeof(media[1].luks_uuid), UUID_ENROLLED);
	snprintf(media[1].cipher, sizeof(media[1].cipher), "aes-xts-plain64");
	media[1].key_bits = 512;
	media[1].token_present = true;
	media[2] = media[1];
	media[2].key_bits = 256;
	return 0;
}

static void check_ident(const struct mediagate_event *ev, const struct ident_device *d)
{
	size_t n = strcspn(ev->devpath, ":");

	fuzz_assert(strlen(d->name) == n && !memcmp(d->name, ev->devpath, n),
		    "name is not the devpath up to ':'");
	fuzz_assert(d->vid == ev->id_vendor && d->pid == ev->id_product &&
			    d->bcd == ev->bcd_device && d->cls == ev->dev_class,
		    "ids are not the record's");
	fuzz_assert(d->n_intf == ev->num_intf, "%u interfaces, record has %u", d->n_intf,
		    ev->num_intf);
	for (unsigned int i = 0; i < d->n_intf; i++)
		fuzz_assert(d->intf[i].number == ev->intf[i].number &&
				    d->intf[i].cls == ev->intf[i].class,
			    "interface %u is not the record's", i);
	fuzz_assert(strlen(d->serial) < sizeof(ev->serial) &&
			    !strncmp(d->serial, ev->serial, sizeof(ev->serial)),
		    "serial is not the record's");
	fuzz_assert(strlen(d->product) < sizeof(ev->product) &&
			    strlen(d->manufacturer) < sizeof(ev->manufacturer),
		    "strings longer than the record's fields");
}

static unsigned int expected_kernel_verdict(enum policy_verdict v)
{
	return v == POLICY_ALLOW      ? MEDIAGATE_VERDICT_ALLOW
	       : v == POLICY_READONLY ? MEDIAGATE_VERDICT_READONLY
				      : MEDIAGATE_VERDICT_DENY;
}

static void check_decide(const struct mediagate_event *ev, const struct ident_device *d,
			 const struct media_info *m)
{
	struct decide_verdict v;
	int r;

	memset(&v, 0, sizeof(v));
	r = decide_hold(pol, reg, ev, d, m, &v);
	if (ev->type != MEDIAGATE_EV_HELD) {
		fuzz_assert(r == -EINVAL, "decide_hold on event type %u: %d", ev->type, r);
		return;
	}
	fuzz_assert(r == 0, "decide_hold on a valid hold: %d", r);
	fuzz_assert(v.handle == ev->handle, "verdict for another handle");
	fuzz_assert(v.verdict == expected_kernel_verdict(v.dec.verdict),
		    "policy says %s, kernel verdict %u", policy_verdict_name(v.dec.verdict),
		    v.verdict);
	fuzz_assert(memchr(v.interfaces, '\0', sizeof(v.interfaces)) &&
			    memchr(v.registry_why, '\0', sizeof(v.registry_why)),
		    "strings not terminated");
	for (unsigned int n = 0; n < MEDIAGATE_MAX_INTF; n++) {
		bool listed = false, other = false;
		uint8_t want;

		for (unsigned int i = 0; i < d->n_intf; i++) {
			if (d->intf[i].number != n)
				continue;
			listed = true;
			other |= d->intf[i].cls != USB_CLASS_CODE_STORAGE;
		}
		if (!(ev->level == MEDIAGATE_LEVEL_DEVICE &&
		      v.verdict == MEDIAGATE_VERDICT_READONLY))
			want = MEDIAGATE_VERDICT_NONE;
		else if (!listed)
			want = MEDIAGATE_VERDICT_NONE;
		else
			want = other ? MEDIAGATE_VERDICT_DENY : MEDIAGATE_VERDICT_READONLY;
		fuzz_assert(v.intf_verdict[n] == want, "interface %u: verdict %u, expected %u", n,
			    v.intf_verdict[n], want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mediagate_event ev, ev2;
	struct ident_device d, before;
	int r;

	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	r = kdev_event_check(&ev);
	if (r < 0) {
		fuzz_assert(r == -EBADMSG, "kdev_event_check: %d", r);
		return 0;
	}
	fuzz_assert(r == 0, "kdev_event_check returned %d", r);
	fuzz_assert(memchr(ev.devpath, '\0', sizeof(ev.devpath)) &&
			    memchr(ev.serial, '\0', sizeof(ev.serial)) &&
			    memchr(ev.product, '\0', sizeof(ev.product)) &&
			    memchr(ev.manufacturer, '\0', sizeof(ev.manufacturer)) &&
			    memchr(ev.driver, '\0', sizeof(ev.driver)),
		    "a string of a checked record is not terminated");
	ev2 = ev;
	fuzz_assert(kdev_event_check(&ev2) == 0 && !memcmp(&ev, &ev2, sizeof(ev)),
		    "checking a checked record changed it");

	memset(&d, 0x5a, sizeof(d));
	d.connect = IDENT_CONNECT_UNKNOWN;
	d.strings_truncated = d.have_hash = false;
	before = d;
	r = ident_from_event(&ev, &d);
	if (r < 0) {
		fuzz_assert(r == -EINVAL, "ident_from_event: %d", r);
		fuzz_assert(!memcmp(&d, &before, sizeof(d)), "*ret_dev written on error");
		return 0;
	}
	check_ident(&ev, &d);
	check_decide(&ev, &d, NULL);
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		check_decide(&ev, &d, &media[i]);
	return 0;
}
